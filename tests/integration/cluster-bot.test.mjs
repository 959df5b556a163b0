// The bot's side of the chat on three nodes (Redis and PostgreSQL shared): a streamed answer whose
// webhook parts reach different nodes grows for the customer on the node they are connected to and
// is stored once; a node that takes a part without having asked the bot knows what the asking node
// knew (the customer's page language, so a stalled stream ends in the apology in that language);
// and the node that asks for the handoff summary asks it in the customer's language, whichever node
// the customer wrote on. The node that took a stream's latest call keeps its timer; when it dies,
// a node that took an earlier part ends the stream.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { WEBHOOK_SECRET, postBotMessage, readHistory, sendWebhook, startFakeBot } from './lib/bot.mjs';
import { newAgent, newCustomer, nextJson, requestConsult } from './lib/contact-center.mjs';
import { postgresInstalled, redisInstalled, startThreeNodes } from './lib/services.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 90000;
const missing = !postgresInstalled ? 'PostgreSQL' : !redisInstalled ? 'redis-server' : '';
const ENGLISH_APOLOGY = 'Sorry, the assistant is having a problem. Would you like to talk to an agent?';

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

// A protocol 2 bot that promises every chat answer by webhook (202 {}) and gives summaries.
async function streamingBot(t) {
  const bot = await startFakeBot((request, res) => {
    if (request.url === '/api/chat') return reply(res, 202, {});
    if (request.url === '/api/capabilities') return reply(res, 200, { protocol: 2, summary: true });
    if (request.url === '/api/summary') return reply(res, 200, { summary: 'Wants to know where the order is.', mood: 'calm' });
    return reply(res, 404, { error: 'not_found' });
  });
  t.after(() => bot.close());
  return bot;
}

// The customer (on `node`) asks the bot in English; resolves once the bot has the question.
async function ask(node, bot, customer, message) {
  const posted = await postBotMessage(node, customer.token, { message, lang: 'en', stream: true });
  assert.equal(posted.status, 202, posted.text);
  await waitUntil(() => bot.requests.some((r) => r.url === '/api/chat' && r.json?.messageId === posted.json.messageId),
    { what: 'the bot to be asked' });
  return posted.json;
}

function sendPart(node, customer, posted, answerId, part, fields) {
  return sendWebhook(node, {
    sessionId: posted.conversationId, customerId: customer.id, replyTo: posted.messageId, answerId, part, ...fields,
  });
}

const partsOf = (customer, posted) => customer.bot.all.map((m) => m.json)
  .filter((json) => json?.partial === true && json.replyTo === posted.messageId);
const shown = (customer, posted) => partsOf(customer, posted).map((p) => p.delta).join('');

function waitForShown(customer, posted, text) {
  return waitUntil(() => shown(customer, posted) === text,
    { timeoutMs: 10000, what: `${JSON.stringify(text)} shown; shown ${JSON.stringify(shown(customer, posted))}` });
}

const finalOf = (customer, posted, what) => customer.bot.next(
  (m) => m.json?.partial === false && m.json.replyTo === posted.messageId, 10000, what).then((m) => m.json);

