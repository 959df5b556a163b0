// The admin user API with two nodes on one PostgreSQL and Redis: an admin on the node without the
// routing authority sets an agent's room limit, and routing on the other node applies it at once;
// disabling the agent there ends the agent's session on the other node at once.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { apiRequest, login } from './lib/auth-http.mjs';
import { FAST_ROUTING, newAgent, newCustomer, nextStatus, requestConsult } from './lib/contact-center.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';
import { runUserCommand, startServer } from './lib/server.mjs';
import { postgresInstalled, postgresUrlFor, privateRedis, redisInstalled } from './lib/services.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 60000;
const missing = !postgresInstalled ? 'PostgreSQL' : !redisInstalled ? 'redis-server' : '';

describe('user administration across nodes', { skip: missing ? `${missing} is not installed (scripts/install-deps.sh --test)` : false }, () => {
  it('a room limit set on one node is applied by routing on the other; a disable there ends sessions here', { timeout: TEST_TIMEOUT }, async (t) => {
    const redis = await privateRedis(t);
    const settings = {
      ...FAST_ROUTING,
      'routing.mode': 'auto',
      'store.kind': 'postgres',
      'store.postgres.url': await postgresUrlFor(t),
      'bus.kind': 'redis',
      'bus.redis.url': redis.url,
    };
    const first = await startServer({ settings });
    t.after(() => first.stop());
    const second = await startServer({ settings, secret: first.secret });
    t.after(() => second.stop());
    const authorityOf = async (node) => /^aicc_routing_authority 1$/m.test(await (await fetch(`${node.httpUrl}/metrics`)).text());
    await waitUntil(() => authorityOf(first), { timeoutMs: 5000, what: 'node 1 to hold the authority' });

    const adminName = `root-${randomUUID().slice(0, 8)}`;
    const adminPassword = `pw ${randomUUID()}`;
    const added = await runUserCommand(first.dir, ['add', adminName, '--role', 'admin', '--password-stdin'],
      { stdin: `${adminPassword}\n`, settings });
    assert.equal(added.code, 0, added.stderr);
    const admin = (await login(second, adminName, adminPassword)).json.accessToken;
    const onSecond = (path, method, json) => apiRequest(second, path, { method, json, bearer: admin });

    const agentName = `agent-${randomUUID().slice(0, 8)}`;
    const agentPassword = `pw ${randomUUID()}`;
    const created = await onSecond('/api/admin/users', 'POST', { username: agentName, role: 'AGENT', password: agentPassword });
    assert.equal(created.status, 201, created.text);
    const agentId = created.json.user.id;
    const limited = await onSecond(`/api/admin/users/${agentId}/max-rooms`, 'PUT', { maxRooms: 1 });
    assert.equal(limited.status, 200, limited.text);
    assert.equal(limited.json.appliedToRouting, true, 'forwarded to the authority');

    // The agent works on the authority's node.
    const agentToken = (await login(first, agentName, agentPassword)).json.accessToken;
    await newAgent(t, first, { id: agentId, name: agentName, token: agentToken });
    const raw = await RawStomp.open(first.wsUrl);
    t.after(() => raw.close());
    await raw.connect(agentToken);
    const one = await newCustomer(t, first, { minted: true });
    const two = await newCustomer(t, first, { minted: true });
    if ((await requestConsult(one)).status !== 'auto_assigned') await nextStatus(one, { status: 'auto_assigned' });
    assert.equal((await requestConsult(two)).status, 'waiting');
    await assert.rejects(nextStatus(two, { status: 'auto_assigned' }, 1500));

    const raised = await onSecond(`/api/admin/users/${agentId}/max-rooms`, 'PUT', { maxRooms: 2 });
    assert.equal(raised.status, 200, raised.text);
    await nextStatus(two, { status: 'auto_assigned', agentId }, 3000);

    const disabled = await onSecond(`/api/admin/users/${agentId}/disable`, 'POST', {});
    assert.equal(disabled.status, 200, disabled.text);
    const frame = await raw.nextFrame('ERROR', 2000);
    assert.equal(frame.headers.message, 'authentication failed: token revoked (account disabled)');
  });
});
