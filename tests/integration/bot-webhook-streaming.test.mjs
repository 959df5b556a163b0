// A bot that streams its answer through the signed webhook (protocol 2): its HTTP reply promises
// the answer (2xx without botMessage), then each webhook call carries one part, numbered per
// answerId. The customer sees the answer grow under one messageId and the final text is stored
// once; repeats, gaps, bad fields, oversized or flooding streams, stalls, retractions and a human
// taking over each get the answer the contract names. A client that reconnects mid-answer reads the
// answer so far from GET /api/consult/current (botAnswer), for webhook and HTTP streams alike.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { apiRequest } from './lib/auth-http.mjs';
import {
  WEBHOOK_SECRET,
  connectCustomer,
  newGuest,
  postBotMessage,
  readHistory,
  sendWebhook,
  settle,
  startFakeBot,
  startServerWithBot,
} from './lib/bot.mjs';
import { acceptedRoom, newAgent, newCustomer, nextJson, send, startCenter } from './lib/contact-center.mjs';
import { delay, deferred, waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 20000;

// A bot that answers every /api/chat with 202 {} (the answer comes by webhook) and knows nothing
// else (404: protocol 1, so the server asks it nothing optional).
async function deferringBot(t) {
  const bot = await startFakeBot((request, res) => {
    if (request.url === '/api/chat') res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
  });
  t.after(() => bot.close());
  return bot;
}

// Short update interval so that parts sent apart reach the customer apart; a bot timeout long
// enough that no apology races the webhook unless a test wants one.
const serverFor = (t, bot, settings = {}) =>
  startServerWithBot(t, bot, { 'bot.stream-update-ms': '50', 'bot.timeout-ms': '10000', ...settings });

// A guest asks the bot once over HTTP; resolves once the bot has the question, with what a part
// needs: { customer, posted, answers }.
async function ask(t, server, bot, message = '주문한 상품은 언제 오나요?') {
  const customer = await newGuest(server);
  const { answers } = await connectCustomer(t, server, customer.token);
  const posted = await postBotMessage(server, customer.token, { message });
  assert.equal(posted.status, 202, posted.text);
  await waitUntil(() => bot.requests.some((r) => r.url === '/api/chat' && r.json?.messageId === posted.json.messageId),
    { what: 'the bot to be asked' });
  return { customer, posted: posted.json, answers };
}

// One webhook call carrying part `part` of answer `answerId` to the question `asked`.
function sendPart(server, asked, answerId, part, fields = {}, { withReplyTo = true } = {}) {
  const body = { sessionId: asked.posted.conversationId, customerId: asked.customer.id, answerId, part, ...fields };
  if (withReplyTo) body.replyTo = asked.posted.messageId;
  return sendWebhook(server, body);
}

// The same part sent again as a retrying bot would: the same fields in another order, so that the
// signature differs and the call is not refused as a replay.
function resendPart(server, asked, answerId, part, fields = {}) {
  const body = { sessionId: asked.posted.conversationId, customerId: asked.customer.id, answerId, part, ...fields,
    replyTo: asked.posted.messageId };
  return sendWebhook(server, Object.fromEntries(Object.entries(body).reverse()));
}

function assertAnswer(answer, status, expected) {
  assert.equal(answer.status, status, answer.text);
  assert.deepEqual(answer.json, expected, answer.text);
}

// An error answer: `status`, and the error code `code` (any code when undefined).
function assertError(answer, status, code) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(typeof answer.json?.error, 'string', answer.text);
  if (code !== undefined) assert.equal(answer.json.error, code, answer.text);
}

function partials(answers) {
  return answers.all.map((m) => m.json).filter((json) => json?.partial === true);
}

function finals(answers) {
  return answers.all.map((m) => m.json).filter((json) => json?.partial === false);
}

const shownText = (answers) => partials(answers).map((p) => p.delta).join('');

// Waits until the customer has been shown `text` in parts (the server merges parts that come
// within one update interval, so only the text counts).
function waitForShown(answers, text) {
  return waitUntil(() => shownText(answers) === text, { what: `the customer to be shown ${JSON.stringify(text)}; shown ${JSON.stringify(shownText(answers))}` });
}

