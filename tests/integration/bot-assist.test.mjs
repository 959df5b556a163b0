// What a protocol 2 bot does for agents, besides answering customers: the server asks what it can
// do (GET /api/capabilities), then for each consult request a handoff summary (POST /api/summary)
// that follows the offer on /topic/consult/summary and is carried by every later view of the
// request, and with bot.suggest-replies, for each customer message in a room, replies that only
// the room's agent sees (POST /api/suggestions, /user/queue/agent/suggestions). A bot that does not
// say it can is never asked; a slow or broken one never holds up the request. The built-in demo
// bot does all of it, and types its answers out.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { apiRequest } from './lib/auth-http.mjs';
import { WEBHOOK_SECRET, postBotMessage, readHistory, startFakeBot } from './lib/bot.mjs';
import {
  acceptedRoom,
  chatMessages,
  newAgent,
  newCustomer,
  nextJson,
  nextStatus,
  quiet,
  requestConsult,
  roomSend,
  send,
  startCenter,
  subscribeRoom,
} from './lib/contact-center.mjs';
import { delay, deferred, waitUntil, withTimeout } from './lib/util.mjs';

const TEST_TIMEOUT = 20000;
const SUMMARIES = '/topic/consult/summary';
const SUGGESTIONS = '/user/queue/agent/suggestions';
const MOODS = ['calm', 'neutral', 'frustrated', 'angry'];

// Personal data the bot must only ever see as placeholders.
const PHONE = '010-1234-5678';
const EMAIL = 'kim.minji@example.com';
const CARD = '4111 1111 1111 1111';  // passes Luhn

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
}

// A stand-in bot: `routes[path](request, res)` answers each path (404 for a path without one) and
// every request is recorded in `requests`. The chat itself is answered at once unless a route says
// otherwise. Routes may be swapped while the test runs.
async function assistBot(t, routes = {}) {
  const table = {
    '/api/chat': (request, res) => reply(res, 200, { botMessage: '확인해 드릴게요.', needHuman: false, category: 'general' }),
    ...routes,
  };
  const bot = await startFakeBot((request, res) => {
    const route = table[request.url];
    if (!route) {
      reply(res, 404, { error: 'not_found' });
      return;
    }
    Promise.resolve(route(request, res)).catch(() => res.destroy());
  });
  t.after(() => bot.close());
  bot.routes = table;
  bot.asked = (path) => bot.requests.filter((r) => r.url === path);
  return bot;
}

// A contact center in front of `bot` with manual routing (nothing assigned behind the test's back)
// and requests raised only when the customer asks, unless `settings` say otherwise.
function centerFor(t, bot, settings = {}) {
  return startCenter(t, {
    settings: {
      'routing.mode': 'manual',
      'bot.need-human': 'offer',
      'bot.url': bot.url,
      'bot.webhook-secret': WEBHOOK_SECRET,
      ...settings,
    },
  });
}

// An agent who also listens to the summaries and to their suggested replies.
async function assistedAgent(t, server, options = {}) {
  const agent = await newAgent(t, server, options);
  agent.summaries = await agent.session.subscribe(SUMMARIES);
  agent.suggestions = await agent.session.subscribe(SUGGESTIONS);
  return agent;
}

// The customer writes to the bot over HTTP (`extra`: lang, stream) and waits for its final answer.
async function talkToBot(server, customer, message, extra = {}) {
  const posted = await postBotMessage(server, customer.token, { message, ...extra });
  assert.equal(posted.status, 202, posted.text);
  await customer.bot.next((m) => m.json?.partial === false && m.json.replyTo === posted.json.messageId, 8000,
    `the bot's answer to ${JSON.stringify(message)}`);
  return posted.json;
}

async function get(server, path, token) {
  const answer = await apiRequest(server, path, { method: 'GET', bearer: token });
  assert.equal(answer.status, 200, `${path}: ${answer.text}`);
  return answer.json;
}

async function queueItem(server, agent, requestId) {
  const { requests } = await get(server, '/api/consult/queue', agent.token);
  const item = requests.find((r) => r.requestId === requestId);
  assert.ok(item, `request ${requestId} in the queue: ${JSON.stringify(requests)}`);
  return item;
}

