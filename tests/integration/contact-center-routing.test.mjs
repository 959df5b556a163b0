// Consult routing against the binary, one server per test (agents are global state): automatic
// assignment after the offer window (to the least-loaded agent), rejections, requests that wait
// for an agent to log in (hybrid, manual and auto modes), queue positions, cancellation. The
// offer window is routing.auto-assign-after=1 s unless a test needs it longer.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { apiRequest } from './lib/auth-http.mjs';
import {
  acceptedRoom,
  agentLogin,
  fullHistory,
  newAgent,
  newCustomer,
  nextJson,
  nextStatus,
  quiet,
  received,
  reconnectAgent,
  requestConsult,
  send,
  startCenter,
} from './lib/contact-center.mjs';
import { delay } from './lib/util.mjs';

const TEST_TIMEOUT = 20000;
const WINDOW_MS = 1000;
// Timers fire on time, give or take a scheduling tick; an assignment counts as "after the window"
// from a little before it.
const SLACK_MS = 100;

describe('consult routing: automatic assignment', () => {
  it('assigns a request nobody accepts after the offer window (auto_assigned, mode auto)', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const agent = await newAgent(t, server, { name: 'Auto Agent' });
    const customer = await newCustomer(t, server);
    const asked = Date.now();
    const waiting = await requestConsult(customer, { category: 'delivery' });
    assert.equal(waiting.status, 'waiting');
    assert.equal(waiting.position, 1);
    await nextJson(agent.offers, { requestId: waiting.requestId });

    const assignment = await nextJson(agent.assignments, { requestId: waiting.requestId }, 5000);
    const elapsed = Date.now() - asked;
    assert.ok(elapsed >= WINDOW_MS - SLACK_MS, `assigned after ${elapsed} ms, before the 1 s window`);
    assert.equal(assignment.mode, 'auto');
    assert.equal(assignment.customer.id, customer.id);
    const status = await nextStatus(customer, { requestId: waiting.requestId, status: 'auto_assigned' });
    assert.equal(status.agentId, agent.id);
    assert.equal(status.agentName, 'Auto Agent');
    assert.equal(status.roomId, assignment.roomId);
    const update = await nextJson(agent.updates, { requestId: waiting.requestId });
    assert.equal(update.status, 'assigned');
    assert.equal(update.agentId, agent.id);
  });

  it('picks the agent with the fewest rooms, then the one idle longest', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '1' } });
    const busy = await newAgent(t, server, { name: 'Busy' });
    const first = await newCustomer(t, server);
    await acceptedRoom(first, busy);
    // `fresh` logged in after `busy` took a room: fewer rooms wins over idle time.
    const fresh = await newAgent(t, server, { name: 'Fresh' });
    const second = await newCustomer(t, server);
    const w2 = await requestConsult(second);
    const a2 = await nextJson(fresh.assignments, { requestId: w2.requestId }, 5000);
    assert.equal(a2.mode, 'auto');
    // Now one room each: `busy` has been idle longer (its room is the older one).
    const third = await newCustomer(t, server);
    const w3 = await requestConsult(third);
    const a3 = await nextJson(busy.assignments, { requestId: w3.requestId }, 5000);
    assert.equal(a3.mode, 'auto');
    assert.equal(received(fresh.assignments, (a) => a.requestId === w3.requestId).length, 0);
  });

  it('never gives a request to the agent who rejected it; another agent gets it', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    // `rejecter` logs in first: idle longest, it would win the automatic assignment.
    const rejecter = await newAgent(t, server, { name: 'Rejecter' });
    const customer = await newCustomer(t, server);
    const waiting = await requestConsult(customer);
    await nextJson(rejecter.offers, { requestId: waiting.requestId });
    await send(rejecter, '/app/agent.reject', { requestId: waiting.requestId });

    // Alone and having rejected it, the agent does not get it when the window passes.
    await delay(WINDOW_MS + 500);
    assert.equal(received(rejecter.assignments).length, 0, 'the rejecting agent got the request');
    assert.equal(received(customer.status, (s) => s.status !== 'waiting').length, 0, 'the request left the queue');

    // A second agent: gets the offer and, the window being over, the request at once.
    const other = await newAgent(t, server, { name: 'Other', loginNow: false });
    const assigned = nextJson(other.assignments, { requestId: waiting.requestId }, 5000);
    await agentLogin(other);
    const assignment = await assigned;
    assert.equal(assignment.mode, 'auto');
    const status = await nextStatus(customer, { requestId: waiting.requestId, status: 'auto_assigned' });
    assert.equal(status.agentId, other.id);
    // Both consoles drop the request; the rejecting agent still has nothing.
    assert.equal((await nextJson(rejecter.updates, { requestId: waiting.requestId })).agentId, other.id);
    assert.equal((await quiet(rejecter.assignments, 300)).length, 0);
    // The request is not offered to the rejecting agent again, not even when it logs in again.
    const offersBefore = received(rejecter.offers, (o) => o.requestId === waiting.requestId).length;
    await agentLogin(rejecter);
    await quiet(rejecter.offers, 300);
    assert.equal(received(rejecter.offers, (o) => o.requestId === waiting.requestId).length, offersBefore);
  });

  it('with two agents online, a rejection sends the request to the other one after the window', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const rejecter = await newAgent(t, server, { name: 'Rejecter' });
    const other = await newAgent(t, server, { name: 'Other' });
    const customer = await newCustomer(t, server);
    const asked = Date.now();
    const waiting = await requestConsult(customer);
    await nextJson(rejecter.offers, { requestId: waiting.requestId });
    await send(rejecter, '/app/agent.reject', { requestId: waiting.requestId });
    const assignment = await nextJson(other.assignments, { requestId: waiting.requestId }, 5000);
    assert.ok(Date.now() - asked >= WINDOW_MS - SLACK_MS, 'assigned before the window passed');
    assert.equal(assignment.mode, 'auto');
    assert.equal((await quiet(rejecter.assignments, 300)).length, 0);
    // Rejecting again, or a request one does not have, changes nothing and closes nothing.
    await send(rejecter, '/app/agent.reject', { requestId: waiting.requestId });
    await send(other, '/app/agent.reject', { requestId: waiting.requestId });
    assert.equal((await nextJson(other.errors, { requestId: waiting.requestId })).code, 'not_waiting');
  });
});

