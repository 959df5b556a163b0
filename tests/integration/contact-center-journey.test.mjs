// The whole contact center journey on one server: a guest customer talks to the built-in bot
// (결제오류 → needHuman), asks for a human and waits at position 1; two agents (real accounts made
// with `aicc-chat user add`) race to accept and exactly one wins; 200 messages each way go through
// the room in order with no loss; the customer reloads the page mid-conversation (same refresh
// cookie, SUBSCRIBE with since-seq) and sees every message exactly once; the agent closes the room.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  acceptedRoom,
  assertSeqRange,
  chatMessages,
  createAgentAccount,
  fullHistory,
  newAgent,
  newCustomer,
  nextJson,
  nextStatus,
  quiet,
  requestConsult,
  roomEvents,
  roomSend,
  roomTopic,
  send,
  startCenter,
  subscribeRoom,
  waitForSeq,
} from './lib/contact-center.mjs';
import { WEBHOOK_SECRET, settle, startExampleBot, startWebhookRelay } from './lib/bot.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';
import { delay, waitUntil } from './lib/util.mjs';

const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const PER_SIDE = 200;
const TOTAL = PER_SIDE * 2;
// The example bot's answer to a payment error (examples/bot-server/server.js).
const EXAMPLE_PAYMENT_TEXT = '결제 오류는 상담사가 도와드리겠습니다. 잠시만 기다려 주세요.';

