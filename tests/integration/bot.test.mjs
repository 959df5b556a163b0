// The bot conversation with the built-in demo bot (bot.url: builtin): answers over STOMP
// (/app/bot.message) and over HTTP (POST /api/bot/message) on /user/queue/bot/response, one answer
// per clientMessageId, refused inputs; and the verification of POST /api/bot/webhook (signature,
// timestamp, replay, ownership, body checks), also with no secret configured.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { apiRequest } from './lib/auth-http.mjs';
import { openStompJs, socketFactory } from './lib/clients.mjs';
import {
  BOT_RESPONSE,
  WEBHOOK_SECRET,
  connectCustomer,
  newGuest,
  postBotMessage,
  readHistory,
  resendWebhook,
  sendWebhook,
  settle,
  unixNow,
} from './lib/bot.mjs';
import { startServer } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';

// The bot on its own: an answer with needHuman raises no consult request here (see
// bot-hand-over.test.mjs), so the bot keeps being asked.
const BOT_ALONE = { 'bot.need-human': 'offer' };

const TEST_TIMEOUT = 15000;
const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const REFUND = '환불하고 싶어요';
const PAYMENT_ERROR = '결제오류가 났어요';

async function stopAndCheck(server) {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
}

function assertAnswerShape(answer) {
  assert.equal(typeof answer.conversationId, 'string');
  assert.equal(typeof answer.messageId, 'string');
  assert.equal(typeof answer.replyTo, 'string');
  assert.notEqual(answer.messageId, answer.replyTo);
  assert.ok(Number.isInteger(answer.seq) && answer.seq >= 2, `seq ${answer.seq}`);
  assert.equal(typeof answer.botMessage, 'string');
  assert.ok(answer.botMessage.length > 0);
  assert.equal(typeof answer.needHuman, 'boolean');
  assert.equal(typeof answer.category, 'string');
  assert.match(answer.timestamp, RFC3339_MS);
}

function assertRefund(answer) {
  assertAnswerShape(answer);
  assert.equal(answer.category, 'refund');
  assert.equal(answer.needHuman, false);
  assert.ok(answer.botMessage.includes('마이페이지'), answer.botMessage);
}

function assertPaymentError(answer) {
  assertAnswerShape(answer);
  assert.equal(answer.category, 'payment_error');
  assert.equal(answer.needHuman, true);
}

