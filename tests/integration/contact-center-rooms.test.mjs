// 1:1 rooms against the binary, one server per test: transfer to a named agent and back to the
// queue (the new agent gets the history), an agent whose connection drops (reconnecting notice,
// back within routing.agent-grace, or the room requeued at the head of the queue and assigned to
// another agent), and who may read or write a room.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  acceptedRoom,
  agentLogin,
  assertSeqRange,
  chatMessages,
  fullHistory,
  newAgent,
  newCustomer,
  nextJson,
  nextStatus,
  quiet,
  received,
  reconnectAgent,
  requestConsult,
  roomEvents,
  roomSend,
  roomTopic,
  send,
  startCenter,
  subscribeRoom,
  waitForSeq,
} from './lib/contact-center.mjs';
import { readHistory } from './lib/bot.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';
import { delay } from './lib/util.mjs';

const TEST_TIMEOUT = 20000;

// Both sides subscribed, `count` messages exchanged (customer first, alternating); resolves with
// the room inboxes once both saw them all.
async function chat(customer, agent, roomId, count, { customerRoom, agentRoom, from = 1 } = {}) {
  for (let i = 0; i < count; i += 1) {
    const speaker = i % 2 === 0 ? customer : agent;
    await roomSend(speaker, roomId, `${speaker.kind} line ${from + i}`, `${speaker.kind}-${from + i}`);
  }
  const last = from + count - 1;
  if (customerRoom) await waitForSeq(customerRoom, last);
  if (agentRoom) await waitForSeq(agentRoom, last);
}

// A raw connection of `token` that SUBSCRIBEs to `destination` and must be refused with ERROR
// "forbidden destination…" and closed.
async function assertSubscribeRefused(t, server, token, destination) {
  const raw = await RawStomp.open(server.wsUrl);
  t.after(() => raw.close());
  await raw.connect(token);
  raw.send('SUBSCRIBE', { id: 'probe', destination, receipt: 'probe' });
  const frame = await raw.nextFrame((f) => f.command === 'ERROR' || f.command === 'RECEIPT' || f.command === 'MESSAGE');
  assert.equal(frame.command, 'ERROR', `SUBSCRIBE ${destination} was allowed`);
  assert.match(frame.headers.message, /^forbidden destination/);
  await raw.waitClosed();
}

// A raw connection of `token` that SENDs to `destination` and must be refused with ERROR and closed.
async function assertSendRefused(t, server, token, destination, body) {
  const raw = await RawStomp.open(server.wsUrl);
  t.after(() => raw.close());
  await raw.connect(token);
  raw.send('SEND', { destination, 'content-type': 'application/json', receipt: 'probe' }, JSON.stringify(body));
  const frame = await raw.nextFrame((f) => f.command === 'ERROR' || f.command === 'RECEIPT');
  assert.equal(frame.command, 'ERROR', `SEND ${destination} was allowed`);
  assert.match(frame.headers.message, /^forbidden destination/);
  await raw.waitClosed();
}