describe('consult routing: no agent available', () => {
  it('hybrid: the request waits past the window, then goes to the first agent who logs in', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const customer = await newCustomer(t, server);
    const waiting = await requestConsult(customer, { category: 'refund' });
    assert.equal(waiting.status, 'waiting');
    assert.equal(waiting.position, 1);
    await delay(WINDOW_MS + 500);
    // Nobody signed in: only the offer to leave a message instead (the request keeps waiting).
    assert.deepEqual(received(customer.status).map((s) => [s.status, s.leaveReason]),
      [['waiting', undefined], ['waiting', 'nobody_online']], 'nothing else happened without an agent');

    const agent = await newAgent(t, server, { loginNow: false });
    const assigned = nextJson(agent.assignments, { requestId: waiting.requestId }, 3000);
    await agentLogin(agent);
    const assignment = await assigned;
    assert.equal(assignment.mode, 'auto');
    const status = await nextStatus(customer, { requestId: waiting.requestId, status: 'auto_assigned' });
    assert.equal(status.agentId, agent.id);
  });

  it('hybrid: an agent who logs in within the window gets the offer, then the request when the window ends', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '2' } });
    const customer = await newCustomer(t, server);
    const asked = Date.now();
    const waiting = await requestConsult(customer);
    const agent = await newAgent(t, server);
    // The offer made before the login is delivered at login.
    const offer = await nextJson(agent.offers, { requestId: waiting.requestId });
    assert.equal(offer.customerId, customer.id);
    assert.equal(received(agent.assignments).length, 0, 'assigned before the window passed');
    const assignment = await nextJson(agent.assignments, { requestId: waiting.requestId }, 5000);
    assert.ok(Date.now() - asked >= 2000 - SLACK_MS, `assigned after ${Date.now() - asked} ms`);
    assert.equal(assignment.mode, 'auto');
  });

  it('manual: never assigned automatically; an agent who logs in later gets the offer and accepts', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.mode': 'manual' } });
    const customer = await newCustomer(t, server);
    const waiting = await requestConsult(customer);
    const agent = await newAgent(t, server);
    await nextJson(agent.offers, { requestId: waiting.requestId });
    await delay(WINDOW_MS + 500);
    assert.equal(received(agent.assignments).length, 0, 'manual mode assigned automatically');
    await send(agent, '/app/agent.accept', { requestId: waiting.requestId });
    assert.equal((await nextJson(agent.assignments, { requestId: waiting.requestId })).mode, 'manual');
    await nextStatus(customer, { requestId: waiting.requestId, status: 'connected' });
  });

  it('auto: no offers; assigned as soon as an agent logs in', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.mode': 'auto' } });
    const customer = await newCustomer(t, server);
    const waiting = await requestConsult(customer);
    assert.equal(waiting.status, 'waiting');
    const agent = await newAgent(t, server, { loginNow: false });
    const assigned = nextJson(agent.assignments, { requestId: waiting.requestId }, 3000);
    await agentLogin(agent);
    assert.equal((await assigned).mode, 'auto');
    await nextStatus(customer, { requestId: waiting.requestId, status: 'auto_assigned' });
    assert.equal(received(agent.offers).length, 0, 'auto mode made an offer');
  });

  it('an away agent gets offers but no automatic assignment', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const agent = await newAgent(t, server);
    await send(agent, '/app/agent.status', { status: 'away' });
    const customer = await newCustomer(t, server);
    const waiting = await requestConsult(customer);
    await nextJson(agent.offers, { requestId: waiting.requestId });
    await delay(WINDOW_MS + 500);
    assert.equal(received(agent.assignments).length, 0);
    // Back to available: the overdue request is assigned.
    await send(agent, '/app/agent.status', { status: 'available' });
    assert.equal((await nextJson(agent.assignments, { requestId: waiting.requestId }, 3000)).mode, 'auto');
  });
});

