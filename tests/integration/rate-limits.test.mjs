// What one client may send, at the server's default limits: SENDs over a rate are refused with
// rate_limited and a retry-after (never stored, never fanned out), repeated abuse closes the
// connection, one user's connections share one allowance, one user holds a bounded number of
// sessions, and an /app/ destination the server lacks is refused without closing.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { acceptedRoom, connect, fullHistory, newAgent, newCustomer, startCenter } from './lib/contact-center.mjs';
import { attemptStompJs, socketFactory } from './lib/clients.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';

const TEST_TIMEOUT = 30000;

// Sends `count` SENDs with receipts at once; resolves { receipted, refusals } once each is answered.
async function burst(party, destination, bodyOf, count) {
  const outcomes = await Promise.all(Array.from({ length: count }, (_, i) =>
    party.session.publishAnswered(destination, bodyOf(i), party.errors)));
  return {
    receipted: outcomes.filter((o) => o.receipt).length,
    refusals: outcomes.filter((o) => o.refusal).map((o) => o.refusal.json),
  };
}

describe('send rate limits (defaults)', () => {
  it('the lobby takes a burst of 5, refuses the rest with a retry-after, and takes more after it', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { limits: 'default' });
    const customer = await newCustomer(t, server);
    const lobby = await customer.session.subscribe('/topic/chat');
    const run = randomUUID();
    const { receipted, refusals } = await burst(customer, '/app/chat.send', (i) => ({ content: `${run} ${i}` }), 20);
    assert.equal(receipted, 5);
    assert.equal(refusals.length, 15);
    for (const refusal of refusals) {
      assert.equal(refusal.code, 'rate_limited');
      assert.ok(refusal.retryAfterMs > 0 && refusal.retryAfterMs <= 1000, `retryAfterMs ${refusal.retryAfterMs}`);
      assert.match(refusal.receiptId, /^send-/);
    }
    // Only what was accepted went out to the lobby.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(lobby.all.filter((m) => m.json?.content?.startsWith(run)).length, 5);
    // After the retry-after, the connection (still open) may send again.
    await new Promise((resolve) => setTimeout(resolve, Math.max(...refusals.map((r) => r.retryAfterMs)) + 50));
    const later = await customer.session.publishAnswered('/app/chat.send', { content: `${run} later` }, customer.errors);
    assert.ok(later.receipt, 'a SEND after the retry-after is accepted');
  });

  it('a room flood stores at most the burst; refused messages are not stored', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { limits: 'default' });
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    const { receipted, refusals } = await burst(customer, '/app/room.send',
      (i) => ({ roomId, text: `flood ${i}`, clientMessageId: `flood-${i}` }), 50);
    // The chat class allows bursts of 30, and the consult request took one (a little more may
    // refill while the burst arrives).
    assert.ok(receipted >= 28 && receipted <= 32, `${receipted} receipted`);
    assert.equal(receipted + refusals.length, 50);
    assert.ok(refusals.every((r) => r.code === 'rate_limited'));
    const history = await fullHistory(server, customer.token, roomId);
    assert.equal(history.length, receipted, 'exactly the receipted messages are stored');
  });

  it('closes a connection that keeps sending over the limit', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { limits: 'default' });
    const customer = await newCustomer(t, server);
    const closed = new Promise((resolve) => {
      customer.session.client.onStompError = (frame) => resolve(frame);
    });
    for (let i = 0; i < 60; i += 1) customer.session.publish('/app/chat.send', { content: `abuse ${i}` });
    const error = await closed;
    assert.match(error.headers.message, /rate limit exceeded repeatedly/);
  });

  it('one user\'s connections share the allowance', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { limits: 'default' });
    const customer = await newCustomer(t, server);
    const second = { session: await connect(t, server, customer.token) };
    second.errors = await second.session.subscribe('/user/queue/errors');
    const [a, b] = await Promise.all([
      burst(customer, '/app/chat.send', (i) => ({ content: `a ${i}` }), 4),
      burst(second, '/app/chat.send', (i) => ({ content: `b ${i}` }), 4),
    ]);
    assert.equal(a.receipted + b.receipted, 5);
  });

  it('caps the sessions of one user', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { limits: 'default', settings: { 'limits.sessions-per-user': '2' } });
    const customer = await newCustomer(t, server);  // one session
    await connect(t, server, customer.token);       // two
    const third = await attemptStompJs({
      factory: socketFactory(server, 'ws'),
      connectHeaders: { Authorization: `Bearer ${customer.token}` },
    });
    assert.ok(third.error, 'the third session is refused');
    assert.match(third.error.headers.message, /too many sessions/);
  });
});

describe('unknown /app destinations', () => {
  it('are refused on /user/queue/errors with unknown_destination; the connection stays', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const customer = await newCustomer(t, server);
    const refusal = await customer.session.publishRefused('/app/hello.from.spring', '{}', customer.errors);
    assert.equal(refusal.json.code, 'unknown_destination');
    const lobby = await customer.session.subscribe('/topic/chat');
    const run = randomUUID();
    await customer.session.publishWithReceipt('/app/chat.send', { content: run });
    await lobby.next((m) => m.json?.content === run);
  });

  it('a SUBSCRIBE to a destination nothing publishes on is refused, whatever the role', { timeout: TEST_TIMEOUT }, async (t) => {
    // Fail-closed: no rule means no access, not access for everybody.
    const server = await startCenter(t);
    const customer = await newCustomer(t, server);
    for (const destination of ['/topic/anything', '/queue/x', '/user/queue/secret', '/topic/admin/stats']) {
      const client = await RawStomp.open(server.wsUrl);
      t.after(() => client.close());
      await client.connect(customer.token);
      client.send('SUBSCRIBE', { id: 's1', destination, receipt: 'sub' });
      const frame = await client.nextFrame('ERROR', 5000);
      assert.match(frame.headers.message, /unknown destination/, destination);
      assert.equal(frame.headers['receipt-id'], 'sub');
      await client.waitClosed(5000);
    }
  });
});