describe('built-in bot', () => {
  let server;
  before(async () => {
    server = await startServer({ settings: { ...BOT_ALONE, 'bot.webhook-secret': WEBHOOK_SECRET } });
  });
  after(() => stopAndCheck(server));

  it('answers over STOMP on /ws: refund without a human, payment error with one', { timeout: TEST_TIMEOUT }, async (t) => {
    const customer = await newGuest(server);
    const { session, answers } = await connectCustomer(t, server, customer.token);

    await session.publishWithReceipt('/app/bot.message', { message: REFUND, clientMessageId: 'stomp-1' });
    const refund = (await answers.next()).json;
    assertRefund(refund);
    assert.equal(refund.seq, 2, 'the customer message is seq 1, its answer seq 2');

    await session.publishWithReceipt('/app/bot.message', { message: PAYMENT_ERROR });
    const payment = (await answers.next()).json;
    assertPaymentError(payment);
    assert.equal(payment.seq, 4);
    assert.equal(payment.conversationId, refund.conversationId, 'one conversation per customer');
    assert.notEqual(payment.replyTo, refund.replyTo);

    // Each answer names the stored customer message it answers.
    const history = await readHistory(server, customer.token, refund.conversationId);
    assert.equal(history.status, 200, history.text);
    const [first, second, third, fourth] = history.json.messages;
    assert.equal(first.messageId, refund.replyTo);
    assert.equal(first.clientMessageId, 'stomp-1');
    assert.equal(first.text, REFUND);
    assert.equal(first.senderId, customer.id);
    assert.equal(second.messageId, refund.messageId);
    assert.equal(second.text, refund.botMessage);
    assert.equal(third.messageId, payment.replyTo);
    assert.equal(fourth.messageId, payment.messageId);
  });

  it('answers over HTTP: POST /api/bot/message is 202, the answer comes on STOMP', { timeout: TEST_TIMEOUT }, async (t) => {
    const customer = await newGuest(server);
    const { answers } = await connectCustomer(t, server, customer.token);

    const posted = await postBotMessage(server, customer.token, { message: REFUND, clientMessageId: 'http-1' });
    assert.equal(posted.status, 202, posted.text);
    assert.equal(typeof posted.json.messageId, 'string');
    assert.equal(typeof posted.json.conversationId, 'string');
    assert.equal(posted.json.duplicate, false);
    const refund = (await answers.next()).json;
    assertRefund(refund);
    assert.equal(refund.replyTo, posted.json.messageId);
    assert.equal(refund.conversationId, posted.json.conversationId);

    const second = await postBotMessage(server, customer.token, { message: PAYMENT_ERROR });
    assert.equal(second.status, 202, second.text);
    const payment = (await answers.next()).json;
    assertPaymentError(payment);
    assert.equal(payment.replyTo, second.json.messageId);
    assert.equal(second.json.conversationId, posted.json.conversationId);
  });

  it('answers in the customer\'s page language (lang), over STOMP and HTTP', { timeout: TEST_TIMEOUT }, async (t) => {
    const customer = await newGuest(server);
    const { session, answers } = await connectCustomer(t, server, customer.token);
    await session.publishWithReceipt('/app/bot.message', { message: REFUND, lang: 'en' });
    const english = (await answers.next()).json;
    assert.equal(english.category, 'refund');
    assert.match(english.botMessage, /My Page/);
    const posted = await postBotMessage(server, customer.token, { message: PAYMENT_ERROR, lang: 'en-US' });
    assert.equal(posted.status, 202, posted.text);
    const payment = (await answers.next()).json;
    assert.equal(payment.needHuman, true);
    assert.match(payment.botMessage, /An agent will help you/);
    await session.publishWithReceipt('/app/bot.message', { message: REFUND, lang: 'ko' });
    assertRefund((await answers.next()).json);
  });

  it('answers every STOMP session of the customer, and nobody else', { timeout: TEST_TIMEOUT }, async (t) => {
    const customer = await newGuest(server);
    const other = await newGuest(server);
    const first = await connectCustomer(t, server, customer.token);
    const second = await connectCustomer(t, server, customer.token);
    const stranger = await connectCustomer(t, server, other.token);
    const posted = await postBotMessage(server, customer.token, { message: REFUND });
    assert.equal(posted.status, 202, posted.text);
    const a = (await first.answers.next()).json;
    const b = (await second.answers.next()).json;
    assert.deepEqual(a, b);
    assert.equal(a.replyTo, posted.json.messageId);
    assert.equal((await settle(stranger.answers, 300)).length, 0, 'another customer saw the answer');
  });

  it('stores and answers a repeated clientMessageId once (HTTP, STOMP, and both at once)', { timeout: TEST_TIMEOUT }, async (t) => {
    const customer = await newGuest(server);
    const { session, answers } = await connectCustomer(t, server, customer.token);

    // HTTP, one after the other: the retry gets the first message's id.
    const body = { message: REFUND, clientMessageId: 'retry-http' };
    const first = await postBotMessage(server, customer.token, body);
    const again = await postBotMessage(server, customer.token, { ...body, message: 'changed text' });
    assert.equal(first.status, 202);
    assert.equal(again.status, 202);
    assert.equal(first.json.duplicate, false);
    assert.equal(again.json.duplicate, true);
    assert.equal(again.json.messageId, first.json.messageId);

    // HTTP, racing each other.
    const racing = { message: PAYMENT_ERROR, clientMessageId: 'retry-race' };
    const raced = await Promise.all([1, 2, 3].map(() => postBotMessage(server, customer.token, racing)));
    assert.deepEqual(raced.map((r) => r.status), [202, 202, 202]);
    assert.equal(new Set(raced.map((r) => r.json.messageId)).size, 1);
    assert.equal(raced.filter((r) => r.json.duplicate === false).length, 1);

    // STOMP, twice on the same connection, then once more over HTTP.
    const stompBody = { message: '배송 언제 와요?', clientMessageId: 'retry-stomp' };
    await session.publishWithReceipt('/app/bot.message', stompBody);
    await session.publishWithReceipt('/app/bot.message', stompBody);
    const viaHttp = await postBotMessage(server, customer.token, stompBody);
    assert.equal(viaHttp.json.duplicate, true);

    // Three distinct messages, three answers, and nothing more.
    await answers.waitForCount(3);
    const all = await settle(answers, 600);
    assert.equal(all.length, 3, `answers: ${JSON.stringify(all.map((a) => a.json))}`);
    const byReply = new Map(all.map((a) => [a.json.replyTo, a.json]));
    assert.equal(byReply.size, 3);
    assert.equal(byReply.get(first.json.messageId).category, 'refund');
    assert.equal(byReply.get(raced[0].json.messageId).category, 'payment_error');
    assert.equal(byReply.get(viaHttp.json.messageId).category, 'delivery');

    const history = await readHistory(server, customer.token, first.json.conversationId);
    assert.equal(history.status, 200);
    const messages = history.json.messages;
    assert.deepEqual(messages.map((m) => m.seq), [1, 2, 3, 4, 5, 6]);
    const customerMessages = messages.filter((m) => m.senderRole === 'CUSTOMER');
    assert.deepEqual(customerMessages.map((m) => m.clientMessageId), ['retry-http', 'retry-race', 'retry-stomp']);
    assert.equal(customerMessages[0].text, REFUND, 'a retry does not change the stored text');
  });

  it('refuses bad messages without closing the STOMP connection', { timeout: TEST_TIMEOUT }, async (t) => {
    const customer = await newGuest(server);
    const { session, answers } = await connectCustomer(t, server, customer.token);
    const errors = await session.subscribe('/user/queue/errors');

    assert.equal((await apiRequest(server, '/api/bot/message', { json: { message: REFUND } })).status, 401);
    const agent = mintToken({ secret: server.secret, role: 'AGENT' });
    assert.equal((await postBotMessage(server, agent, { message: REFUND })).status, 403);
    for (const bad of [{}, { message: '' }, { message: 42 }, { message: 'x'.repeat(4001) },
      { message: 'hi', clientMessageId: 7 }, { message: 'hi', clientMessageId: 'x'.repeat(129) },
      { message: 'hi', lang: 7 }, { message: 'hi', lang: '' }, { message: 'hi', lang: 'e'.repeat(17) },
      { message: 'hi', lang: 'en"><script>' }]) {
      const answer = await postBotMessage(server, customer.token, bad);
      assert.equal(answer.status, 400, JSON.stringify(bad).slice(0, 80));
      assert.equal(answer.json.error, 'bad_request');
    }
    const notJson = await apiRequest(server, '/api/bot/message', {
      bearer: customer.token, body: 'message=hi', headers: { 'content-type': 'application/json' },
    });
    assert.equal(notJson.status, 400);
    // Not even sent as JSON.
    const asText = await apiRequest(server, '/api/bot/message', {
      bearer: customer.token, body: 'message=hi', headers: { 'content-type': 'text/plain' },
    });
    assert.equal(asText.status, 415);

    const refusal = (await session.publishRefused('/app/bot.message', '{"message":', errors)).json;
    assert.equal(refusal.code, 'bad_request');
    await session.publishWithReceipt('/app/bot.message', { message: REFUND });
    assertRefund((await answers.next()).json);
    assert.equal((await settle(answers, 300)).length, 0, 'no answer to a refused message');
  });
});

