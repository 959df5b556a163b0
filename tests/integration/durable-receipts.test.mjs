// A RECEIPT means stored. A customer sends bursts of receipted room messages and the server is
// killed (SIGKILL) at a random moment of each burst: after every restart, each message that got its
// RECEIPT is in the room's history, once, and the seq has no gap. The customer then sends again
// what got no RECEIPT (as the pages' outbox does, with the same clientMessageId), and nothing is
// stored twice.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  acceptedRoom,
  assertSeqRange,
  fullHistory,
  newAgent,
  newCustomer,
  startCenter,
} from './lib/contact-center.mjs';
import { createServerDir, removeServerDir } from './lib/server.mjs';

const ROUNDS = 3;
const BURST = 300;

// Sends every message of `ids` with a receipt; resolves the set of ids receipted so far at any time.
function sendBurst(customer, roomId, ids) {
  const receipted = new Set();
  ids.forEach((id) => {
    const receipt = `r-${id}`;
    customer.session.client.watchForReceipt(receipt, () => receipted.add(id));
    customer.session.publish('/app/room.send', { roomId, text: `text of ${id}`, clientMessageId: id }, { receipt });
  });
  return receipted;
}

async function waitUntil(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('durable receipts', () => {
  it('every receipted room message survives a SIGKILL at a random moment, none twice', { timeout: 120000 }, async (t) => {
    const dir = await createServerDir();
    const servers = [];
    t.after(async () => {
      for (const server of servers) await server.stop();
      await removeServerDir(dir);
    });
    let server = await startCenter(t, { dir });
    servers.push(server);
    const { secret } = server;
    const agent = await newAgent(t, server, { name: 'Kept' });
    let customer = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);

    const everReceipted = new Set();
    let unconfirmed = [];  // what the customer's outbox still holds
    for (let round = 1; round <= ROUNDS; round += 1) {
      const ids = [...unconfirmed, ...Array.from({ length: BURST }, (_, i) => `m${round}-${i + 1}`)];
      const receipted = sendBurst(customer, roomId, ids);
      // Killed once a random part of the burst is confirmed: some messages are then stored and
      // receipted, some stored and not yet receipted, some not stored.
      const killAfter = 1 + Math.floor(Math.random() * (ids.length - 2));
      await waitUntil(() => receipted.size >= killAfter, 20000, `${killAfter} receipts`);
      const killed = await server.stop({ signal: 'SIGKILL' });
      assert.equal(killed.signal, 'SIGKILL');
      for (const id of receipted) everReceipted.add(id);
      unconfirmed = ids.filter((id) => !receipted.has(id));

      server = await startCenter(t, { dir, secret });
      servers.push(server);
      customer = await newCustomer(t, server, { jar: customer.jar });
      const history = await fullHistory(server, customer.token, roomId);
      assertSeqRange(history, 1, history.length, `the history after kill ${round}`);
      const stored = history.map((m) => m.clientMessageId);
      assert.equal(new Set(stored).size, stored.length, `a message was stored twice (round ${round})`);
      const storedSet = new Set(stored);
      const lost = [...everReceipted].filter((id) => !storedSet.has(id));
      assert.deepEqual(lost, [], `receipted but lost after kill ${round} (killed after ${killAfter} of ${ids.length} receipts)`);
    }

    // The outbox sends the rest once more; everything is then stored exactly once.
    const receipted = sendBurst(customer, roomId, unconfirmed);
    await waitUntil(() => receipted.size === unconfirmed.length, 20000, 'the last receipts');
    const history = await fullHistory(server, customer.token, roomId);
    const stored = history.map((m) => m.clientMessageId);
    assert.equal(new Set(stored).size, stored.length, 'a message was stored twice');
    assert.equal(stored.length, ROUNDS * BURST, 'every message of every burst, once');
  });
});
