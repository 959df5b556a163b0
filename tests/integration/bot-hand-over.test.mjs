// The bot hands over to a human: an answer with needHuman raises the customer's consult request at
// once (bot.need-human: queue, the default), with the customer's words as the reason and the bot's
// category, as the original request did; with bot.need-human: offer the customer decides. While a
// request is open the bot is silent, and what the customer writes is kept for the agent; once an
// agent has the chat, a line still sent to the bot goes to the room.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { apiRequest } from './lib/auth-http.mjs';
import {
  acceptedRoom, chatMessages, newAgent, newCustomer, nextJson, nextStatus, quiet, received, send, startCenter, subscribeRoom,
} from './lib/contact-center.mjs';

const TEST_TIMEOUT = 30000;
const PAYMENT_ERROR = '결제오류가 났어요';  // the built-in bot hands this over (payment_error)
const REFUND = '환불하고 싶어요';          // the built-in bot answers this itself

function botSays(customer, text, clientMessageId) {
  return send(customer, '/app/bot.message', { message: text, clientMessageId });
}

async function queueOf(server, agent) {
  const answer = await apiRequest(server, '/api/consult/queue', { method: 'GET', bearer: agent.token });
  assert.equal(answer.status, 200, answer.text);
  return answer.json.requests;
}

describe('the bot hands over to a human', () => {
  it('queues the consult request at once when the bot needs a human, with the customer\'s words', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.mode': 'manual' } });
    const agent = await newAgent(t, server, { name: '상담원' });
    const customer = await newCustomer(t, server, { displayName: '결제고객' });
    await botSays(customer, PAYMENT_ERROR, 'b-1');
    const answer = await nextJson(customer.bot, { needHuman: true });
    assert.equal(answer.category, 'payment_error');
    // Nobody pressed a button: the request is there, and the customer is told where they stand.
    const status = await nextStatus(customer, { status: 'waiting' });
    assert.equal(status.position, 1);
    const offer = await nextJson(agent.offers, { customerId: customer.id });
    assert.equal(offer.category, 'payment_error');
    assert.equal(offer.reason, PAYMENT_ERROR);
    assert.equal(offer.customerName, '결제고객');
    assert.equal(offer.lastBotMessage, answer.botMessage);

    // Asking again (the button, or the bot once more) repeats where the request stands: one request.
    await botSays(customer, PAYMENT_ERROR, 'b-2');
    const queue = await queueOf(server, agent);
    assert.equal(queue.filter((r) => r.customerId === customer.id).length, 1, JSON.stringify(queue));
  });

  it('stays silent while the request waits, and keeps those lines for the agent', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.mode': 'manual' } });
    const agent = await newAgent(t, server, { name: '상담원' });
    const customer = await newCustomer(t, server, { displayName: '기다리는고객' });
    await send(customer, '/app/consult.request', { category: 'refund', reason: '환불 문의' });
    await nextStatus(customer, { status: 'waiting' });
    const before = customer.bot.all.length;
    // The bot would answer this at once (a self-service answer) if it were asked.
    await botSays(customer, REFUND, 'w-1');
    await botSays(customer, '주문번호는 1234입니다', 'w-2');
    await quiet(customer.bot, 500);
    assert.equal(customer.bot.all.length, before, 'the bot said nothing while the customer waited');

    // The agent who takes the request gets those lines with the conversation.
    const offer = await nextJson(agent.offers, { customerId: customer.id });
    await send(agent, '/app/agent.accept', { requestId: offer.requestId });
    const assignment = await nextJson(agent.assignments, { requestId: offer.requestId });
    const texts = assignment.history.map((m) => m.text);
    assert.ok(texts.includes(REFUND) && texts.includes('주문번호는 1234입니다'), JSON.stringify(assignment));
  });

  it('puts what the customer writes to the bot into the room once an agent has the chat', { timeout: TEST_TIMEOUT }, async (t) => {
    // The page learns of the agent a moment after the agent accepts: a line written in between
    // still goes to the bot's destination. The agent must get it, in the room, masked like any.
    const server = await startCenter(t, { settings: { 'routing.mode': 'manual' } });
    const agent = await newAgent(t, server, { name: '상담원' });
    const customer = await newCustomer(t, server, { displayName: '빠른고객' });
    const { roomId } = await acceptedRoom(customer, agent);
    const agentRoom = await subscribeRoom(agent, roomId);
    const before = customer.bot.all.length;

    const answered = await botSays(customer, '카드 4111 1111 1111 1111 로 결제했어요', 'late-1');
    assert.ok(answered.receipt, `a RECEIPT, once stored: ${JSON.stringify(answered)}`);
    const line = await nextJson(agentRoom, { clientMessageId: 'late-1' });
    assert.equal(line.roomId, roomId);
    assert.equal(line.senderId, customer.id);
    assert.equal(line.senderRole, 'CUSTOMER');
    assert.ok(!line.text.replace(/\D/g, '').includes('4111111111111111'), `masked: ${line.text}`);
    // Sent again (a page that never got the RECEIPT): stored once.
    await botSays(customer, '카드 4111 1111 1111 1111 로 결제했어요', 'late-1');
    await quiet(agentRoom, 300);
    assert.equal(chatMessages(agentRoom).filter((m) => m.clientMessageId === 'late-1').length, 1);
    assert.equal(customer.bot.all.length, before, 'the bot said nothing');

    // Over HTTP, where there is no room to put it in, the refusal says where to send it.
    const posted = await apiRequest(server, '/api/bot/message', { method: 'POST', bearer: customer.token, json: { message: '여보세요' } });
    assert.equal(posted.status, 409, posted.text);
    assert.equal(posted.json.error, 'in_room');
    assert.match(posted.json.message, new RegExp(roomId));
  });

  it('with bot.need-human: offer, leaves the request to the customer', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.mode': 'manual', 'bot.need-human': 'offer' } });
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    await botSays(customer, PAYMENT_ERROR, 'o-1');
    await nextJson(customer.bot, { needHuman: true });
    await quiet(customer.status, 300);
    assert.deepEqual(received(customer.status), [], 'no request was raised');
    assert.equal((await queueOf(server, agent)).length, 0);
    // The bot goes on answering until the customer asks.
    await botSays(customer, REFUND, 'o-2');
    await nextJson(customer.bot, { category: 'refund' });
  });
});
