// The SockJS protocol suite's test services (sockjs.test-services): absent unless switched on, and
// when on, served by the same transports as the STOMP endpoints. Also what the reference suite
// found in those transports: the websocket transport's heartbeat interval, CORS for Origin: null,
// Expires on cached answers, 405 on the websocket URL, %-encoded callbacks, the EventSource
// content type, the cookie on jsonp_send, and streaming over HTTP/1.0.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';

import WebSocket from 'ws';

import { httpRequest, openReceiver, poll } from './lib/sockjs-http.mjs';
import { startServer } from './lib/server.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 20000;
const HEARTBEAT_MS = 200;

let server;

before(async () => {
  server = await startServer({
    settings: { 'sockjs.test-services': 'true', 'sockjs.heartbeat-ms': String(HEARTBEAT_MS), 'ws.allowed-origins': '*' },
  });
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

const sessionPath = (prefix) => `${prefix}/000/${randomUUID().replaceAll('-', '')}`;

// Collects the text messages of a WebSocket.
function openWebSocket(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const socket = { ws, messages: [], closed: null };
    ws.on('message', (data) => socket.messages.push(data.toString('utf8')));
    ws.on('close', (code, reason) => {
      socket.closed = { code, reason: reason.toString('utf8') };
    });
    ws.once('open', () => resolve(socket));
    ws.once('error', reject);
  });
}

// One raw HTTP/1.0 exchange; resolves with everything the server sent until it closed.
function rawHttp10(path, method) {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.write(`${method} ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n`);
  });
}

describe('SockJS test services', () => {
  it('do not exist unless sockjs.test-services is on', { timeout: TEST_TIMEOUT }, async () => {
    const plain = await startServer();
    try {
      for (const prefix of ['/echo', '/close', '/disabled_websocket_echo', '/cookie_needed_echo']) {
        const info = await fetch(`${plain.httpUrl}${prefix}/info`);
        assert.equal(info.status, 404, prefix);
        await info.text();
      }
      await assert.rejects(openWebSocket(`ws://127.0.0.1:${plain.port}/echo/websocket`), /404/);
    } finally {
      await plain.stop();
    }
  });

  it('echo over xhr polling, and close with 3000 "Go away!"', { timeout: TEST_TIMEOUT }, async () => {
    const echo = sessionPath('/echo');
    assert.equal((await poll(server, echo)).frame, 'o');
    const sent = await httpRequest(server, `${echo}/xhr_send`, { body: '["a","\\u2028 b"]' });
    assert.equal(sent.status, 204);
    assert.equal((await poll(server, echo)).frame, 'a["a","\\u2028 b"]');

    const close = sessionPath('/close');
    assert.equal((await poll(server, close)).frame, 'o');
    assert.equal((await poll(server, close)).frame, 'c[3000,"Go away!"]');
  });

  it('say in /info whether they offer websockets and need cookies', { timeout: TEST_TIMEOUT }, async () => {
    const info = async (prefix) => (await fetch(`${server.httpUrl}${prefix}/info`)).json();
    assert.equal((await info('/echo')).websocket, true);
    assert.equal((await info('/disabled_websocket_echo')).websocket, false);
    assert.equal((await info('/cookie_needed_echo')).cookie_needed, true);
    assert.equal((await info('/ws-chat')).cookie_needed, false);
  });

  it('echo over the websocket transport, raw and SockJS-framed', { timeout: TEST_TIMEOUT }, async () => {
    const raw = await openWebSocket(`ws://127.0.0.1:${server.port}/echo/websocket`);
    raw.ws.send('Hello world!\uffff');
    await waitUntil(() => raw.messages.length === 1, { timeoutMs: 5000, what: 'the echo' });
    assert.equal(raw.messages[0], 'Hello world!\uffff');
    raw.ws.close();

    const closing = await openWebSocket(`ws://127.0.0.1:${server.port}/close/websocket`);
    await waitUntil(() => closing.closed, { timeoutMs: 5000, what: 'the close' });
    assert.deepEqual(closing.closed, { code: 3000, reason: 'Go away!' });

    const framed = await openWebSocket(`ws://127.0.0.1:${server.port}${sessionPath('/echo')}/websocket`);
    await waitUntil(() => framed.messages.length === 1, { timeoutMs: 5000, what: 'the open frame' });
    framed.ws.send('["a"]');
    await waitUntil(() => framed.messages.includes('a["a"]'), { timeoutMs: 5000, what: 'the echo' });
    framed.ws.close();
  });
});

