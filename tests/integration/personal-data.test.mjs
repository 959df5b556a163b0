// Personal data in chat texts (README, "What leaves the server"): resident registration numbers and
// card numbers are masked as a message arrives, in what is stored and in what anyone sees (the
// customer's own echo, the agent, the history, a left message, a note), unless
// privacy.mask-identifiers is off; phone numbers and e-mail addresses stay for the agent; the bot
// gets typed placeholders for all four either way; and what the bot says back is masked too.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  connectCustomer,
  newGuest,
  postBotMessage,
  readHistory,
  startFakeBot,
  startServerWithBot,
} from './lib/bot.mjs';
import {
  acceptedRoom,
  fullHistory,
  newAgent,
  newCustomer,
  nextJson,
  roomSend,
  send,
  startCenter,
  subscribeRoom,
  waitForSeq,
  chatMessages,
} from './lib/contact-center.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 20000;

const SAID = '주민번호 900101-1234567, 카드 4111-1111-1111-1111, 연락처 010-1234-5678, kim@example.com 입니다';
const STORED = '주민번호 ******-*******, 카드 ****-****-****-****, 연락처 010-1234-5678, kim@example.com 입니다';
const TO_BOT = '주민번호 [RRN], 카드 [CARD], 연락처 [PHONE], [EMAIL] 입니다';

// A bot that answers every message over HTTP, repeating a card number it should not have.
async function echoingBot(t) {
  const bot = await startFakeBot((request, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      botMessage: 'card 5555 5555 5555 4444 noted',
      needHuman: false,
      category: 'general',
    }));
  });
  t.after(() => bot.close());
  return bot;
}

const botServer = startServerWithBot;

describe('personal data in chat texts', () => {
  it('masks identifiers before the bot conversation stores them, and gives the bot placeholders', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await echoingBot(t);
    const server = await botServer(t, bot);
    const customer = await newGuest(server);
    const { answers } = await connectCustomer(t, server, customer.token);

    const posted = await postBotMessage(server, customer.token, { message: SAID });
    assert.equal(posted.status, 202, posted.text);
    const answer = (await answers.next(() => true, 5000)).json;
    assert.equal(answer.botMessage, 'card **** **** **** **** noted', 'the bot repeating a card number is masked');

    assert.equal(bot.requests.length, 1);
    assert.equal(bot.requests[0].json.message, TO_BOT);
    assert.ok(!JSON.stringify(bot.requests[0].json).includes('010-1234-5678'), 'no phone number reached the bot');

    const history = await readHistory(server, customer.token, posted.json.conversationId);
    assert.equal(history.status, 200, history.text);
    const texts = history.json.messages.map((m) => m.text);
    assert.deepEqual(texts, [STORED, 'card **** **** **** **** noted']);
    // Nothing of the numbers is left in the server's log either.
    assert.ok(!server.stderr.includes('900101-1234567'));
  });

  it('keeps identifiers when an operator turns masking off, but the bot still gets placeholders', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await echoingBot(t);
    const server = await botServer(t, bot, { 'privacy.mask-identifiers': 'false' });
    const customer = await newGuest(server);
    const { answers } = await connectCustomer(t, server, customer.token);

    const posted = await postBotMessage(server, customer.token, { message: SAID });
    assert.equal(posted.status, 202, posted.text);
    const answer = (await answers.next(() => true, 5000)).json;
    assert.equal(answer.botMessage, 'card 5555 5555 5555 4444 noted');
    await waitUntil(() => bot.requests.length === 1, { what: 'the bot call' });
    assert.equal(bot.requests[0].json.message, TO_BOT);
    const history = await readHistory(server, customer.token, posted.json.conversationId);
    assert.equal(history.json.messages[0].text, SAID);
  });

  it('masks identifiers in room messages, consult reasons and notes for everyone', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    const { roomId, assignment } = await acceptedRoom(customer, agent, { category: 'billing', reason: `help, ${SAID}` });
    assert.equal(assignment.reason, `help, ${STORED}`, 'the consult reason the agent is shown');

    const agentRoom = await subscribeRoom(agent, roomId);
    const customerRoom = await subscribeRoom(customer, roomId);
    await roomSend(customer, roomId, SAID);
    await waitForSeq(agentRoom, 1);
    await waitForSeq(customerRoom, 1);
    assert.equal(chatMessages(agentRoom)[0].text, STORED, 'what the agent sees');
    assert.equal(chatMessages(customerRoom)[0].text, STORED, 'what the customer sees of their own message');
    await roomSend(agent, roomId, 'please do not send 9001011234567 here');
    await waitForSeq(customerRoom, 2);
    assert.equal(chatMessages(customerRoom)[1].text, 'please do not send ************* here');

    const history = await fullHistory(server, agent.token, roomId);
    assert.deepEqual(history.map((m) => m.text), [STORED, 'please do not send ************* here']);

    await send(agent, '/app/room.note', { roomId, text: 'card on file 4111111111111111', clientMessageId: 'note-1' });
    const note = await nextJson(agent.notes, { roomId, clientMessageId: 'note-1' });
    assert.equal(note.text, 'card on file ****************');
  });
});
