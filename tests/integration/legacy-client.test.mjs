// The original browser page's client stack: stompjs 2.3.3 over sockjs-client 1.6.1
// (`Stomp.over(new SockJS(url))`), with the token in the Authorization CONNECT header. Both SockJS
// endpoints must keep working for it.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { closeLegacyStomp, openLegacyStomp } from './lib/clients.mjs';
import { startServer } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';
import { withTimeout } from './lib/util.mjs';

const TEST_TIMEOUT = 20000;

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

// SUBSCRIBE with a receipt and wait for it; stompjs 2.3.3 reports receipts through onreceipt.
function subscribeWithReceipt(client, destination, onMessage) {
  const receipt = `legacy-sub-${randomUUID()}`;
  const done = new Promise((resolve) => {
    client.onreceipt = (frame) => {
      if (frame.headers['receipt-id'] === receipt) resolve(frame);
    };
  });
  client.subscribe(destination, onMessage, { receipt });
  return withTimeout(done, 5000, `RECEIPT ${receipt}`);
}

describe('stompjs 2.3.3 + sockjs-client 1.6.1', () => {
  for (const [path, sockjsOptions] of [
    ['/ws-chat', undefined],
    ['/ws-stomp', undefined],
    ['/ws-chat', { transports: ['xhr-streaming'] }],
    ['/ws-stomp', { transports: ['xhr-polling'] }],
  ]) {
    const how = sockjsOptions ? ` (${sockjsOptions.transports[0]} only)` : '';
    it(`connects to ${path}${how} with the Authorization header and exchanges a message`, { timeout: TEST_TIMEOUT }, async (t) => {
      const sub = `legacy-${randomUUID()}`;
      const token = mintToken({ secret: server.secret, sub, name: 'Legacy User' });
      const { client, connected } = await openLegacyStomp(`${server.httpUrl}${path}`,
        { Authorization: `Bearer ${token}` }, { sockjsOptions });
      t.after(() => closeLegacyStomp(client));
      assert.equal(connected.headers['user-name'], sub);
      // stompjs 2.3.3 offers 1.1 and 1.0 only.
      assert.equal(connected.headers.version, '1.1');

      const received = [];
      let arrived;
      const first = new Promise((resolve) => {
        arrived = resolve;
      });
      await subscribeWithReceipt(client, '/topic/chat', (message) => {
        received.push(JSON.parse(message.body));
        arrived();
      });
      const content = `hello from ${path} ${randomUUID()}`;
      client.send('/app/chat.send', { 'content-type': 'application/json' }, JSON.stringify({ content }));
      await withTimeout(first, 5000, 'the chat message');
      assert.equal(received[0].content, content);
      assert.equal(received[0].sender, 'Legacy User');
    });
  }

  it('reports the ERROR of a refused CONNECT to the error callback', { timeout: TEST_TIMEOUT }, async () => {
    await assert.rejects(
      openLegacyStomp(`${server.httpUrl}/ws-chat`, { Authorization: 'Bearer not-a-token' }),
      (error) => {
        assert.equal(typeof error.failure, 'object', `expected an ERROR frame, got ${error.failure}`);
        assert.match(error.failure.headers.message, /^authentication failed/);
        return true;
      },
    );
  });
});
