// A receiver (xhr, jsonp, xhr_streaming, eventsource, htmlfile) whose client went away must not
// swallow the frames written to it: the session ends with c[1002,"Connection interrupted"], so the
// client knows to open a new session and resume, instead of carrying on with a gap.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { startServer } from './lib/server.mjs';
import { waitUntil } from './lib/util.mjs';
import {
  ANOTHER, INTERRUPTED, attachedPoll, lobbyPublisher, openLobbySession, openReceiver, poll, publish,
} from './lib/sockjs-http.mjs';

const TEST_TIMEOUT = 20000;

let server;

before(async () => {
  // A long heartbeat: nothing but the test's own messages may wake a waiting receiver.
  server = await startServer({ settings: { 'sockjs.heartbeat-ms': '60000', 'stomp.heartbeat-send-ms': '0' } });
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

describe('a dropped receiver ends the session instead of losing messages', () => {
  const transports = [
    { name: 'xhr', path: 'xhr', method: 'POST', polling: true },
    { name: 'jsonp', path: 'jsonp?c=cb', method: 'GET', polling: true },
    { name: 'xhr_streaming', path: 'xhr_streaming', method: 'POST', prelude: /^h{2048}\n$/ },
    { name: 'eventsource', path: 'eventsource', method: 'GET', prelude: /^\r\n$/ },
    { name: 'htmlfile', path: 'htmlfile?c=cb', method: 'GET', prelude: /<\/script>\s+$/ },
  ];
  for (const transport of transports) {
    it(`over ${transport.name}: the next request gets ${INTERRUPTED}, not the later message`, { timeout: TEST_TIMEOUT }, async (t) => {
      const publisher = await lobbyPublisher(t, server);
      const { path } = await openLobbySession(server, `Reader-${transport.name}`);

      let receiver;
      if (transport.polling) {
        receiver = await attachedPoll(server, path, transport);
      } else {
        receiver = openReceiver(server, `${path}/${transport.path}`, transport.method);
        // The prelude is written once the request is attached.
        await receiver.waitFor(transport.prelude);
        const second = await poll(server, path);
        assert.equal(second.frame, ANOTHER);
      }

      receiver.drop();
      await publish(publisher, `first ${randomUUID()}`);
      await publish(publisher, `second ${randomUUID()}`);

      const next = await poll(server, path);
      assert.equal(next.frame, INTERRUPTED, 'the client must learn that it missed frames');
      const again = await poll(server, path);
      assert.equal(again.frame, INTERRUPTED, 'the session keeps saying so');
    });
  }

  it('logs the STOMP connection of an interrupted session as closed at once', { timeout: TEST_TIMEOUT }, async () => {
    const name = `Dropped-${randomUUID()}`;
    const { path } = await openLobbySession(server, name);
    const receiver = await attachedPoll(server, path, { path: 'xhr', method: 'POST' });
    receiver.drop();
    assert.equal((await poll(server, path)).frame, INTERRUPTED);
    await waitUntil(() => /connection closed .* reason="Connection interrupted"/.test(server.stderr), {
      timeoutMs: 5000,
      what: 'the close log line',
    });
  });
});
