// A supervisor's hand in the queue against the binary: POST /api/admin/agents/{id}/status puts an
// agent away, out of the queue and back, as if the agent had done it; the agent's console is told
// who did it on /user/queue/agent/status; every refusal says why (role, body, unknown agent, an
// agent who is not connected).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { apiRequest } from './lib/auth-http.mjs';
import { newAgent, nextJson, startCenter } from './lib/contact-center.mjs';
import { mintToken } from './lib/tokens.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 30000;

function adminToken(server) {
  return mintToken({ secret: server.secret, sub: `admin-${randomUUID()}`, role: 'ADMIN', name: 'Supervisor Park' });
}

const setStatus = (server, token, agentId, body) => apiRequest(server, `/api/admin/agents/${encodeURIComponent(agentId)}/status`,
  { method: 'POST', bearer: token, json: body });

async function agentState(server, token, agentId) {
  const answer = await apiRequest(server, '/api/agents', { method: 'GET', bearer: token });
  return answer.json.agents.find((agent) => agent.id === agentId);
}

function assertError(answer, status, code) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.json?.error, code, answer.text);
  assert.ok(answer.json.message.length > 0);
}

describe('a supervisor puts agents in and out of the queue', () => {
  it('away, out of the queue and back, each told to the agent', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const admin = adminToken(server);
    const agent = await newAgent(t, server, { name: 'Kim' });
    const told = await agent.session.subscribe('/user/queue/agent/status');
    await agent.session.publishWithReceipt('/app/agent.status', { status: 'available' });

    const away = await setStatus(server, admin, agent.id, { status: 'away' });
    assert.equal(away.status, 200, away.text);
    assert.deepEqual(away.json, { agentId: agent.id, status: 'away' });
    const awayTold = await nextJson(told, { status: 'away' });
    assert.equal(awayTold.byName, 'Supervisor Park');
    assert.match(awayTold.byId, /^admin-/);
    assert.equal((await agentState(server, admin, agent.id)).state, 'away');

    assert.equal((await setStatus(server, admin, agent.id, { status: 'offline' })).status, 200);
    assert.equal((await nextJson(told, { status: 'offline' })).byName, 'Supervisor Park');
    assert.equal((await agentState(server, admin, agent.id)).state, 'offline');

    // Connected but signed out: the supervisor signs them in again.
    assert.equal((await setStatus(server, admin, agent.id, { status: 'available' })).status, 200);
    await nextJson(told, { status: 'available' });
    assert.equal((await agentState(server, admin, agent.id)).state, 'available');
  });

  it('refuses other roles, bad bodies, unknown agents and agents who are not connected', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.agent-grace': '0' } });
    const admin = adminToken(server);
    const agent = await newAgent(t, server, { name: 'Lee' });
    assertError(await setStatus(server, agent.token, agent.id, { status: 'away' }), 403, 'forbidden');
    assertError(await apiRequest(server, `/api/admin/agents/${agent.id}/status`, { method: 'POST', json: { status: 'away' } }), 401, 'unauthorized');
    for (const body of [{}, { status: 'busy' }, { status: 7 }, { status: 'x'.repeat(100) }]) {
      assertError(await setStatus(server, admin, agent.id, body), 400, 'bad_request');
    }
    assertError(await setStatus(server, admin, 'agent-nobody', { status: 'away' }), 404, 'not_found');
    assertError(await setStatus(server, admin, 'x'.repeat(200), { status: 'away' }), 404, 'not_found');
    assertError(await apiRequest(server, `/api/admin/agents/${agent.id}/status/more`, { method: 'POST', bearer: admin, json: {} }), 404, 'not_found');

    // Gone (no connection, no grace) and signed out: nobody to put in the queue.
    await agent.session.close();
    await waitUntil(async () => (await agentState(server, admin, agent.id)).state === 'offline', { what: 'agent offline' });
    assertError(await setStatus(server, admin, agent.id, { status: 'available' }), 409, 'agent_unavailable');
    assert.equal((await setStatus(server, admin, agent.id, { status: 'offline' })).status, 200);
  });
});
