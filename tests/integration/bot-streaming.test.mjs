// A bot that streams its answer (protocol 2): as text/event-stream or NDJSON, the customer gets
// the answer growing (partial: true, one messageId, numbered parts) and then the final text, stored
// once under that id; a stream that stalls, breaks off, floods, grows too large or ends without
// its final part ends in the apology under the same id; a retraction without a replacement ends in
// the apology too; and once a human has the customer, the rest of the stream is dropped.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { connectCustomer, newGuest, postBotMessage, readHistory, startFakeBot, startServerWithBot } from './lib/bot.mjs';
import { acceptedRoom, fullHistory, newAgent, newCustomer, nextJson, send, startCenter } from './lib/contact-center.mjs';
import { delay } from './lib/util.mjs';

const TEST_TIMEOUT = 20000;

// A bot whose answer is `script(res)`: it writes the head and parts as it likes.
async function streamingBot(t, script) {
  const bot = await startFakeBot((request, res) => {
    script(res, request).catch(() => res.destroy());
  });
  t.after(() => bot.close());
  return bot;
}

const sse = (res) => res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
const event = (res, part) => res.write(`data: ${JSON.stringify(part)}\n\n`);

const serverFor = (t, bot, settings = {}) => startServerWithBot(t, bot, { 'bot.stream-update-ms': '50', ...settings });

// Asks the bot once; resolves with { posted, answers (the customer's inbox), final }.
async function ask(t, server, message = '안녕하세요') {
  const customer = await newGuest(server);
  const { answers } = await connectCustomer(t, server, customer.token);
  const posted = await postBotMessage(server, customer.token, { message });
  assert.equal(posted.status, 202, posted.text);
  const final = (await answers.next((m) => m.json.partial === false, 10000, 'the final answer')).json;
  return { customer, posted: posted.json, answers, final };
}

function partials(answers) {
  return answers.all.map((m) => m.json).filter((json) => json.partial === true);
}

async function storedBotTexts(server, customer, conversationId) {
  const history = await readHistory(server, customer.token, conversationId);
  assert.equal(history.status, 200, history.text);
  return history.json.messages.filter((m) => m.senderRole === 'BOT').map((m) => ({ id: m.messageId, text: m.text }));
}

function assertApology(final) {
  assert.equal(final.needHuman, true);
  assert.equal(final.category, 'bot_unavailable');
}