// The messages of a summary or suggestion request: [{from, text}], from one of the three parties.
function assertTurns(body) {
  assert.ok(Array.isArray(body.messages), JSON.stringify(body));
  for (const turn of body.messages) {
    assert.deepEqual(Object.keys(turn).sort(), ['from', 'text'], JSON.stringify(turn));
    assert.ok(['customer', 'bot', 'agent'].includes(turn.from), JSON.stringify(turn));
    assert.equal(typeof turn.text, 'string');
  }
  return body.messages;
}

// Nothing of the personal data reached the bot as it was written.
function assertRedacted(body) {
  const text = JSON.stringify(body);
  assert.ok(!text.includes(PHONE), `a phone number reached the bot: ${text}`);
  assert.ok(!text.includes(EMAIL), `an e-mail address reached the bot: ${text}`);
  assert.ok(!text.replace(/\D/g, '').includes('4111111111111111'), `a card number reached the bot: ${text}`);
}

// Every message each of `inboxes` ever received, as one string to search.
const everything = (inboxes) => JSON.stringify(inboxes.flatMap((inbox) => inbox.all.map((m) => m.body)));

describe('handoff summaries', () => {
  it('offers the request at once, then publishes the summary and carries it in every later view', { timeout: TEST_TIMEOUT }, async (t) => {
    const release = deferred();
    t.after(() => release.resolve());
    const bot = await assistBot(t, {
      '/api/capabilities': (request, res) => reply(res, 200, { protocol: 2, summary: true }),
      // Held until the test has seen the offer: the offer must not wait for it.
      '/api/summary': async (request, res) => {
        await release.promise;
        reply(res, 200, { summary: '고객이 카드 결제 건의 환불을 원함.', category: 'Refund_Request', mood: 'frustrated' });
      },
    });
    // A summary timeout far longer than the test: an offer that waited for the summary never comes.
    const server = await centerFor(t, bot, { 'bot.summary-timeout-ms': '60000' });
    const agent = await assistedAgent(t, server);
    // Offered the request too, but turns it down: the summary of a customer's conversation goes
    // where the offer goes, and no further.
    const rejecter = await assistedAgent(t, server);
    const customer = await newCustomer(t, server);
    await talkToBot(server, customer, `제 번호는 ${PHONE}, 메일은 ${EMAIL} 입니다`, { lang: 'en' });
    await talkToBot(server, customer, `카드 ${CARD} 로 산 것 환불해 주세요`, { lang: 'en' });

    const waiting = await requestConsult(customer, { category: 'refund', reason: '환불 문의' });
    assert.equal(waiting.status, 'waiting');
    const offer = await nextJson(agent.offers, { requestId: waiting.requestId });
    assert.equal(offer.summary, null, 'no summary yet on the first offer');
    await nextJson(rejecter.offers, { requestId: waiting.requestId });
    await send(rejecter, '/app/agent.reject', { requestId: waiting.requestId });
    await waitUntil(() => bot.asked('/api/summary').length === 1, { what: 'the summary request' });
    assert.deepEqual(agent.summaries.all, [], 'no summary before the bot gave one');

    // What the bot was asked: the conversation, with placeholders for personal data.
    const [asked] = bot.asked('/api/summary');
    assert.equal(asked.json.conversationId, offer.conversationId);
    assert.equal(asked.json.customerId, customer.id);
    assert.equal(asked.json.lang, 'en');
    const turns = assertTurns(asked.json);
    const fromCustomer = turns.filter((m) => m.from === 'customer').map((m) => m.text).join('\n');
    assert.match(fromCustomer, /\[PHONE\]/);
    assert.match(fromCustomer, /\[EMAIL\]/);
    assert.ok(turns.some((m) => m.from === 'bot' && m.text === '확인해 드릴게요.'), JSON.stringify(turns));
    assertRedacted(asked.json);

    release.resolve();
    const published = await nextJson(agent.summaries, { requestId: waiting.requestId });
    const summary = { text: '고객이 카드 결제 건의 환불을 원함.', category: 'refund_request', mood: 'frustrated' };
    assert.deepEqual(published, {
      requestId: waiting.requestId,
      conversationId: offer.conversationId,
      customerId: customer.id,
      summary,
    });

    // Every later view of the request carries it.
    assert.deepEqual((await queueItem(server, agent, waiting.requestId)).summary, summary);
    const later = await assistedAgent(t, server);
    const laterOffer = await nextJson(later.offers, { requestId: waiting.requestId });
    assert.deepEqual(laterOffer.summary, summary, 'an agent who logs in later is offered it with the summary');
    await send(agent, '/app/agent.accept', { requestId: waiting.requestId });
    const assignment = await nextJson(agent.assignments, { requestId: waiting.requestId });
    assert.deepEqual(assignment.summary, summary);
    const { rooms } = await get(server, '/api/agent/rooms', agent.token);
    assert.deepEqual(rooms.find((r) => r.roomId === assignment.roomId)?.summary, summary, JSON.stringify(rooms));

    // Asked once for the request, whoever was offered it; what the bot can do was asked once.
    await quiet(agent.summaries, 300);
    assert.equal(bot.asked('/api/summary').length, 1);
    assert.equal(agent.summaries.all.length, 1);
    assert.deepEqual(rejecter.summaries.all, [], 'the agent who rejected the request is not told its summary');
    assert.equal(bot.asked('/api/capabilities').length, 1);
  });

  it('summarises a hand-over by the bot, and each new request anew', { timeout: TEST_TIMEOUT }, async (t) => {
    let made = 0;
    const bot = await assistBot(t, {
      '/api/capabilities': (request, res) => reply(res, 200, { protocol: 2, streaming: false, summary: true }),
      '/api/chat': (request, res) => reply(res, 200, { botMessage: '상담사를 연결해 드릴게요.', needHuman: true, category: 'payment_error' }),
      '/api/summary': (request, res) => {
        made += 1;
        // An unknown mood is dropped; the summary still comes.
        reply(res, 200, { summary: `결제 오류 문의 ${made}`, category: 'payment_error', mood: made === 1 ? 'furious' : 'angry' });
      },
    });
    // bot.need-human: queue: the bot's needHuman raises the request itself.
    const server = await centerFor(t, bot, { 'bot.need-human': 'queue' });
    const agent = await assistedAgent(t, server);
    const customer = await newCustomer(t, server);
    await talkToBot(server, customer, '결제오류가 났어요');
    const first = await nextStatus(customer, { status: 'waiting' });
    const firstOffer = await nextJson(agent.offers, { requestId: first.requestId });
    const firstSummary = await nextJson(agent.summaries, { requestId: first.requestId });
    assert.equal(firstSummary.summary.text, '결제 오류 문의 1');
    assert.equal(firstSummary.summary.category, 'payment_error');
    assert.ok(!firstSummary.summary.mood, `an unknown mood is dropped: ${JSON.stringify(firstSummary.summary)}`);
    assert.equal(firstSummary.conversationId, firstOffer.conversationId);
    const turns = assertTurns(bot.asked('/api/summary')[0].json);
    assert.ok(turns.some((m) => m.from === 'customer' && m.text === '결제오류가 났어요'), JSON.stringify(turns));
    assert.ok(turns.some((m) => m.from === 'bot' && m.text === '상담사를 연결해 드릴게요.'), JSON.stringify(turns));

    // The customer gives up and asks again: a new request, summarised anew; the old summary is
    // not the new request's.
    await send(customer, '/app/consult.cancel', { requestId: first.requestId });
    await nextStatus(customer, { requestId: first.requestId, status: 'canceled' });
    const second = await requestConsult(customer, { category: 'payment_error' });
    assert.notEqual(second.requestId, first.requestId);
    const secondOffer = await nextJson(agent.offers, { requestId: second.requestId });
    assert.equal(secondOffer.summary, null, 'the first request\'s summary is not offered with the second');
    const secondSummary = await nextJson(agent.summaries, { requestId: second.requestId });
    assert.deepEqual(secondSummary.summary, { text: '결제 오류 문의 2', category: 'payment_error', mood: 'angry' });
    assert.deepEqual((await queueItem(server, agent, second.requestId)).summary, secondSummary.summary);
    await quiet(agent.summaries, 300);
    assert.equal(bot.asked('/api/summary').length, 2, 'once per request');
  });

  it('never holds up or fills in the request when the summary is slow, missing, failing or garbled', { timeout: TEST_TIMEOUT }, async (t) => {
    const modes = new Map();  // customer id -> how the bot answers its summary
    const slowAnswered = deferred();
    const bot = await assistBot(t, {
      '/api/capabilities': (request, res) => reply(res, 200, { protocol: 2, summary: true }),
      '/api/summary': async (request, res) => {
        switch (modes.get(request.json?.customerId)) {
          case 'slow':
            // A good summary, but long after bot.summary-timeout-ms.
            await delay(2500);
            reply(res, 200, { summary: 'too late', mood: 'calm' });
            slowAnswered.resolve();
            return;
          case 'not found': return reply(res, 404, { error: 'not_found' });
          case 'failing': return reply(res, 500, { summary: 'an error page with a summary field' });
          case 'garbled': return reply(res, 200, '<html>summary</html>');
          case 'blank': return reply(res, 200, { summary: '   ', mood: 'calm' });
          case 'wrong type': return reply(res, 200, { summary: ['a', 'list'] });
          default: return reply(res, 200, { summary: 'unexpected customer' });
        }
      },
    });
    const server = await centerFor(t, bot, { 'bot.summary-timeout-ms': '1000' });
    const agent = await assistedAgent(t, server);
    const kinds = ['not found', 'slow', 'failing', 'garbled', 'blank', 'wrong type'];
    const customers = [];
    for (const kind of kinds) {
      const customer = await newCustomer(t, server);
      modes.set(customer.id, kind);
      // A conversation to summarise.
      await talkToBot(server, customer, '배송이 늦어요');
      customers.push({ kind, customer });
    }
    // The first alone, so that what the bot can do is known when the others come at once.
    const requests = [await requestConsult(customers[0].customer, { category: 'etc' })];
    await waitUntil(() => bot.asked('/api/summary').length === 1, { what: 'the first summary request' });
    requests.push(...await Promise.all(customers.slice(1).map(({ customer }) => requestConsult(customer, { category: 'etc' }))));
    for (const [index, request] of requests.entries()) {
      const offer = await nextJson(agent.offers, { requestId: request.requestId });
      assert.equal(offer.summary, null, `${kinds[index]}: offered without a summary`);
    }
    await waitUntil(() => bot.asked('/api/summary').length === kinds.length, { what: 'a summary request per customer' });
    await withTimeout(slowAnswered.promise, 5000, 'the slow summary to be answered');
    await quiet(agent.summaries, 500);
    assert.deepEqual(agent.summaries.all.map((m) => m.json), [], 'no summary was published');
    for (const [index, request] of requests.entries()) {
      assert.equal((await queueItem(server, agent, request.requestId)).summary, null, `${kinds[index]}: no summary in the queue`);
    }
    assert.equal(bot.asked('/api/summary').length, kinds.length, 'each asked once, not retried');
  });

  it('summarises each of several requests made while the server first asks what the bot can do', { timeout: TEST_TIMEOUT }, async (t) => {
    const capabilitiesHeld = deferred();
    t.after(() => capabilitiesHeld.resolve());
    const bot = await assistBot(t, {
      // The bot is slow to say what it can do: every request below comes meanwhile.
      '/api/capabilities': async (request, res) => {
        await capabilitiesHeld.promise;
        reply(res, 200, { protocol: 2, summary: true });
      },
      '/api/summary': (request, res) => reply(res, 200, { summary: `summary for ${request.json.customerId}`, mood: 'calm' }),
    });
    const server = await centerFor(t, bot);
    const agent = await assistedAgent(t, server);
    const customers = [];
    for (let i = 0; i < 3; i += 1) {
      const customer = await newCustomer(t, server);
      await talkToBot(server, customer, '배송이 늦어요');
      customers.push(customer);
    }
    const requests = await Promise.all(customers.map((customer) => requestConsult(customer, { category: 'etc' })));
    for (const request of requests) await nextJson(agent.offers, { requestId: request.requestId });
    await waitUntil(() => bot.asked('/api/capabilities').length >= 1, { what: 'the server to ask what the bot can do' });
    capabilitiesHeld.resolve();

    for (const [index, request] of requests.entries()) {
      const published = await nextJson(agent.summaries, { requestId: request.requestId }, 5000).catch((error) => {
        throw new Error(`request ${index + 1} of ${requests.length} got no summary (the bot was asked for ` +
          `${bot.asked('/api/summary').length}): ${error.message}`);
      });
      assert.equal(published.summary.text, `summary for ${customers[index].id}`);
    }
    assert.equal(bot.asked('/api/summary').length, requests.length);
  });

  it('tells the bot a card number as [CARD], as in its chat requests', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await assistBot(t, {
      '/api/capabilities': (request, res) => reply(res, 200, { protocol: 2, summary: true }),
      '/api/summary': (request, res) => reply(res, 200, { summary: '카드 결제 환불 문의' }),
    });
    const server = await centerFor(t, bot);
    const agent = await assistedAgent(t, server);
    const customer = await newCustomer(t, server);
    await talkToBot(server, customer, `카드 ${CARD} 로 산 것 환불해 주세요`);
    const [chat] = bot.asked('/api/chat');
    assert.equal(chat.json.message, '카드 [CARD] 로 산 것 환불해 주세요', 'the chat request has the placeholder');

    const waiting = await requestConsult(customer, { category: 'refund' });
    await nextJson(agent.summaries, { requestId: waiting.requestId });
    const [asked] = bot.asked('/api/summary');
    assertRedacted(asked.json);
    const fromCustomer = assertTurns(asked.json).filter((m) => m.from === 'customer').map((m) => m.text);
    assert.deepEqual(fromCustomer, ['카드 [CARD] 로 산 것 환불해 주세요'], 'the summary request has the same placeholder');
  });
});

