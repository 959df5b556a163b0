// PostgreSQL stops under a running server on store.kind postgres, and comes back: meanwhile every
// request that needs the store is refused store_unavailable (with its receipt id, never a RECEIPT;
// HTTP 503), the rest of the service goes on, and afterwards the pool reconnects by itself and the
// refused message, sent again, is stored once. The test runs its own private PostgreSQL (it has to
// stop it), whatever store the rest of the suite uses.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { apiRequest } from './lib/auth-http.mjs';
import { acceptedRoom, fullHistory, newAgent, newCustomer, startCenter } from './lib/contact-center.mjs';
import { postgresInstalled, privatePostgres } from './lib/services.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 90000;

const readiness = (server) => apiRequest(server, '/health/ready', { method: 'GET' });

describe('PostgreSQL outage', { skip: !postgresInstalled && 'PostgreSQL is not installed (scripts/install-deps.sh --test)' }, () => {
  it('stopped: store_unavailable and 503, the server stays up; started again: service resumes by itself', { timeout: TEST_TIMEOUT }, async (t) => {
    const postgres = await privatePostgres(t);
    const server = await startCenter(t, {
      settings: { 'store.kind': 'postgres', 'store.postgres.url': postgres.url, 'store.postgres.wait-ms': '1000' },
    });
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    await customer.session.publishWithReceipt('/app/room.send', { roomId, text: 'before', clientMessageId: 'before' });

    assert.equal((await readiness(server)).status, 200);

    postgres.stop();
    // The load balancer is told within the readiness check's second, with the reason.
    const notReady = await waitUntil(async () => {
      const answer = await readiness(server);
      return answer.status === 503 ? answer : null;
    }, { timeoutMs: 5000, intervalMs: 100, what: '/health/ready to say 503' });
    assert.equal(notReady.json.status, 'not_ready');
    assert.equal(notReady.json.problems[0].check, 'store');
    const body = { roomId, text: 'during', clientMessageId: 'during' };
    const refusal = await customer.session.publishRefused('/app/room.send', body, customer.errors);
    assert.equal(refusal.json.code, 'store_unavailable');
    assert.match(refusal.json.message, /not saved/);
    const botRefusal = await customer.session.publishRefused('/app/bot.message',
      { message: 'hello', clientMessageId: 'bot-during' }, customer.errors);
    assert.equal(botRefusal.json.code, 'store_unavailable');
    const history = await apiRequest(server, `/api/conversations/${roomId}/messages`, { method: 'GET', bearer: customer.token });
    assert.equal(history.status, 503);
    assert.equal(history.json.error, 'store_unavailable');
    // What needs no store goes on: health, and the lobby on the same connection.
    assert.ok(server.running, 'the server process is still running');
    assert.equal((await apiRequest(server, '/health', { method: 'GET' })).status, 200);
    const lobby = await customer.session.subscribe('/topic/chat');
    const run = randomUUID();
    await customer.session.publishWithReceipt('/app/chat.send', { content: run });
    await lobby.next((m) => m.json?.content === run);

    postgres.start();
    await waitUntil(async () => (await readiness(server)).status === 200,
      { timeoutMs: 10000, intervalMs: 100, what: '/health/ready to say 200 again' });
    // The first call on each broken pooled connection may still fail; the outbox sends again.
    let stored = false;
    for (let attempt = 0; attempt < 10 && !stored; ++attempt) {
      try {
        await customer.session.publishWithReceipt('/app/room.send', body);
        stored = true;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    assert.ok(stored, 'the message was stored once PostgreSQL was back');
    await customer.session.publishWithReceipt('/app/room.send', body);
    const messages = await fullHistory(server, customer.token, roomId);
    assert.deepEqual(messages.map((m) => m.clientMessageId), ['before', 'during']);
  });
});
