// The security state that three nodes share through Redis: a WebSocket ticket issued by one node is
// redeemed on another, once; failed logins count once across the nodes (not once per node); a
// logout on one node ends the login's sessions on another at once and refuses its token there at
// once (before any periodic revocation sync could); a webhook call accepted by one node is a
// replay on every other. With Redis out of reach, what cannot be checked is refused with a reason.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { guest, login, logout, wsTicket } from './lib/auth-http.mjs';
import { WEBHOOK_SECRET, sendWebhook, resendWebhook } from './lib/bot.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';
import { postgresInstalled, redisInstalled, startThreeNodes } from './lib/services.mjs';

const TEST_TIMEOUT = 90000;
const PER_USER_LIMIT = 5;
const missing = !postgresInstalled ? 'PostgreSQL' : !redisInstalled ? 'redis-server' : '';

function startCluster(t, extra = {}) {
  return startThreeNodes(t, {
    'bot.webhook-secret': WEBHOOK_SECRET,
    // Only the bus can tell another node of a revocation within this test.
    'auth.revocation-sync-interval': '3600',
    'auth.login-attempts-per-user': String(PER_USER_LIMIT),
    'auth.login-attempts-per-address': '1000',
    ...extra,
  });
}

async function newGuest(node) {
  const answer = await guest(node, { json: {} });
  assert.equal(answer.status, 200, answer.text);
  return { token: answer.json.accessToken, user: answer.json.user };
}

async function stompOn(t, node, { query = '' } = {}) {
  const client = await RawStomp.open(`${node.wsUrl}${query}`);
  t.after(() => client.close());
  return client;
}

async function connectRefused(t, node, options, reason) {
  const client = await stompOn(t, node, options);
  await assert.rejects(client.connect(options.token ?? null), (error) => {
    assert.match(error.frame?.headers.message ?? '', reason);
    return true;
  });
}

describe('security state shared by three nodes', { skip: missing ? `${missing} is not installed (scripts/install-deps.sh --test)` : false }, () => {
  it('tickets, the login throttle, logout and webhook replays hold across nodes; an unreachable Redis refuses with a reason', { timeout: TEST_TIMEOUT }, async (t) => {
    const { nodes, redis } = await startCluster(t);
    const [node1, node2, node3] = nodes;

    // A ticket from node 1 works on node 3, once; not again on node 3 nor on node 2.
    const visitor = await newGuest(node1);
    const ticket = await wsTicket(node1, visitor.token);
    assert.equal(ticket.status, 200, ticket.text);
    const viaTicket = await stompOn(t, node3, { query: `?ticket=${ticket.json.ticket}` });
    const connected = await viaTicket.connect(null);
    assert.equal(connected.headers['user-name'], visitor.user.id);
    await connectRefused(t, node3, { query: `?ticket=${ticket.json.ticket}` }, /ticket/);
    await connectRefused(t, node2, { query: `?ticket=${ticket.json.ticket}` }, /ticket/);

    // Failed logins of one username spread over the three nodes count together: after the
    // limit, every node refuses the next try (each node alone saw fewer than the limit).
    const username = `nobody-${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < PER_USER_LIMIT; ++i) {
      const answer = await login(nodes[i % 3], username, `guess ${i}`);
      assert.equal(answer.status, 401, `try ${i}: ${answer.text}`);
    }
    for (const node of nodes) {
      const answer = await login(node, username, 'one more guess');
      assert.equal(answer.status, 429, answer.text);
      assert.equal(answer.json.error, 'rate_limited');
      assert.ok(Number(answer.headers.get('retry-after')) > 0);
    }

    // A logout on node 1 ends the login's session on node 2 and refuses its token on node 3 at
    // once (revocations are read from the store only every hour here).
    const leaving = await newGuest(node1);
    const onNode2 = await stompOn(t, node2);
    await onNode2.connect(leaving.token);
    const spare = await wsTicket(node1, leaving.token);
    assert.equal(spare.status, 200);
    assert.equal((await logout(node1, leaving.token)).status, 204);
    const ended = await onNode2.nextFrame('ERROR', 10000);
    assert.match(ended.headers.message, /revoked/);
    await onNode2.waitClosed(5000);
    await connectRefused(t, node3, { token: leaving.token }, /revoked/);
    await connectRefused(t, node2, { query: `?ticket=${spare.json.ticket}` }, /ticket/);

    // A signed webhook call accepted by node 1 (it names no conversation: 404 after the checks)
    // is a replay on node 2 and node 3.
    const first = await sendWebhook(node1, { sessionId: `nothing-${randomUUID()}`, customerId: 'c', botMessage: 'hi' });
    assert.equal(first.status, 404, first.text);
    for (const node of [node2, node3]) {
      const again = await resendWebhook(node, first.request);
      assert.equal(again.status, 409, again.text);
      assert.equal(again.json.error, 'replay');
    }

    // Redis out of reach: nothing that needs the shared state is let through unchecked.
    const holder = await newGuest(node2);
    redis.stop();
    const noTicket = await wsTicket(node2, holder.token);
    assert.equal(noTicket.status, 503, noTicket.text);
    assert.equal(noTicket.json.error, 'store_unavailable');
    const noLogin = await login(node3, `someone-${randomUUID().slice(0, 8)}`, 'password');
    assert.equal(noLogin.status, 503, noLogin.text);
    const unchecked = await sendWebhook(node1, { sessionId: `nothing-${randomUUID()}`, customerId: 'c', botMessage: 'hi' });
    assert.equal(unchecked.status, 503, unchecked.text);
    assert.equal(unchecked.json.error, 'replay_check_unavailable');

    // Back: tickets work again.
    redis.start();
    let again;
    for (let i = 0; i < 20; ++i) {
      again = await wsTicket(node2, holder.token);
      if (again.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(again.status, 200, again.text);
    const backClient = await stompOn(t, node1, { query: `?ticket=${again.json.ticket}` });
    assert.equal((await backClient.connect(null)).headers['user-name'], holder.user.id);
  });
});