describe('what the SockJS reference suite found', () => {
  it('sends the websocket transport "h" every interval, as often as the HTTP transports do', { timeout: TEST_TIMEOUT }, async () => {
    // Both heartbeats come from the same server clock: an xhr_streaming receiver and a SockJS
    // WebSocket, idle side by side. Before the fix the WebSocket got one "h" every other interval.
    const ws = await openWebSocket(`ws://127.0.0.1:${server.port}${sessionPath('/ws-chat')}/websocket`);
    const stream = openReceiver(server, `${sessionPath('/ws-chat')}/xhr_streaming`, 'POST');
    try {
      const streamed = () => (stream.text.match(/^h$/gm) ?? []).length - 1;  // less the prelude line
      await waitUntil(() => streamed() >= 8, { timeoutMs: 15000, what: '8 heartbeats on xhr_streaming' });
      const overWebSocket = ws.messages.filter((m) => m === 'h').length;
      assert.ok(overWebSocket >= streamed() - 3, `${overWebSocket} heartbeats over the WebSocket against ${streamed()} over xhr_streaming`);
    } finally {
      stream.drop();
      ws.ws.close();
    }
  });

  it('answers CORS for Origin: null with "null" and credentials, and without an Origin with "*" alone', { timeout: TEST_TIMEOUT }, async () => {
    const nul = await httpRequest(server, '/echo/info', { method: 'OPTIONS', headers: { Origin: 'null', 'Access-Control-Request-Method': 'GET' } });
    assert.equal(nul.headers['access-control-allow-origin'], 'null');
    assert.equal(nul.headers['access-control-allow-credentials'], 'true');
    const none = await httpRequest(server, `${sessionPath('/echo')}/xhr`);
    assert.equal(none.headers['access-control-allow-origin'], '*');
    assert.equal(none.headers['access-control-allow-credentials'], undefined);
  });

  it('gives cached answers an Expires a year ahead', { timeout: TEST_TIMEOUT }, async () => {
    for (const [path, method] of [['/echo/iframe.html', 'GET'], ['/echo/info', 'OPTIONS'], ['/echo', 'GET']]) {
      const answer = await httpRequest(server, path, { method });
      const expires = Date.parse(answer.headers.expires);
      assert.ok(expires > Date.now() + 300 * 24 * 3600 * 1000, `${method} ${path}: Expires ${answer.headers.expires}`);
    }
  });

  it('answers a POST to a websocket URL with 405 and Allow: GET', { timeout: TEST_TIMEOUT }, async () => {
    for (const headers of [{}, { Upgrade: 'WebSocket', Connection: 'Upgrade' }]) {
      const answer = await httpRequest(server, '/echo/0/0/websocket', { headers });
      assert.equal(answer.status, 405);
      assert.equal(answer.headers.allow, 'GET');
    }
  });

  it('url-decodes the jsonp callback, and sets the cookie on jsonp_send too', { timeout: TEST_TIMEOUT }, async () => {
    const path = sessionPath('/cookie_needed_echo');
    const open = await httpRequest(server, `${path}/jsonp?c=%63allback`, { method: 'GET' });
    assert.equal(open.status, 200);
    assert.equal(open.text, '/**/callback("o");\r\n');
    const sent = await httpRequest(server, `${path}/jsonp_send`, {
      body: 'd=%5B%22x%22%5D', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(sent.text, 'ok');
    assert.ok(sent.headers['set-cookie']?.some((c) => c.startsWith('JSESSIONID=dummy; Path=/')), `${sent.headers['set-cookie']}`);
  });

  it('streams over HTTP/1.0 without chunks and ends by closing', { timeout: TEST_TIMEOUT }, async () => {
    const answer = await rawHttp10(`${sessionPath('/close')}/xhr_streaming`, 'POST');
    const [head, body] = answer.split('\r\n\r\n');
    assert.doesNotMatch(head, /transfer-encoding/i);
    assert.equal(body, `${'h'.repeat(2048)}\no\nc[3000,"Go away!"]\n`);

    const events = await httpRequest(server, `${sessionPath('/close')}/eventsource`, { method: 'GET' });
    assert.equal(events.headers['content-type'], 'text/event-stream');
  });
});