// Waits until nothing new comes, then checks that the customer got exactly one final answer and
// nothing after it.
async function assertOneFinalLast(answers) {
  await settle(answers, 300);
  const all = answers.all.map((m) => m.json);
  assert.equal(finals(answers).length, 1, `one final answer: ${JSON.stringify(finals(answers))}`);
  assert.equal(all.at(-1).partial, false, `nothing after the final answer: ${JSON.stringify(all.at(-1))}`);
}

const nextFinal = (answers, what = 'the final answer') => answers.next((m) => m.json?.partial === false, 8000, what).then((m) => m.json);

async function storedBotMessages(server, customer, conversationId) {
  const history = await readHistory(server, customer.token, conversationId);
  assert.equal(history.status, 200, history.text);
  return history.json.messages.filter((m) => m.senderRole === 'BOT').map((m) => ({ id: m.messageId, text: m.text }));
}

async function currentConsult(server, customer) {
  const answer = await apiRequest(server, '/api/consult/current', { method: 'GET', bearer: customer.token });
  assert.equal(answer.status, 200, answer.text);
  return answer.json;
}

function assertApology(final) {
  assert.equal(final.needHuman, true, JSON.stringify(final));
  assert.equal(final.category, 'bot_unavailable', JSON.stringify(final));
  assert.equal(typeof final.botMessage, 'string');
  assert.ok(final.botMessage.length > 0);
}

// Every part the customer was shown of one answer carries the final's ids and runs 1, 2, 3 …
function assertParts(parts, final) {
  assert.ok(parts.length >= 1, 'the customer saw the answer grow');
  assert.deepEqual(parts.map((p) => p.part), parts.map((_, i) => i + 1), 'parts are numbered from 1 by the server');
  for (const part of parts) {
    assert.equal(part.conversationId, final.conversationId);
    assert.equal(part.messageId, final.messageId);
    assert.equal(part.replyTo, final.replyTo);
    assert.equal(typeof part.timestamp, 'string');
  }
}

