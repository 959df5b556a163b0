// The chat server with an external bot (bot.url): the example bot of examples/bot-server/ answering
// over HTTP, through the signed webhook alone (BOT_WEBHOOK=only) and both ways at once
// (BOT_WEBHOOK=1, still one answer per message); the bot failing: down, too slow, deferring to a
// webhook that never comes, and the circuit breaker that stops calling it; and stand-in bots whose
// webhook beats their HTTP reply, or that answer later without naming the message (replyTo).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  WEBHOOK_SECRET,
  closedPort,
  connectCustomer,
  newGuest,
  postBotMessage,
  readHistory,
  sendWebhook,
  settle,
  startExampleBot,
  startFakeBot,
  startWebhookRelay,
} from './lib/bot.mjs';
import { startServer } from './lib/server.mjs';
import { delay, parseMetrics, waitUntil } from './lib/util.mjs';

// The bot on its own: an answer with needHuman raises no consult request here (see
// bot-hand-over.test.mjs), so the bot keeps being asked.
const BOT_ALONE = { 'bot.need-human': 'offer' };

const TEST_TIMEOUT = 15000;

const REFUND = '환불하고 싶어요';
const PAYMENT_ERROR = '결제오류가 났어요';
// The example bot's texts (examples/bot-server/server.js).
const REFUND_TEXT = '환불은 마이페이지에서 가능합니다. 주문 내역에서 환불 신청을 눌러 주세요.';
const PAYMENT_TEXT = '결제 오류는 상담사가 도와드리겠습니다. 잠시만 기다려 주세요.';

async function stopAndCheck(server) {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
}

async function stopBot(bot) {
  if (!bot) return;
  assert.equal(await bot.stop(), 0, `example bot exit code; stderr:\n${bot.stderr()}`);
}

function assertApology(answer) {
  assert.equal(answer.needHuman, true);
  assert.equal(answer.category, 'bot_unavailable');
  assert.equal(typeof answer.botMessage, 'string');
  assert.ok(answer.botMessage.length > 0);
}

