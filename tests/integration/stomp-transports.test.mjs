// @stomp/stompjs 7 against the real server: over the raw WebSocket endpoint /ws, and over SockJS
// (/ws-chat) once for each transport sockjs-client 1.6.1 can use in Node. The same behaviour is
// expected whatever carries the STOMP frames.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { SOCKJS_NODE_TRANSPORTS, attemptStompJs, openStompJs, socketFactory } from './lib/clients.mjs';
import { startServer } from './lib/server.mjs';
import { algNoneToken, expiredToken, mintToken, wrongKeyToken } from './lib/tokens.mjs';
import { delay, waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 20000;
const RFC3339_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const CARRIERS = [
  { title: '@stomp/stompjs over WebSocket /ws', transport: 'ws' },
  ...SOCKJS_NODE_TRANSPORTS.map((transport) => ({
    title: `@stomp/stompjs over SockJS /ws-chat (${transport})`,
    transport,
  })),
];

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

for (const { title, transport } of CARRIERS) {
  describe(title, () => {
    const factory = () => socketFactory(server, transport);
    const bearer = (token) => ({ Authorization: `Bearer ${token}` });

    // Opens a session that the test closes at its end, whatever happens.
    async function open(t, token) {
      const session = await openStompJs({ factory: factory(), connectHeaders: bearer(token) });
      t.after(() => session.close());
      return session;
    }

    async function expectRefused(connectHeaders, reason) {
      const outcome = await attemptStompJs({ factory: factory(), connectHeaders });
      assert.equal(outcome.session, undefined, 'the server must not answer CONNECTED');
      assert.ok(outcome.error, `expected an ERROR frame, got a close without one (${outcome.closeEvent?.code})`);
      const message = outcome.error.headers.message;
      assert.match(message, /^authentication failed/);
      if (reason) assert.match(message, reason);
      assert.equal(outcome.closed, true, 'the server must close the connection after the ERROR');
    }

    it('connects with a bearer token: CONNECTED names the user, version, heart-beat and server', { timeout: TEST_TIMEOUT }, async (t) => {
      const sub = `user-${randomUUID()}`;
      const session = await open(t, mintToken({ secret: server.secret, sub, name: 'Alice' }));
      const headers = session.connected.headers;
      assert.equal(headers['user-name'], sub);
      assert.equal(headers.version, '1.2');
      assert.match(headers['heart-beat'], /^\d+,\d+$/);
      assert.ok(headers.server, 'CONNECTED has a server header');
    });

    it('connects with the token as passcode', { timeout: TEST_TIMEOUT }, async (t) => {
      const sub = `user-${randomUUID()}`;
      const token = mintToken({ secret: server.secret, sub });
      const session = await openStompJs({ factory: factory(), connectHeaders: { login: sub, passcode: token } });
      t.after(() => session.close());
      assert.equal(session.connected.headers['user-name'], sub);
    });

    it('refuses a CONNECT without credentials with ERROR "authentication failed" and closes', { timeout: TEST_TIMEOUT }, async () => {
      await expectRefused({});
    });

    it('refuses an expired token', { timeout: TEST_TIMEOUT }, async () => {
      await expectRefused(bearer(expiredToken(server.secret)), /expired/);
    });

    it('refuses a token signed with another key', { timeout: TEST_TIMEOUT }, async () => {
      await expectRefused(bearer(wrongKeyToken()), /signature/);
    });

    it('refuses an unsigned alg:none token', { timeout: TEST_TIMEOUT }, async () => {
      await expectRefused(bearer(algNoneToken()), /algorithm/);
    });

    it('refuses a token with alg:none in passcode too', { timeout: TEST_TIMEOUT }, async () => {
      await expectRefused({ passcode: algNoneToken() });
    });

    it('delivers 200 chat messages to a subscriber in the order they were sent', { timeout: TEST_TIMEOUT }, async (t) => {
      const sender = await open(t, mintToken({ secret: server.secret, name: 'Sender' }));
      const reader = await open(t, mintToken({ secret: server.secret, name: 'Reader' }));
      const inbox = await reader.subscribe('/topic/chat');
      const ownInbox = await sender.subscribe('/topic/chat');
      const run = randomUUID();
      const count = 200;
      for (let i = 0; i < count; i += 1) sender.publish('/app/chat.send', { content: `${run} #${i}` });

      const mine = (box) => box.all.filter((m) => m.json?.content?.startsWith(run));
      // Well under the 10 s heart-beat: a message stuck until the next heart-beat wakes the
      // connection must fail the test.
      await waitUntil(() => mine(inbox).length >= count && mine(ownInbox).length >= count, {
        timeoutMs: 5000,
        what: `${count} messages (reader has ${mine(inbox).length}, sender has ${mine(ownInbox).length})`,
      });
      for (const box of [inbox, ownInbox]) {
        const received = mine(box);
        assert.equal(received.length, count, 'no duplicates');
        received.forEach((message, i) => {
          assert.equal(message.json.content, `${run} #${i}`, `message ${i} in order`);
          assert.equal(message.json.sender, 'Sender');
          assert.match(message.json.timestamp, RFC3339_MS_UTC);
          assert.equal(message.headers.destination, '/topic/chat');
        });
      }
    });

    it('carries non-ASCII text and JSON escapes unchanged', { timeout: TEST_TIMEOUT }, async (t) => {
      const session = await open(t, mintToken({ secret: server.secret, name: '상담원 김 "Kim" \\ 🙂' }));
      const inbox = await session.subscribe('/topic/chat');
      const contents = [
        '안녕하세요, 환불 문의드립니다 🙏',
        'quotes " and \\ backslash, tab\t, newline\n, NUL \u0000 inside',
        'separators \u2028 \u2029 and BOM \ufeff and astral 𝄞',
        'a["not a sockjs frame"] c[3000,"Go away!"] h o',
      ];
      for (const content of contents) session.publish('/app/chat.send', { content });
      const received = await inbox.waitForCount(contents.length, 10000);
      assert.deepEqual(received.map((m) => m.json.content), contents);
      for (const message of received) assert.equal(message.json.sender, '상담원 김 "Kim" \\ 🙂');
    });

    it('answers receipts for SUBSCRIBE, SEND and UNSUBSCRIBE', { timeout: TEST_TIMEOUT }, async (t) => {
      const session = await open(t, mintToken({ secret: server.secret, name: 'Receipts' }));
      // subscribe() itself waits for the SUBSCRIBE receipt.
      const inbox = await session.subscribe('/topic/chat');
      const run = randomUUID();
      const receipt = await session.publishWithReceipt('/app/chat.send', { content: run });
      assert.ok(receipt.headers['receipt-id'].startsWith('send-'));
      await inbox.next((m) => m.json?.content === run);

      const unsubscribed = session.receipt('unsub-1');
      inbox.subscription.unsubscribe({ receipt: 'unsub-1' });
      await unsubscribed;
      // After the UNSUBSCRIBE receipt nothing more arrives on that subscription.
      const later = randomUUID();
      await session.publishWithReceipt('/app/chat.send', { content: later });
      await delay(200);
      assert.equal(inbox.all.filter((m) => m.json?.content === later).length, 0);
    });

    it('keeps a domain refusal on the connection; the refusal, not a RECEIPT, answers the receipt', { timeout: TEST_TIMEOUT }, async (t) => {
      const session = await open(t, mintToken({ secret: server.secret }));
      const errors = await session.subscribe('/user/queue/errors');
      // A RECEIPT would tell the client the message was sent; the refusal carries its receipt id.
      const refusal = await session.publishRefused('/app/chat.send', 'this is not JSON', errors);
      assert.equal(refusal.json.code, 'bad_request');
      assert.equal(typeof refusal.json.message, 'string');
      assert.match(refusal.json.receiptId, /^send-/);
      // The connection is still usable.
      const inbox = await session.subscribe('/topic/chat');
      const run = randomUUID();
      session.publish('/app/chat.send', { content: run });
      await inbox.next((m) => m.json?.content === run);
    });

    it('sends user destinations to every session of that user and to nobody else', { timeout: TEST_TIMEOUT }, async (t) => {
      const aliceId = `alice-${randomUUID()}`;
      const bobId = `bob-${randomUUID()}`;
      const alice1 = await open(t, mintToken({ secret: server.secret, sub: aliceId, name: 'Alice' }));
      const alice2 = await open(t, mintToken({ secret: server.secret, sub: aliceId, name: 'Alice' }));
      const bob = await open(t, mintToken({ secret: server.secret, sub: bobId, name: 'Bob' }));
      const [a1, a2, b] = await Promise.all([alice1, alice2, bob].map((s) => s.subscribe('/user/queue/errors')));

      // A bad body makes the server answer on the sender's own /user/queue/errors.
      await alice1.publishRefused('/app/chat.send', '{"content": 42}', a1);
      const [m1, m2] = await Promise.all([a1.next(), a2.next()]);
      for (const message of [m1, m2]) {
        assert.equal(message.json.code, 'bad_request');
        assert.equal(message.headers.destination, '/user/queue/errors');
      }
      await delay(300);
      assert.equal(b.all.length, 0, 'another user must not see Alice\'s errors');

      await bob.publishRefused('/app/chat.send', 'not json at all', b);
      const forBob = await b.next();
      assert.equal(forBob.json.code, 'bad_request');
      await delay(300);
      assert.equal(a1.all.length, 1, 'Alice\'s first session saw only her own error');
      assert.equal(a2.all.length, 1, 'Alice\'s second session saw only her own error');
      assert.equal(b.all.length, 1);
    });
  });
}
