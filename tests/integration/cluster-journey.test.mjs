// The whole journey on three nodes (one PostgreSQL, one Redis): the customer on node 1, two
// agents on nodes 2 and 3. Routing commands from any node reach the node holding the routing
// authority and their answers come back; offers, assignments and room messages reach each party
// wherever it is connected. Two agents racing to accept the same request get exactly one room,
// every time; 500 room messages each way arrive gap-free and in order on both sides. The read-only
// HTTP views answer the same on every node.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  FAST_ROUTING, assertSeqRange, chatMessages, newAgent, newCustomer, nextJson, nextStatus,
  requestConsult, roomSend, send, subscribeRoom, waitForSeq,
} from './lib/contact-center.mjs';
import { apiRequest } from './lib/auth-http.mjs';
import { postgresInstalled, redisInstalled, startThreeNodes } from './lib/services.mjs';

const TEST_TIMEOUT = 180000;
const RACES = 100;
const MESSAGES = 500;
const missing = !postgresInstalled ? 'PostgreSQL' : !redisInstalled ? 'redis-server' : '';

describe('the journey on three nodes', { skip: missing ? `${missing} is not installed (scripts/install-deps.sh --test)` : false }, () => {
  it(`two agents on two other nodes race to accept: one room each time (${RACES} races); ${MESSAGES} messages each way in order`, { timeout: TEST_TIMEOUT }, async (t) => {
    const { nodes } = await startThreeNodes(t, {
      ...FAST_ROUTING,
      'routing.mode': 'manual',
      'routing.max-rooms-per-agent': '100',
    });

    const agents = [await newAgent(t, nodes[1]), await newAgent(t, nodes[2])];
    let wins = [0, 0];
    let room;
    for (let race = 0; race < RACES; ++race) {
      const customer = await newCustomer(t, nodes[0], { minted: true });
      const waiting = await requestConsult(customer, {}, 10000);
      assert.equal(waiting.status, 'waiting');
      await Promise.all(agents.map((agent) => nextJson(agent.offers, { requestId: waiting.requestId }, 10000)));
      const answers = await Promise.all(agents.map((agent) =>
        send(agent, '/app/agent.accept', { requestId: waiting.requestId })));
      const accepted = answers.map((answer) => answer.receipt !== undefined);
      assert.equal(accepted.filter(Boolean).length, 1,
        `race ${race}: ${JSON.stringify(answers.map((a) => a.refusal?.json ?? 'receipt'))}`);
      const winner = accepted.indexOf(true);
      wins[winner] += 1;
      const assignment = await nextJson(agents[winner].assignments, { requestId: waiting.requestId }, 10000);
      await nextStatus(customer, { requestId: waiting.requestId, status: 'connected' }, 10000);
      if (race < RACES - 1) {
        await customer.session.close();
      } else {
        room = { customer, agent: agents[winner], roomId: assignment.roomId };
      }
    }
    t.diagnostic(`wins by node: ${wins.join(' / ')}`);

    // The read-only views answer the same on every node, though only one holds the engine: the
    // agent's rooms, the customer's current consult, the (now empty) queue and the agent list.
    for (const node of nodes) {
      const rooms = await apiRequest(node, '/api/agent/rooms', { method: 'GET', bearer: room.agent.token });
      assert.equal(rooms.status, 200, rooms.text);
      assert.deepEqual(rooms.json.rooms.map((r) => r.roomId).includes(room.roomId), true, `rooms on ${node.port}: ${rooms.text}`);
      const current = await apiRequest(node, '/api/consult/current', { method: 'GET', bearer: room.customer.token });
      assert.equal(current.status, 200, current.text);
      assert.equal(current.json.request?.status, 'connected', `current consult on ${node.port}: ${current.text}`);
      assert.equal(current.json.request?.roomId, room.roomId);
      const queue = await apiRequest(node, '/api/consult/queue', { method: 'GET', bearer: room.agent.token });
      assert.equal(queue.status, 200, queue.text);
      assert.deepEqual(queue.json.requests, []);
      const list = await apiRequest(node, '/api/agents', { method: 'GET', bearer: room.agent.token });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.json.agents.map((a) => a.id).sort(), agents.map((a) => a.id).sort(), `agents on ${node.port}`);
    }

    // The last room: the customer on node 1, the agent on node 2 or 3.
    const customerRoom = await subscribeRoom(room.customer, room.roomId);
    const agentRoom = await subscribeRoom(room.agent, room.roomId);
    const sends = [];
    for (let i = 0; i < MESSAGES; ++i) {
      sends.push(roomSend(room.customer, room.roomId, `c${i}`));
      sends.push(roomSend(room.agent, room.roomId, `a${i}`));
    }
    const outcomes = await Promise.all(sends);
    assert.ok(outcomes.every((o) => o.receipt !== undefined), 'every message receipted');
    await waitForSeq(customerRoom, 2 * MESSAGES, 20000);
    await waitForSeq(agentRoom, 2 * MESSAGES, 20000);
    for (const [who, inbox] of [['customer', customerRoom], ['agent', agentRoom]]) {
      const messages = chatMessages(inbox);
      assertSeqRange(messages, 1, 2 * MESSAGES, who);
      // Each side's own messages in the order it sent them.
      for (const prefix of ['c', 'a']) {
        const texts = messages.filter((m) => m.text.startsWith(prefix)).map((m) => Number(m.text.slice(1)));
        assert.deepEqual(texts, Array.from({ length: MESSAGES }, (_, i) => i), `${who}: ${prefix} order`);
      }
    }
  });
});