describe('bots that do not offer the extras', () => {
  const cases = {
    'without /api/capabilities (protocol 1)': null,
    'saying protocol 1': { protocol: 1, summary: true, suggestions: true },
    'saying protocol 2 without them': { protocol: 2, streaming: true },
    'answering garbage': '{"protocol": 2, "summary": tru',
  };
  for (const [name, capabilities] of Object.entries(cases)) {
    it(`never asks a bot ${name} for a summary or suggestions`, { timeout: TEST_TIMEOUT }, async (t) => {
      const routes = {
        '/api/summary': (request, res) => reply(res, 200, { summary: 'must not be asked', mood: 'calm' }),
        '/api/suggestions': (request, res) => reply(res, 200, { suggestions: ['must not be asked'] }),
      };
      if (capabilities !== null) routes['/api/capabilities'] = (request, res) => reply(res, 200, capabilities);
      const bot = await assistBot(t, routes);
      const server = await centerFor(t, bot, { 'bot.suggest-replies': 'true' });
      const agent = await assistedAgent(t, server);
      const customer = await newCustomer(t, server);
      await talkToBot(server, customer, '안녕하세요');
      const { request, assignment, roomId } = await acceptedRoom(customer, agent);
      assert.equal(assignment.summary, null);
      const room = await subscribeRoom(agent, roomId);
      await roomSend(customer, roomId, '배송이 아직 안 왔어요');
      await roomSend(agent, roomId, '확인해 보겠습니다');
      await waitUntil(() => chatMessages(room).length >= 2, { what: 'both room messages' });
      await waitUntil(() => bot.asked('/api/capabilities').length >= 1, { what: 'the server to ask what the bot can do' });
      await quiet(agent.suggestions, 500);

      assert.equal(bot.asked('/api/summary').length, 0, 'asked for a summary');
      assert.equal(bot.asked('/api/suggestions').length, 0, 'asked for suggestions');
      assert.deepEqual(agent.summaries.all, []);
      assert.deepEqual(agent.suggestions.all, []);
      assert.equal((await get(server, '/api/agent/rooms', agent.token)).rooms.find((r) => r.requestId === request.requestId)?.summary, null);
    });
  }
});

