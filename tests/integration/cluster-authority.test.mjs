// The routing authority between two nodes on one PostgreSQL and Redis: one node decides at a
// time, and routing commands received on the other are forwarded to it; when the authority is
// killed (SIGKILL, no goodbye), the other node takes over from the stored state within the lease
// plus a renewal interval, and every customer who was waiting is still waiting there. One that
// stops gracefully (SIGTERM) releases the authority, and the other takes it at its next claim.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FAST_ROUTING, newAgent, newCustomer, nextJson, requestConsult, send } from './lib/contact-center.mjs';
import { startServer } from './lib/server.mjs';
import { postgresInstalled, postgresUrlFor, privateRedis, redisInstalled } from './lib/services.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 60000;
const missing = !postgresInstalled ? 'PostgreSQL' : !redisInstalled ? 'redis-server' : '';

// Two nodes on a private PostgreSQL database and Redis, manual routing; the first started first.
async function twoNodes(t) {
  const redis = await privateRedis(t);
  const settings = {
    ...FAST_ROUTING,
    'routing.mode': 'manual',
    'store.kind': 'postgres',
    'store.postgres.url': await postgresUrlFor(t),
    'bus.kind': 'redis',
    'bus.redis.url': redis.url,
  };
  const first = await startServer({ settings });
  t.after(() => first.stop({ signal: 'SIGKILL' }));
  const second = await startServer({ settings, secret: first.secret });
  t.after(() => second.stop());
  return [first, second];
}

describe('routing authority across nodes', { skip: missing ? `${missing} is not installed (scripts/install-deps.sh --test)` : false }, () => {
  it('one node decides; after a SIGKILL of it the other takes over with the waiting customers', { timeout: TEST_TIMEOUT }, async (t) => {
    const [first, second] = await twoNodes(t);

    // The first node holds the authority (and says so in /metrics); a customer there is queued.
    const authorityOf = async (node) => {
      const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
      return /^aicc_routing_authority 1$/m.test(text);
    };
    await waitUntil(() => authorityOf(first), { timeoutMs: 5000, what: 'node 1 to hold the authority' });
    assert.equal(await authorityOf(second), false);
    const waiting = await newCustomer(t, first);
    const status = await requestConsult(waiting);
    assert.equal(status.status, 'waiting');
    // A customer on the second node: the request is decided by the first, and answered back.
    const other = await newCustomer(t, second);
    assert.equal((await requestConsult(other)).status, 'waiting');

    const killedAt = Date.now();
    await first.stop({ signal: 'SIGKILL' });
    // Until the second node takes over, a routing command gets no decision: refused, never
    // queued twice; then it is decided there.
    const late = await newCustomer(t, second);
    const refusals = [];
    await waitUntil(async () => {
      const answer = await send(late, '/app/consult.request', {}, 10000);
      if (answer.refusal) refusals.push(answer.refusal.json.code);
      return answer.receipt !== undefined;
    }, { timeoutMs: 20000, intervalMs: 100, what: 'the second node to take the routing authority over' });
    assert.ok(refusals.every((code) => code === 'routing_unavailable'), refusals.join());
    const tookOverMs = Date.now() - killedAt;
    assert.equal(await authorityOf(second), true);
    assert.ok(tookOverMs < 10000, `took over after ${tookOverMs} ms`);
    t.diagnostic(`authority taken over ${tookOverMs} ms after the SIGKILL`);

    // An agent on the surviving node is offered all three: two restored from the store, one
    // made there.
    const agent = await newAgent(t, second);
    const offered = new Set();
    await waitUntil(async () => {
      const offer = await nextJson(agent.offers, () => true, 5000);
      offered.add(offer.customerId);
      return [waiting.id, other.id, late.id].every((id) => offered.has(id));
    }, { timeoutMs: 10000, what: 'offers of the three waiting customers' });
  });

  it('a node that stops gracefully releases the authority to the other, under the next epoch', { timeout: TEST_TIMEOUT }, async (t) => {
    const [first, second] = await twoNodes(t);
    const epochOf = async (node) => {
      const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
      return Number(/^aicc_routing_authority_epoch (\d+)$/m.exec(text)?.[1] ?? 'NaN');
    };
    await waitUntil(async () => (await epochOf(first)) > 0, { timeoutMs: 5000, what: 'node 1 to hold the authority' });
    const held = await epochOf(first);
    const waiting = await newCustomer(t, second);
    assert.equal((await requestConsult(waiting)).status, 'waiting');

    const stoppedAt = Date.now();
    const stopped = await first.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, new RegExp(`routing authority released \\(epoch ${held}\\)`));
    await waitUntil(async () => (await epochOf(second)) > 0, { timeoutMs: 10000, what: 'node 2 to take the authority' });
    assert.equal(await epochOf(second), held + 1);
    t.diagnostic(`authority taken ${Date.now() - stoppedAt} ms after SIGTERM (the lease is 3 s)`);
    const agent = await newAgent(t, second);
    const offer = await nextJson(agent.offers, (o) => o.customerId === waiting.id, 10000);
    assert.equal(offer.customerId, waiting.id);
  });
});