describe('consult routing: logging in away (agent.login {status})', () => {
  async function ownEntry(server, agent) {
    const answer = await apiRequest(server, '/api/agents', { method: 'GET', bearer: agent.token });
    assert.equal(answer.status, 200, answer.text);
    return answer.json.agents.find((a) => a.id === agent.id);
  }

  it('an agent logging in away gets the offer of a due request but never the request; an available one does', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const customer = await newCustomer(t, server);
    const waiting = await requestConsult(customer);
    await delay(WINDOW_MS + 500);  // due: the first agent to log in available would get it at once

    const away = await newAgent(t, server, { loginNow: false });
    await send(away, '/app/agent.login', { status: 'away' });
    await nextJson(away.offers, { requestId: waiting.requestId });
    await delay(WINDOW_MS + 500);
    assert.equal(received(away.assignments).length, 0, 'auto-assigned to an agent who logged in away');
    assert.equal(received(customer.status, (s) => s.status !== 'waiting').length, 0);
    assert.deepEqual(await ownEntry(server, away), { id: away.id, name: away.name, state: 'away', status: 'away', activeRooms: 0, maxRooms: 3, atCapacity: false });

    const available = await newAgent(t, server, { loginNow: false });
    await send(available, '/app/agent.login', { status: 'available' });
    assert.equal((await nextJson(available.assignments, { requestId: waiting.requestId }, 3000)).mode, 'auto');
    assert.equal((await nextStatus(customer, { status: 'auto_assigned' })).agentId, available.id);
    assert.equal(received(away.assignments).length, 0);
  });

  it('an away agent whose connection dropped (grace over) logs in again away: still no request; {} is available', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);  // agent-grace 1 s
    const agent = await newAgent(t, server);
    await send(agent, '/app/agent.status', { status: 'away' });
    const customer = await newCustomer(t, server);
    const waiting = await requestConsult(customer);
    await nextJson(agent.offers, { requestId: waiting.requestId });

    agent.session.client.forceDisconnect();
    await delay(WINDOW_MS + 1000);  // the request is due, the agent's grace is over: offline
    const offline = await ownEntry(server, agent);
    assert.equal(offline.state, 'offline');
    assert.equal(offline.status, 'away', 'the chosen status outlives the connection');

    await reconnectAgent(t, server, agent, { loginNow: false });
    await send(agent, '/app/agent.login', { status: 'away' });
    await nextJson(agent.offers, { requestId: waiting.requestId });
    await delay(500);
    assert.equal(received(agent.assignments).length, 0, 'auto-assigned between the login and the away status');
    assert.equal((await ownEntry(server, agent)).state, 'away');

    // The body of old: {} is available, and the due request comes at once.
    await send(agent, '/app/agent.login', {});
    assert.equal((await nextJson(agent.assignments, { requestId: waiting.requestId }, 3000)).mode, 'auto');
  });

  it('refuses a status that is neither available nor away, and does not log in', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const customer = await newCustomer(t, server);
    const waiting = await requestConsult(customer);
    const agent = await newAgent(t, server, { loginNow: false });
    for (const body of [{ status: 'asleep' }, { status: 42 }, { status: '' }, { status: 'AWAY' }]) {
      await send(agent, '/app/agent.login', body);
      const error = await nextJson(agent.errors, {});
      assert.equal(error.code, 'bad_request', JSON.stringify(body));
      assert.match(error.message, /available.*away/);
    }
    await delay(WINDOW_MS + 500);
    assert.equal(received(agent.offers).length, 0, 'a refused login still logged in');
    assert.equal(received(agent.assignments).length, 0);
    // Still connected; a null status is the default.
    await send(agent, '/app/agent.login', { status: null });
    assert.equal((await nextJson(agent.assignments, { requestId: waiting.requestId }, 3000)).mode, 'auto');
  });
});