describe('answers streamed through the webhook', () => {
  it('relays the parts as they come, then stores the final text once under the same id', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await deferringBot(t);
    const server = await serverFor(t, bot);
    const asked = await ask(t, server, bot);
    const deltas = ['주문하신 ', '상품은 ', '내일 ', '도착합니다.'];
    let sent = '';
    for (const [index, delta] of deltas.entries()) {
      assertAnswer(await sendPart(server, asked, 'ans-1', index + 1, { delta }), 200, { ok: true, part: index + 1 });
      sent += delta;
      // Each part is shown before the next is sent: the answer grows in several updates.
      await waitForShown(asked.answers, sent);
    }
    const last = await sendPart(server, asked, 'ans-1', deltas.length + 1, { final: true, category: 'delivery' });
    assertAnswer(last, 200, { ok: true, delivered: true });

    const final = await nextFinal(asked.answers);
    const parts = partials(asked.answers);
    assertParts(parts, final);
    assert.ok(parts.length >= 2, `the answer grew in several parts: ${parts.length}`);
    assert.equal(final.conversationId, asked.posted.conversationId);
    assert.equal(final.replyTo, asked.posted.messageId);
    assert.equal(final.botMessage, sent);
    assert.equal(final.needHuman, false);
    assert.equal(final.category, 'delivery');
    assert.equal(typeof final.seq, 'number');
    assert.deepEqual(await storedBotMessages(server, asked.customer, asked.posted.conversationId),
      [{ id: final.messageId, text: sent }], 'stored once, the final text only');
    await assertOneFinalLast(asked.answers);
  });

  it('needs only its first part within bot.timeout-ms, however long the whole answer takes', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await deferringBot(t);
    const server = await serverFor(t, bot, { 'bot.timeout-ms': '1000' });
    const asked = await ask(t, server, bot);
    // Without replyTo: the server takes the message still waiting for its answer.
    const options = { withReplyTo: false };
    assertAnswer(await sendPart(server, asked, 'slow', 1, { delta: '확인 중입니다' }, options), 200, { ok: true, part: 1 });
    await waitForShown(asked.answers, '확인 중입니다');
    // Past the bot timeout: a server that still waited for "the webhook" would apologise now.
    await delay(1500);
    assertAnswer(await sendPart(server, asked, 'slow', 2, { delta: '... 배송 중입니다.' }, options), 200, { ok: true, part: 2 });
    assertAnswer(await sendPart(server, asked, 'slow', 3, { final: true }, options), 200, { ok: true, delivered: true });

    const final = await nextFinal(asked.answers);
    assert.equal(final.botMessage, '확인 중입니다... 배송 중입니다.');
    assert.equal(final.replyTo, asked.posted.messageId);
    assert.notEqual(final.category, 'bot_unavailable');
    await assertOneFinalLast(asked.answers);
    assert.deepEqual((await storedBotMessages(server, asked.customer, asked.posted.conversationId)).map((m) => m.text),
      [final.botMessage]);
  });

  it('takes each part once and in order: repeats, gaps and unknown answers', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await deferringBot(t);
    const server = await serverFor(t, bot);
    const asked = await ask(t, server, bot);

    // A part > 1 of an answer that never had part 1.
    assertError(await sendPart(server, asked, 'never-started', 2, { delta: 'x' }), 409, 'part_out_of_order');
    assertAnswer(await sendPart(server, asked, 'a.b_c-d:1', 1, { delta: 'one ' }), 200, { ok: true, part: 1 });
    // A retry of part 1 is acknowledged, not taken again.
    assertAnswer(await resendPart(server, asked, 'a.b_c-d:1', 1, { delta: 'one ' }), 200, { ok: true, duplicate: true });
    await waitForShown(asked.answers, 'one ');
    // Part 3 before part 2.
    assertError(await sendPart(server, asked, 'a.b_c-d:1', 3, { delta: 'three ' }), 409, 'part_out_of_order');
    assertAnswer(await sendPart(server, asked, 'a.b_c-d:1', 2, { delta: 'two ' }), 200, { ok: true, part: 2 });
    assertAnswer(await resendPart(server, asked, 'a.b_c-d:1', 2, { delta: 'two ' }), 200, { ok: true, duplicate: true });
    await waitForShown(asked.answers, 'one two ');
    assertAnswer(await sendPart(server, asked, 'a.b_c-d:1', 3, { delta: 'three' }), 200, { ok: true, part: 3 });
    assertAnswer(await sendPart(server, asked, 'a.b_c-d:1', 4, { final: true }), 200, { ok: true, delivered: true });
    // After the answer ended.
    assertAnswer(await sendPart(server, asked, 'a.b_c-d:1', 5, { delta: 'late' }), 200, { ok: true, delivered: false });

    const final = await nextFinal(asked.answers);
    assert.equal(final.botMessage, 'one two three', 'repeats were not added twice, and no refused part was added');
    // The final carries the whole text: a part still held back when it came need not be shown.
    assert.ok(final.botMessage.startsWith(shownText(asked.answers)), `shown ${JSON.stringify(shownText(asked.answers))}`);
    await assertOneFinalLast(asked.answers);
    assert.deepEqual((await storedBotMessages(server, asked.customer, asked.posted.conversationId)).map((m) => m.text),
      ['one two three']);
  });

  it('refuses malformed parts with 400, and a customer that does not own the session with 403', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await deferringBot(t);
    const server = await serverFor(t, bot);
    const asked = await ask(t, server, bot);
    const other = await newGuest(server);
    const bad = {
      'an answerId with a space': { answerId: 'a b', part: 1, delta: 'x' },
      'an answerId with a slash': { answerId: 'a/b', part: 1, delta: 'x' },
      'an empty answerId': { answerId: '', part: 1, delta: 'x' },
      'an answerId of 129 characters': { answerId: 'a'.repeat(129), part: 1, delta: 'x' },
      'an answerId that is a number': { answerId: 7, part: 1, delta: 'x' },
      'no part': { answerId: 'ok', delta: 'x' },
      'part 0': { answerId: 'ok', part: 0, delta: 'x' },
      'part -1': { answerId: 'ok', part: -1, delta: 'x' },
      'part 2001': { answerId: 'ok', part: 2001, delta: 'x' },
      'part as a string': { answerId: 'ok', part: '1', delta: 'x' },
      'part 1.5': { answerId: 'ok', part: 1.5, delta: 'x' },
      'a delta of 4097 bytes': { answerId: 'ok', part: 1, delta: 'x'.repeat(4097) },
      'a delta that is not a string': { answerId: 'ok', part: 1, delta: 42 },
      'final that is not a boolean': { answerId: 'ok', part: 1, final: 'yes' },
      'needHuman without final': { answerId: 'ok', part: 1, delta: 'x', needHuman: true },
      'category without final': { answerId: 'ok', part: 1, delta: 'x', category: 'refund' },
      'botMessage without final': { answerId: 'ok', part: 1, botMessage: 'whole' },
      'retract without final': { answerId: 'ok', part: 1, delta: 'x', retract: true },
    };
    for (const [what, fields] of Object.entries(bad)) {
      const answer = await sendWebhook(server, {
        sessionId: asked.posted.conversationId, customerId: asked.customer.id, replyTo: asked.posted.messageId, ...fields,
      });
      assert.equal(answer.status, 400, `${what}: ${answer.status} ${answer.text}`);
      assert.equal(typeof answer.json?.error, 'string', `${what}: an error code: ${answer.text}`);
    }
    const notOwner = await sendWebhook(server, {
      sessionId: asked.posted.conversationId, customerId: other.id, answerId: 'ok', part: 1, delta: 'x',
    });
    assertError(notOwner, 403);
    const unsigned = await sendWebhook(server, {
      sessionId: asked.posted.conversationId, customerId: asked.customer.id, answerId: 'ok', part: 1, delta: 'x',
    }, { secret: null });
    assert.equal(unsigned.status, 401, unsigned.text);

    // None of them started anything: the answer starts at part 1, and the limits are inclusive
    // (128 characters of every allowed kind, a delta of 4096 bytes).
    assert.deepEqual(partials(asked.answers), [], 'a refused part was shown');
    const longest = `${'aZ09-_.:'.repeat(16)}`;
    assert.equal(longest.length, 128);
    assertAnswer(await sendPart(server, asked, longest, 1, { delta: 'y'.repeat(4096) }), 200, { ok: true, part: 1 });
    assertAnswer(await sendPart(server, asked, longest, 2, { final: true }), 200, { ok: true, delivered: true });
    const final = await nextFinal(asked.answers);
    assert.equal(final.botMessage, 'y'.repeat(4096));
  });

  it('lets a final botMessage replace the text, and a retraction end in the apology', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await deferringBot(t);
    const server = await serverFor(t, bot);

    const replaced = await ask(t, server, bot);
    await sendPart(server, replaced, 'r', 1, { delta: 'a first draft' });
    await waitForShown(replaced.answers, 'a first draft');
    const end = await sendPart(server, replaced, 'r', 2, {
      final: true, botMessage: 'the whole answer', needHuman: true, category: 'refund',
    });
    assertAnswer(end, 200, { ok: true, delivered: true });
    const final = await nextFinal(replaced.answers);
    assert.equal(final.botMessage, 'the whole answer');
    assert.equal(final.needHuman, true);
    assert.equal(final.category, 'refund');
    assert.equal(final.messageId, partials(replaced.answers)[0].messageId);
    assert.deepEqual(await storedBotMessages(server, replaced.customer, replaced.posted.conversationId),
      [{ id: final.messageId, text: 'the whole answer' }]);

    const retracted = await ask(t, server, bot);
    await sendPart(server, retracted, 'x', 1, { delta: 'oops, wrong' });
    await waitForShown(retracted.answers, 'oops, wrong');
    const taken = await sendPart(server, retracted, 'x', 2, { final: true, retract: true });
    assert.equal(taken.status, 200, taken.text);
    assert.equal(taken.json.ok, true);
    assert.equal(typeof taken.json.delivered, 'boolean');
    const apology = await nextFinal(retracted.answers);
    assertApology(apology);
    assert.equal(apology.messageId, partials(retracted.answers)[0].messageId, 'the apology replaces the half answer');
    assert.equal(apology.replyTo, retracted.posted.messageId);
    assert.deepEqual((await storedBotMessages(server, retracted.customer, retracted.posted.conversationId)).map((m) => m.text),
      [apology.botMessage], 'only the apology is stored');
  });

  it('refuses a stream over 16 KiB or one that floods the customer, with the apology under its id', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await deferringBot(t);
    const server = await serverFor(t, bot);

    // Four parts of 4000 bytes fit in 16 KiB; a fifth does not.
    const large = await ask(t, server, bot);
    for (let part = 1; part <= 4; part += 1) {
      assertAnswer(await sendPart(server, large, 'big', part, { delta: 'x'.repeat(4000) }), 200, { ok: true, part });
    }
    assertError(await sendPart(server, large, 'big', 5, { delta: 'x'.repeat(4000) }), 422, 'stream_refused');
    const cut = await nextFinal(large.answers, 'the apology for the oversized stream');
    assertApology(cut);
    assert.equal(cut.messageId, partials(large.answers)[0].messageId);
    assert.equal(cut.replyTo, large.posted.messageId);
    assertAnswer(await sendPart(server, large, 'big', 6, { final: true }), 200, { ok: true, delivered: false });
    assert.ok(shownText(large.answers).length <= 16 * 1024, 'what was shown stayed within the bound');
    assert.deepEqual((await storedBotMessages(server, large.customer, large.posted.conversationId)).map((m) => m.text),
      [cut.botMessage]);

    // One-byte parts as fast as one at a time allows: the first 200 go, and past them more than
    // 100 a second is refused.
    const flood = await ask(t, server, bot);
    let refusedAt = 0;
    for (let part = 1; part <= 2000 && refusedAt === 0; part += 1) {
      const answer = await sendPart(server, flood, 'flood', part, { delta: 'a' });
      if (answer.status === 200) {
        assert.deepEqual(answer.json, { ok: true, part }, answer.text);
        continue;
      }
      assertError(answer, 422, 'stream_refused');
      refusedAt = part;
    }
    assert.ok(refusedAt > 200, `the flood was refused, past the first 200 parts (refused at ${refusedAt || 'none of 2000'})`);
    const flooded = await nextFinal(flood.answers, 'the apology for the flood');
    assertApology(flooded);
    assert.equal(flooded.messageId, partials(flood.answers)[0].messageId);
    assert.ok(partials(flood.answers).length < refusedAt, 'parts were merged into fewer updates');
  });

  it('ends a stream that stalls or runs out of time in the apology', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await deferringBot(t);
    const server = await serverFor(t, bot, { 'bot.stream-idle-ms': '1500', 'bot.stream-total-ms': '4000' });
    const stalled = await ask(t, server, bot);
    const long = await ask(t, server, bot);

    // One stalls after its first part; the other keeps sending, each part well within the idle
    // time, until it has run longer than the total time. (Words between the numbers: a trailing
    // run of digits waits for what follows, lest it be the start of a card number.)
    await sendPart(server, stalled, 's', 1, { delta: 'let me see' });
    const keepGoing = (async () => {
      const answers = [];
      for (let part = 1; part <= 12; part += 1) {
        answers.push(await sendPart(server, long, 'l', part, { delta: `step ${part}; ` }));
        if (long.answers.find((m) => m.json?.partial === false)) break;
        await delay(500);
      }
      return answers;
    })();

    const stall = await nextFinal(stalled.answers, 'the apology for the stalled stream');
    assertApology(stall);
    assert.equal(stall.messageId, partials(stalled.answers)[0].messageId);
    assert.equal(stall.replyTo, stalled.posted.messageId);
    assertAnswer(await sendPart(server, stalled, 's', 2, { delta: 'late' }), 200, { ok: true, delivered: false });
    assert.equal((await currentConsult(server, stalled.customer)).botAnswer, null, 'no answer growing after the apology');

    const overtime = await nextFinal(long.answers, 'the apology for the stream over its total time');
    assertApology(overtime);
    assert.equal(overtime.messageId, partials(long.answers)[0].messageId);
    const sent = await keepGoing;
    assert.ok(sent.every((answer) => answer.status === 200), JSON.stringify(sent.map((a) => a.text)));
    const after = await sendPart(server, long, 'l', sent.length + 1, { final: true });
    assertAnswer(after, 200, { ok: true, delivered: false });

    for (const { customer, posted, answers } of [stalled, long]) {
      assert.equal(finals(answers).length, 1);
      assert.deepEqual((await storedBotMessages(server, customer, posted.conversationId)).map((m) => m.text),
        [finals(answers)[0].botMessage], 'only the apology is stored');
    }
  });

  it('drops the rest of the answer once an agent has the customer', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await deferringBot(t);
    const server = await startCenter(t, {
      settings: {
        'routing.mode': 'manual',
        'bot.need-human': 'offer',
        'bot.url': bot.url,
        'bot.webhook-secret': WEBHOOK_SECRET,
        'bot.timeout-ms': '10000',
        'bot.stream-update-ms': '50',
      },
    });
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    await send(customer, '/app/bot.message', { message: '결제가 두 번 됐어요', clientMessageId: 'w-1' });
    const question = await waitUntil(() => bot.requests.find((r) => r.url === '/api/chat'), { what: 'the bot to be asked' });
    const asked = {
      customer,
      posted: { conversationId: question.json.sessionId, messageId: question.json.messageId },
    };
    assertAnswer(await sendPart(server, asked, 'h', 1, { delta: '확인해 보겠습니다' }), 200, { ok: true, part: 1 });
    const first = await nextJson(customer.bot, { partial: true });

    // An agent takes the customer over while the bot is still answering.
    await acceptedRoom(customer, agent);
    assertAnswer(await sendPart(server, asked, 'h', 2, { delta: ' 잠시만요' }), 200, { ok: true, delivered: false });
    const end = await nextJson(customer.bot, { partial: false });
    assert.equal(end.interrupted, true);
    assert.equal(end.messageId, first.messageId);
    assert.equal(end.replyTo, question.json.messageId);
    assertAnswer(await sendPart(server, asked, 'h', 3, { final: true }), 200, { ok: true, delivered: false });

    await settle(customer.bot, 300);
    assert.equal(finals(customer.bot).length, 1, 'nothing after the interruption');
    assert.equal(shownText(customer.bot), '확인해 보겠습니다', 'no part after the agent took over');
    assert.deepEqual(await storedBotMessages(server, customer, asked.posted.conversationId), [], 'nothing of the bot stored');
    assert.equal((await currentConsult(server, customer)).botAnswer, null);
  });

  it('masks a card number in the parts the customer sees and in what is stored', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await deferringBot(t);
    const server = await serverFor(t, bot);
    const card = '4111 1111 1111 1111';  // passes Luhn
    const digits = (text) => text.replace(/\D/g, '');

    // The number in one part.
    const whole = await ask(t, server, bot);
    await sendPart(server, whole, 'c1', 1, { delta: `등록된 카드는 ${card} 입니다.` });
    await waitUntil(() => partials(whole.answers).length >= 1, { what: 'the first update' });
    await sendPart(server, whole, 'c1', 2, { final: true });
    const final = await nextFinal(whole.answers);
    assert.ok(!digits(shownText(whole.answers)).includes('4111111111111111'), `shown: ${shownText(whole.answers)}`);
    assert.ok(!digits(final.botMessage).includes('4111111111111111'), final.botMessage);
    assert.match(final.botMessage, /\*{4}/);
    assert.equal(shownText(whole.answers), final.botMessage, 'the parts add up to the final text');
    const [stored] = await storedBotMessages(server, whole.customer, whole.posted.conversationId);
    assert.equal(stored.text, final.botMessage);

    // The number split over two parts that reach the customer in two updates (the first shows
    // what comes before it: the digits, and the word they follow, wait for the rest).
    const split = await ask(t, server, bot);
    await sendPart(server, split, 'c2', 1, { delta: '결제하신 카드 4111 1111 ' });
    await waitUntil(() => partials(split.answers).length >= 1, { what: 'the first update' });
    await delay(200);  // past bot.stream-update-ms: the rest comes as another update
    await sendPart(server, split, 'c2', 2, { delta: '1111 1111 로 결제되었습니다.' });
    await sendPart(server, split, 'c2', 3, { final: true });
    const splitFinal = await nextFinal(split.answers);
    assert.ok(!digits(splitFinal.botMessage).includes('4111111111111111'), splitFinal.botMessage);
    const shown = shownText(split.answers);
    assert.ok(!digits(shown).includes('4111111111111111'),
      `the customer was shown the card number across parts: ${JSON.stringify(partials(split.answers).map((p) => p.delta))}`);
    const [splitStored] = await storedBotMessages(server, split.customer, split.posted.conversationId);
    assert.ok(!digits(splitStored.text).includes('4111111111111111'), splitStored.text);
  });

  it('shows nothing of a stream that starts after the customer got the apology', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await deferringBot(t);
    const server = await serverFor(t, bot, { 'bot.timeout-ms': '500' });
    const asked = await ask(t, server, bot);
    const apology = await nextFinal(asked.answers, 'the apology after bot.timeout-ms');
    assertApology(apology);

    // The bot's parts come after that: one customer message gets one answer.
    const first = await sendPart(server, asked, 'late', 1, { delta: 'a late answer' });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.ok, true);
    const last = await sendPart(server, asked, 'late', 2, { final: true });
    assertAnswer(last, 200, { ok: true, delivered: false });
    await settle(asked.answers, 300);
    assert.deepEqual(partials(asked.answers), [],
      `a part of a late answer was shown after the apology (its webhook call was answered ${first.text})`);
    assert.equal(finals(asked.answers).length, 1);
    assert.deepEqual((await storedBotMessages(server, asked.customer, asked.posted.conversationId)).map((m) => m.text),
      [apology.botMessage]);
    assert.equal((await currentConsult(server, asked.customer)).botAnswer, null, 'no late answer left growing');
  });
});

