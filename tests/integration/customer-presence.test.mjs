// Customers' presence against the binary: a customer who closes the page while waiting loses the
// request after routing.customer-grace (so no agent is handed a chat with nobody), and may ask
// again on return; one who only reloads keeps it; in a room, the agent is told that the customer
// left (after a few seconds without a connection) and that they came back.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  acceptedRoom,
  newAgent,
  newCustomer,
  nextJson,
  quiet,
  reconnectCustomer,
  requestConsult,
  roomEvents,
  startCenter,
  subscribeRoom,
} from './lib/contact-center.mjs';
import { apiRequest } from './lib/auth-http.mjs';
import { delay } from './lib/util.mjs';

const TEST_TIMEOUT = 30000;
const MANUAL = { 'routing.mode': 'manual', 'bot.need-human': 'offer', 'routing.customer-grace': '2' };

async function current(server, customer) {
  return (await apiRequest(server, '/api/consult/current', { method: 'GET', bearer: customer.token })).json;
}

describe('customer presence', () => {
  it('a request waits through a reload, and is withdrawn once the customer is gone past the grace', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: MANUAL });
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    const waiting = await requestConsult(customer);
    await nextJson(agent.offers, { requestId: waiting.requestId });

    // A reload: gone for a moment, back well within the grace.
    await customer.session.close();
    await delay(300);
    await reconnectCustomer(t, server, customer);
    await delay(2500);
    assert.equal((await current(server, customer)).request?.status, 'waiting', 'kept through a reload');

    // Closed for good: withdrawn after the grace, and every console drops it.
    await customer.session.close();
    const dropped = await nextJson(agent.updates, { requestId: waiting.requestId }, 8000);
    assert.equal(dropped.status, 'canceled');
    const queue = await apiRequest(server, '/api/consult/queue', { method: 'GET', bearer: agent.token });
    assert.deepEqual(queue.json.requests, []);

    // Back later: no request any more, and asking again works.
    await reconnectCustomer(t, server, customer);
    assert.equal((await current(server, customer)).request, null);
    const again = await requestConsult(customer);
    assert.equal(again.status, 'waiting');
    assert.notEqual(again.requestId, waiting.requestId);
  });

  it('in a room the agent hears that the customer left and came back; the room stays', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: MANUAL });
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    const agentRoom = await subscribeRoom(agent, roomId);

    // A short drop says nothing.
    await customer.session.close();
    await delay(300);
    await reconnectCustomer(t, server, customer);
    await delay(1000);
    assert.deepEqual(roomEvents(agentRoom, 'customer_presence'), []);

    await customer.session.close();
    const left = await nextJson(agentRoom, { type: 'customer_presence' }, 10000);
    assert.deepEqual({ present: left.present, userId: left.userId }, { present: false, userId: customer.id });
    // Past the grace too: the room is not a waiting request, so it stays open.
    await delay(2500);
    await reconnectCustomer(t, server, customer);
    const back = await nextJson(agentRoom, { type: 'customer_presence', present: true }, 5000);
    assert.equal(back.userId, customer.id);
    assert.equal((await current(server, customer)).request?.roomId, roomId);
    await quiet(agentRoom, 300);
    assert.equal(roomEvents(agentRoom, 'closed').length, 0);
  });
});