describe('consult routing: queue positions and cancellation', () => {
  it('three waiting customers get positions 1, 2, 3; when the first is assigned the others move to 1, 2', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '30' } });
    const customers = [await newCustomer(t, server), await newCustomer(t, server), await newCustomer(t, server)];
    const requests = [];
    for (const [index, customer] of customers.entries()) {
      const waiting = await requestConsult(customer);
      assert.equal(waiting.status, 'waiting');
      assert.equal(waiting.position, index + 1, `customer ${index + 1}`);
      // Nobody is signed in yet: each is offered to leave a message instead, once.
      await nextStatus(customer, { requestId: waiting.requestId, leaveReason: 'nobody_online' });
      requests.push(waiting.requestId);
    }
    // Nobody was told a new position while the queue only grew behind them.
    await delay(200);
    for (const customer of customers) assert.equal(customer.status.unclaimed.length, 0);
    // Asking again reports the same place.
    assert.equal((await requestConsult(customers[2])).position, 3);

    const agent = await newAgent(t, server);
    for (const requestId of requests) await nextJson(agent.offers, { requestId });
    await send(agent, '/app/agent.accept', { requestId: requests[0] });
    await nextStatus(customers[0], { requestId: requests[0], status: 'connected' });
    assert.equal((await nextStatus(customers[1], { requestId: requests[1] })).position, 1);
    assert.equal((await nextStatus(customers[2], { requestId: requests[2] })).position, 2);

    // The second accepted too: the third is first.
    await send(agent, '/app/agent.accept', { requestId: requests[1] });
    assert.equal((await nextStatus(customers[2], { requestId: requests[2] })).position, 1);
  });

  it('cancel: the customer gets canceled, every console drops it, the queue moves up', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '30' } });
    const agents = [await newAgent(t, server), await newAgent(t, server)];
    const first = await newCustomer(t, server);
    const second = await newCustomer(t, server);
    const w1 = await requestConsult(first);
    const w2 = await requestConsult(second);
    assert.equal(w2.position, 2);
    for (const agent of agents) await nextJson(agent.offers, { requestId: w1.requestId });

    // Someone else's request cannot be canceled (and is not told apart from an unknown one).
    await send(second, '/app/consult.cancel', { requestId: w1.requestId });
    assert.equal((await nextJson(second.errors, { requestId: w1.requestId })).code, 'not_found');

    await send(first, '/app/consult.cancel', { requestId: w1.requestId });
    const canceled = await nextStatus(first, { requestId: w1.requestId, status: 'canceled' });
    assert.equal(canceled.requestId, w1.requestId);
    for (const agent of agents) {
      const update = await nextJson(agent.updates, { requestId: w1.requestId });
      assert.equal(update.status, 'canceled');
    }
    assert.equal((await nextStatus(second, { requestId: w2.requestId })).position, 1);

    // An accept that comes too late finds nothing.
    await send(agents[0], '/app/agent.accept', { requestId: w1.requestId });
    assert.equal((await nextJson(agents[0].errors, { requestId: w1.requestId })).code, 'not_found');
    // Canceling twice: nothing to cancel.
    await send(first, '/app/consult.cancel', { requestId: w1.requestId });
    assert.equal((await nextJson(first.errors, { requestId: w1.requestId })).code, 'not_found');
    // A new request is a new one, behind the one still waiting.
    const again = await requestConsult(first);
    assert.notEqual(again.requestId, w1.requestId);
    assert.equal(again.position, 2);

    // Once an agent has it, a request is no longer canceled but closed.
    await send(agents[1], '/app/agent.accept', { requestId: w2.requestId });
    await nextStatus(second, { requestId: w2.requestId, status: 'connected' });
    await send(second, '/app/consult.cancel', { requestId: w2.requestId });
    assert.equal((await nextJson(second.errors, { requestId: w2.requestId })).code, 'not_waiting');
  });

  it('cancel of a request waiting again after a transfer to the queue ends its room too', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '30' } });
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    const { roomId, request } = await acceptedRoom(customer, agent);
    const customerRoom = await customer.session.subscribe(`/topic/room/${roomId}`);
    await send(customer, '/app/room.send', { roomId, text: 'hello', clientMessageId: 'c-1' });
    await send(agent, '/app/room.transfer', { roomId });
    await nextStatus(customer, { requestId: request.requestId, status: 'waiting' });

    await send(customer, '/app/consult.cancel', { requestId: request.requestId });
    const canceled = await nextStatus(customer, { requestId: request.requestId, status: 'canceled' });
    assert.equal(canceled.roomId, roomId);
    assert.equal((await nextJson(agent.updates, { requestId: request.requestId, status: 'canceled' })).status, 'canceled');
    // The room ended with the request: the customer hears it, and it takes no more messages.
    await nextJson(customerRoom, { type: 'closed' });
    await send(customer, '/app/room.send', { roomId, text: 'still open?', clientMessageId: 'c-2' });
    assert.ok(['room_closed', 'not_participant'].includes((await nextJson(customer.errors, {})).code));
    // Its history stays readable, and a new request starts afresh.
    const history = await fullHistory(server, customer.token, roomId);
    assert.deepEqual(history.map((m) => m.text), ['hello']);
    const again = await requestConsult(customer);
    assert.notEqual(again.requestId, request.requestId);
    assert.equal(again.roomId, undefined);
  });

  it('a room closed by the customer frees the agent for the next waiting request', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.max-rooms-per-agent': '1' } });
    const agent = await newAgent(t, server);
    const first = await newCustomer(t, server);
    const { roomId, request } = await acceptedRoom(first, agent);
    const agentRoom = await agent.session.subscribe(`/topic/room/${roomId}`);
    const second = await newCustomer(t, server);
    const waiting = await requestConsult(second);
    // Past the window, but the only agent is at capacity.
    await delay(WINDOW_MS + 500);
    assert.equal(received(agent.assignments, (a) => a.requestId === waiting.requestId).length, 0);
    // A customer in a room asking again is told where it stands.
    const current = await requestConsult(first);
    assert.equal(current.status, 'connected');
    assert.equal(current.roomId, roomId);

    await send(first, '/app/room.close', { roomId });
    const closed = await nextJson(agentRoom, { type: 'closed' });
    assert.equal(closed.by, first.id);
    const status = await nextStatus(first, { requestId: request.requestId, status: 'closed' });
    assert.equal(status.agentId, agent.id);
    const next = await nextJson(agent.assignments, { requestId: waiting.requestId }, 3000);
    assert.equal(next.mode, 'auto');
    await nextStatus(second, { requestId: waiting.requestId, status: 'auto_assigned' });
    // Closing again: the room is gone.
    await send(first, '/app/room.close', { roomId });
    assert.equal((await nextJson(first.errors, {})).code, 'not_participant');
  });

  it('refuses malformed routing messages on /user/queue/errors without closing the connection', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    await send(customer, '/app/consult.cancel', {});
    assert.equal((await nextJson(customer.errors, {})).code, 'bad_request');
    await send(customer, '/app/consult.request', { category: 42 });
    assert.equal((await nextJson(customer.errors, {})).code, 'bad_request');
    await send(agent, '/app/agent.accept', { requestId: '' });
    assert.equal((await nextJson(agent.errors, {})).code, 'bad_request');
    await send(agent, '/app/agent.status', { status: 'asleep' });
    assert.equal((await nextJson(agent.errors, {})).code, 'bad_request');
    // Still connected and served.
    const waiting = await requestConsult(customer);
    assert.equal(waiting.status, 'waiting');
  });
});