describe('room transfer', () => {
  it('to a named agent: the customer sees `transferred`, the new agent gets the history, the old one is out', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '30' } });
    const first = await newAgent(t, server, { name: 'First' });
    const second = await newAgent(t, server, { name: 'Second' });
    const customer = await newCustomer(t, server);
    const { roomId, request } = await acceptedRoom(customer, first);
    const customerRoom = await subscribeRoom(customer, roomId);
    const firstRoom = await subscribeRoom(first, roomId);
    await chat(customer, first, roomId, 4, { customerRoom, agentRoom: firstRoom });

    // Refusals first: to oneself, to an unknown agent, by someone who does not have the room.
    await send(first, '/app/room.transfer', { roomId, toAgentId: first.id });
    assert.equal((await nextJson(first.errors, { roomId })).code, 'same_agent');
    await send(first, '/app/room.transfer', { roomId, toAgentId: 'agent-nobody' });
    assert.equal((await nextJson(first.errors, { roomId })).code, 'agent_unavailable');
    await send(second, '/app/room.transfer', { roomId });
    assert.equal((await nextJson(second.errors, { roomId })).code, 'not_participant');

    await send(first, '/app/room.transfer', { roomId, toAgentId: second.id });
    const assignment = await nextJson(second.assignments, { roomId });
    assert.equal(assignment.requestId, request.requestId);
    assert.equal(assignment.mode, 'manual');
    assert.equal(assignment.previousAgentId, first.id);
    assert.equal(assignment.customer.id, customer.id);
    // The room's conversation so far is handed over.
    const handed = assignment.history.filter((m) => m.roomId === roomId);
    assert.deepEqual(handed.map((m) => m.seq), [1, 2, 3, 4]);
    assert.deepEqual(handed.map((m) => m.clientMessageId), ['customer-1', 'agent-2', 'customer-3', 'agent-4']);

    const transferred = await nextJson(customerRoom, { type: 'transferred' });
    assert.equal(transferred.fromAgentId, first.id);
    assert.equal(transferred.toAgentId, second.id);
    const joined = await nextJson(customerRoom, { type: 'joined' });
    assert.equal(joined.agentId, second.id);
    assert.equal(joined.agentName, 'Second');
    const status = await nextStatus(customer, { requestId: request.requestId, status: 'connected' });
    assert.equal(status.agentId, second.id);
    assert.equal(status.reason, 'transferred');

    // The new agent reads the history over HTTP and catches up with since-seq; the room goes on.
    const history = await fullHistory(server, second.token, roomId);
    assertSeqRange(history, 1, 4, 'history for the new agent');
    const secondRoom = await subscribeRoom(second, roomId, { sinceSeq: 0 });
    await waitForSeq(secondRoom, 4);
    await roomSend(second, roomId, 'second here', 'second-5');
    await waitForSeq(customerRoom, 5);
    await waitForSeq(secondRoom, 5);
    assertSeqRange(chatMessages(secondRoom), 1, 5, 'the new agent');

    // The old agent may no longer write, close or transfer the room, nor subscribe to it again.
    await roomSend(first, roomId, 'still here?', 'first-late');
    assert.equal((await nextJson(first.errors, { code: 'not_participant' })).code, 'not_participant');
    await send(first, '/app/room.close', { roomId });
    assert.equal((await nextJson(first.errors, { code: 'not_participant' })).code, 'not_participant');
    await send(first, '/app/room.transfer', { roomId });
    assert.equal((await nextJson(first.errors, { roomId, code: 'not_participant' })).code, 'not_participant');
    await assertSubscribeRefused(t, server, first.token, roomTopic(roomId));
    await delay(200);
    assertSeqRange(chatMessages(customerRoom), 1, 5, 'the customer');
    // The subscription the old agent had from before the transfer carried the transfer, then
    // nothing more of the room.
    assertSeqRange(chatMessages(firstRoom), 1, 4, 'the old agent after the transfer');
    assert.equal(roomEvents(firstRoom, 'transferred').length, 1);
  });

  it('to the queue: the customer waits again (transferred), another agent accepts and gets the history', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '30' } });
    const first = await newAgent(t, server, { name: 'First' });
    const second = await newAgent(t, server, { name: 'Second' });
    const customer = await newCustomer(t, server);
    const { roomId, request } = await acceptedRoom(customer, first);
    const customerRoom = await subscribeRoom(customer, roomId);
    const firstRoom = await subscribeRoom(first, roomId);
    await chat(customer, first, roomId, 3, { customerRoom, agentRoom: firstRoom });

    await send(first, '/app/room.transfer', { roomId });
    const left = await nextJson(customerRoom, { type: 'transferred' });
    assert.equal(left.agentId, first.id);
    const waiting = await nextStatus(customer, { requestId: request.requestId, status: 'waiting' });
    assert.equal(waiting.position, 1);
    assert.equal(waiting.roomId, roomId);
    assert.equal(waiting.reason, 'transferred');
    // Offered again to the consoles, with why it came back.
    const offer = await nextJson(second.offers, (o) => o.requestId === request.requestId && o.requeueReason !== undefined);
    assert.equal(offer.requeueReason, 'transferred');
    assert.equal(offer.customerId, customer.id);

    // The customer keeps writing while waiting; the first agent is out.
    await roomSend(customer, roomId, 'anyone?', 'customer-4');
    await waitForSeq(customerRoom, 4);
    await roomSend(first, roomId, 'me?', 'first-late');
    assert.equal((await nextJson(first.errors, { code: 'not_participant' })).code, 'not_participant');

    await send(second, '/app/agent.accept', { requestId: request.requestId });
    const assignment = await nextJson(second.assignments, { requestId: request.requestId });
    assert.equal(assignment.roomId, roomId, 'the same room');
    assert.equal(assignment.mode, 'manual');
    assert.equal(assignment.previousAgentId, first.id);
    assert.deepEqual(assignment.history.filter((m) => m.roomId === roomId).map((m) => m.seq), [1, 2, 3, 4]);
    // Every console drops the offer again (the first update was the first agent's accept).
    await nextJson(first.updates, { requestId: request.requestId, status: 'assigned', agentId: second.id });
    const joined = await nextJson(customerRoom, { type: 'joined' });
    assert.equal(joined.agentId, second.id);
    const connected = await nextStatus(customer, { requestId: request.requestId, status: 'connected' });
    assert.equal(connected.agentId, second.id);

    // History over HTTP for the new agent, and the room continues with no gap.
    const history = await readHistory(server, second.token, roomId);
    assert.equal(history.status, 200, history.text);
    assert.deepEqual(history.json.messages.map((m) => m.seq), [1, 2, 3, 4]);
    const secondRoom = await subscribeRoom(second, roomId, { sinceSeq: 4 });
    await roomSend(second, roomId, 'here now', 'second-5');
    await waitForSeq(customerRoom, 5);
    await waitForSeq(secondRoom, 5);
    assertSeqRange(chatMessages(customerRoom), 1, 5, 'the customer');
    assertSeqRange(chatMessages(secondRoom), 5, 5, 'the new agent (subscribed since 4)');
    // The first agent saw the room leave them and nothing said after that.
    assertSeqRange(chatMessages(firstRoom), 1, 3, 'the agent who transferred it');
    assert.equal(roomEvents(firstRoom, 'transferred').length, 1);
  });
});

