// Graceful shutdown on SIGTERM/SIGINT: every STOMP client, whatever its transport, gets ERROR
// "server shutting down" and is closed, and the process exits 0 within server.shutdown-timeout-ms,
// even when a client does not read.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { openStompJs, socketFactory } from './lib/clients.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';
import { startServer } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';
import { withTimeout } from './lib/util.mjs';

const SHUTDOWN_TIMEOUT_MS = 3000;

async function withServer(t, settings = {}) {
  const server = await startServer({
    settings: { 'server.shutdown-timeout-ms': String(SHUTDOWN_TIMEOUT_MS), ...settings },
  });
  // Whatever happens in the test, the process is gone at the end.
  t.after(() => server.stop({ signal: 'SIGKILL' }));
  return server;
}

describe('graceful shutdown', () => {
  it('tells every client "server shutting down" and exits 0 on SIGTERM', { timeout: 30000 }, async (t) => {
    const server = await withServer(t);
    const raw = await RawStomp.open(server.wsUrl);
    t.after(() => raw.close());
    await raw.connect(mintToken({ secret: server.secret }));

    const stompClients = [];
    for (const transport of ['ws', 'websocket', 'xhr-streaming', 'xhr-polling', 'eventsource']) {
      const session = await openStompJs({
        factory: socketFactory(server, transport),
        connectHeaders: { Authorization: `Bearer ${mintToken({ secret: server.secret })}` },
      });
      t.after(() => session.close(1000));
      stompClients.push({ transport, session });
    }

    const started = Date.now();
    const stopping = server.stop({ signal: 'SIGTERM', timeoutMs: SHUTDOWN_TIMEOUT_MS + 5000 });

    const error = await raw.nextFrame('ERROR', 5000);
    assert.equal(error.headers.message, 'server shutting down');
    await raw.waitClosed(5000);
    for (const { transport, session } of stompClients) {
      const frame = await session.errors.next(() => true, 5000, `ERROR over ${transport}`);
      assert.equal(frame.headers.message, 'server shutting down', transport);
      await withTimeout(session.closed, 5000, `the close of the ${transport} client`);
    }

    const result = await stopping;
    assert.equal(result.killed, false, 'the server exited by itself');
    assert.equal(result.code, 0, `exit code; stderr:\n${result.stderr}`);
    assert.ok(Date.now() - started < SHUTDOWN_TIMEOUT_MS + 2000, `took ${Date.now() - started} ms`);
    assert.match(result.stderr, /shutdown: signal 15 received/);
    assert.match(result.stderr, /aicc-chat stopped/);
    assert.doesNotMatch(result.stderr, /did not close in time/, 'every client closed before the deadline');
  });

  it('exits 0 on SIGINT with no clients', { timeout: 15000 }, async (t) => {
    const server = await withServer(t);
    const result = await server.stop({ signal: 'SIGINT', timeoutMs: 5000 });
    assert.equal(result.killed, false);
    assert.equal(result.code, 0, `exit code; stderr:\n${result.stderr}`);
    assert.ok(result.elapsedMs < 2000, `took ${result.elapsedMs} ms`);
  });

  it('exits 0 within the timeout although a client stopped reading', { timeout: 30000 }, async (t) => {
    const server = await withServer(t);
    const stuck = await RawStomp.open(server.wsUrl);
    t.after(() => stuck.close());
    await stuck.connect(mintToken({ secret: server.secret }));
    await stuck.subscribe('/topic/chat');
    const publisher = await RawStomp.open(server.wsUrl);
    t.after(() => publisher.close());
    await publisher.connect(mintToken({ secret: server.secret }));
    stuck.pause();
    // Fill the paused reader's socket so its ERROR cannot be flushed.
    const body = JSON.stringify({ content: 'y'.repeat(3900) });
    for (let i = 0; i < 300; i += 1) publisher.send('SEND', { destination: '/app/chat.send' }, body);
    await publisher.subscribe('/topic/chat', 'own', { timeoutMs: 10000 });

    const result = await server.stop({ signal: 'SIGTERM', timeoutMs: SHUTDOWN_TIMEOUT_MS + 10000 });
    assert.equal(result.killed, false, 'the server exited by itself');
    assert.equal(result.code, 0, `exit code; stderr:\n${result.stderr}`);
    assert.ok(result.elapsedMs < SHUTDOWN_TIMEOUT_MS + 2000, `took ${result.elapsedMs} ms`);
  });
});