describe('consult routing: offers reach the agents they name', () => {
  it('re-offers waiting requests to an agent who logs in, and to nobody else', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '60' } });
    const present = await newAgent(t, server, { name: 'Present' });
    const customer = await newCustomer(t, server);
    const waiting = await requestConsult(customer);
    await nextJson(present.offers, { requestId: waiting.requestId });

    // A second agent logs in: it gets the waiting request; the agent already offered it does not
    // get it again (a login used to re-offer every waiting request to every console).
    const late = await newAgent(t, server, { name: 'Late' });
    await nextJson(late.offers, { requestId: waiting.requestId });
    await quiet(present.offers);
    assert.equal(received(present.offers, (o) => o.requestId === waiting.requestId).length, 1);
  });

  it('does not offer a request again to the agent who rejected it', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '60' } });
    const rejecter = await newAgent(t, server, { name: 'Rejecter' });
    const customer = await newCustomer(t, server);
    const waiting = await requestConsult(customer);
    await nextJson(rejecter.offers, { requestId: waiting.requestId });
    await send(rejecter, '/app/agent.reject', { requestId: waiting.requestId });
    // Another agent's login re-offers what is waiting; the rejecter is not among its recipients.
    const other = await newAgent(t, server, { name: 'Other' });
    await nextJson(other.offers, { requestId: waiting.requestId });
    await quiet(rejecter.offers);
    assert.equal(received(rejecter.offers, (o) => o.requestId === waiting.requestId).length, 1);
  });
});