describe('agent connection dropped', () => {
  it('back within the grace period: the customer sees reconnecting, then reconnected; the room stays', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.agent-grace': '2', 'routing.auto-assign-after': '1' } });
    const agent = await newAgent(t, server, { name: 'Flaky' });
    const customer = await newCustomer(t, server);
    const { roomId, request } = await acceptedRoom(customer, agent);
    const customerRoom = await subscribeRoom(customer, roomId);
    let agentRoom = await subscribeRoom(agent, roomId);
    await chat(customer, agent, roomId, 2, { customerRoom, agentRoom });

    // The agent's only connection drops (no DISCONNECT).
    agent.session.client.forceDisconnect();
    const reconnecting = await nextJson(customerRoom, { type: 'agent_reconnecting' });
    assert.equal(reconnecting.agentId, agent.id);
    assert.match(reconnecting.until, /^\d{4}-\d\d-\d\dT/);
    // Meanwhile the customer writes on.
    await roomSend(customer, roomId, 'hello?', 'customer-3');

    await reconnectAgent(t, server, agent, { loginNow: false });
    const back = await nextJson(customerRoom, { type: 'agent_reconnected' }, 3000);
    assert.equal(back.agentId, agent.id);
    agentRoom = await subscribeRoom(agent, roomId, { sinceSeq: 2 });
    await waitForSeq(agentRoom, 3);

    // Well past the grace period: still the agent's room.
    await delay(2500);
    assert.equal(roomEvents(customerRoom, 'left').length, 0, 'the room left the agent');
    assert.equal(received(customer.status, (s) => s.requestId === request.requestId && s.status === 'waiting').length, 1,
      'the customer was put back in the queue');
    await roomSend(agent, roomId, 'sorry, I am back', 'agent-4');
    await waitForSeq(customerRoom, 4);
    assertSeqRange(chatMessages(customerRoom), 1, 4, 'the customer');
    assertSeqRange(chatMessages(agentRoom), 3, 4, 'the agent after reconnecting');
    assert.equal(received(agent.errors).length, 0);
  });

  it('an agent with two consoles stays present while one of them is open', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.agent-grace': '1', 'routing.auto-assign-after': '30' } });
    const agent = await newAgent(t, server, { name: 'Two Tabs' });
    const customer = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    const customerRoom = await subscribeRoom(customer, roomId);
    // A second console of the same agent (same token), then the first one drops.
    const firstSession = agent.session;
    await reconnectAgent(t, server, agent, { loginNow: false });
    const agentRoom = await subscribeRoom(agent, roomId);
    firstSession.client.forceDisconnect();
    await delay(1500);
    assert.equal(roomEvents(customerRoom).filter((e) => e.type !== 'typing').length, 0,
      `events: ${JSON.stringify(roomEvents(customerRoom))}`);
    await roomSend(customer, roomId, 'still with me?', 'customer-1');
    await waitForSeq(agentRoom, 1);
    // The last one drops too: now the customer is told.
    agent.session.client.forceDisconnect();
    assert.equal((await nextJson(customerRoom, { type: 'agent_reconnecting' })).agentId, agent.id);
  });

  it('not back: after the grace period the room goes to the head of the queue and to another agent', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, {
      settings: { 'routing.agent-grace': '1', 'routing.auto-assign-after': '1', 'routing.max-rooms-per-agent': '1' },
    });
    const gone = await newAgent(t, server, { name: 'Gone' });
    const customer = await newCustomer(t, server);
    const { roomId, request } = await acceptedRoom(customer, gone);
    const customerRoom = await subscribeRoom(customer, roomId);
    const goneRoom = await subscribeRoom(gone, roomId);
    await chat(customer, gone, roomId, 3, { customerRoom, agentRoom: goneRoom });

    // Another customer waits (the only agent is at capacity) from before the drop.
    const other = await newCustomer(t, server);
    const otherWaiting = await requestConsult(other);
    assert.equal(otherWaiting.position, 1);

    gone.session.client.forceDisconnect();
    const dropped = Date.now();
    await nextJson(customerRoom, { type: 'agent_reconnecting' });
    const left = await nextJson(customerRoom, { type: 'left' }, 4000);
    assert.ok(Date.now() - dropped >= 1000 - 100, 'requeued before the grace period ended');
    assert.equal(left.agentId, gone.id);
    assert.equal(left.reason, 'agent_grace_expired');
    // Requeued at the head, ahead of the customer who was waiting already.
    const requeued = await nextStatus(customer, { requestId: request.requestId, status: 'waiting' });
    assert.equal(requeued.position, 1);
    assert.equal(requeued.reason, 'agent_grace_expired');
    assert.equal(requeued.roomId, roomId);
    assert.equal((await nextStatus(other, { requestId: otherWaiting.requestId, status: 'waiting' })).position, 2);

    // Another agent comes: the requeued room, first in the queue, is theirs (its customer has
    // waited out the grace period already); the other customer keeps waiting (capacity 1).
    const rescuer = await newAgent(t, server, { name: 'Rescuer', loginNow: false });
    const assigned = nextJson(rescuer.assignments, () => true, 4000);
    await agentLogin(rescuer);
    const assignment = await assigned;
    assert.equal(assignment.requestId, request.requestId, 'the request behind the requeued room was served first');
    assert.equal(assignment.roomId, roomId);
    assert.equal(assignment.mode, 'auto');
    assert.equal(assignment.previousAgentId, gone.id);
    assert.equal(assignment.assignReason, 'agent_grace_expired');
    assert.deepEqual(assignment.history.filter((m) => m.roomId === roomId).map((m) => m.seq), [1, 2, 3]);
    const joined = await nextJson(customerRoom, { type: 'joined' });
    assert.equal(joined.agentId, rescuer.id);
    const status = await nextStatus(customer, { requestId: request.requestId, status: 'auto_assigned' });
    assert.equal(status.agentId, rescuer.id);
    assert.equal((await nextStatus(other, { requestId: otherWaiting.requestId, status: 'waiting' })).position, 1);
    assert.equal(received(rescuer.assignments, (a) => a.requestId === otherWaiting.requestId).length, 0);

    // The room continues with the new agent.
    const rescuerRoom = await subscribeRoom(rescuer, roomId, { sinceSeq: 0 });
    await roomSend(rescuer, roomId, 'I take over', 'rescuer-4');
    await waitForSeq(customerRoom, 4);
    await waitForSeq(rescuerRoom, 4);
    assertSeqRange(chatMessages(rescuerRoom), 1, 4, 'the new agent');

    // The agent who was gone comes back too late: the room is no longer theirs.
    await reconnectAgent(t, server, gone);
    await roomSend(gone, roomId, 'back!', 'gone-late');
    assert.equal((await nextJson(gone.errors, { code: 'not_participant' })).code, 'not_participant');
    await delay(200);
    assertSeqRange(chatMessages(customerRoom), 1, 4, 'the customer');
  });
});

