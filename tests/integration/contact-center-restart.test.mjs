// The contact center survives SIGKILL: a server killed mid-conversation and started again on the
// same folder (same SQLite file, same JWT secret) keeps the room's history, the open room and a
// waiting request. Both sides of the room reconnect, catch up with since-seq and go on with no gap
// in seq; the waiting request still waits and is assigned automatically after the restart.

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
  reconnectAgent,
  requestConsult,
  roomSend,
  startCenter,
  subscribeRoom,
  waitForSeq,
} from './lib/contact-center.mjs';
import { createServerDir, removeServerDir } from './lib/server.mjs';

const BEFORE = 30;  // messages exchanged before the kill
const BURST = 400;  // sent by the customer while the server is killed

describe('contact center across a SIGKILL restart', () => {
  it('keeps history, the open room and a waiting request; seq goes on with no gap', { timeout: 30000 }, async (t) => {
    const dir = await createServerDir();
    const servers = [];
    t.after(async () => {
      for (const server of servers) await server.stop();
      await removeServerDir(dir);
    });
    // Capacity 1: with the agent busy, the second customer waits. A grace period long enough for
    // the agent to come back after the restart.
    const settings = { 'routing.max-rooms-per-agent': '1', 'routing.agent-grace': '10' };
    const first = await startCenter(t, { dir, settings });
    servers.push(first);
    const { secret } = first;

    const agent = await newAgent(t, first, { name: 'Steady' });
    const customer = await newCustomer(t, first, { displayName: 'Kept Customer' });
    const { roomId, request } = await acceptedRoom(customer, agent);
    const customerRoom = await subscribeRoom(customer, roomId);
    const agentRoom = await subscribeRoom(agent, roomId);
    for (let i = 1; i <= BEFORE; i += 1) {
      const speaker = i % 3 === 0 ? agent : customer;
      await roomSend(speaker, roomId, `${speaker.kind} before ${i}`, `before-${i}`);
    }
    await waitForSeq(customerRoom, BEFORE);
    await waitForSeq(agentRoom, BEFORE);

    const waitingCustomer = await newCustomer(t, first, { displayName: 'Waiting Customer' });
    const waiting = await requestConsult(waitingCustomer, { category: 'refund', reason: 'still here' });
    assert.equal(waiting.status, 'waiting');
    assert.equal(waiting.position, 1);

    // The customer sends a burst without waiting for anything; the server is killed while it is
    // still coming in, then started again on the same folder and secret.
    for (let i = 1; i <= BURST; i += 1) {
      customer.session.publish('/app/room.send', { roomId, text: `burst ${i}`, clientMessageId: `burst-${i}` });
    }
    await waitForSeq(agentRoom, BEFORE + 10);
    const killed = await first.stop({ signal: 'SIGKILL' });
    assert.equal(killed.signal, 'SIGKILL');
    const seenBeforeKill = [...chatMessages(agentRoom), ...chatMessages(customerRoom)];
    const second = await startCenter(t, { dir, secret, settings });
    servers.push(second);

    // The agent's console reconnects and logs in again (tokens stay valid: same secret).
    await reconnectAgent(t, second, agent);
    // The customer's page reloads: the refresh cookie (kept in the SQLite file) resumes the guest,
    // the open request names the room.
    const reloaded = await newCustomer(t, second, { jar: customer.jar });
    assert.equal(reloaded.id, customer.id);
    const resumed = await requestConsult(reloaded, {});
    assert.equal(resumed.requestId, request.requestId);
    assert.equal(resumed.status, 'connected');
    assert.equal(resumed.roomId, roomId);
    assert.equal(resumed.agentId, agent.id);

    // Whatever was stored before the kill is there, with no gap, and includes everything anyone
    // was shown: a message is delivered only once stored.
    const stored = await fullHistory(second, reloaded.token, roomId);
    const kept = stored.length;
    assert.ok(kept >= BEFORE + 10 && kept <= BEFORE + BURST, `${kept} messages kept`);
    assertSeqRange(stored, 1, kept, 'the history after the kill');
    const storedIds = new Set(stored.map((m) => m.messageId));
    for (const message of seenBeforeKill) assert.ok(storedIds.has(message.messageId), `seq ${message.seq} was shown but lost`);
    assert.deepEqual(stored.slice(BEFORE).map((m) => m.clientMessageId),
      Array.from({ length: kept - BEFORE }, (_, i) => `burst-${i + 1}`), 'the burst, in order, from its start');

    // Both sides catch up with since-seq: the customer from the last message its old page had seen,
    // the agent from the last it had seen.
    const customerLast = chatMessages(customerRoom).at(-1).seq;
    const agentLast = chatMessages(agentRoom).at(-1).seq;
    const customerAgain = await subscribeRoom(reloaded, roomId, { sinceSeq: customerLast });
    const agentAgain = await subscribeRoom(agent, roomId, { sinceSeq: agentLast });
    if (customerLast < kept) await waitForSeq(customerAgain, kept);
    if (agentLast < kept) await waitForSeq(agentAgain, kept);

    // The customer's page sends again what it has no confirmation of (the whole burst): what was
    // stored is recognised by clientMessageId, the rest is appended; then both sides go on.
    for (let i = 1; i <= BURST; i += 1) {
      reloaded.session.publish('/app/room.send', { roomId, text: `burst ${i}`, clientMessageId: `burst-${i}` });
    }
    await roomSend(reloaded, roomId, 'are you still there?', 'after-1');
    await waitForSeq(agentAgain, BEFORE + BURST + 1);
    await roomSend(agent, roomId, 'yes, still here', 'after-2');
    const total = BEFORE + BURST + 2;
    await waitForSeq(customerAgain, total);
    await waitForSeq(agentAgain, total);
    assertSeqRange(chatMessages(customerAgain), customerLast + 1, total, 'the customer after the restart');
    assertSeqRange(chatMessages(agentAgain), agentLast + 1, total, 'the agent after the restart');
    assertSeqRange([...chatMessages(customerRoom), ...chatMessages(customerAgain)], 1, total, 'the customer across the restart');

    // The stored history: everything, once, in order.
    const history = await fullHistory(second, reloaded.token, roomId);
    assertSeqRange(history, 1, total, 'the stored history');
    assert.deepEqual(history.slice(BEFORE).map((m) => m.clientMessageId),
      [...Array.from({ length: BURST }, (_, i) => `burst-${i + 1}`), 'after-1', 'after-2']);
    assert.deepEqual(history.map((m) => m.messageId),
      [...chatMessages(customerRoom), ...chatMessages(customerAgain)].map((m) => m.messageId));

    // The waiting request is still waiting, in its place, and is assigned after the restart to an
    // agent who comes (the first one is at capacity).
    const stillWaiting = await newCustomer(t, second, { jar: waitingCustomer.jar });
    assert.equal(stillWaiting.id, waitingCustomer.id);
    const status = await requestConsult(stillWaiting, {});
    assert.equal(status.requestId, waiting.requestId);
    assert.equal(status.status, 'waiting');
    assert.equal(status.position, 1);
    const helper = await newAgent(t, second, { name: 'Helper', loginNow: false });
    const assigned = nextJson(helper.assignments, { requestId: waiting.requestId }, 5000);
    await agentLogin(helper);
    const assignment = await assigned;
    assert.equal(assignment.mode, 'auto');
    assert.equal(assignment.customer.id, waitingCustomer.id);
    assert.equal(assignment.reason, 'still here');
    const done = await nextStatus(stillWaiting, { requestId: waiting.requestId, status: 'auto_assigned' });
    assert.equal(done.agentId, helper.id);

    // The room closes normally after all that.
    await reloaded.session.publishWithReceipt('/app/room.close', { roomId });
    await nextJson(agentAgain, { type: 'closed' });
    await nextStatus(reloaded, { requestId: request.requestId, status: 'closed' });
  });

  it('after a restart, a waiting request is auto-assigned and a room whose agent never returns is requeued', { timeout: 20000 }, async (t) => {
    const dir = await createServerDir();
    const servers = [];
    t.after(async () => {
      for (const server of servers) await server.stop();
      await removeServerDir(dir);
    });
    // Capacity 1: the first agent's room keeps the second customer waiting.
    const settings = { 'routing.max-rooms-per-agent': '1' };
    const first = await startCenter(t, { dir, settings });
    servers.push(first);
    const gone = await newAgent(t, first, { name: 'Never back' });
    const inRoom = await newCustomer(t, first);
    const { roomId, request: roomRequest } = await acceptedRoom(inRoom, gone);
    await roomSend(inRoom, roomId, 'before the crash', 'before-1');
    const waitingCustomer = await newCustomer(t, first);
    const waiting = await requestConsult(waitingCustomer, { category: 'delivery' });
    assert.equal(waiting.status, 'waiting');
    await first.stop({ signal: 'SIGKILL' });

    const second = await startCenter(t, { dir, settings, secret: first.secret });
    servers.push(second);
    const restarted = Date.now();
    // Both pages reconnect and only listen: nothing is asked again.
    const back = await newCustomer(t, second, { jar: waitingCustomer.jar });
    assert.equal(back.id, waitingCustomer.id);
    const roomBack = await newCustomer(t, second, { jar: inRoom.jar });
    const roomInbox = await subscribeRoom(roomBack, roomId, { sinceSeq: 0 });
    await waitForSeq(roomInbox, 1);
    // Two agents come (capacity 1 each); the first one never does.
    const helpers = [await newAgent(t, second, { name: 'Helper 1' }), await newAgent(t, second, { name: 'Helper 2' })];
    const offer = await nextJson(helpers[0].offers, { requestId: waiting.requestId });
    assert.equal(offer.category, 'delivery');

    const assignments = await Promise.all([
      Promise.any(helpers.map((h) => nextJson(h.assignments, { requestId: waiting.requestId }, 5000))),
      Promise.any(helpers.map((h) => nextJson(h.assignments, { requestId: roomRequest.requestId }, 5000))),
    ]);
    assert.ok(Date.now() - restarted >= 1000 - 100, 'assigned before the window and the grace period after the restart');
    const [forWaiting, forRoom] = assignments;
    assert.equal(forWaiting.mode, 'auto');
    assert.notEqual(forWaiting.roomId, roomId);
    assert.equal(forRoom.roomId, roomId, 'the same room, handed over');
    assert.equal(forRoom.previousAgentId, gone.id);
    assert.equal(forRoom.assignReason, 'agent_grace_expired');
    assert.deepEqual(forRoom.history.filter((m) => m.roomId === roomId).map((m) => m.text), ['before the crash']);
    const status = await nextStatus(back, { requestId: waiting.requestId, status: 'auto_assigned' });
    assert.ok(helpers.some((h) => h.id === status.agentId));
    const joined = await nextJson(roomInbox, { type: 'joined' });
    assert.notEqual(joined.agentId, gone.id);
    assert.notEqual(joined.agentId, status.agentId, 'one room each');
  });
});