describe('bot webhook verification', () => {
  let server;
  let customer;
  let conversationId;
  let session;
  let answers;

  // An answer the bot could send for `customer`; each one different, so that two of them signed
  // within the same second are not the same request (a replay).
  let replies = 0;
  const reply = (extra = {}) => ({
    sessionId: conversationId,
    customerId: customer.id,
    botMessage: `late answer ${++replies}`,
    needHuman: false,
    category: 'general',
    ...extra,
  });

  function assertRefused(answer, status, code) {
    assert.equal(answer.status, status, answer.text);
    assert.equal(typeof answer.json?.message, 'string', answer.text);
    if (code) assert.equal(answer.json.error, code);
  }

  before(async () => {
    server = await startServer({ settings: { ...BOT_ALONE, 'bot.webhook-secret': WEBHOOK_SECRET } });
    customer = await newGuest(server);
    session = await openStompJs({
      factory: socketFactory(server, 'ws'),
      connectHeaders: { Authorization: `Bearer ${customer.token}` },
    });
    answers = await session.subscribe(BOT_RESPONSE);
    const posted = await postBotMessage(server, customer.token, { message: REFUND });
    assert.equal(posted.status, 202);
    conversationId = posted.json.conversationId;
    // The built-in bot's answer; every webhook call below is refused, or answers a message that
    // already has its answer, so nothing more may arrive (checked in `after`).
    await answers.next();
  });
  after(async () => {
    if (answers) {
      const extra = await settle(answers, 300);
      assert.equal(extra.length, 0, `unexpected answers: ${extra.map((a) => a.body)}`);
    }
    await session?.close();
    await stopAndCheck(server);
  });

  it('accepts a signed call, and delivers nothing for an answered message', { timeout: TEST_TIMEOUT }, async () => {
    const ok = await sendWebhook(server, reply());
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.ok, true);
    assert.equal(ok.json.delivered, false);

    const history = await readHistory(server, customer.token, conversationId);
    assert.equal(history.json.messages.length, 2, 'one customer message, one answer');
  });

  it('refuses unsigned calls and broken signature headers with 401', { timeout: TEST_TIMEOUT }, async () => {
    assertRefused(await sendWebhook(server, reply(), { secret: null }), 401);
    const signed = await sendWebhook(server, reply(), { secret: 'not-the-secret' });
    assertRefused(signed, 401, 'bad_signature');
    const ts = String(unixNow());
    const cases = [
      { 'x-aicc-timestamp': ts },
      { 'x-aicc-signature': signed.request.headers['x-aicc-signature'] },
      { 'x-aicc-timestamp': ts, 'x-aicc-signature': 'sha256=' },
      { 'x-aicc-timestamp': ts, 'x-aicc-signature': 'sha256=zz' + '0'.repeat(62) },
      { 'x-aicc-timestamp': ts, 'x-aicc-signature': 'md5=' + '0'.repeat(32) },
      { 'x-aicc-timestamp': 'yesterday', 'x-aicc-signature': signed.request.headers['x-aicc-signature'] },
    ];
    for (const headers of cases) {
      const answer = await apiRequest(server, '/api/bot/webhook', {
        body: JSON.stringify(reply()),
        headers: { 'content-type': 'application/json', ...headers },
      });
      assertRefused(answer, 401);
    }
  });

  it('refuses a wrong secret and a body changed after signing with 401', { timeout: TEST_TIMEOUT }, async () => {
    assertRefused(await sendWebhook(server, reply(), { secret: `${WEBHOOK_SECRET}x` }), 401, 'bad_signature');
    const good = await sendWebhook(server, reply({ botMessage: 'first' }));
    assert.equal(good.status, 200, good.text);
    const tampered = { body: Buffer.from(JSON.stringify(reply({ botMessage: 'changed' }))), headers: good.request.headers };
    assertRefused(await resendWebhook(server, tampered), 401, 'bad_signature');
    // The same signature under a later timestamp does not verify either.
    const moved = { ...good.request, headers: { ...good.request.headers, 'x-aicc-timestamp': String(unixNow() + 1) } };
    assertRefused(await resendWebhook(server, moved), 401, 'bad_signature');
  });

  it('refuses a stale or far-future timestamp with 401', { timeout: TEST_TIMEOUT }, async () => {
    assertRefused(await sendWebhook(server, reply(), { timestamp: unixNow() - 600 }), 401, 'stale_timestamp');
    assertRefused(await sendWebhook(server, reply(), { timestamp: unixNow() + 600 }), 401, 'stale_timestamp');
    assertRefused(await sendWebhook(server, reply(), { timestamp: 0 }), 401, 'stale_timestamp');
    // Within the 5 minutes either way it is accepted.
    assert.equal((await sendWebhook(server, reply(), { timestamp: unixNow() - 240 })).status, 200);
  });

  it('refuses the same signed request twice with 409', { timeout: TEST_TIMEOUT }, async () => {
    const first = await sendWebhook(server, reply({ botMessage: 'once' }));
    assert.equal(first.status, 200, first.text);
    assertRefused(await resendWebhook(server, first.request), 409, 'replay');
    assertRefused(await resendWebhook(server, first.request), 409, 'replay');
  });

  it('refuses a customerId that does not own the session with 403', { timeout: TEST_TIMEOUT }, async () => {
    const other = await newGuest(server);
    const posted = await postBotMessage(server, other.token, { message: REFUND });
    assert.equal(posted.status, 202);
    assertRefused(await sendWebhook(server, reply({ customerId: other.id })), 403, 'forbidden');
    assertRefused(await sendWebhook(server, reply({ customerId: 'nobody' })), 403, 'forbidden');
    // Nor may an answer name another conversation's message.
    const foreign = reply({ replyTo: posted.json.messageId });
    assert.equal((await sendWebhook(server, foreign)).status, 404);
  });

  it('refuses an unknown session with 404', { timeout: TEST_TIMEOUT }, async () => {
    assertRefused(await sendWebhook(server, reply({ sessionId: 'c_000000000000' })), 404, 'not_found');
    assertRefused(await sendWebhook(server, reply({ replyTo: 'm_000000000000' })), 404, 'not_found');
  });

  it('refuses bodies that are not a webhook answer with 400', { timeout: TEST_TIMEOUT }, async () => {
    const bad = [
      '{"sessionId":',
      'not json',
      '[]',
      'null',
      JSON.stringify({ ...reply(), botMessage: undefined }),
      JSON.stringify({ ...reply(), botMessage: 42 }),
      JSON.stringify({ ...reply(), sessionId: undefined }),
      JSON.stringify({ ...reply(), needHuman: 'yes' }),
    ];
    for (const body of bad) {
      const answer = await sendWebhook(server, body);
      assert.equal(answer.status, 400, `${body}: ${answer.text}`);
    }
    const badUtf8 = Buffer.concat([Buffer.from('{"sessionId":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    assert.equal((await sendWebhook(server, badUtf8)).status, 400);
  });

  it('refuses a 100 KB body with 413', { timeout: TEST_TIMEOUT }, async () => {
    const big = JSON.stringify(reply({ botMessage: 'x'.repeat(100 * 1024) }));
    assertRefused(await sendWebhook(server, big), 413, 'too_large');
    // Still serving.
    assert.equal((await sendWebhook(server, reply())).status, 200);
  });
});

describe('bot webhook refusals in the log', () => {
  it('logs a refusal with its reason and the correlation id of the answer, once per reason and interval', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startServer({ settings: { ...BOT_ALONE, 'bot.webhook-secret': WEBHOOK_SECRET } });
    t.after(() => stopAndCheck(server));
    const customer = await newGuest(server);
    const posted = await postBotMessage(server, customer.token, { message: REFUND });
    const body = (n) => ({ sessionId: posted.json.conversationId, customerId: customer.id, botMessage: `answer ${n}` });

    const first = await sendWebhook(server, body(1), { secret: `${WEBHOOK_SECRET}x` });
    assert.equal(first.status, 401, first.text);
    assert.equal(first.json.error, 'bad_signature');
    assert.match(first.json.correlationId, /^r[0-9a-f]{16}$/);
    assert.equal(first.json.requestId, first.json.correlationId);
    assert.equal(first.headers.get('x-request-id'), first.json.correlationId);
    await server.waitForLog(new RegExp(`warn.*bot webhook refused: bad_signature \\(.+\\) status=401 .*request=${first.json.correlationId}`));

    // The same reason again at once is answered the same way but not logged again; another
    // reason is.
    const second = await sendWebhook(server, body(2), { secret: `${WEBHOOK_SECRET}x` });
    assert.equal(second.status, 401, second.text);
    assert.notEqual(second.json.correlationId, first.json.correlationId);
    const stale = await sendWebhook(server, body(3), { timestamp: unixNow() - 600 });
    assert.equal(stale.json.error, 'stale_timestamp');
    await server.waitForLog(new RegExp(`bot webhook refused: stale_timestamp .*request=${stale.json.correlationId}`));
    assert.doesNotMatch(server.stderr, new RegExp(second.json.correlationId));
  });

  it('refuses JSON routes a body of another type with 415', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startServer({ settings: { ...BOT_ALONE, 'bot.webhook-secret': WEBHOOK_SECRET } });
    t.after(() => stopAndCheck(server));
    const customer = await newGuest(server);
    const asText = { 'content-type': 'text/plain' };
    const message = await apiRequest(server, '/api/bot/message', {
      bearer: customer.token, body: JSON.stringify({ message: REFUND }), headers: asText,
    });
    assert.equal(message.status, 415, message.text);
    assert.equal(message.json.error, 'unsupported_media_type');
    const webhook = await apiRequest(server, '/api/bot/webhook', { body: JSON.stringify({}), headers: asText });
    assert.equal(webhook.status, 415, webhook.text);
    const canned = await apiRequest(server, '/api/agent/canned-responses', {
      method: 'PUT', bearer: mintToken({ secret: server.secret, role: 'AGENT' }), body: '{"responses":[]}', headers: asText,
    });
    assert.equal(canned.status, 415, canned.text);
    // As JSON it is taken.
    assert.equal((await postBotMessage(server, customer.token, { message: REFUND })).status, 202);
  });
});

