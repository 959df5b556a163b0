// Private notes and transfers against the binary: every stored message keeps its sender's display
// name (a transfer does not relabel the first agent's lines); a transfer says who handed the room
// over, to whom and why, to the agent who gets it and never to the customer; an agent's private
// note reaches the room's agent only, is refused to anyone else, and is stored once per
// clientMessageId.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  acceptedRoom,
  fullHistory,
  newAgent,
  newCustomer,
  nextJson,
  nextStatus,
  roomSend,
  send,
  startCenter,
  subscribeRoom,
  waitForSeq,
} from './lib/contact-center.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';
import { delay } from './lib/util.mjs';

const TEST_TIMEOUT = 20000;

async function agentRooms(server, agent) {
  const answer = await fetch(`${server.httpUrl}/api/agent/rooms`, { headers: { Authorization: `Bearer ${agent.token}` } });
  assert.equal(answer.status, 200);
  return (await answer.json()).rooms;
}

// Every frame body the party's connection received, as text: what the customer could ever read.
function everythingReceived(party) {
  return Object.values(party.inboxes).flatMap((inbox) => inbox.all.map((m) => m.body ?? JSON.stringify(m.json)));
}

describe('room notes and transfers', () => {
  it('a transfer to a named agent keeps each sender\'s name and hands over who, to whom and why; the customer never sees the note', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '30' } });
    const first = await newAgent(t, server, { name: 'Kim First' });
    const second = await newAgent(t, server, { name: 'Lee Second' });
    const customer = await newCustomer(t, server, { displayName: 'Park' });
    const { roomId } = await acceptedRoom(customer, first);
    const customerRoom = await subscribeRoom(customer, roomId);
    await roomSend(customer, roomId, 'my card was charged twice', 'c-1');
    await roomSend(first, roomId, 'let me check', 'a-2');
    await waitForSeq(customerRoom, 2);

    const note = 'refund pending <b>approval</b> — 영수증 확인';
    await send(first, '/app/room.transfer', { roomId, toAgentId: second.id, note });
    const assignment = await nextJson(second.assignments, { roomId });
    assert.deepEqual(assignment.transfer, { fromAgentId: first.id, fromAgentName: 'Kim First', note });
    const handedNote = assignment.notes.at(-1);
    assert.equal(handedNote.kind, 'transfer');
    assert.equal(handedNote.authorId, first.id);
    assert.equal(handedNote.authorName, 'Kim First');
    assert.equal(handedNote.toAgentId, second.id);
    assert.equal(handedNote.toAgentName, 'Lee Second');
    assert.equal(handedNote.text, note);
    const lines = assignment.history.filter((m) => m.roomId === roomId);
    assert.deepEqual(lines.map((m) => [m.senderRole, m.senderName]), [['CUSTOMER', 'Park'], ['AGENT', 'Kim First']]);

    const transferred = await nextJson(customerRoom, { type: 'transferred' });
    assert.equal(transferred.toAgentName, 'Lee Second');
    await nextStatus(customer, { status: 'connected', agentId: second.id });
    await roomSend(second, roomId, 'hello, I am taking over', 'a-3');
    await waitForSeq(customerRoom, 3);

    // Read back later (a reload, another device): each line under the name it was sent with.
    const history = await fullHistory(server, customer.token, roomId);
    assert.deepEqual(history.map((m) => m.senderName), ['Park', 'Kim First', 'Lee Second']);
    // The stored transfer note is the new agent's after a reload too.
    const [room] = await agentRooms(server, second);
    assert.equal(room.roomId, roomId);
    assert.deepEqual(room.notes.map((n) => [n.kind, n.text, n.toAgentId]), [['transfer', note, second.id]]);

    await delay(200);
    assert.ok(!everythingReceived(customer).some((body) => body.includes('refund pending')), 'the customer received the transfer note');
  });

  it('a transfer back to the queue leaves its note for whoever accepts next', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '30' } });
    const first = await newAgent(t, server, { name: 'First' });
    const second = await newAgent(t, server, { name: 'Second' });
    const customer = await newCustomer(t, server);
    const { roomId, request } = await acceptedRoom(customer, first);
    await send(first, '/app/room.transfer', { roomId, note: 'needs a billing specialist' });
    await nextStatus(customer, { requestId: request.requestId, status: 'waiting' });
    await send(second, '/app/agent.accept', { requestId: request.requestId });
    const assignment = await nextJson(second.assignments, { roomId });
    assert.equal(assignment.transfer, undefined);  // not handed to second by name
    assert.deepEqual(assignment.notes.map((n) => [n.kind, n.authorName, n.toAgentId, n.text]),
      [['transfer', 'First', '', 'needs a billing specialist']]);
  });

  it('a private note reaches the room\'s agent only; others are refused; a retry is stored once', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '30' } });
    const agent = await newAgent(t, server, { name: 'Agent' });
    const other = await newAgent(t, server, { name: 'Other' });
    const customer = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    const customerRoom = await subscribeRoom(customer, roomId);

    await send(agent, '/app/room.note', { roomId, text: 'VIP: offer the premium plan', clientMessageId: 'n-1' });
    const echoed = await nextJson(agent.notes, { clientMessageId: 'n-1' });
    assert.equal(echoed.roomId, roomId);
    assert.equal(echoed.kind, 'note');
    assert.equal(echoed.authorName, 'Agent');
    assert.equal(echoed.text, 'VIP: offer the premium plan');
    // The same note sent again after a reconnect is stored once.
    await send(agent, '/app/room.note', { roomId, text: 'VIP: offer the premium plan', clientMessageId: 'n-1' });
    const [room] = await agentRooms(server, agent);
    assert.equal(room.notes.length, 1);

    // Refusals, each with a reason.
    const otherAnswer = await send(other, '/app/room.note', { roomId, text: 'not mine', clientMessageId: 'x' });
    assert.equal(otherAnswer.refusal?.json.code, 'not_participant');
    for (const body of [{ roomId, text: '' }, { roomId, text: 'x'.repeat(4001) }, { text: 'no room' }, { roomId, text: 7 }]) {
      const answer = await send(agent, '/app/room.note', body);
      assert.equal(answer.refusal?.json.code, 'bad_request', JSON.stringify(body).slice(0, 80));
      assert.match(answer.refusal.json.message, /roomId and text/);
    }
    // A customer may not write one at all: the destination is the agents'.
    const raw = await RawStomp.open(server.wsUrl);
    t.after(() => raw.close());
    await raw.connect(customer.token);
    raw.send('SEND', { destination: '/app/room.note', 'content-type': 'application/json', receipt: 'r' },
      JSON.stringify({ roomId, text: 'sneaky', clientMessageId: 'c' }));
    const frame = await raw.nextFrame((f) => f.command === 'ERROR' || f.command === 'RECEIPT');
    assert.equal(frame.command, 'ERROR');
    assert.match(frame.headers.message, /^forbidden destination/);

    await roomSend(agent, roomId, 'a line for the customer', 'a-1');
    await waitForSeq(customerRoom, 1);
    await delay(200);
    const seen = everythingReceived(customer);
    assert.ok(!seen.some((body) => body.includes('premium plan')), 'the customer received a private note');
    assert.ok(!everythingReceived(other).some((body) => body.includes('premium plan')), 'another agent received the note');
  });
});