describe('the answer so far, for a client that reconnects (GET /api/consult/current)', () => {
  // Checks botAnswer against what the first client saw: the same answer, the text of every part it
  // was sent, up to the last part number it saw (or a later one).
  async function assertSnapshot(server, customer, answers, replyTo) {
    const parts = partials(answers);
    const current = await currentConsult(server, customer);
    assert.ok(current.botAnswer, `botAnswer while the answer grows: ${JSON.stringify(current)}`);
    assert.equal(current.botAnswer.messageId, parts[0].messageId);
    assert.equal(current.botAnswer.replyTo, replyTo);
    assert.ok(current.botAnswer.part >= parts.at(-1).part, `part ${current.botAnswer.part} < ${parts.at(-1).part}`);
    assert.equal(current.botAnswer.text, shownText(answers));
    return current.botAnswer;
  }

  it('gives the text of the webhook parts sent so far, and null once the answer is final', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await deferringBot(t);
    const server = await serverFor(t, bot);
    const asked = await ask(t, server, bot);
    assert.equal((await currentConsult(server, asked.customer)).botAnswer, null, 'no answer growing before the first part');

    await sendPart(server, asked, 'snap', 1, { delta: '첫 번째 ' });
    await waitForShown(asked.answers, '첫 번째 ');
    await sendPart(server, asked, 'snap', 2, { delta: '두 번째' });
    await waitForShown(asked.answers, '첫 번째 두 번째');
    // The bot pauses here; a second client of the same customer comes in.
    const snapshot = await assertSnapshot(server, asked.customer, asked.answers, asked.posted.messageId);
    assert.equal(snapshot.text, '첫 번째 두 번째');
    const second = await connectCustomer(t, server, asked.customer.token);

    await sendPart(server, asked, 'snap', 3, { delta: ' 세 번째' });
    await sendPart(server, asked, 'snap', 4, { final: true });
    const final = await nextFinal(asked.answers);
    assert.equal(final.botMessage, '첫 번째 두 번째 세 번째');
    // The second client gets what follows under the same id, the final included.
    const secondFinal = await nextFinal(second.answers, 'the final answer on the second client');
    assert.equal(secondFinal.messageId, snapshot.messageId);
    assert.equal(secondFinal.botMessage, final.botMessage);
    assert.equal((await currentConsult(server, asked.customer)).botAnswer, null, 'nothing growing after the final');
  });

  it('gives the text of an HTTP event stream sent so far, and null once the answer is final', { timeout: TEST_TIMEOUT }, async (t) => {
    const paused = deferred();
    const bot = await startFakeBot((request, res) => {
      if (request.url !== '/api/chat') {
        res.writeHead(404).end();
        return;
      }
      (async () => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write(`data: ${JSON.stringify({ delta: 'Hello, ' })}\n\n`);
        await delay(200);
        res.write(`data: ${JSON.stringify({ delta: 'your parcel ' })}\n\n`);
        await paused.promise;
        res.write(`data: ${JSON.stringify({ delta: 'arrives tomorrow.' })}\n\n`);
        res.end(`data: ${JSON.stringify({ final: true, category: 'delivery' })}\n\n`);
      })().catch(() => res.destroy());
    });
    t.after(() => bot.close());
    t.after(() => paused.resolve());
    const server = await serverFor(t, bot);
    const customer = await newGuest(server);
    const { answers } = await connectCustomer(t, server, customer.token);
    const posted = await postBotMessage(server, customer.token, { message: 'where is my parcel?' });
    assert.equal(posted.status, 202, posted.text);
    await waitForShown(answers, 'Hello, your parcel ');

    const snapshot = await assertSnapshot(server, customer, answers, posted.json.messageId);
    assert.equal(snapshot.text, 'Hello, your parcel ');
    paused.resolve();
    const final = await nextFinal(answers);
    assert.equal(final.messageId, snapshot.messageId);
    assert.equal(final.botMessage, 'Hello, your parcel arrives tomorrow.');
    assert.equal((await currentConsult(server, customer)).botAnswer, null, 'nothing growing after the final');
  });
});