async function errorCount(server, kind) {
  const response = await fetch(`${server.httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  return parseMetrics(await response.text())[`aicc_errors_total{kind="${kind}"}`] ?? 0;
}

// Sends `texts` over HTTP as `customer` and returns the 202 bodies, in order.
async function sendAll(server, customer, texts) {
  const posted = [];
  for (const message of texts) {
    const answer = await postBotMessage(server, customer.token, { message });
    assert.equal(answer.status, 202, answer.text);
    posted.push(answer.json);
  }
  return posted;
}

// Every customer message of the conversation has exactly one bot answer naming it in replyTo, and
// the seqs run 1..n.
async function assertOneAnswerEach(server, customer, conversationId, expectedCustomerMessages) {
  const history = await readHistory(server, customer.token, conversationId, 'limit=500');
  assert.equal(history.status, 200, history.text);
  const messages = history.json.messages;
  assert.deepEqual(messages.map((m) => m.seq), messages.map((_, i) => i + 1));
  const asked = messages.filter((m) => m.senderRole === 'CUSTOMER');
  const answered = messages.filter((m) => m.senderRole === 'BOT');
  assert.equal(asked.length, expectedCustomerMessages);
  assert.deepEqual(answered.map((m) => m.replyTo).sort(), asked.map((m) => m.messageId).sort());
  return messages;
}

// The example bot answering through a webhook relay, and a chat server that calls it. The relay
// is needed because the bot must know where to send webhooks before the server's port exists.
async function startBotWithWebhook(botEnv) {
  const relay = await startWebhookRelay();
  const bot = await startExampleBot({ BOT_WEBHOOK_SECRET: WEBHOOK_SECRET, CHAT_SERVER_URL: relay.url, ...botEnv });
  const server = await startServer({
    settings: { ...BOT_ALONE, 'bot.url': bot.url, 'bot.webhook-secret': WEBHOOK_SECRET, 'bot.timeout-ms': '1000' },
  });
  relay.target = server.httpUrl;
  return { relay, bot, server };
}

describe('example bot answering over HTTP', () => {
  let bot;
  let server;
  before(async () => {
    bot = await startExampleBot();
    server = await startServer({
      settings: { ...BOT_ALONE, 'bot.url': bot.url, 'bot.webhook-secret': WEBHOOK_SECRET, 'bot.timeout-ms': '3000' },
    });
  });
  after(async () => {
    await stopAndCheck(server);
    await stopBot(bot);
  });

  it('answers HTTP and STOMP messages with its own rules', { timeout: TEST_TIMEOUT }, async (t) => {
    const customer = await newGuest(server);
    const { session, answers } = await connectCustomer(t, server, customer.token);

    const [posted] = await sendAll(server, customer, [REFUND]);
    const refund = (await answers.next()).json;
    assert.equal(refund.replyTo, posted.messageId);
    assert.equal(refund.conversationId, posted.conversationId);
    assert.equal(refund.category, 'refund');
    assert.equal(refund.needHuman, false);
    assert.equal(refund.botMessage, REFUND_TEXT);

    await session.publishWithReceipt('/app/bot.message', { message: PAYMENT_ERROR, clientMessageId: 'p-1' });
    const payment = (await answers.next()).json;
    assert.equal(payment.category, 'payment_error');
    assert.equal(payment.needHuman, true);
    assert.equal(payment.botMessage, PAYMENT_TEXT);

    // The customer's page language goes to the bot, which answers in it.
    await session.publishWithReceipt('/app/bot.message', { message: REFUND, clientMessageId: 'r-en', lang: 'en' });
    const english = (await answers.next()).json;
    assert.equal(english.category, 'refund');
    assert.match(english.botMessage, /My Page/);

    await assertOneAnswerEach(server, customer, posted.conversationId, 3);
    assert.equal((await settle(answers, 300)).length, 0);
    assert.equal(bot.stderr(), '');
  });

  it('keeps answering several customers at once', { timeout: TEST_TIMEOUT }, async (t) => {
    const customers = await Promise.all([1, 2, 3, 4].map(() => newGuest(server)));
    const inboxes = await Promise.all(customers.map((c) => connectCustomer(t, server, c.token)));
    await Promise.all(customers.map((c) => sendAll(server, c, [REFUND, PAYMENT_ERROR])));
    for (const { answers } of inboxes) {
      await answers.waitForCount(2);
      const categories = answers.all.map((a) => a.json.category).sort();
      assert.deepEqual(categories, ['payment_error', 'refund']);
    }
  });
});

describe('example bot answering by signed webhook only (BOT_WEBHOOK=only)', () => {
  let relay;
  let bot;
  let server;
  before(async () => {
    ({ relay, bot, server } = await startBotWithWebhook({ BOT_WEBHOOK: 'only', BOT_WEBHOOK_DELAY_MS: '50' }));
  });
  after(async () => {
    await stopAndCheck(server);
    await stopBot(bot);
    await relay?.close();
  });

  it('delivers the webhook answers, once each', { timeout: TEST_TIMEOUT }, async (t) => {
    const customer = await newGuest(server);
    const { answers } = await connectCustomer(t, server, customer.token);
    const posted = await sendAll(server, customer, [REFUND, PAYMENT_ERROR]);

    const first = (await answers.next((a) => a.json.replyTo === posted[0].messageId)).json;
    assert.equal(first.category, 'refund');
    assert.equal(first.needHuman, false);
    assert.equal(first.botMessage, REFUND_TEXT);
    const second = (await answers.next((a) => a.json.replyTo === posted[1].messageId)).json;
    assert.equal(second.category, 'payment_error');
    assert.equal(second.needHuman, true);

    // They came through the webhook, signed, and were delivered by it.
    await waitUntil(() => relay.calls.length >= 2, { what: 'two webhook calls' });
    for (const call of relay.calls) {
      assert.equal(call.url, '/api/bot/webhook');
      assert.equal(call.status, 200, JSON.stringify(call.answer));
      assert.deepEqual(call.answer, { ok: true, delivered: true });
      assert.match(call.headers['x-aicc-signature'], /^sha256=[0-9a-f]{64}$/);
      assert.equal(call.json.sessionId, posted[0].conversationId);
      assert.equal(call.json.customerId, customer.id);
    }
    assert.deepEqual(relay.calls.map((c) => c.json.replyTo).sort(), posted.map((p) => p.messageId).sort());

    // Nothing more, not even an apology once the bot timeout (1 s) has passed.
    await delay(1300);
    assert.equal((await settle(answers, 200)).length, 0);
    await assertOneAnswerEach(server, customer, posted[0].conversationId, 2);
    assert.equal(bot.stderr(), '', 'the bot logged a failed webhook call');
  });
});

describe('example bot answering both ways (BOT_WEBHOOK=1)', () => {
  let relay;
  let bot;
  let server;
  before(async () => {
    // No delay: the webhook races the HTTP reply.
    ({ relay, bot, server } = await startBotWithWebhook({ BOT_WEBHOOK: '1', BOT_WEBHOOK_DELAY_MS: '0' }));
  });
  after(async () => {
    await stopAndCheck(server);
    await stopBot(bot);
    await relay?.close();
  });

  it('delivers exactly one answer per message', { timeout: TEST_TIMEOUT }, async (t) => {
    const customer = await newGuest(server);
    const { answers } = await connectCustomer(t, server, customer.token);
    const texts = [REFUND, PAYMENT_ERROR, '배송 언제 와요?', '안녕하세요', REFUND, PAYMENT_ERROR];
    const posted = await sendAll(server, customer, texts);

    await answers.waitForCount(texts.length);
    await waitUntil(() => relay.calls.length >= texts.length, { what: 'the webhook calls' });
    // Wait past the bot timeout (1 s): a second answer, or an apology, would arrive by then.
    await delay(1300);
    const all = await settle(answers, 200);
    assert.equal(all.length, texts.length, `answers: ${JSON.stringify(all.map((a) => a.json))}`);
    assert.deepEqual(all.map((a) => a.json.replyTo).sort(), posted.map((p) => p.messageId).sort());
    for (const { json } of all) {
      assert.notEqual(json.category, 'bot_unavailable');
    }

    // Every webhook call was accepted; between it and the HTTP reply, one answer was delivered.
    assert.equal(relay.calls.length, texts.length);
    for (const call of relay.calls) assert.equal(call.status, 200, JSON.stringify(call.answer));
    await assertOneAnswerEach(server, customer, posted[0].conversationId, texts.length);
    assert.equal(await errorCount(server, 'bot_webhook_timeout'), 0);
    assert.equal(bot.stderr(), '', 'the bot logged a failed webhook call');
  });
});

describe('bot failures', () => {
  it('a bot that is down gets the apology at once, then its circuit opens', { timeout: TEST_TIMEOUT }, async (t) => {
    const port = await closedPort();
    // A long timeout: the apology must not wait for it.
    const server = await startServer({ settings: { ...BOT_ALONE, 'bot.url': `http://127.0.0.1:${port}`, 'bot.timeout-ms': '10000' } });
    t.after(() => stopAndCheck(server));
    const customer = await newGuest(server);
    const { answers } = await connectCustomer(t, server, customer.token);

    const started = Date.now();
    const [posted] = await sendAll(server, customer, [REFUND]);
    const apology = (await answers.next(() => true, 5000)).json;
    assert.ok(Date.now() - started < 5000, 'the apology waited for the timeout');
    assertApology(apology);
    assert.equal(apology.replyTo, posted.messageId);

    // Five failures in a row open the circuit: later messages are not even tried.
    for (let count = 2; count <= 7; count += 1) {
      await sendAll(server, customer, [REFUND]);
      await answers.waitForCount(count);
    }
    for (const { json } of answers.all) assertApology(json);
    assert.equal(await errorCount(server, 'bot_failed'), 5);
    assert.equal(await errorCount(server, 'bot_circuit_open'), 2);
    await assertOneAnswerEach(server, customer, posted.conversationId, 7);
  });

  it('a bot that never answers gets the apology after bot.timeout-ms', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await startFakeBot(() => {
      // Never answers.
    });
    t.after(() => bot.close());
    const server = await startServer({ settings: { ...BOT_ALONE, 'bot.url': bot.url, 'bot.timeout-ms': '500' } });
    t.after(() => stopAndCheck(server));
    const customer = await newGuest(server);
    const { answers } = await connectCustomer(t, server, customer.token);

    const started = Date.now();
    const [posted] = await sendAll(server, customer, [REFUND]);
    const apology = (await answers.next(() => true, 5000)).json;
    const elapsed = Date.now() - started;
    assertApology(apology);
    assert.equal(apology.replyTo, posted.messageId);
    assert.ok(elapsed >= 400, `the apology came after ${elapsed} ms, before the timeout`);

    // What the bot was asked.
    assert.equal(bot.requests.length, 1);
    const [request] = bot.requests;
    assert.equal(request.url, '/api/chat');
    assert.match(request.headers['content-type'], /^application\/json/);
    assert.deepEqual(request.json, {
      sessionId: posted.conversationId,
      customerId: customer.id,
      message: REFUND,
      messageId: posted.messageId,
    });

    // Four more time out together (five in a row): the circuit opens and the next message is
    // answered without asking the bot.
    await sendAll(server, customer, [REFUND, REFUND, REFUND, REFUND]);
    await answers.waitForCount(5, 5000);
    assert.equal(bot.requests.length, 5);
    await sendAll(server, customer, [REFUND]);
    await answers.waitForCount(6, 5000);
    assert.equal(bot.requests.length, 5, 'an open circuit still called the bot');
    for (const { json } of answers.all) assertApology(json);
    assert.equal(await errorCount(server, 'bot_circuit_open'), 1);
  });

  it('a bot that defers to a webhook that never comes gets the apology after bot.timeout-ms', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await startFakeBot((request, res) => {
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
    });
    t.after(() => bot.close());
    const server = await startServer({
      settings: { ...BOT_ALONE, 'bot.url': bot.url, 'bot.timeout-ms': '500', 'bot.webhook-secret': WEBHOOK_SECRET },
    });
    t.after(() => stopAndCheck(server));
    const customer = await newGuest(server);
    const { answers } = await connectCustomer(t, server, customer.token);

    const started = Date.now();
    const [posted] = await sendAll(server, customer, [REFUND]);
    const apology = (await answers.next(() => true, 5000)).json;
    const elapsed = Date.now() - started;
    assertApology(apology);
    assert.equal(apology.replyTo, posted.messageId);
    assert.ok(elapsed >= 400, `the apology came after ${elapsed} ms, before the timeout`);
    assert.equal(await errorCount(server, 'bot_webhook_timeout'), 1);

    // The webhook coming late is accepted but not delivered: the customer already has an answer.
    const late = await sendWebhook(server, {
      sessionId: posted.conversationId,
      customerId: customer.id,
      botMessage: 'too late',
      replyTo: posted.messageId,
    });
    assert.equal(late.status, 200, late.text);
    assert.equal(late.json.delivered, false);

    // A webhook within the timeout is delivered, and no apology follows it.
    const [second] = await sendAll(server, customer, [PAYMENT_ERROR]);
    await waitUntil(() => bot.requests.length === 2, { what: 'the second bot call' });
    const inTime = await sendWebhook(server, {
      sessionId: second.conversationId,
      customerId: customer.id,
      botMessage: 'in time',
      needHuman: true,
      category: 'payment_error',
      replyTo: second.messageId,
    });
    assert.equal(inTime.status, 200, inTime.text);
    assert.equal(inTime.json.delivered, true);
    const answer = (await answers.next()).json;
    assert.equal(answer.botMessage, 'in time');
    assert.equal(answer.replyTo, second.messageId);
    await delay(700);
    assert.equal((await settle(answers, 200)).length, 0, 'an apology followed the webhook answer');
    await assertOneAnswerEach(server, customer, posted.conversationId, 2);
  });
});