describe('suggested replies', () => {
  it('sends the bot\'s replies to a customer\'s message to the room\'s agent alone', { timeout: TEST_TIMEOUT }, async (t) => {
    const kept = ['주문번호를 알려 주시겠어요?', '배송 조회를 도와드릴게요.', '잠시만 기다려 주세요.'];
    const bot = await assistBot(t, {
      '/api/capabilities': (request, res) => reply(res, 200, { protocol: 2, suggestions: true }),
      // Blank, non-string and over-long items are dropped; of the rest the first three are kept.
      '/api/suggestions': (request, res) => reply(res, 200, {
        suggestions: ['  ', kept[0], 42, 'x'.repeat(1001), kept[1], null, kept[2], '네 번째는 버려집니다'],
      }),
    });
    const server = await centerFor(t, bot, { 'bot.suggest-replies': 'true' });
    const agent = await assistedAgent(t, server);
    const other = await assistedAgent(t, server);
    const customer = await newCustomer(t, server);
    const { roomId, assignment } = await acceptedRoom(customer, agent);
    const room = await subscribeRoom(agent, roomId);
    const customerRoom = await subscribeRoom(customer, roomId);

    await roomSend(customer, roomId, `배송이 안 와요. 연락처는 ${PHONE} 입니다`);
    await waitUntil(() => chatMessages(room).length >= 1, { what: 'the customer\'s room message' });
    const [question] = chatMessages(room);
    const suggestion = await nextJson(agent.suggestions, { roomId });
    assert.deepEqual(suggestion, {
      roomId,
      replyTo: question.messageId,
      seq: question.seq,
      suggestions: kept,
      timestamp: suggestion.timestamp,
    });
    assert.equal(typeof suggestion.timestamp, 'string');

    // What the bot was asked: the room's messages, personal data as placeholders.
    const [asked] = bot.asked('/api/suggestions');
    assert.equal(asked.json.roomId, roomId);
    assert.equal(asked.json.conversationId, assignment.conversationId);
    assert.equal(asked.json.customerId, customer.id);
    const turns = assertTurns(asked.json);
    assert.ok(turns.some((m) => m.from === 'customer' && m.text.includes('[PHONE]')), JSON.stringify(turns));
    assertRedacted(asked.json);

    // The agent's own message asks nothing; the customer's next one does, with the agent's line.
    await roomSend(agent, roomId, '확인해 보겠습니다');
    await waitUntil(() => chatMessages(room).length >= 2, { what: 'the agent\'s room message' });
    await quiet(agent.suggestions, 500);
    assert.equal(bot.asked('/api/suggestions').length, 1, 'an agent\'s message asked for suggestions');
    await roomSend(customer, roomId, '주문번호는 1234 입니다');
    await waitUntil(() => chatMessages(room).length >= 3, { what: 'the customer\'s second message' });
    const third = chatMessages(room)[2];
    const next = await nextJson(agent.suggestions, { replyTo: third.messageId });
    assert.equal(next.seq, third.seq);
    const secondTurns = assertTurns(bot.asked('/api/suggestions')[1].json);
    assert.ok(secondTurns.some((m) => m.from === 'agent' && m.text === '확인해 보겠습니다'), JSON.stringify(secondTurns));

    // Nobody else saw them: not another agent, not the customer on any of their subscriptions.
    await quiet(customerRoom, 300);
    assert.deepEqual(other.suggestions.all, [], 'another agent got the suggestions');
    const seenByCustomer = everything([...Object.values(customer.inboxes), customerRoom]);
    for (const text of kept) assert.ok(!seenByCustomer.includes(text), `the customer saw the suggestion ${text}`);
    assert.equal(bot.asked('/api/suggestions').length, 2);
  });

  it('asks nothing with bot.suggest-replies off', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await assistBot(t, {
      '/api/capabilities': (request, res) => reply(res, 200, { protocol: 2, suggestions: true }),
      '/api/suggestions': (request, res) => reply(res, 200, { suggestions: ['must not be asked'] }),
    });
    const server = await centerFor(t, bot);
    const agent = await assistedAgent(t, server);
    const customer = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    const room = await subscribeRoom(agent, roomId);
    await roomSend(customer, roomId, '배송이 아직 안 왔어요');
    await waitUntil(() => chatMessages(room).length >= 1, { what: 'the customer\'s room message' });
    await quiet(agent.suggestions, 500);
    assert.equal(bot.asked('/api/suggestions').length, 0);
    assert.deepEqual(agent.suggestions.all, []);
  });
});