describe('contact center journey', () => {
  it('bot → consult request → accept race → 400 messages → reload with since-seq → close', { timeout: 60000 }, async (t) => {
    // A long offer window: the accept race decides, not the auto-assignment.
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '30' } });
    const kim = await createAgentAccount(server, 'kim', { displayName: 'Kim Agent' });
    const lee = await createAgentAccount(server, 'lee', { displayName: 'Lee Agent' });
    const agents = [
      await newAgent(t, server, { id: kim.id, name: kim.name, token: kim.token }),
      await newAgent(t, server, { id: lee.id, name: lee.name, token: lee.token }),
    ];
    const customer = await newCustomer(t, server, { displayName: 'Journey Customer' });

    // The bot cannot help with a payment error and says a human is needed.
    await send(customer, '/app/bot.message', { message: '결제오류가 났어요', clientMessageId: 'journey-bot-1' });
    const answer = (await customer.bot.next(() => true, 5000, 'the bot answer')).json;
    assert.equal(answer.needHuman, true);
    assert.equal(answer.category, 'payment_error');

    // So the customer is queued at once, as if they had asked: waiting, first in the queue, with
    // their words as the reason; both consoles see the offer.
    const waiting = await nextStatus(customer, { status: 'waiting' });
    assert.equal(waiting.position, 1);
    assert.equal(typeof waiting.requestId, 'string');
    const { requestId } = waiting;
    for (const agent of agents) {
      const offer = await nextJson(agent.offers, { requestId });
      assert.equal(offer.customerId, customer.id);
      assert.equal(offer.customerName, 'Journey Customer');
      assert.equal(offer.category, 'payment_error');
      assert.equal(offer.reason, '결제오류가 났어요');
      assert.equal(offer.lastBotMessage, answer.botMessage);
      assert.match(offer.waitingSince, RFC3339_MS);
    }

    // Asking again returns the open request, not a second one.
    const again = await requestConsult(customer, {});
    assert.equal(again.requestId, requestId);
    assert.equal(again.status, 'waiting');
    assert.equal(again.position, 1);

    // The race: both accept in the same tick.
    for (const agent of agents) agent.session.publish('/app/agent.accept', { requestId });
    const updates = await Promise.all(agents.map((agent) => nextJson(agent.updates, { requestId, status: 'assigned' })));
    assert.equal(updates[0].agentId, updates[1].agentId, 'both consoles name the same winner');
    const winner = agents.find((agent) => agent.id === updates[0].agentId);
    const loser = agents.find((agent) => agent.id !== updates[0].agentId);
    assert.ok(winner && loser, `winner ${updates[0].agentId} is one of the two agents`);

    const refusal = await nextJson(loser.errors, { requestId });
    assert.equal(refusal.code, 'already_assigned');
    assert.equal(typeof refusal.message, 'string');
    const assignment = await nextJson(winner.assignments, { requestId });
    assert.equal(assignment.mode, 'manual');
    assert.equal(typeof assignment.roomId, 'string');
    assert.equal(assignment.conversationId, answer.conversationId);
    assert.deepEqual(assignment.customer, { id: customer.id, displayName: 'Journey Customer' });
    // The agent gets the bot conversation so the customer need not repeat it.
    const said = assignment.history.map((m) => m.text);
    assert.ok(said.includes('결제오류가 났어요'), JSON.stringify(said));
    assert.ok(said.includes(answer.botMessage), JSON.stringify(said));
    const connected = await nextStatus(customer, { requestId, status: 'connected' });
    assert.equal(connected.agentId, winner.id);
    assert.equal(connected.agentName, winner.name);
    assert.equal(connected.roomId, assignment.roomId);
    const { roomId } = assignment;
    // The agent may read the bot conversation over HTTP too.
    const botHistory = await fullHistory(server, winner.token, assignment.conversationId);
    assert.deepEqual(botHistory.map((m) => m.text), ['결제오류가 났어요', answer.botMessage]);
    assert.equal((await quiet(loser.assignments, 300)).length, 0, 'the losing agent got an assignment');
    assert.equal(winner.errors.all.length, 0, 'the winner got an error');

    // Both sides in the room.
    const agentRoom = await subscribeRoom(winner, roomId);
    const customerRoom = await subscribeRoom(customer, roomId);

    // Typing and read receipts reach the other side.
    await send(customer, '/app/room.typing', { roomId, typing: true });
    const typing = await nextJson(agentRoom, { type: 'typing' });
    assert.equal(typing.userId, customer.id);
    assert.equal(typing.typing, true);

    // 200 messages each way. The agent writes at a steady pace the whole time; the customer writes
    // half, reloads the page, then writes the other half from the new page.
    const agentSending = (async () => {
      for (let i = 0; i < PER_SIDE; i += 1) {
        winner.session.publish('/app/room.send', { roomId, text: `agent ${i}`, clientMessageId: `a-${i}` });
        if (i % 10 === 9) {
          await send(winner, '/app/room.typing', { roomId, typing: false });
          await delay(15);
        }
      }
    })();
    for (let i = 0; i < PER_SIDE / 2; i += 1) {
      customer.session.publish('/app/room.send', { roomId, text: `customer ${i}`, clientMessageId: `c-${i}` });
      if (i % 20 === 19) await send(customer, '/app/room.typing', { roomId, typing: false });
    }
    // The old page has seen a good part of the conversation; then it is gone.
    await waitForSeq(customerRoom, 150, 15000);
    await customer.session.close();
    const before = chatMessages(customerRoom);
    const lastSeen = before.at(-1).seq;
    assertSeqRange(before, 1, lastSeen, 'the page before the reload');
    // The agent goes on writing while the page reloads: the new page has something to catch up on,
    // and more comes live while it does.
    await waitForSeq(agentRoom, lastSeen + 30, 15000);

    // The reloaded page: the refresh cookie resumes the same guest, the open request names the room.
    const reloaded = await newCustomer(t, server, { jar: customer.jar });
    assert.equal(reloaded.id, customer.id, 'the refresh cookie resumes the same guest');
    const resumed = await requestConsult(reloaded, {});
    assert.equal(resumed.requestId, requestId);
    assert.equal(resumed.status, 'connected');
    assert.equal(resumed.roomId, roomId);
    const reloadedRoom = await subscribeRoom(reloaded, roomId, { sinceSeq: lastSeen });
    for (let i = PER_SIDE / 2; i < PER_SIDE; i += 1) {
      reloaded.session.publish('/app/room.send', { roomId, text: `customer ${i}`, clientMessageId: `c-${i}` });
      if (i % 20 === 19) await send(reloaded, '/app/room.typing', { roomId, typing: false });
    }
    await agentSending;
    await waitForSeq(agentRoom, TOTAL, 15000);
    await waitForSeq(reloadedRoom, TOTAL, 15000);

    // Every message once, in seq order with no gap, on the agent's side and across the two pages.
    const agentSaw = chatMessages(agentRoom);
    assertSeqRange(agentSaw, 1, TOTAL, 'the agent');
    const after = chatMessages(reloadedRoom);
    assertSeqRange(after, lastSeen + 1, TOTAL, 'the reloaded page');
    const customerSaw = [...before, ...after];
    assertSeqRange(customerSaw, 1, TOTAL, 'the customer across the reload');
    for (const [who, seen] of [['agent', agentSaw], ['customer', customerSaw]]) {
      // Each sender's messages in the order they were sent, with the sender named.
      const fromCustomer = seen.filter((m) => m.senderRole === 'CUSTOMER');
      const fromAgent = seen.filter((m) => m.senderRole === 'AGENT');
      assert.deepEqual(fromCustomer.map((m) => m.clientMessageId), Array.from({ length: PER_SIDE }, (_, i) => `c-${i}`), who);
      assert.deepEqual(fromAgent.map((m) => m.clientMessageId), Array.from({ length: PER_SIDE }, (_, i) => `a-${i}`), who);
      assert.ok(fromCustomer.every((m) => m.senderId === customer.id && m.text === `customer ${m.clientMessageId.slice(2)}`), who);
      assert.ok(fromAgent.every((m) => m.senderId === winner.id && m.text === `agent ${m.clientMessageId.slice(2)}`), who);
    }
    const sample = agentSaw[0];
    assert.equal(sample.roomId, roomId);
    assert.equal(typeof sample.messageId, 'string');
    assert.match(sample.timestamp, RFC3339_MS);
    assert.equal(new Set(agentSaw.map((m) => m.messageId)).size, TOTAL, 'message ids are unique');
    // Both sides saw the same messages.
    assert.deepEqual(customerSaw.map((m) => m.messageId), agentSaw.map((m) => m.messageId));

    // A retried clientMessageId is stored and delivered once.
    await roomSend(reloaded, roomId, 'customer 199 again', `c-${PER_SIDE - 1}`);
    await send(reloaded, '/app/room.read', { roomId, seq: TOTAL });
    const read = await nextJson(agentRoom, { type: 'read' });
    assert.equal(read.seq, TOTAL);
    assert.equal(read.userId, customer.id);
    assert.equal(chatMessages(agentRoom).length, TOTAL, 'a retried clientMessageId was delivered again');

    // The stored history agrees, for both sides.
    for (const token of [reloaded.token, winner.token]) {
      const history = await fullHistory(server, token, roomId);
      assertSeqRange(history, 1, TOTAL, 'the stored history');
      assert.deepEqual(history.map((m) => m.messageId), agentSaw.map((m) => m.messageId));
    }

    // The agent closes the room: both sides hear it, the customer's request is closed.
    await send(winner, '/app/room.close', { roomId });
    const closedForAgent = await nextJson(agentRoom, { type: 'closed' });
    const closedForCustomer = await nextJson(reloadedRoom, { type: 'closed' });
    assert.equal(closedForAgent.roomId, roomId);
    assert.equal(closedForCustomer.roomId, roomId);
    const closed = await nextStatus(reloaded, { requestId, status: 'closed' });
    assert.equal(closed.roomId, roomId);
    assert.equal(roomEvents(reloadedRoom, 'closed').length, 1);

    // A closed room takes no more messages, and nobody subscribes to it again.
    await roomSend(reloaded, roomId, 'too late');
    const late = await nextJson(reloaded.errors, (e) => e.code === 'room_closed' || e.code === 'not_participant');
    assert.ok(late.code);
    const raw = await RawStomp.open(server.wsUrl);
    t.after(() => raw.close());
    await raw.connect(reloaded.token);
    raw.send('SUBSCRIBE', { id: 'closed-room', destination: roomTopic(roomId), receipt: 'closed-room' });
    const refused = await raw.nextFrame((f) => f.command === 'ERROR' || f.command === 'RECEIPT');
    assert.equal(refused.command, 'ERROR');
    assert.match(refused.headers.message, /^forbidden destination/);

    // A new request after the close is a new one.
    const next = await requestConsult(reloaded, {});
    assert.equal(next.status, 'waiting');
    assert.notEqual(next.requestId, requestId);
  });

  it('example external bot (HTTP and webhook) → consult request → accept race → 40 messages → close', { timeout: 15000 }, async (t) => {
    // The example bot answers over HTTP and also through the signed webhook (BOT_WEBHOOK=1); the
    // webhook goes through a relay because the chat server's port is known only once it runs.
    const relay = await startWebhookRelay();
    t.after(() => relay.close());
    const bot = await startExampleBot({
      BOT_WEBHOOK: '1',
      BOT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      BOT_WEBHOOK_DELAY_MS: '100',
      CHAT_SERVER_URL: relay.url,
    });
    t.after(async () => {
      assert.equal(await bot.stop(), 0, `example bot exit code; stderr:\n${bot.stderr()}`);
    });
    const server = await startCenter(t, {
      settings: {
        'routing.auto-assign-after': '30',
        'bot.url': `http://127.0.0.1:${bot.port}`,
        'bot.webhook-secret': WEBHOOK_SECRET,
        'bot.timeout-ms': '1000',
      },
    });
    relay.target = server.httpUrl;

    const agents = [
      await newAgent(t, server, { name: 'Park Agent' }),
      await newAgent(t, server, { name: 'Choi Agent' }),
    ];
    const customer = await newCustomer(t, server, { displayName: 'Bot Journey Customer' });

    // One answer, from the example bot, saying a human is needed; nothing more, not even once the
    // webhook came and the bot timeout passed.
    await send(customer, '/app/bot.message', { message: '결제오류', clientMessageId: 'external-bot-1' });
    const answer = (await customer.bot.next(() => true, 5000, 'the bot answer')).json;
    assert.equal(answer.needHuman, true);
    assert.equal(answer.category, 'payment_error');
    assert.equal(answer.botMessage, EXAMPLE_PAYMENT_TEXT);
    assert.equal(typeof answer.conversationId, 'string');
    await waitUntil(() => relay.calls.length >= 1, { what: 'the webhook call' });
    await delay(1000);
    assert.equal((await settle(customer.bot, 200)).length, 0, 'a second bot answer arrived');
    assert.equal(relay.calls.length, 1);
    assert.equal(relay.calls[0].status, 200, JSON.stringify(relay.calls[0].answer));
    assert.equal(relay.calls[0].json.customerId, customer.id);

    // Asking for a human: waiting, first in the queue; both consoles see the offer.
    const waiting = await requestConsult(customer, { category: answer.category, reason: 'payment failed' });
    assert.equal(waiting.status, 'waiting');
    assert.equal(waiting.position, 1);
    const { requestId } = waiting;
    for (const agent of agents) {
      const offer = await nextJson(agent.offers, { requestId });
      assert.equal(offer.customerId, customer.id);
      assert.equal(offer.category, 'payment_error');
      assert.equal(offer.lastBotMessage, EXAMPLE_PAYMENT_TEXT);
    }

    // The race: both accept in the same tick; one wins, the other is told it is taken.
    for (const agent of agents) agent.session.publish('/app/agent.accept', { requestId });
    const updates = await Promise.all(agents.map((agent) => nextJson(agent.updates, { requestId, status: 'assigned' })));
    assert.equal(updates[0].agentId, updates[1].agentId, 'both consoles name the same winner');
    const winner = agents.find((agent) => agent.id === updates[0].agentId);
    const loser = agents.find((agent) => agent.id !== updates[0].agentId);
    assert.ok(winner && loser, `winner ${updates[0].agentId} is one of the two agents`);
    assert.equal((await nextJson(loser.errors, { requestId })).code, 'already_assigned');
    const assignment = await nextJson(winner.assignments, { requestId });
    assert.equal(assignment.conversationId, answer.conversationId);
    const said = assignment.history.map((m) => m.text);
    assert.ok(said.includes('결제오류'), JSON.stringify(said));
    assert.ok(said.includes(EXAMPLE_PAYMENT_TEXT), JSON.stringify(said));
    const connected = await nextStatus(customer, { requestId, status: 'connected' });
    assert.equal(connected.agentId, winner.id);
    const { roomId } = assignment;
    assert.equal(connected.roomId, roomId);
    assert.equal((await quiet(loser.assignments, 200)).length, 0, 'the losing agent got an assignment');
    assert.equal(winner.errors.all.length, 0, 'the winner got an error');

    // 20 messages each way, both sides writing at once.
    const agentRoom = await subscribeRoom(winner, roomId);
    const customerRoom = await subscribeRoom(customer, roomId);
    const count = 20;
    for (let i = 0; i < count; i += 1) {
      customer.session.publish('/app/room.send', { roomId, text: `customer ${i}`, clientMessageId: `c-${i}` });
      winner.session.publish('/app/room.send', { roomId, text: `agent ${i}`, clientMessageId: `a-${i}` });
    }
    await waitForSeq(agentRoom, count * 2, 5000);
    await waitForSeq(customerRoom, count * 2, 5000);
    const agentSaw = chatMessages(agentRoom);
    const customerSaw = chatMessages(customerRoom);
    assertSeqRange(agentSaw, 1, count * 2, 'the agent');
    assertSeqRange(customerSaw, 1, count * 2, 'the customer');
    assert.deepEqual(customerSaw.map((m) => m.messageId), agentSaw.map((m) => m.messageId));
    for (const [who, seen] of [['agent', agentSaw], ['customer', customerSaw]]) {
      const fromCustomer = seen.filter((m) => m.senderRole === 'CUSTOMER');
      const fromAgent = seen.filter((m) => m.senderRole === 'AGENT');
      assert.deepEqual(fromCustomer.map((m) => m.text), Array.from({ length: count }, (_, i) => `customer ${i}`), who);
      assert.deepEqual(fromAgent.map((m) => m.text), Array.from({ length: count }, (_, i) => `agent ${i}`), who);
      assert.ok(fromCustomer.every((m) => m.senderId === customer.id), who);
      assert.ok(fromAgent.every((m) => m.senderId === winner.id), who);
    }

    // The agent closes the room: both sides hear it, the customer's request is closed.
    await send(winner, '/app/room.close', { roomId });
    assert.equal((await nextJson(agentRoom, { type: 'closed' })).roomId, roomId);
    assert.equal((await nextJson(customerRoom, { type: 'closed' })).roomId, roomId);
    assert.equal((await nextStatus(customer, { requestId, status: 'closed' })).roomId, roomId);
    // Still the one bot answer, and the bot had nothing to complain about.
    assert.equal(customer.bot.all.length, 1);
    assert.equal(bot.stderr(), '', 'the bot logged a failed webhook call');
  });

  it('a repeated accept by the winner, and an accept of an unknown request, are refused without closing', { timeout: 15000 }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.auto-assign-after': '30' } });
    const agent = await newAgent(t, server, { name: 'Solo' });
    const customer = await newCustomer(t, server);
    const { request } = await acceptedRoom(customer, agent);
    await send(agent, '/app/agent.accept', { requestId: request.requestId });
    assert.equal((await nextJson(agent.errors, { requestId: request.requestId })).code, 'already_assigned');
    await send(agent, '/app/agent.accept', { requestId: 'no-such-request' });
    assert.equal((await nextJson(agent.errors, { requestId: 'no-such-request' })).code, 'not_found');
    // The connection is still usable.
    await send(agent, '/app/agent.status', { status: 'available' });
  });
});