describe('bot whose webhook arrives before its HTTP reply', () => {
  // A bot that answers through the webhook first and only then replies 202 to the chat server's
  // call: the webhook wins the race every time. `withReplyTo` false plays a seed-style bot that
  // does not name the message it answers.
  async function startRacingBot(withReplyTo) {
    const state = { server: null, webhooks: [] };
    const bot = await startFakeBot((request, res) => {
      const { sessionId, customerId, message, messageId } = request.json;
      const body = { sessionId, customerId, botMessage: `answer to ${message}`, needHuman: false, category: 'general' };
      if (withReplyTo) body.replyTo = messageId;
      sendWebhook(state.server, body)
        .then((answer) => state.webhooks.push(answer))
        .catch((error) => state.webhooks.push({ status: 0, text: error.message }))
        .finally(() => res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}'));
    });
    state.bot = bot;
    return state;
  }

  for (const withReplyTo of [true, false]) {
    it(`delivers each answer once and no apology (${withReplyTo ? 'with' : 'without'} replyTo)`, { timeout: TEST_TIMEOUT }, async (t) => {
      const state = await startRacingBot(withReplyTo);
      t.after(() => state.bot.close());
      const server = await startServer({
        settings: { ...BOT_ALONE, 'bot.url': state.bot.url, 'bot.timeout-ms': '1000', 'bot.webhook-secret': WEBHOOK_SECRET },
      });
      state.server = server;
      t.after(() => stopAndCheck(server));
      const customer = await newGuest(server);
      const { answers } = await connectCustomer(t, server, customer.token);

      // One after the other, each as soon as the previous one is answered.
      const texts = ['one', 'two', 'three'];
      const posted = [];
      for (const [index, text] of texts.entries()) {
        posted.push(...(await sendAll(server, customer, [text])));
        await answers.waitForCount(index + 1, 5000);
      }
      // Past the bot timeout: an apology would have come by now.
      await delay(1300);
      const all = await settle(answers, 200);
      assert.deepEqual(all.map((a) => a.json.botMessage), texts.map((text) => `answer to ${text}`));
      assert.deepEqual(all.map((a) => a.json.replyTo), posted.map((p) => p.messageId));
      assert.deepEqual(state.webhooks.map((w) => w.status), [200, 200, 200]);
      assert.equal(await errorCount(server, 'bot_webhook_timeout'), 0);
      await assertOneAnswerEach(server, customer, posted[0].conversationId, texts.length);
    });
  }
});

