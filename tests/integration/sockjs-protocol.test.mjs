// The SockJS HTTP transports frame by frame, as sockjs-protocol 0.3.3 describes them, with a STOMP
// connection inside: xhr polling and sending, jsonp, htmlfile, eventsource, the second-receiver
// rule, the close frame after the server ends a session, heartbeats, session expiry, streaming
// response renewal and the iframe page.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';

import { openStompJs, socketFactory } from './lib/clients.mjs';
import { FrameParser, RawStomp, encodeFrame } from './lib/raw-stomp.mjs';
import { startServer } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 15000;
const SOCKJS_HEARTBEAT_MS = 500;
const DISCONNECT_DELAY_MS = 1500;
const STREAMING_BYTES = 4096;

let server;

before(async () => {
  server = await startServer({
    settings: {
      'sockjs.heartbeat-ms': String(SOCKJS_HEARTBEAT_MS),
      'sockjs.disconnect-delay-ms': String(DISCONNECT_DELAY_MS),
      'sockjs.streaming-bytes': String(STREAMING_BYTES),
    },
  });
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

function sessionBase(prefix = '/ws-chat') {
  return `${server.httpUrl}${prefix}/000/${randomUUID().replaceAll('-', '')}`;
}

function stompText(command, headers = {}, body = '') {
  return encodeFrame(command, headers, body).toString('utf8');
}

// STOMP frames inside a SockJS a[...] frame.
function stompFrames(sockjsFrame) {
  const frames = [];
  const parser = new FrameParser((frame) => frames.push(frame), () => {});
  for (const message of JSON.parse(sockjsFrame.slice(1))) parser.push(Buffer.from(message, 'utf8'));
  return frames;
}

async function xhrSend(base, messages) {
  const response = await fetch(`${base}/xhr_send`, { method: 'POST', body: JSON.stringify(messages) });
  const text = await response.text();
  return { status: response.status, text, headers: response.headers };
}

// One xhr poll; resolves with the SockJS frame it carried (without the trailing newline).
async function poll(base) {
  const response = await fetch(`${base}/xhr`, { method: 'POST' });
  assert.equal(response.status, 200);
  const text = await response.text();
  assert.ok(text.endsWith('\n'), `xhr frames end with a newline: ${JSON.stringify(text)}`);
  return text.slice(0, -1);
}

// Polls, skipping heartbeats, until a frame that is not "h" comes.
async function pollFrame(base) {
  for (let i = 0; i < 20; i += 1) {
    const frame = await poll(base);
    if (frame !== 'h') return frame;
  }
  throw new Error('only heartbeats came');
}

// Polls until a STOMP frame matching `predicate` arrives; returns it.
async function pollStomp(base, predicate) {
  for (let i = 0; i < 30; i += 1) {
    const frame = await pollFrame(base);
    assert.equal(frame[0], 'a', `expected a message frame, got ${frame}`);
    const match = stompFrames(frame).find(predicate);
    if (match) return match;
  }
  throw new Error('no matching STOMP frame');
}

// A streaming GET/POST whose body is collected as it arrives.
function openStream(url, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (response) => {
      const stream = {
        status: response.statusCode,
        headers: response.headers,
        text: '',
        ended: false,
        close: () => req.destroy(),
        async waitFor(pattern, timeoutMs = 5000) {
          await waitUntil(() => pattern.test(stream.text), { timeoutMs, what: `${pattern} in ${url}` });
        },
      };
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        stream.text += chunk;
      });
      response.on('end', () => {
        stream.ended = true;
      });
      response.on('error', () => {});
      resolve(stream);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('SockJS HTTP transports', () => {
  it('runs a STOMP session over xhr polling and xhr_send', { timeout: TEST_TIMEOUT }, async () => {
    const base = sessionBase();
    assert.equal(await poll(base), 'o');
    const sent = await xhrSend(base, [stompText('CONNECT', {
      'accept-version': '1.2', 'heart-beat': '0,0', Authorization: `Bearer ${mintToken({ secret: server.secret, name: 'Poller' })}`,
    })]);
    assert.equal(sent.status, 204);
    const connected = await pollStomp(base, (f) => f.command === 'CONNECTED');
    assert.equal(connected.headers.version, '1.2');

    const content = `polled ${randomUUID()}`;
    await xhrSend(base, [
      stompText('SUBSCRIBE', { id: 's1', destination: '/topic/chat' }),
      stompText('SEND', { destination: '/app/chat.send' }, JSON.stringify({ content })),
    ]);
    const message = await pollStomp(base, (f) => f.command === 'MESSAGE');
    assert.deepEqual([JSON.parse(message.body).content, JSON.parse(message.body).sender], [content, 'Poller']);
    await xhrSend(base, [stompText('DISCONNECT')]);
  });

  it('answers xhr_send errors like sockjs-node', { timeout: TEST_TIMEOUT }, async () => {
    const unknown = await xhrSend(sessionBase(), ['x']);
    assert.equal(unknown.status, 404, 'no such session');

    const base = sessionBase();
    assert.equal(await poll(base), 'o');
    const empty = await fetch(`${base}/xhr_send`, { method: 'POST', body: '' });
    assert.equal(empty.status, 500);
    assert.equal(await empty.text(), 'Payload expected.');
    const broken = await fetch(`${base}/xhr_send`, { method: 'POST', body: '["unterminated' });
    assert.equal(broken.status, 500);
    assert.equal(await broken.text(), 'Broken JSON encoding.');
  });

  it('answers a second receiver with c[2010,"Another connection still open"]', { timeout: TEST_TIMEOUT }, async () => {
    const base = sessionBase();
    const first = await openStream(`${base}/xhr_streaming`, 'POST');
    try {
      await first.waitFor(/\no\n/);
      const second = await poll(base);
      assert.equal(second, 'c[2010,"Another connection still open"]');
    } finally {
      first.close();
    }
  });

  it('sends the close frame to every poll after the server ended the session', { timeout: TEST_TIMEOUT }, async () => {
    const base = sessionBase();
    assert.equal(await poll(base), 'o');
    await xhrSend(base, [stompText('CONNECT', { 'accept-version': '1.2' })]);
    const error = await pollStomp(base, (f) => f.command === 'ERROR');
    assert.match(error.headers.message, /^authentication failed/);
    assert.equal(await pollFrame(base), 'c[3000,"Go away!"]');
    assert.equal(await pollFrame(base), 'c[3000,"Go away!"]');
  });

  it('sends heartbeats to an idle streaming receiver', { timeout: TEST_TIMEOUT }, async () => {
    const base = sessionBase();
    const stream = await openStream(`${base}/xhr_streaming`, 'POST');
    try {
      assert.equal(stream.status, 200);
      assert.match(stream.headers['content-type'], /application\/javascript/);
      // The 2 KiB prelude of "h", then "o", then heartbeats.
      await stream.waitFor(/^h{2048}\no\n/);
      await stream.waitFor(/\no\nh\nh\n/, SOCKJS_HEARTBEAT_MS * 6);
    } finally {
      stream.close();
    }
  });

  it('speaks jsonp polling and jsonp_send', { timeout: TEST_TIMEOUT }, async () => {
    const base = sessionBase();
    const missing = await fetch(`${base}/jsonp`);
    assert.equal(missing.status, 500);
    assert.match(await missing.text(), /"callback" parameter required/);
    const hostile = await fetch(`${base}/jsonp?c=alert(1)`);
    assert.equal(hostile.status, 500);
    await hostile.text();

    const open = await fetch(`${base}/jsonp?c=cb.x_1`);
    assert.equal(open.status, 200);
    assert.equal(await open.text(), '/**/cb.x_1("o");\r\n');
    const form = new URLSearchParams({
      d: JSON.stringify([stompText('CONNECT', { 'accept-version': '1.2', passcode: mintToken({ secret: server.secret }) })]),
    });
    const sent = await fetch(`${base}/jsonp_send`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    assert.equal(sent.status, 200);
    assert.equal(await sent.text(), 'ok');
    const answer = await (await fetch(`${base}/jsonp?c=cb`)).text();
    const call = /^\/\*\*\/cb\((.*)\);\r\n$/s.exec(answer);
    assert.ok(call, `a callback call: ${answer}`);
    const [connected] = stompFrames(JSON.parse(call[1]));
    assert.equal(connected.command, 'CONNECTED');
  });

  it('streams over htmlfile and eventsource', { timeout: TEST_TIMEOUT }, async () => {
    const html = await openStream(`${sessionBase()}/htmlfile?c=parentCallback`);
    try {
      assert.equal(html.status, 200);
      assert.match(html.headers['content-type'], /text\/html/);
      await html.waitFor(/var c = parent\.parentCallback;[\s\S]*<script>\np\("o"\);\n<\/script>/);
    } finally {
      html.close();
    }
    const events = await openStream(`${sessionBase()}/eventsource`);
    try {
      assert.equal(events.status, 200);
      assert.match(events.headers['content-type'], /text\/event-stream/);
      await events.waitFor(/^\r\ndata: o\r\n\r\n/);
    } finally {
      events.close();
    }
  });

  it('ends a session nobody polls after sockjs.disconnect-delay-ms, and its STOMP connection with it', { timeout: TEST_TIMEOUT }, async () => {
    const base = sessionBase();
    assert.equal(await poll(base), 'o');
    const user = `idle-${randomUUID()}`;
    await xhrSend(base, [stompText('CONNECT', { 'accept-version': '1.2', passcode: mintToken({ secret: server.secret, sub: user }) })]);
    await pollStomp(base, (f) => f.command === 'CONNECTED');
    // No more polls: the session must go, and the connection be closed and logged.
    const logged = new RegExp(`connection closed .*user=${user} reason="SockJS session timed out"`);
    await waitUntil(() => logged.test(server.stderr), { timeoutMs: DISCONNECT_DELAY_MS + 4000, what: 'the expiry log line' });
    const unknown = await xhrSend(base, [stompText('SEND', { destination: '/app/chat.send' }, '{"content":"late"}')]);
    assert.equal(unknown.status, 404, 'the expired session is gone');
  });

  for (const transport of ['xhr-streaming', 'eventsource']) {
    it(`renews the ${transport} response after sockjs.streaming-bytes without losing a message`, { timeout: TEST_TIMEOUT }, async (t) => {
      const token = mintToken({ secret: server.secret, name: 'Streamer' });
      const session = await openStompJs({
        factory: socketFactory(server, transport),
        connectHeaders: { Authorization: `Bearer ${token}` },
      });
      t.after(() => session.close());
      const inbox = await session.subscribe('/topic/chat');
      const run = randomUUID();
      // About 20 KiB in all: the response is renewed several times on the way.
      for (let i = 0; i < 100; i += 1) session.publish('/app/chat.send', { content: `${run} ${i} ${'r'.repeat(100)}` });
      const received = await inbox.waitForCount(100, 10000);
      assert.deepEqual(received.map((m) => m.json.content.split(' ')[1]), Array.from({ length: 100 }, (_, i) => String(i)));
    });
  }

  for (const transport of ['xhr-streaming', 'eventsource']) {
    it(`delivers bursts over ${transport} at once, not at the next heartbeat`, { timeout: TEST_TIMEOUT }, async (t) => {
      // Messages that reach the session while a chunk is being written must go out right after
      // it. They come from a publisher on another connection (and so, often, another I/O thread);
      // the race is narrow, so it is run many times, and nothing else (no heart-beat) may wake a
      // stuck receiver within the bound.
      const quiet = await startServer({
        settings: { 'stomp.heartbeat-send-ms': '0', 'sockjs.heartbeat-ms': '60000', 'server.threads': '2' },
      });
      t.after(() => quiet.stop());
      const session = await openStompJs({
        factory: socketFactory(quiet, transport),
        connectHeaders: { Authorization: `Bearer ${mintToken({ secret: quiet.secret, name: 'Reader' })}` },
        heartbeatIncoming: 0,
        heartbeatOutgoing: 0,
      });
      t.after(() => session.close());
      const inbox = await session.subscribe('/topic/chat');
      const publisher = await RawStomp.open(quiet.wsUrl);
      t.after(() => publisher.close());
      await publisher.connect(mintToken({ secret: quiet.secret, name: 'Publisher' }));
      for (let round = 0; round < 40; round += 1) {
        for (let i = 0; i < 25; i += 1) {
          publisher.send('SEND', { destination: '/app/chat.send' }, JSON.stringify({ content: `${round}.${i} ${'b'.repeat(500)}` }));
        }
        await inbox.waitForCount((round + 1) * 25, 2000);
      }
      const stopped = await quiet.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
    });
  }

  it('serves the iframe page with an ETag and answers 304 to it', { timeout: TEST_TIMEOUT }, async () => {
    const page = await fetch(`${server.httpUrl}/ws-chat/iframe.html`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);
    assert.match(await page.text(), /<script src="[^"]+"><\/script>/);
    const etag = page.headers.get('etag');
    assert.ok(etag);
    const again = await fetch(`${server.httpUrl}/ws-chat/iframe.html`, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
  });
});