describe('room authorization', () => {
  it('outsiders can neither read nor write a room; customers cannot act as agents', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '30' } });
    const agent = await newAgent(t, server, { name: 'Owner' });
    const otherAgent = await newAgent(t, server, { name: 'Outsider agent' });
    const customer = await newCustomer(t, server);
    const otherCustomer = await newCustomer(t, server);
    const { roomId, request } = await acceptedRoom(customer, agent);
    const customerRoom = await subscribeRoom(customer, roomId);
    const agentRoom = await subscribeRoom(agent, roomId);
    await chat(customer, agent, roomId, 2, { customerRoom, agentRoom });

    // SUBSCRIBE by another customer or another agent, also with since-seq: ERROR and close.
    await assertSubscribeRefused(t, server, otherCustomer.token, roomTopic(roomId));
    await assertSubscribeRefused(t, server, otherAgent.token, roomTopic(roomId));
    const raw = await RawStomp.open(server.wsUrl);
    t.after(() => raw.close());
    await raw.connect(otherCustomer.token);
    raw.send('SUBSCRIBE', { id: 'peek', destination: roomTopic(roomId), 'since-seq': '0', receipt: 'peek' });
    const peek = await raw.nextFrame((f) => f.command !== 'RECEIPT' || f.headers['receipt-id'] === 'peek');
    assert.equal(peek.command, 'ERROR', 'a replay was given to an outsider');
    await raw.waitClosed();
    // An unknown room is refused the same way.
    await assertSubscribeRefused(t, server, customer.token, roomTopic('room-does-not-exist'));

    // room.send, typing, read and close by outsiders: refused on their error queue, nothing reaches the room.
    for (const outsider of [otherCustomer, otherAgent]) {
      await roomSend(outsider, roomId, 'let me in', `${outsider.kind}-intruder`);
      assert.equal((await nextJson(outsider.errors, { code: 'not_participant' })).code, 'not_participant');
      await send(outsider, '/app/room.typing', { roomId, typing: true });
      assert.ok(['bad_request', 'not_participant'].includes((await nextJson(outsider.errors, {})).code));
      await send(outsider, '/app/room.read', { roomId, seq: 2 });
      assert.ok(['bad_request', 'not_participant'].includes((await nextJson(outsider.errors, {})).code));
      await send(outsider, '/app/room.close', { roomId });
      assert.equal((await nextJson(outsider.errors, { code: 'not_participant' })).code, 'not_participant');
    }
    await send(otherAgent, '/app/room.transfer', { roomId, toAgentId: otherAgent.id });
    assert.equal((await nextJson(otherAgent.errors, { roomId })).code, 'not_participant');

    // History over HTTP: the other customer may not read it.
    const peekHistory = await readHistory(server, otherCustomer.token, roomId);
    assert.equal(peekHistory.status, 403, peekHistory.text);

    // A customer may not accept, reject, log in as an agent or transfer: ERROR and close.
    await assertSendRefused(t, server, customer.token, '/app/agent.accept', { requestId: request.requestId });
    await assertSendRefused(t, server, otherCustomer.token, '/app/agent.accept', { requestId: request.requestId });
    await assertSendRefused(t, server, customer.token, '/app/agent.login', {});
    await assertSendRefused(t, server, customer.token, '/app/room.transfer', { roomId });
    // And an agent does not ask for consults or read the customer's status queue.
    await assertSendRefused(t, server, otherAgent.token, '/app/consult.request', {});
    await assertSubscribeRefused(t, server, otherAgent.token, '/user/queue/consult/status');
    // A customer does not read the agents' consoles.
    await assertSubscribeRefused(t, server, otherCustomer.token, '/topic/consult/request');

    // The room is untouched: still the owner's, nothing from outsiders, and it still works.
    await delay(200);
    assertSeqRange(chatMessages(customerRoom), 1, 2, 'the customer');
    assert.equal(roomEvents(customerRoom).length, 0, `events: ${JSON.stringify(roomEvents(customerRoom))}`);
    await roomSend(agent, roomId, 'all good', 'agent-3');
    await waitForSeq(customerRoom, 3);
    assert.equal(received(customer.status, (s) => s.status === 'closed').length, 0);
    assert.equal((await quiet(agent.errors, 100)).length, 0);
  });
});
