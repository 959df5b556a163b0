// Two nodes on one PostgreSQL and one Redis (bus.kind redis): what one node publishes reaches the
// subscribers on the other, a user's sessions on both nodes get what is sent to the user, a logout
// on one node ends the login's sessions on the other at once, and when Redis restarts both nodes
// reconnect and resubscribe by themselves.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { CookieJar, apiRequest, guest, logout } from './lib/auth-http.mjs';
import { connect } from './lib/contact-center.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';
import { startServer } from './lib/server.mjs';
import { postgresInstalled, postgresUrlFor, privateRedis, redisInstalled } from './lib/services.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 60000;
const missing = !postgresInstalled ? 'PostgreSQL' : !redisInstalled ? 'redis-server' : '';

describe('two nodes on one bus', { skip: missing ? `${missing} is not installed (scripts/install-deps.sh --test)` : false }, () => {
  let redis;
  let nodes = [];

  before(async () => {
    // Services stop in after(): the suite's context has no t.after.
    const stoppers = [];
    const fakeT = { after: (fn) => stoppers.push(fn) };
    redis = await privateRedis(fakeT);
    const postgresUrl = await postgresUrlFor(fakeT);
    const settings = {
      'store.kind': 'postgres',
      'store.postgres.url': postgresUrl,
      'bus.kind': 'redis',
      'bus.redis.url': redis.url,
    };
    const first = await startServer({ settings });
    const second = await startServer({ settings, secret: first.secret });
    nodes = [first, second];
    redis.stoppers = stoppers;
  });

  after(async () => {
    // Everything is stopped before any exit code is judged (a failed check must not leave
    // processes running).
    const results = [];
    for (const node of nodes) results.push(await node.stop());
    for (const stop of redis?.stoppers ?? []) await stop();
    for (const result of results) assert.equal(result.code, 0, `node exit code; stderr:\n${result.stderr}`);
  });

  async function customerOn(t, node, jar = new CookieJar()) {
    const answer = await guest(node, { jar });
    assert.equal(answer.status, 200, answer.text);
    const session = await connect(t, node, answer.json.accessToken);
    return { token: answer.json.accessToken, id: answer.json.user.id, jar, session };
  }

  // A lobby message sent on `from` arrives on `to` (the nodes' subscriptions take a moment to reach
  // Redis after SUBSCRIBE, so the first sends may be ahead of them).
  async function lobbyReaches(from, to) {
    const run = randomUUID();
    let attempt = 0;
    await waitUntil(async () => {
      await from.session.publishWithReceipt('/app/chat.send', { content: `${run}-${attempt++}` });
      return to.lobby.unclaimed.some((m) => m.json?.content?.startsWith(run));
    }, { timeoutMs: 10000, intervalMs: 200, what: 'a lobby message across nodes' });
  }

  it('a lobby message sent on either node reaches subscribers on both', { timeout: TEST_TIMEOUT }, async (t) => {
    const [a, b] = await Promise.all([customerOn(t, nodes[0]), customerOn(t, nodes[1])]);
    a.lobby = await a.session.subscribe('/topic/chat');
    b.lobby = await b.session.subscribe('/topic/chat');
    await lobbyReaches(a, b);
    await lobbyReaches(b, a);
    // Once both nodes listen, every message arrives once, in order, on the other node.
    const run = randomUUID();
    for (let i = 0; i < 50; ++i) await a.session.publishWithReceipt('/app/chat.send', { content: `${run} ${i}` });
    for (let i = 0; i < 50; ++i) {
      const message = await b.lobby.next((m) => m.json?.content?.startsWith(run));
      assert.equal(message.json.content, `${run} ${i}`);
    }
    // ... and once on the sender's own node: never twice through the bus.
    for (let i = 0; i < 50; ++i) await a.lobby.next((m) => m.json?.content === `${run} ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(a.lobby.unclaimed.filter((m) => m.json?.content?.startsWith(run)).length, 0);
  });

  it('what is sent to a user reaches their sessions on every node', { timeout: TEST_TIMEOUT }, async (t) => {
    // One guest (one cookie jar) with a session on each node.
    const jar = new CookieJar();
    const onA = await customerOn(t, nodes[0], jar);
    const onB = await connect(t, nodes[1], onA.token);
    const errorsA = await onA.session.subscribe('/user/queue/errors');
    const errorsB = await onB.subscribe('/user/queue/errors');
    // A refusal made on node A (an unknown /app destination) goes to every session of the user.
    await waitUntil(async () => {
      onA.session.publish('/app/no.such.thing', { x: 1 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      return errorsB.unclaimed.length > 0;
    }, { timeoutMs: 10000, intervalMs: 50, what: 'a user destination across nodes' });
    const onOtherNode = await errorsB.next();
    assert.equal(onOtherNode.json.code, 'unknown_destination');
    const onThisNode = await errorsA.next();
    assert.equal(onThisNode.json.code, 'unknown_destination');
  });

  it('a logout on one node ends the login\'s sessions on the other at once', { timeout: TEST_TIMEOUT }, async (t) => {
    const jar = new CookieJar();
    const answer = await guest(nodes[0], { jar });
    assert.equal(answer.status, 200, answer.text);
    const onB = await RawStomp.open(nodes[1].wsUrl);
    t.after(() => onB.close());
    await onB.connect(answer.json.accessToken);
    await onB.subscribe('/topic/chat');
    const out = await logout(nodes[0], answer.json.accessToken);
    assert.equal(out.status, 204, out.text);
    const error = await onB.nextFrame('ERROR', 5000);
    assert.equal(error.headers.message, 'authentication failed: token revoked (signed out)');
    await onB.waitClosed(5000);
  });

  it('Redis restarted: both nodes reconnect, resubscribe, and the lobby works across them again', { timeout: TEST_TIMEOUT }, async (t) => {
    const [a, b] = await Promise.all([customerOn(t, nodes[0]), customerOn(t, nodes[1])]);
    a.lobby = await a.session.subscribe('/topic/chat');
    b.lobby = await b.session.subscribe('/topic/chat');
    await lobbyReaches(a, b);
    redis.stop();
    // Both nodes say they cannot serve the cluster (the load balancer drains them) ...
    for (const node of nodes) {
      const answer = await waitUntil(async () => {
        const ready = await apiRequest(node, '/health/ready', { method: 'GET' });
        return ready.status === 503 ? ready : null;
      }, { timeoutMs: 5000, intervalMs: 100, what: '/health/ready to say 503' });
      assert.deepEqual(answer.json.problems, [{ check: 'bus', reason: 'not connected to Redis' }]);
    }
    // ... yet each still serves its own subscribers.
    const alone = randomUUID();
    await a.session.publishWithReceipt('/app/chat.send', { content: alone });
    await a.lobby.next((m) => m.json?.content === alone);
    redis.start();
    for (const node of nodes) {
      await waitUntil(async () => (await apiRequest(node, '/health/ready', { method: 'GET' })).status === 200,
        { timeoutMs: 10000, intervalMs: 100, what: '/health/ready to say 200 again' });
    }
    const metrics = await apiRequest(nodes[0], '/metrics', { method: 'GET' });
    assert.match(metrics.text, /^aicc_bus_reconnects_total [1-9]/m);
    assert.match(metrics.text, /^aicc_bus_connected 1$/m);
    assert.match(metrics.text, /^aicc_store_pool_size 4$/m);
    await lobbyReaches(a, b);
    await lobbyReaches(b, a);
  });
});