describe('streamed bot answers', () => {
  it('relays server-sent events as they come, then stores the final text once under the same id', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await streamingBot(t, async (res) => {
      sse(res);
      res.write(': warming up\n\n');
      for (const delta of ['안녕', '하세요, ', '무엇을 ', '도와드릴까요?']) {
        event(res, { delta });
        await delay(120);
      }
      event(res, { final: true, needHuman: false, category: 'greeting' });
      res.end('data: [DONE]\n\n');
    });
    const server = await serverFor(t, bot);
    const { customer, posted, answers, final } = await ask(t, server);

    assert.match(bot.requests[0].headers.accept, /text\/event-stream/);
    const parts = partials(answers);
    assert.ok(parts.length >= 2, `the answer grew in parts: ${parts.length}`);
    assert.deepEqual(parts.map((p) => p.part), parts.map((_, i) => i + 1), 'parts are numbered from 1');
    for (const part of parts) {
      assert.equal(part.messageId, final.messageId);
      assert.equal(part.replyTo, posted.messageId);
    }
    assert.equal(parts.map((p) => p.delta).join(''), '안녕하세요, 무엇을 도와드릴까요?');
    assert.equal(final.botMessage, '안녕하세요, 무엇을 도와드릴까요?');
    assert.equal(final.category, 'greeting');
    assert.deepEqual(await storedBotTexts(server, customer, posted.conversationId),
      [{ id: final.messageId, text: final.botMessage }], 'stored once, the final text only');
  });

  it('reads NDJSON, and a final botMessage replaces the parts', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await streamingBot(t, async (res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"delta":"draft "}\n');
      await delay(80);
      res.end('{"delta":"text"}\n{"final":true,"botMessage":"the whole answer","needHuman":true,"category":"refund"}\n');
    });
    const server = await serverFor(t, bot);
    const { customer, posted, final } = await ask(t, server);
    assert.equal(final.botMessage, 'the whole answer');
    assert.equal(final.needHuman, true);
    assert.equal(final.category, 'refund');
    assert.deepEqual((await storedBotTexts(server, customer, posted.conversationId)).map((m) => m.text), ['the whole answer']);
  });

  it('ends a stream that stalls, breaks off, ends without its final part or is retracted in the apology', { timeout: 30000 }, async (t) => {
    const scripts = {
      stalls: async (res) => {
        sse(res);
        event(res, { delta: 'thinking' });
        await delay(3000);
        res.end();
      },
      breaks: async (res) => {
        sse(res);
        event(res, { delta: 'half' });
        await delay(50);
        res.destroy();
      },
      unfinished: async (res) => {
        sse(res);
        event(res, { delta: 'no end' });
        res.end();
      },
      retracted: async (res) => {
        sse(res);
        event(res, { delta: 'oops' });
        event(res, { final: true, retract: true });
        res.end();
      },
    };
    for (const [name, script] of Object.entries(scripts)) {
      const bot = await streamingBot(t, script);
      const server = await serverFor(t, bot, { 'bot.stream-idle-ms': '300' });
      const { customer, posted, answers, final } = await ask(t, server);
      assertApology(final);
      const parts = partials(answers);
      assert.ok(parts.length >= 1, `${name}: the part before the trouble was shown`);
      assert.equal(final.messageId, parts[0].messageId, `${name}: the apology replaces the half answer`);
      assert.deepEqual((await storedBotTexts(server, customer, posted.conversationId)).map((m) => m.text), [final.botMessage],
        `${name}: only the apology is stored`);
    }
  });

  it('cuts off a stream that grows too large or floods the customer', { timeout: TEST_TIMEOUT }, async (t) => {
    const scripts = {
      oversized: async (res) => {
        sse(res);
        for (let i = 0; i < 10; i += 1) event(res, { delta: 'x'.repeat(4000) });
        event(res, { final: true });
        res.end();
      },
      flooding: async (res) => {
        sse(res);
        for (let i = 0; i < 1000; i += 1) event(res, { delta: 'a' });
        event(res, { final: true });
        res.end();
      },
    };
    for (const [name, script] of Object.entries(scripts)) {
      const bot = await streamingBot(t, script);
      const server = await serverFor(t, bot);
      const { answers, final } = await ask(t, server);
      assertApology(final);
      const shown = partials(answers).map((p) => p.delta).join('');
      assert.ok(shown.length <= 16 * 1024, `${name}: what was shown stayed within the answer's bound`);
      assert.ok(partials(answers).length <= 30, `${name}: updates were throttled (${partials(answers).length})`);
    }
  });

  it('drops the rest of a stream once a human has the customer', { timeout: TEST_TIMEOUT }, async (t) => {
    let release;
    const released = new Promise((resolve) => { release = resolve; });
    const bot = await streamingBot(t, async (res) => {
      sse(res);
      event(res, { delta: 'let me check' });
      await released;
      for (let i = 0; i < 5; i += 1) {
        event(res, { delta: ' more' });
        await delay(80);
      }
      event(res, { final: true });
      res.end();
    });
    const server = await startCenter(t, {
      settings: { 'bot.need-human': 'offer', 'bot.url': bot.url, 'bot.stream-update-ms': '50' },
    });
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    await send(customer, '/app/bot.message', { message: 'where is my order', clientMessageId: 'b-1' });
    const first = await nextJson(customer.bot, { partial: true });

    // An agent takes the customer over while the bot is still answering.
    await acceptedRoom(customer, agent);
    release();

    const end = await nextJson(customer.bot, { partial: false });
    assert.equal(end.interrupted, true);
    assert.equal(end.messageId, first.messageId);
    await delay(600);
    assert.equal(customer.bot.all.filter((m) => m.json.partial === false).length, 1, 'no answer after the interruption');
    const history = await fullHistory(server, customer.token, first.conversationId);
    assert.deepEqual(history.filter((m) => m.senderRole === 'BOT'), [], 'nothing of the bot stored');
  });
});
