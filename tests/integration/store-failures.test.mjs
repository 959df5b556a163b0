// The store fails under a running server: the process stays up, each request that needed the store
// is answered store_unavailable (with its receipt id, never a RECEIPT), the rest of the service
// goes on, and it recovers when the store does. Two ways to fail: a table taken away from outside
// (a store failing on demand), and a file-size limit on every file the server writes (a full disk).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { apiRequest } from './lib/auth-http.mjs';
import { acceptedRoom, fullHistory, newAgent, newCustomer, startCenter } from './lib/contact-center.mjs';
import { runStoreSql, usesPostgres } from './lib/server.mjs';

const TEST_TIMEOUT = 60000;

async function assertServing(server, customer) {
  assert.ok(server.running, 'the server process is still running');
  assert.equal((await apiRequest(server, '/health', { method: 'GET' })).status, 200);
  // A SEND that needs no store still goes through on the same connection.
  const lobby = await customer.session.subscribe('/topic/chat');
  const run = randomUUID();
  await customer.session.publishWithReceipt('/app/chat.send', { content: run });
  await lobby.next((m) => m.json?.content === run);
}

describe('store failures', () => {
  it('a store failing on demand: store_unavailable, the server stays up, and recovers', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    await customer.session.publishWithReceipt('/app/room.send', { roomId, text: 'before', clientMessageId: 'before' });

    runStoreSql(server.dir, 'ALTER TABLE messages RENAME TO messages_gone');
    const body = { roomId, text: 'during', clientMessageId: 'during' };
    const refusal = await customer.session.publishRefused('/app/room.send', body, customer.errors);
    assert.equal(refusal.json.code, 'store_unavailable');
    assert.match(refusal.json.message, /not saved/);
    const botRefusal = await customer.session.publishRefused('/app/bot.message',
      { message: 'hello', clientMessageId: 'bot-during' }, customer.errors);
    assert.equal(botRefusal.json.code, 'store_unavailable');
    // Over HTTP, the same failure is a 503 with a body that says why.
    const history = await apiRequest(server, `/api/conversations/${roomId}/messages`, { method: 'GET', bearer: customer.token });
    assert.equal(history.status, 503);
    assert.equal(history.json.error, 'store_unavailable');
    await assertServing(server, customer);

    // The store comes back: the message that was refused is sent again and stored once.
    runStoreSql(server.dir, 'ALTER TABLE messages_gone RENAME TO messages');
    await customer.session.publishWithReceipt('/app/room.send', body);
    await customer.session.publishWithReceipt('/app/room.send', body);
    const stored = await fullHistory(server, customer.token, roomId);
    assert.deepEqual(stored.map((m) => m.clientMessageId), ['before', 'during']);
  });

  // The server's own file size limit stands for a full disk; a PostgreSQL server has its own disk.
  it('a full disk: writes are refused store_unavailable, reads go on, the server stays up', { timeout: TEST_TIMEOUT, skip: usesPostgres && 'SQLite only: PostgreSQL writes its own files' }, async (t) => {
    const server = await startCenter(t, { fileSizeLimitBytes: 2 * 1024 * 1024 });
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    const text = 'x'.repeat(4000);
    const receipted = [];
    let refusal;
    for (let i = 0; i < 2000 && !refusal; i += 1) {
      const outcome = await customer.session.publishAnswered('/app/room.send',
        { roomId, text, clientMessageId: `fill-${i}` }, customer.errors);
      if (outcome.receipt) receipted.push(`fill-${i}`);
      else refusal = outcome.refusal.json;
    }
    assert.ok(refusal, 'the store filled up');
    assert.ok(receipted.length > 10, `${receipted.length} messages stored before it did`);
    assert.equal(refusal.code, 'store_unavailable');
    await assertServing(server, customer);
    // Every message that got a RECEIPT can be read back.
    const stored = await fullHistory(server, customer.token, roomId);
    assert.deepEqual(stored.map((m) => m.clientMessageId), receipted);
  });
});