describe('the built-in demo bot', () => {
  // The built-in bot (bot.url: builtin, the default), with manual routing.
  const builtin = (t, settings) => startCenter(t, { settings: { 'routing.mode': 'manual', 'bot.stream-update-ms': '50', ...settings } });
  const REFUND = '환불하고 싶어요';

  it('types its answers out for a client that shows them growing, with bot.demo-typing-ms', { timeout: TEST_TIMEOUT }, async (t) => {
    const typing = await builtin(t, { 'bot.demo-typing-ms': '40' });
    const customer = await newCustomer(t, typing);
    const posted = await talkToBot(typing, customer, REFUND, { stream: true });
    const all = customer.bot.all.map((m) => m.json);
    const parts = all.filter((json) => json.partial === true);
    const final = all.find((json) => json.partial === false);
    assert.ok(parts.length >= 1, `the answer grew in parts: ${JSON.stringify(all)}`);
    assert.deepEqual(parts.map((p) => p.part), parts.map((_, i) => i + 1));
    for (const part of parts) {
      assert.equal(part.messageId, final.messageId);
      assert.equal(part.replyTo, posted.messageId);
    }
    assert.equal(final.category, 'refund');
    // The final carries the whole text; an update still held back when it came need not be sent.
    const shown = parts.map((p) => p.delta).join('');
    assert.ok(shown.length > 0 && final.botMessage.startsWith(shown), `the parts are the start of the answer: ${JSON.stringify(shown)}`);
    const history = await readHistory(typing, customer.token, posted.conversationId);
    assert.deepEqual(history.json.messages.filter((m) => m.senderRole === 'BOT').map((m) => [m.messageId, m.text]),
      [[final.messageId, final.botMessage]], 'stored once, the final text');

    // A client that does not show answers growing gets the final alone.
    const plain = await newCustomer(t, typing);
    await talkToBot(typing, plain, REFUND);
    await quiet(plain.bot, 300);
    assert.deepEqual(plain.bot.all.map((m) => m.json.partial), [false], 'only the final answer without stream: true');
    assert.equal(plain.bot.all[0].json.botMessage, final.botMessage);

    // With 0 the answer comes whole.
    const atOnce = await builtin(t, { 'bot.demo-typing-ms': '0' });
    const other = await newCustomer(t, atOnce);
    await talkToBot(atOnce, other, REFUND, { stream: true });
    await quiet(other.bot, 300);
    assert.deepEqual(other.bot.all.map((m) => m.json.partial), [false], 'only the final answer with bot.demo-typing-ms 0');
    assert.equal(other.bot.all[0].json.botMessage, final.botMessage);
  });

  it('summarises a consult request and suggests replies to the agent', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await builtin(t, { 'bot.demo-typing-ms': '40', 'bot.suggest-replies': 'true' });
    const agent = await assistedAgent(t, server);
    const customer = await newCustomer(t, server);
    await talkToBot(server, customer, REFUND, { stream: true });
    const waiting = await requestConsult(customer, { category: 'refund', reason: '환불 문의' });
    const offer = await nextJson(agent.offers, { requestId: waiting.requestId });
    const published = await nextJson(agent.summaries, { requestId: waiting.requestId });
    assert.equal(published.conversationId, offer.conversationId);
    assert.equal(published.customerId, customer.id);
    const { summary } = published;
    assert.equal(typeof summary.text, 'string');
    assert.match(summary.text, /[가-힣]/, 'in Korean');
    assert.equal(summary.category, 'refund');
    assert.ok(MOODS.includes(summary.mood), `mood ${summary.mood}`);
    assert.deepEqual((await queueItem(server, agent, waiting.requestId)).summary, summary);

    await send(agent, '/app/agent.accept', { requestId: waiting.requestId });
    const assignment = await nextJson(agent.assignments, { requestId: waiting.requestId });
    assert.deepEqual(assignment.summary, summary);
    await nextStatus(customer, { requestId: waiting.requestId, status: 'connected' });
    await roomSend(customer, assignment.roomId, '환불은 언제 되나요?');
    const suggestion = await nextJson(agent.suggestions, { roomId: assignment.roomId });
    assert.equal(suggestion.suggestions.length, 2, JSON.stringify(suggestion));
    for (const text of suggestion.suggestions) {
      assert.equal(typeof text, 'string');
      assert.ok(text.trim().length > 0);
    }
  });
});
