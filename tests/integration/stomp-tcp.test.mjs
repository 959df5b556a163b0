// STOMP over plain TCP (stomp.tcp-port): off by default; when on, the same frames, tokens and
// destinations as /ws, bytes split or batched any way TCP likes, heart-beats, the refusals of
// bad input, the connect timeout, the per-address limit and the graceful shutdown.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { RawStomp, encodeFrame } from './lib/raw-stomp.mjs';
import { startServer } from './lib/server.mjs';
import { TcpStomp, freeTcpPort } from './lib/tcp-stomp.mjs';
import { mintToken, wrongKeyToken } from './lib/tokens.mjs';
import { parseMetrics, waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 15000;
// Long enough for a CONNECT sent in pieces on a busy machine, short enough to wait for.
const CONNECT_TIMEOUT_MS = 1500;

// A server listening for STOMP over TCP on a port picked here; tried again on another port when
// somebody took the first one in between.
async function startTcpServer(settings = {}) {
  for (let attempt = 1; ; attempt += 1) {
    const tcpPort = await freeTcpPort();
    try {
      const server = await startServer({ settings: { 'stomp.tcp-port': String(tcpPort), ...settings } });
      server.tcpPort = tcpPort;
      return server;
    } catch (error) {
      if (attempt === 3 || !/cannot listen for STOMP over TCP/.test(error.message)) throw error;
    }
  }
}

// The fault is answered with ERROR (its message matching `message`) and a close.
async function expectErrorAndClose(client, message) {
  const frame = await client.nextFrame('ERROR', 5000);
  assert.match(frame.headers.message, message);
  const closed = await client.waitClosed(5000);
  assert.ok(closed.ended, 'the server ended the connection with a FIN, not a reset');
  return frame;
}

describe('STOMP over TCP is off by default', () => {
  it('does not listen unless stomp.tcp-port is set', { timeout: TEST_TIMEOUT }, async (t) => {
    const port = await freeTcpPort();
    const server = await startServer();
    t.after(() => server.stop());
    assert.doesNotMatch(server.stderr, /tcp:\/\//);
    await assert.rejects(TcpStomp.open(port), { code: 'ECONNREFUSED' });
  });
});

describe('STOMP over TCP is ready with the server', () => {
  // The port file is the server's "ready": the TCP listener must already listen when it appears,
  // or a client (or a load balancer's check) that starts at once is refused.
  it('accepts a STOMP connection the moment the port file names the HTTP port', { timeout: 30000 }, async () => {
    for (let start = 0; start < 5; start += 1) {
      const server = await startTcpServer();
      try {
        const c = await TcpStomp.open(server.tcpPort);
        try {
          const connected = await c.connect(mintToken({ secret: server.secret }));
          assert.equal(connected.command, 'CONNECTED');
        } finally {
          await c.close();
        }
      } finally {
        await server.stop();
      }
    }
  });
});

describe('STOMP over TCP', () => {
  let server;

  before(async () => {
    server = await startTcpServer({
      'stomp.connect-timeout-ms': String(CONNECT_TIMEOUT_MS),
      'stomp.heartbeat-send-ms': '200',
      'stomp.heartbeat-receive-ms': '200',
      'stomp.outbound-queue-bytes': '65536',
    });
  });

  after(async () => {
    if (!server) return;
    const result = await server.stop();
    assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
  });

  async function client(t) {
    const c = await TcpStomp.open(server.tcpPort);
    t.after(() => c.close());
    return c;
  }

  it('logs where it listens', async () => {
    // The line may follow the port file by a moment on a busy machine.
    await server.waitForLog(new RegExp(`STOMP on tcp://127\\.0\\.0\\.1:${server.tcpPort}`));
  });

  it('accepts CONNECT with a bearer token and names the user', { timeout: TEST_TIMEOUT }, async (t) => {
    const c = await client(t);
    const connected = await c.connect(mintToken({ secret: server.secret, sub: 'tcp-user-1' }));
    assert.equal(connected.headers.version, '1.2');
    assert.equal(connected.headers['user-name'], 'tcp-user-1');
    assert.match(connected.headers.server, /^aicc-chat/);
  });

  it('accepts the token in the passcode header, and STOMP 1.0', { timeout: TEST_TIMEOUT }, async (t) => {
    const c = await client(t);
    const connected = await c.connect(null, {
      acceptVersion: '1.0',
      headers: { login: 'ignored', passcode: mintToken({ secret: server.secret, sub: 'tcp-user-2' }) },
    });
    assert.equal(connected.headers['user-name'], 'tcp-user-2');
  });

  it('chats on /topic/chat with a WebSocket client, both ways', { timeout: TEST_TIMEOUT }, async (t) => {
    const tcp = await client(t);
    await tcp.connect(mintToken({ secret: server.secret, name: 'Tcp Tom' }));
    await tcp.subscribe('/topic/chat', 'chat');
    const ws = await RawStomp.open(server.wsUrl);
    t.after(() => ws.close());
    await ws.connect(mintToken({ secret: server.secret, name: 'Web Wendy' }));
    await ws.subscribe('/topic/chat', 'chat');

    const fromTcp = `over tcp ${randomUUID()}`;
    await tcp.send('SEND', { destination: '/app/chat.send', 'content-type': 'application/json' },
      JSON.stringify({ content: fromTcp }));
    for (const receiver of [tcp, ws]) {
      const message = await receiver.nextFrame((f) => f.command === 'MESSAGE' && f.body.includes(fromTcp));
      const body = JSON.parse(message.body);
      assert.equal(body.sender, 'Tcp Tom');
      assert.equal(body.content, fromTcp);
      assert.equal(message.headers.destination, '/topic/chat');
      assert.equal(message.headers.subscription, 'chat');
    }

    const fromWs = `over ws ${randomUUID()}`;
    ws.send('SEND', { destination: '/app/chat.send', 'content-type': 'application/json' }, JSON.stringify({ content: fromWs }));
    const message = await tcp.nextFrame((f) => f.command === 'MESSAGE' && f.body.includes(fromWs));
    assert.equal(JSON.parse(message.body).sender, 'Web Wendy');
  });

  it('reads frames split across many TCP writes', { timeout: TEST_TIMEOUT }, async (t) => {
    const c = await client(t);
    const token = mintToken({ secret: server.secret });
    await c.sendInPieces(encodeFrame('CONNECT', { 'accept-version': '1.2', host: 'x', Authorization: `Bearer ${token}` }), 25);
    await c.nextFrame('CONNECTED');
    const content = `split ${randomUUID()}`;
    const frames = Buffer.concat([
      encodeFrame('SUBSCRIBE', { id: 's', destination: '/topic/chat', receipt: 'r1' }),
      encodeFrame('SEND', { destination: '/app/chat.send', 'content-type': 'application/json' }, JSON.stringify({ content })),
    ]);
    await c.sendInPieces(frames, 1, 0);
    await c.nextFrame((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'r1');
    const message = await c.nextFrame((f) => f.command === 'MESSAGE' && f.body.includes(content));
    assert.equal(JSON.parse(message.body).content, content);
  });

  it('reads several frames from one TCP write, CONNECT included', { timeout: TEST_TIMEOUT }, async (t) => {
    const c = await client(t);
    const contents = [1, 2, 3].map((n) => `batched ${n} ${randomUUID()}`);
    await c.sendRaw(Buffer.concat([
      encodeFrame('CONNECT', { 'accept-version': '1.2', host: 'x', Authorization: `Bearer ${mintToken({ secret: server.secret })}` }),
      encodeFrame('SUBSCRIBE', { id: 's', destination: '/topic/chat', receipt: 'subscribed' }),
      ...contents.map((content, i) => encodeFrame('SEND', { destination: '/app/chat.send', receipt: `sent-${i}` },
        JSON.stringify({ content }))),
    ]));
    await c.nextFrame('CONNECTED');
    await c.nextFrame((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'subscribed');
    for (const [i, content] of contents.entries()) {
      await c.nextFrame((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === `sent-${i}`);
      await c.nextFrame((f) => f.command === 'MESSAGE' && JSON.parse(f.body).content === content);
    }
  });

  it('negotiates heart-beats, keeps a peer that sends them and closes one that stops', { timeout: TEST_TIMEOUT }, async (t) => {
    const c = await client(t);
    const connected = await c.connect(mintToken({ secret: server.secret }), { heartBeat: '500,500' });
    // The server's offer; both sides then use max(200, 500) ms.
    assert.equal(connected.headers['heart-beat'], '200,200');
    const beating = setInterval(() => c.socket.write('\n'), 100);
    t.after(() => clearInterval(beating));
    // Counted, not timed: a loaded machine may stretch the 500 ms between them.
    await waitUntil(() => c.heartbeats >= 3, { timeoutMs: 10000, what: 'three heart-beats from the server' });
    assert.ok(!c.ended, 'still open while heart-beats flow');
    clearInterval(beating);
    const frame = await expectErrorAndClose(c, /^heart-beat timeout/);
    assert.match(frame.body, /nothing received/);
  });

  it('refuses a wrong token with ERROR "authentication failed" and closes', { timeout: TEST_TIMEOUT }, async (t) => {
    const c = await client(t);
    await assert.rejects(c.connect(wrongKeyToken()), (error) => /^authentication failed/.test(error.frame?.headers.message));
    await c.waitClosed(5000);
  });

  it('refuses a CONNECT without credentials', { timeout: TEST_TIMEOUT }, async (t) => {
    const c = await client(t);
    await c.send('CONNECT', { 'accept-version': '1.2', host: 'x' });
    await expectErrorAndClose(c, /^authentication failed/);
  });

  it('refuses a frame over 64 KiB with ERROR "frame too large" and closes', { timeout: TEST_TIMEOUT }, async (t) => {
    const c = await client(t);
    await c.connect(mintToken({ secret: server.secret }));
    // Sent whole: the server answers as soon as the limit is passed and drops the rest.
    c.socket.write(encodeFrame('SEND', { destination: '/app/chat.send' }, 'z'.repeat(200 * 1024)));
    await expectErrorAndClose(c, /^frame too large/);
  });

  it('refuses garbage bytes with an ERROR naming the fault', { timeout: TEST_TIMEOUT }, async (t) => {
    const c = await client(t);
    await c.sendRaw('\u0001\u0002this is not STOMP at all\n\n\u0000');
    await expectErrorAndClose(c, /./);
  });

  it('refuses random binary bytes', { timeout: TEST_TIMEOUT }, async (t) => {
    const c = await client(t);
    await c.sendRaw(randomBytes(4096));
    await expectErrorAndClose(c, /./);
  });

  it('closes a connection that never sends CONNECT after stomp.connect-timeout-ms', { timeout: TEST_TIMEOUT }, async (t) => {
    const started = Date.now();
    const c = await client(t);
    const frame = await expectErrorAndClose(c, /^connect timeout/);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= CONNECT_TIMEOUT_MS - 50, `closed after ${elapsed} ms`);
    assert.ok(elapsed < CONNECT_TIMEOUT_MS + 3000, `closed after ${elapsed} ms`);
    assert.match(frame.body, /no CONNECT/);
  });

  it('counts its connections as transport "tcp" in /metrics', { timeout: TEST_TIMEOUT }, async (t) => {
    const c = await client(t);
    await c.connect(mintToken({ secret: server.secret }));
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const open = Number(/aicc_connections\{transport="tcp"\} (\d+)/.exec(metrics)?.[1]);
    assert.ok(open >= 1, `tcp connections in /metrics: ${open}`);
  });

  it('cuts a subscriber that stops reading as a slow consumer, not one that keeps up', { timeout: 60000 }, async (t) => {
    const slowConsumers = async () =>
      parseMetrics(await (await fetch(`${server.httpUrl}/metrics`)).text())['aicc_errors_total{kind="slow_consumer"}'] ?? 0;
    const before = await slowConsumers();
    const [fast, slow, publisher] = [await client(t), await client(t), await client(t)];
    for (const c of [fast, slow, publisher]) await c.connect(mintToken({ secret: server.secret }));
    await fast.subscribe('/topic/chat', 'fast');
    await slow.subscribe('/topic/chat', 'slow');
    slow.socket.pause();
    // ~4 KiB each; the publisher stays at most 8 messages ahead of the fast reader, so the fast
    // reader's own 64 KiB queue never fills.
    const padding = 'x'.repeat(3800);
    const run = randomUUID();
    let sent = 0;
    let cut = false;
    // Until the paused reader's socket buffers (a few MiB on loopback) and its queue are full.
    while (!cut && sent < 8000) {
      for (let i = 0; i < 100; i += 1, sent += 1) {
        await fast.waitForMessages(sent - 8, 10000);
        await publisher.send('SEND', { destination: '/app/chat.send' }, JSON.stringify({ content: `${run} #${sent} ${padding}` }));
      }
      cut = (await slowConsumers()) > before;
    }
    assert.ok(cut, `the paused reader was not cut after ${sent} messages of ~4 KiB`);
    t.diagnostic(`paused reader cut after ${sent} messages`);
    await fast.waitForMessages(sent, 10000);
    const contents = fast.frames.all.filter((f) => f.command === 'MESSAGE' && f.body.includes(run))
      .map((f) => Number(/#(\d+) /.exec(JSON.parse(f.body).content)[1]));
    assert.deepEqual(contents, [...Array(sent).keys()], 'the fast reader got every message, in order');
    slow.socket.resume();
    await slow.waitClosed(15000);
  });

  // Last: it stops the server.
  it('tells TCP clients "server shutting down" on SIGTERM and exits 0', { timeout: TEST_TIMEOUT }, async (t) => {
    const c = await client(t);
    await c.connect(mintToken({ secret: server.secret }));
    const stopping = server.stop();
    await expectErrorAndClose(c, /^server shutting down$/);
    const result = await stopping;
    assert.equal(result.code, 0, result.stderr);
  });
});

describe('STOMP over TCP, per-address limit', () => {
  it('refuses connections past ws.handshake-burst-per-ip with an ERROR saying so', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startTcpServer({ 'ws.handshake-rate-per-ip': '0.001', 'ws.handshake-burst-per-ip': '2' });
    t.after(() => server.stop());
    const allowed = [await TcpStomp.open(server.tcpPort), await TcpStomp.open(server.tcpPort)];
    t.after(() => Promise.all(allowed.map((c) => c.close())));
    for (const c of allowed) await c.connect(mintToken({ secret: server.secret }));
    const refused = await TcpStomp.open(server.tcpPort);
    t.after(() => refused.close());
    await expectErrorAndClose(refused, /^too many connections from this address/);
  });
});

describe('STOMP over TCP, server.max-connections', () => {
  it('counts TCP connections with the HTTP ones and frees the place of a closed one', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startTcpServer({ 'server.max-connections': '2' });
    t.after(() => server.stop());
    const first = await TcpStomp.open(server.tcpPort);
    const second = await TcpStomp.open(server.tcpPort);
    t.after(() => Promise.all([first.close(), second.close()]));
    await first.connect(mintToken({ secret: server.secret }));
    await second.connect(mintToken({ secret: server.secret }));
    const third = await TcpStomp.open(server.tcpPort);
    t.after(() => third.close());
    await expectErrorAndClose(third, /^server is at its connection limit/);
    await first.send('DISCONNECT', { receipt: 'bye' });
    await first.nextFrame('RECEIPT');
    await first.waitClosed(5000);
    const fourth = await waitUntil(async () => {
      const c = await TcpStomp.open(server.tcpPort);
      try {
        await c.connect(mintToken({ secret: server.secret }), { timeoutMs: 1000 });
        return c;
      } catch {
        await c.close();
        return null;
      }
    }, { timeoutMs: 5000, what: 'a free place after a disconnect' });
    t.after(() => fourth.close());
  });
});
