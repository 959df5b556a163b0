// The routing authority between two nodes on one PostgreSQL: one node decides at a time; the
// other refuses routing commands (`routing_unavailable`, never a second decision); when the
// authority is killed (SIGKILL, no goodbye), the other node takes over from the stored state
// within the lease plus a renewal interval, and a customer who was waiting is still waiting there.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { FAST_ROUTING, newAgent, newCustomer, nextJson, requestConsult, send } from './lib/contact-center.mjs';
import { startServer } from './lib/server.mjs';
import { postgresInstalled, postgresUrlFor, privateRedis, redisInstalled } from './lib/services.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 60000;
const missing = !postgresInstalled ? 'PostgreSQL' : !redisInstalled ? 'redis-server' : '';

describe('routing authority across nodes', { skip: missing ? `${missing} is not installed (scripts/install-deps.sh --test)` : false }, () => {
  it('one node decides; after a SIGKILL of it the other takes over with the waiting customers', { timeout: TEST_TIMEOUT }, async (t) => {
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

    // The first node holds the authority: a customer there is queued.
    const waiting = await newCustomer(t, first);
    const status = await requestConsult(waiting);
    assert.equal(status.status, 'waiting');
    // The second node does not decide: refused, with a reason, never queued twice.
    const other = await newCustomer(t, second);
    const refused = await send(other, '/app/consult.request', {});
    assert.equal(refused.refusal?.json?.code, 'routing_unavailable', JSON.stringify(refused.refusal?.json));

    const killedAt = Date.now();
    await first.stop({ signal: 'SIGKILL' });
    // The second node takes over once the dead node's lease ran out.
    await waitUntil(async () => {
      const answer = await send(other, '/app/consult.request', {});
      return answer.receipt !== undefined;
    }, { timeoutMs: 15000, intervalMs: 250, what: 'the second node to take the routing authority over' });
    const tookOverMs = Date.now() - killedAt;
    assert.ok(tookOverMs < 10000, `took over after ${tookOverMs} ms`);
    t.diagnostic(`authority taken over ${tookOverMs} ms after the SIGKILL`);

    // An agent on the surviving node is offered both: the request restored from the store and
    // the one made there.
    const agent = await newAgent(t, second);
    const offered = new Set();
    await waitUntil(async () => {
      const offer = await nextJson(agent.offers, () => true, 5000);
      offered.add(offer.customerId);
      return offered.has(waiting.id) && offered.has(other.id);
    }, { timeoutMs: 10000, what: 'offers of both waiting customers' });
  });
});
