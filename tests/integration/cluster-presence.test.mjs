// Three nodes (one PostgreSQL, one Redis) for what this release added across nodes: a customer's
// presence is the union of their connections on every node (one node closing is not leaving); a
// customer gone from every node is announced in the room, and their waiting request is withdrawn
// after the grace, wherever the routing authority is; a supervisor's change to an agent made on
// any node is made at the authority; the history and a file uploaded on one node are read on the
// others.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import {
  FAST_ROUTING, acceptedRoom, connect, newAgent, newCustomer, nextJson, reconnectCustomer, requestConsult,
  roomEvents, subscribeRoom,
} from './lib/contact-center.mjs';
import { apiRequest } from './lib/auth-http.mjs';
import { postgresInstalled, redisInstalled, startThreeNodes } from './lib/services.mjs';
import { mintToken } from './lib/tokens.mjs';
import { delay } from './lib/util.mjs';

const TEST_TIMEOUT = 120000;
const missing = !postgresInstalled ? 'PostgreSQL' : !redisInstalled ? 'redis-server' : '';
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201ffa9b6e6a90000000049454e44ae426082', 'hex');

async function threeNodes(t) {
  const { nodes } = await startThreeNodes(t, {
    ...FAST_ROUTING,
    'routing.mode': 'manual',
    'bot.need-human': 'offer',
    'routing.customer-grace': '3',
  });
  return nodes;
}

describe('presence, supervision, history and files on three nodes', { skip: missing ? `${missing} is not installed (scripts/install-deps.sh --test)` : false }, () => {
  it('a customer is present while connected to any node, and announced and withdrawn once gone from all', { timeout: TEST_TIMEOUT }, async (t) => {
    const nodes = await threeNodes(t);
    const agent = await newAgent(t, nodes[2], { name: 'Kim' });
    const customer = await newCustomer(t, nodes[1], { minted: true });
    const { roomId } = await acceptedRoom(customer, agent);
    const agentRoom = await subscribeRoom(agent, roomId);

    // A second connection on another node; closing the first one is not leaving.
    const second = await connect(t, nodes[0], customer.token);
    await customer.session.close();
    await delay(7000);
    assert.deepEqual(roomEvents(agentRoom, 'customer_presence'), [], 'still connected on node 0');

    // Gone from every node: the agent is told, and again when the customer is back (on node 2).
    await second.close();
    const left = await nextJson(agentRoom, { type: 'customer_presence' }, 15000);
    assert.deepEqual({ present: left.present, userId: left.userId }, { present: false, userId: customer.id });
    await reconnectCustomer(t, nodes[2], customer);
    const back = await nextJson(agentRoom, (event) => event.type === 'customer_presence' && event.present === true, 15000);
    assert.equal(back.userId, customer.id);

    // Waiting on node 1 and gone: withdrawn after the grace, dropped from the console on node 2.
    const waiter = await newCustomer(t, nodes[1], { minted: true });
    const waiting = await requestConsult(waiter, {}, 10000);
    await nextJson(agent.offers, { requestId: waiting.requestId }, 10000);
    await waiter.session.close();
    const dropped = await nextJson(agent.updates, { requestId: waiting.requestId }, 20000);
    assert.equal(dropped.status, 'canceled');
  });

  it('a supervisor on any node; the history and files on every node', { timeout: TEST_TIMEOUT }, async (t) => {
    const nodes = await threeNodes(t);
    const admin = mintToken({ secret: nodes[0].secret, sub: `admin-${randomUUID()}`, role: 'ADMIN', name: 'Sup' });
    const agent = await newAgent(t, nodes[1], { name: 'Lee' });
    const told = await agent.session.subscribe('/user/queue/agent/status');
    for (const node of nodes) {
      const status = node === nodes[1] ? 'away' : 'available';
      const answer = await apiRequest(node, `/api/admin/agents/${agent.id}/status`, { method: 'POST', bearer: admin, json: { status } });
      assert.equal(answer.status, 200, answer.text);
      assert.equal((await nextJson(told, { status }, 10000)).byName, 'Sup');
    }

    const customer = await newCustomer(t, nodes[2], { minted: true });
    const { roomId } = await acceptedRoom(customer, agent, { category: 'refund', reason: 'asked' });
    const upload = await fetch(`${nodes[2].httpUrl}/api/rooms/${roomId}/attachments?name=r.png`, {
      method: 'POST', headers: { Authorization: `Bearer ${customer.token}`, 'Content-Type': 'image/png' }, body: PNG,
    });
    assert.equal(upload.status, 201);
    const { attachment } = await upload.json();
    const sent = await customer.session.publishWithReceipt('/app/room.send', { roomId, text: '환불 영수증', clientMessageId: 'c-1', attachments: [attachment.id] });
    assert.ok(sent);
    for (const node of nodes) {
      const file = await fetch(`${node.httpUrl}/api/attachments/${attachment.id}`, { headers: { Authorization: `Bearer ${agent.token}` } });
      assert.equal(file.status, 200);
      assert.deepEqual(Buffer.from(await file.arrayBuffer()), PNG);
      const found = await apiRequest(node, `/api/history/rooms?q=${encodeURIComponent('영수증')}`, { method: 'GET', bearer: admin });
      assert.deepEqual(found.json.rooms.map((room) => [room.roomId, room.category]), [[roomId, 'refund']]);
    }
  });
});