describe('bot webhook without a secret', () => {
  it('answers 503 while signatures are required', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startServer({ settings: BOT_ALONE });
    t.after(() => stopAndCheck(server));
    const customer = await newGuest(server);
    const posted = await postBotMessage(server, customer.token, { message: REFUND });
    const body = { sessionId: posted.json.conversationId, customerId: customer.id, botMessage: 'hi' };
    const unsigned = await sendWebhook(server, body, { secret: null });
    assert.equal(unsigned.status, 503, unsigned.text);
    assert.equal(unsigned.json.error, 'webhook_disabled');
    assert.equal((await sendWebhook(server, body, { secret: 'guess' })).status, 503);
  });

  it('accepts unsigned calls with bot.webhook-require-signature=false, and warns', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startServer({ settings: { ...BOT_ALONE, 'bot.webhook-require-signature': 'false' } });
    t.after(() => stopAndCheck(server));
    await server.waitForLog(/warn.*webhook-require-signature/);
    const customer = await newGuest(server);
    const { answers } = await connectCustomer(t, server, customer.token);
    const posted = await postBotMessage(server, customer.token, { message: REFUND });
    assertRefund((await answers.next()).json);
    const body = { sessionId: posted.json.conversationId, customerId: customer.id, botMessage: 'hi' };
    const unsigned = await sendWebhook(server, body, { secret: null });
    assert.equal(unsigned.status, 200, unsigned.text);
    assert.equal(unsigned.json.delivered, false, 'the message already had its answer');
    // The other checks still apply.
    assert.equal((await sendWebhook(server, { ...body, customerId: 'nobody' }, { secret: null })).status, 403);
    assert.equal((await sendWebhook(server, '{', { secret: null })).status, 400);
    assert.equal((await settle(answers, 300)).length, 0);
  });
});