describe('the bot on three nodes', { skip: missing ? `${missing} is not installed (scripts/install-deps.sh --test)` : false }, () => {
  it('takes a streamed answer on any node, ends a stall in the customer\'s language and summarises in it', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await streamingBot(t);
    const { nodes } = await startThreeNodes(t, {
      'bot.url': bot.url,
      'bot.webhook-secret': WEBHOOK_SECRET,
      'bot.need-human': 'offer',
      'bot.timeout-ms': '10000',
      'bot.stream-update-ms': '50',
      'bot.stream-idle-ms': '1500',
      'routing.mode': 'manual',
    });
    const [node1, node2, node3] = nodes;
    const customer = await newCustomer(t, node1);

    // Part 1 on node 2, part 2 on node 3, the final on node 1: one answer, growing, stored once.
    const first = await ask(node1, bot, customer, 'Where is my order?');
    const one = await sendPart(node2, customer, first, 'a1', 1, { delta: 'Your order ' });
    assert.equal(one.status, 200, one.text);
    await waitForShown(customer, first, 'Your order ');
    const two = await sendPart(node3, customer, first, 'a1', 2, { delta: 'ships today.' });
    assert.equal(two.status, 200, two.text);
    await waitForShown(customer, first, 'Your order ships today.');
    const last = await sendPart(node1, customer, first, 'a1', 3, { final: true });
    assert.deepEqual(last.json, { ok: true, delivered: true }, last.text);
    const final = await finalOf(customer, first, 'the final answer');
    assert.equal(final.botMessage, 'Your order ships today.');
    const parts = partsOf(customer, first);
    assert.ok(parts.every((p) => p.messageId === final.messageId), JSON.stringify(parts));
    // A part sent again to yet another node is a repeat, not a second answer.
    const again = await sendPart(node2, customer, first, 'a1', 3, { final: true, note: 'resent' });
    assert.deepEqual(again.json, { ok: true, duplicate: true }, again.text);
    const history = await readHistory(node3, customer.token, first.conversationId);
    assert.equal(history.status, 200, history.text);
    assert.deepEqual(history.json.messages.filter((m) => m.senderRole === 'BOT').map((m) => m.text),
      ['Your order ships today.'], 'stored once');

    // A stream whose only part reached node 2, which never heard the question: when it stalls,
    // node 2 apologises, in the language the customer wrote in on node 1.
    const second = await ask(node1, bot, customer, 'And my refund?');
    const started = await sendPart(node2, customer, second, 'a2', 1, { delta: 'Let me check' });
    assert.equal(started.status, 200, started.text);
    const apology = await finalOf(customer, second, 'the apology for the stalled stream');
    assert.equal(apology.category, 'bot_unavailable', JSON.stringify(apology));
    assert.equal(apology.botMessage, ENGLISH_APOLOGY);

    // The summary is asked by the node that makes the offer (the routing authority), in the
    // language the customer wrote in on another node.
    const other = await newCustomer(t, node2);
    await ask(node2, bot, other, 'Can I talk to a person?');
    const agent = await newAgent(t, node3);
    const waiting = await requestConsult(other, { category: 'refund' });
    assert.equal(waiting.status, 'waiting');
    await nextJson(agent.offers, { requestId: waiting.requestId }, 10000);
    const summaryAsked = () => bot.requests.filter((r) => r.url === '/api/summary' && r.json?.customerId === other.id);
    await waitUntil(() => summaryAsked().length > 0, { timeoutMs: 10000, what: 'the summary request' });
    assert.equal(summaryAsked().length, 1, 'asked once');
    assert.equal(summaryAsked()[0].json.lang, 'en', JSON.stringify(summaryAsked()[0].json));

    // The node that took the latest call of a stream keeps its timer, also when that call was a
    // repeat. Two streams: one whose latest part went to node 3, one whose part 1 went to node 3
    // and whose repeat went to node 2. Node 3 dies: node 2 ends the first in its stead, a little
    // after the stall, and the second as its own.
    const third = await ask(node1, bot, customer, 'Is anyone there?');
    assert.equal((await sendPart(node2, customer, third, 'a3', 1, { delta: 'One moment' })).status, 200);
    await waitForShown(customer, third, 'One moment');
    assert.equal((await sendPart(node3, customer, third, 'a3', 2, { delta: ', please.' })).status, 200);
    await waitForShown(customer, third, 'One moment, please.');
    const late = await newCustomer(t, node1);
    const fourth = await ask(node1, bot, late, 'Are you open today?');
    assert.equal((await sendPart(node3, late, fourth, 'a4', 1, { delta: 'Checking' })).status, 200);
    await waitForShown(late, fourth, 'Checking');
    const repeat = await sendPart(node2, late, fourth, 'a4', 1, { delta: 'Checking', note: 'retry' });
    assert.deepEqual(repeat.json, { ok: true, duplicate: true }, repeat.text);
    await node3.stop({ signal: 'SIGKILL' });
    for (const [who, posted, what] of [[customer, third, 'the stream node 2 stood in for'], [late, fourth, 'the stream whose repeat node 2 took']]) {
      const ended = await finalOf(who, posted, what);
      assert.equal(ended.category, 'bot_unavailable', JSON.stringify(ended));
      assert.equal(ended.botMessage, ENGLISH_APOLOGY);
      assert.equal(ended.messageId, partsOf(who, posted)[0].messageId, 'under the id the customer saw growing');
    }
  });
});