describe('bot answering later by webhook without replyTo (seed style)', () => {
  it('answers the waiting messages oldest first', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await startFakeBot((request, res) => {
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    });
    t.after(() => bot.close());
    const server = await startServer({
      settings: { ...BOT_ALONE, 'bot.url': bot.url, 'bot.timeout-ms': '4000', 'bot.webhook-secret': WEBHOOK_SECRET },
    });
    t.after(() => stopAndCheck(server));
    const customer = await newGuest(server);
    const { answers } = await connectCustomer(t, server, customer.token);

    const texts = ['first', 'second', 'third', 'fourth', 'fifth'];
    const posted = await sendAll(server, customer, texts);
    await waitUntil(() => bot.requests.length === texts.length, { what: 'the bot calls' });
    for (const text of texts) {
      const answer = await sendWebhook(server, {
        sessionId: posted[0].conversationId,
        customerId: customer.id,
        botMessage: `answer to ${text}`,
      });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.json.delivered, true);
    }
    await answers.waitForCount(texts.length);
    assert.deepEqual(answers.all.map((a) => a.json.botMessage), texts.map((text) => `answer to ${text}`));
    assert.deepEqual(answers.all.map((a) => a.json.replyTo), posted.map((p) => p.messageId),
      'an answer was attached to the wrong message');
    await assertOneAnswerEach(server, customer, posted[0].conversationId, texts.length);
  });
});
