// The LLM bot example (examples/llm-bot/) against a fake OpenAI-compatible model server written
// here: the parts it streams to the chat server, its JSON answers, the prompts it sends, how it
// copes with what real model servers do (reasoning fields, usage chunks, errors and dropped
// streams, prompts too long or cut short, slow models, crowds), the agent's summary and reply
// suggestions, and one conversation through the real chat server.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { connectCustomer, newGuest, postBotMessage, startNodeService, startServerWithBot } from './lib/bot.mjs';
import { repoRoot } from './lib/server.mjs';
import { deferred, delay, waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 10000;
const SSE_ACCEPT = 'application/json, text/event-stream, application/x-ndjson';
const API_KEY = 'sk-test-key-0123456789';
const PROMPT_MARKER = 'You are the test shop assistant (marker 7f3a).';
const botPath = join(repoRoot, 'examples', 'llm-bot', 'server.js');

// ---- the fake model server -----------------------------------------------------------------

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// An OpenAI-compatible server whose answers the tests script: next(handler, ...) queues one
// handler per coming request (else `fallback` answers). Records every request and the most
// requests it held at once since the last reset().
async function startFakeModel() {
  const handlers = [];
  const requests = [];
  let inFlight = 0;
  let peak = 0;
  const server = createServer(async (req, res) => {
    const text = await readBody(req);
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    requests.push({ method: req.method, url: req.url, headers: req.headers, json });
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    res.on('close', () => (inFlight -= 1));
    const handler = handlers.shift() ?? fake.fallback;
    try {
      await handler(res, json);
    } catch {
      res.destroy();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const fake = {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    requests,
    fallback: streamed(['Hello.']),
    next: (...more) => handlers.push(...more),
    last: () => requests.at(-1),
    get peak() {
      return peak;
    },
    get inFlight() {
      return inFlight;
    },
    reset() {
      handlers.length = 0;
      peak = inFlight;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
  return fake;
}

const chunk = (delta, finish = null) => ({
  id: 'chatcmpl-test',
  object: 'chat.completion.chunk',
  created: 1700000000,
  model: 'test-model',
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const USAGE = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
const usageChunk = (usage = USAGE) => ({ id: 'chatcmpl-test', object: 'chat.completion.chunk', choices: [], usage });

// Waits `ms`, or less when the bot hangs up meanwhile, so no timer outlives its request.
function pause(res, ms) {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      res.removeListener('close', done);
      resolve();
    }
    res.once('close', done);
  });
}

const sseHead = (res) => res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
const event = (res, json) => res.write(`data: ${JSON.stringify(json)}\n\n`);

// A streamed answer like vLLM's: a role chunk, `pieces` (text, or delta objects) `gapMs` apart,
// the finish reason, a usage chunk with `choices: []`, then [DONE]. `headDelayMs` holds the
// answer back before anything is sent.
function streamed(pieces, { gapMs = 0, headDelayMs = 0, finish = 'stop', usage = USAGE } = {}) {
  return async (res) => {
    if (headDelayMs) await pause(res, headDelayMs);
    if (res.destroyed) return;
    sseHead(res);
    event(res, chunk({ role: 'assistant', content: '' }));
    for (const piece of pieces) {
      if (gapMs) await pause(res, gapMs);
      if (res.destroyed) return;
      event(res, chunk(typeof piece === 'string' ? { content: piece } : piece));
    }
    event(res, chunk({}, finish));
    if (usage) event(res, usageChunk(usage));
    res.end('data: [DONE]\n\n');
  };
}

// A whole (not streamed) completion whose message content is `content`.
const completion = (content, extra = {}) => (res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
    id: 'chatcmpl-test',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content, ...extra }, finish_reason: 'stop' }],
    usage: USAGE,
  }));
};

const failure = (status, message, type = 'invalid_request_error') => (res) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message, type, code: null } }));
};

// ---- the bot as a child process ------------------------------------------------------------

// Starts examples/llm-bot/server.js on a free port against `fake` with `env` (and nothing from
// the caller's environment). Killed when the test process exits, whatever happened.
function startLlmBot(fake, env = {}) {
  return startNodeService(botPath, { LLM_BASE_URL: fake?.url ?? '', LLM_MODEL: 'test-model', ...env }, 'llm bot');
}

// ---- talking to the bot ----------------------------------------------------------------------

let sessions = 0;
// A chat body in a new session unless `sessionId` is given.
const message = (text, extra = {}) => ({ sessionId: `s-${(sessions += 1)}`, customerId: 'cust-1', message: text, ...extra });

// The server-sent events of a whole answer, each `data: <json>\n\n`.
function parseParts(raw) {
  return raw.split('\n\n').filter((event) => event !== '').map((event) => {
    assert.match(event, /^data: /, `every event is one data line: ${JSON.stringify(event)}`);
    return JSON.parse(event.slice('data: '.length));
  });
}

// Checks the answer keeps the chat server's bounds: one final part, last; text parts with a
// delta of at most 4096 bytes and nothing else; under 16 KiB and 2000 parts in all.
function assertWellFormed(parts) {
  assert.ok(parts.length > 0 && parts.length < 2000, `${parts.length} parts`);
  assert.equal(parts.filter((p) => p.final === true).length, 1, 'exactly one final part');
  assert.equal(parts.at(-1).final, true, 'the final part comes last');
  let total = 0;
  for (const part of parts.slice(0, -1)) {
    assert.deepEqual(Object.keys(part), ['delta'], `a text part: ${JSON.stringify(part)}`);
    assert.equal(typeof part.delta, 'string');
    const size = Buffer.byteLength(part.delta);
    assert.ok(size <= 4096, `a delta of ${size} bytes`);
    total += size;
  }
  assert.ok(total < 16 * 1024, `${total} bytes of text`);
}

// POSTs `body` to the bot's /api/chat as the chat server does and resolves with the response
// as soon as its head arrives; `signal` hangs up.
function openChat(bot, body, { accept = SSE_ACCEPT, signal = AbortSignal.timeout(8000) } = {}) {
  return fetch(`${bot.url}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

// POSTs `body` to the bot's /api/chat. An SSE answer comes back as {status, parts, text, final},
// a JSON one as {status, json}.
async function chat(bot, body, accept = SSE_ACCEPT) {
  const response = await openChat(bot, body, { accept });
  const raw = await response.text();
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/event-stream')) return { status: response.status, json: JSON.parse(raw) };
  const parts = parseParts(raw);
  assertWellFormed(parts);
  const text = parts.slice(0, -1).map((p) => p.delta).join('');
  return { status: response.status, parts, text, final: parts.at(-1) };
}

async function post(bot, path, body) {
  const response = await fetch(`${bot.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(8000),
  });
  return { status: response.status, json: await response.json() };
}

const health = async (bot) => (await fetch(`${bot.url}/health`)).json();
const systemPrompt = (request) => request.json.messages[0].content;
const notSystem = (request) => request.json.messages.slice(1);

// ---- the suites ----------------------------------------------------------------------------

let fake;
let bot; // with an API key, a custom system prompt, short timeouts and a small history
let plain; // defaults, no API key
let promptDir;

before(async () => {
  fake = await startFakeModel();
  promptDir = await mkdtemp(join(tmpdir(), 'llm-bot-'));
  const promptFile = join(promptDir, 'system-prompt.txt');
  await writeFile(promptFile, `${PROMPT_MARKER}\nBe brief.\n`);
  bot = await startLlmBot(fake, {
    LLM_API_KEY: API_KEY,
    SYSTEM_PROMPT_FILE: promptFile,
    LLM_FIRST_TOKEN_MS: '600',
    LLM_TIMEOUT_MS: '1500',
    LLM_MAX_HISTORY_CHARS: '300',
    BOT_KEEPALIVE_MS: '150',
  });
  plain = await startLlmBot(fake);
});

// A test that failed half-way leaves no scripted answers behind for the next one.
beforeEach(() => fake?.reset());

after(async () => {
  const codes = await Promise.allSettled([bot?.stop(), plain?.stop()]);
  await fake?.close();
  if (promptDir) await rm(promptDir, { recursive: true, force: true });
  for (const result of codes) {
    if (result.status === 'fulfilled' && result.value !== undefined) assert.equal(result.value, 0, 'a clean exit');
  }
  for (const started of [bot, plain]) {
    assert.doesNotMatch(started?.stderr() ?? '', /^\s+at /m, 'no internal error was logged');
  }
});

describe('llm bot: the protocol', () => {
  it('says what it can do', { timeout: TEST_TIMEOUT }, async () => {
    const response = await fetch(`${bot.url}/api/capabilities`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { protocol: 2, streaming: true, summary: true, suggestions: true });
  });

  it('streams the model\'s text as parts, then the final part', { timeout: TEST_TIMEOUT }, async () => {
    fake.next(streamed(['안녕하세요', ', 무엇을 ', '도와드릴까요?'], { gapMs: 80 }));
    const answer = await chat(bot, message('안녕'));
    assert.equal(answer.status, 200);
    assert.equal(answer.text, '안녕하세요, 무엇을 도와드릴까요?');
    assert.ok(answer.parts.length >= 3, 'the text came in several parts as the model wrote it');
    assert.deepEqual(answer.final, { final: true, needHuman: false, category: 'general' });
  });

  it('answers one JSON object when the caller does not take event streams', { timeout: TEST_TIMEOUT }, async () => {
    fake.next(streamed(['Your order ', 'ships today.'], { gapMs: 20 }));
    const answer = await chat(bot, message('where is my order', { messageId: 'm-7', lang: 'en' }), 'application/json');
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, { botMessage: 'Your order ships today.', needHuman: false, category: 'general', replyTo: 'm-7' });
  });

  it('gathers tiny tokens into few parts', { timeout: TEST_TIMEOUT }, async () => {
    const letters = [...'gathered into a handful of parts, not one per token. '.repeat(4)];
    fake.next(streamed(letters));
    const answer = await chat(plain, message('tell me'));
    assert.equal(answer.text, letters.join(''));
    assert.ok(answer.parts.length <= 10, `${answer.parts.length} parts for ${letters.length} tokens`);
  });

  it('keeps a long answer within the chat server\'s bounds and ends it cleanly', { timeout: TEST_TIMEOUT }, async () => {
    // Chunks of over 4096 bytes each: split into parts, then cut where the answer is full.
    fake.next(streamed(Array.from({ length: 6 }, (_, i) => `${'가'.repeat(1500)}${i} `)));
    const answer = await chat(plain, message('write a lot'));
    assert.equal(answer.final.retract, undefined);
    assert.equal(answer.final.needHuman, false);
    assert.ok(Buffer.byteLength(answer.text) > 12 * 1024, 'it said as much as fits');
    assert.ok(Buffer.byteLength(answer.text) <= 15 * 1024);
  });

  it('stops the model call when the chat server hangs up', { timeout: TEST_TIMEOUT }, async () => {
    fake.next(streamed(Array(100).fill('word '), { gapMs: 50 }));
    const hangUp = new AbortController();
    const response = await openChat(plain, message('talk a while'), { signal: hangUp.signal });
    const reader = response.body.getReader();
    assert.match(new TextDecoder().decode((await reader.read()).value), /word/);
    hangUp.abort();
    await waitUntil(() => fake.inFlight === 0, { timeoutMs: 1000, what: 'the model call to end' });
    await waitUntil(async () => (await health(plain)).active === 0, { timeoutMs: 1000, what: 'the slot to be free' });
  });

  it('refuses bad bodies with JSON errors', { timeout: TEST_TIMEOUT }, async () => {
    const bad = [
      '{"sessionId":"s","customerId":"c"}',
      '{"sessionId":"s","customerId":"c","message":42}',
      '{"sessionId":"","customerId":"c","message":"hi"}',
      '{"sessionId":"s","message":"hi"}',
      '{"sessionId":"s","customerId":"c","message":"hi","messageId":7}',
      '{"sessionId":"s","customerId":"c","message":"hi","lang":["en"]}',
      `{"sessionId":"${'s'.repeat(300)}","customerId":"c","message":"hi"}`,
      '{"sessionId":"s",',
      '[]',
      'null',
    ];
    const before = fake.requests.length;
    for (const body of bad) {
      const answer = await chat(bot, body);
      assert.equal(answer.status, 400, body);
      assert.equal(answer.json.error, 'bad_request', body);
      assert.equal(typeof answer.json.message, 'string');
    }
    const large = await chat(bot, message('x'.repeat(70 * 1024)));
    assert.equal(large.status, 413);
    assert.equal(large.json.error, 'too_large');
    assert.equal(fake.requests.length, before, 'no bad body reached the model');
  });

  it('answers unknown paths with a JSON 404', { timeout: TEST_TIMEOUT }, async () => {
    for (const [method, path] of [['GET', '/api/nothing'], ['GET', '/api/chat'], ['POST', '/api/capabilities']]) {
      const response = await fetch(`${bot.url}${path}`, { method });
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.equal((await response.json()).error, 'not_found');
    }
  });
});

describe('llm bot: the prompt', () => {
  it('sends the system prompt, the language, the tool, usage streaming and the key', { timeout: TEST_TIMEOUT }, async () => {
    fake.next(streamed(['Hi!']));
    await chat(bot, message('hello', { lang: 'en' }));
    const request = fake.last();
    assert.equal(request.url, '/v1/chat/completions');
    assert.equal(request.headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(request.json.model, 'test-model');
    assert.equal(request.json.stream, true);
    assert.deepEqual(request.json.stream_options, { include_usage: true });
    assert.equal(request.json.tools[0].function.name, 'transfer_to_agent');
    assert.deepEqual(request.json.messages.map((m) => m.role), ['system', 'user']);
    assert.ok(systemPrompt(request).startsWith(PROMPT_MARKER), 'the prompt file comes first');
    assert.match(systemPrompt(request), /answer in English/);
    assert.equal(request.json.messages[1].content, 'hello');

    fake.next(streamed(['안녕하세요']));
    await chat(bot, message('hello', { lang: 'ko-KR' }));
    assert.match(systemPrompt(fake.last()), /answer in Korean/);
  });

  it('uses its own system prompt and sends no key when none is set', { timeout: TEST_TIMEOUT }, async () => {
    fake.next(streamed(['안녕하세요']));
    await chat(plain, message('hello'));
    const request = fake.last();
    assert.equal(request.headers.authorization, undefined);
    assert.match(systemPrompt(request), /transfer_to_agent/);
    assert.match(systemPrompt(request), /\[CARD\]/, 'it explains the placeholders');
    assert.match(systemPrompt(request), /answer in Korean/, 'BOT_LANG_DEFAULT is ko');
  });

  it('keeps the conversation, trimmed to the newest turns within LLM_MAX_HISTORY_CHARS', { timeout: TEST_TIMEOUT }, async () => {
    const session = message('').sessionId;
    const said = [];
    for (let i = 1; i <= 8; i += 1) {
      const text = `question number ${i} ${'.'.repeat(40)}`;
      fake.next(streamed([`answer ${i}`]));
      await chat(bot, { ...message(text), sessionId: session });
      said.push(text);
      const sent = notSystem(fake.last());
      assert.equal(sent.at(-1).content, text, 'the new message comes last');
      assert.deepEqual(sent.map((m) => m.role), sent.map((_, j) => (j % 2 === 0 ? 'user' : 'assistant')), 'user and assistant take turns');
      const chars = sent.reduce((sum, m) => sum + m.content.length, 0);
      assert.ok(chars <= 300, `${chars} characters of conversation`);
    }
    const sent = notSystem(fake.last());
    assert.ok(sent.length >= 3 && sent.length < 15, 'the oldest turns were dropped');
    assert.equal(sent.at(-3).content, said.at(-2), 'the newest turns were kept');
    assert.equal(sent.at(-2).content, 'answer 7');
  });

  it('keeps sessions of different customers apart', { timeout: TEST_TIMEOUT }, async () => {
    fake.next(streamed(['first']));
    await chat(bot, { sessionId: 'shared-id', customerId: 'alice', message: 'from alice' });
    fake.next(streamed(['second']));
    await chat(bot, { sessionId: 'shared-id', customerId: 'bob', message: 'from bob' });
    assert.deepEqual(notSystem(fake.last()).map((m) => m.content), ['from bob']);
  });
});

describe('llm bot: reasoning, usage and tools', () => {
  it('never shows or keeps the reasoning', { timeout: TEST_TIMEOUT }, async () => {
    const session = message('').sessionId;
    fake.next(streamed([
      { reasoning_content: 'The customer wants SECRET-REASONING-1.' },
      { reasoning: 'Also SECRET-REASONING-2.' },
      'Refunds take ',
      { content: 'three days.', reasoning_content: 'SECRET-REASONING-3' },
    ], { gapMs: 10 }));
    const first = await chat(bot, { ...message('refund?'), sessionId: session });
    assert.equal(first.text, 'Refunds take three days.');
    assert.doesNotMatch(JSON.stringify(first.parts), /SECRET/);

    // A model that writes its reasoning inline, in a tag split across chunks.
    fake.next(streamed(['<thi', 'nk>SECRET-REASONING-4', ' more</th', 'ink>\n\n', 'Yes, ', 'you can.']));
    const second = await chat(bot, { ...message('really?'), sessionId: session });
    assert.equal(second.text, 'Yes, you can.');

    fake.next(streamed(['ok']));
    await chat(bot, { ...message('thanks'), sessionId: session });
    const history = notSystem(fake.last());
    assert.deepEqual(history.map((m) => m.content), ['refund?', 'Refunds take three days.', 'really?', 'Yes, you can.', 'thanks']);
    assert.doesNotMatch(JSON.stringify(fake.last().json), /SECRET/);
  });

  it('reads the usage chunk with no choices, and llama.cpp timings', { timeout: TEST_TIMEOUT }, async () => {
    const before = (await health(plain)).usage;
    fake.next(streamed(['counted'], { usage: { prompt_tokens: 1000, completion_tokens: 50, total_tokens: 1050 } }));
    assert.equal((await chat(plain, message('count me'))).text, 'counted');
    fake.next(async (res) => {
      sseHead(res);
      event(res, chunk({ content: 'timed' }));
      event(res, { ...chunk({}, 'stop'), timings: { prompt_n: 200, predicted_n: 5 }, truncated: false });
      res.end('data: [DONE]\n\n');
    });
    assert.equal((await chat(plain, message('time me'))).text, 'timed');
    const now = (await health(plain)).usage;
    assert.equal(now.calls - before.calls, 2);
    assert.equal(now.promptTokens - before.promptTokens, 1200);
    assert.equal(now.completionTokens - before.completionTokens, 55);
  });

  it('hands over when the model calls the tool, its arguments in fragments', { timeout: TEST_TIMEOUT }, async () => {
    const call = (fn, extra = {}) => ({ tool_calls: [{ index: 0, ...extra, function: fn }] });
    fake.next(streamed([
      call({ name: 'transfer_to_agent', arguments: '' }, { id: 'call_1', type: 'function' }),
      call({ arguments: '{"categ' }),
      call({ arguments: 'ory": "Refund Request!", "rea' }),
      call({ arguments: 'son": "wants a person"}' }),
    ], { gapMs: 10, finish: 'tool_calls' }));
    const korean = await chat(bot, message('환불이 이상해요'));
    assert.equal(korean.text, '상담사를 연결해 드리겠습니다.', 'a short line when the model said nothing');
    assert.deepEqual(korean.final, { final: true, needHuman: true, category: 'refund_request' });

    // With text of its own, and arguments that do not parse: still a hand-over.
    fake.next(streamed([
      'Let me get a colleague.',
      call({ name: 'transfer_to_agent', arguments: '{"category": ' }, { id: 'call_2', type: 'function' }),
    ], { finish: 'tool_calls' }));
    const english = await chat(bot, message('this is odd', { lang: 'en' }));
    assert.equal(english.text, 'Let me get a colleague.');
    assert.deepEqual(english.final, { final: true, needHuman: true, category: 'agent_request' });
  });

  it('hands over on the keyword rules, and never on the model\'s wording', { timeout: TEST_TIMEOUT }, async () => {
    const cases = [
      { text: '상담원 연결해 주세요', category: 'agent_request' },
      { text: 'I want a HUMAN', category: 'agent_request' },
      { text: '결제 오류가 났어요', category: 'payment_error' },
    ];
    for (const { text, category } of cases) {
      fake.next(streamed(['네, 잠시만 기다려 주세요.']));
      const answer = await chat(bot, message(text));
      assert.deepEqual(answer.final, { final: true, needHuman: true, category }, text);
      assert.match(systemPrompt(fake.last()), new RegExp(`handed over to a human agent \\(topic: ${category}\\)`));
    }
    fake.next(streamed(['상담사를 연결해 드리겠습니다. Connecting you to an agent.']));
    const answer = await chat(bot, message('배송 언제 와요?'));
    assert.deepEqual(answer.final, { final: true, needHuman: false, category: 'general' });
  });
});

describe('llm bot: what model servers do wrong', () => {
  it('reads any SSE framing: split lines, CRLF, comments, "data:" without space, data over lines', { timeout: TEST_TIMEOUT }, async () => {
    const content = (text) => JSON.stringify(chunk({ content: text }));
    const wire = Buffer.from([
      ': ping\r\n\r\n',
      `data: ${JSON.stringify(chunk({ role: 'assistant' }))}\r\n\r\n`,
      `data:${content('안녕하세요')}\r\n\r\n`,
      'event: message\r\nid: 7\r\n',
      `data: {"choices":[{"index":0,\r\ndata: "delta":{"content":", 반갑"},\r\ndata: "finish_reason":null}]}\r\n\r\n`,
      `data: ${content('습니다!')}\n\n`,
      `data: ${JSON.stringify(chunk({}, 'stop'))}\r\r`,
      'data: [DONE]',
    ].join(''));
    fake.next(async (res) => {
      sseHead(res);
      // Odd slice sizes cut lines, "\r\n" pairs and the UTF-8 bytes of Hangul syllables.
      const sizes = [1, 2, 3, 5, 7, 11];
      for (let at = 0, i = 0; at < wire.length; i += 1) {
        const size = sizes[i % sizes.length];
        res.write(wire.subarray(at, at + size));
        at += size;
        await delay(1);
      }
      res.end();
    });
    const answer = await chat(bot, message('hi'));
    assert.equal(answer.text, '안녕하세요, 반갑습니다!');
    assert.equal(answer.final.needHuman, false);
  });

  it('reads a server that answers a streamed call in one JSON piece', { timeout: TEST_TIMEOUT }, async () => {
    fake.next(completion('All in one go.', { reasoning_content: 'SECRET-REASONING' }));
    const answer = await chat(bot, message('hi'));
    assert.equal(answer.text, 'All in one go.');
    assert.deepEqual(answer.final, { final: true, needHuman: false, category: 'general' });
  });

  it('halves the history after llama.cpp cut the prompt', { timeout: TEST_TIMEOUT }, async () => {
    const session = message('').sessionId;
    for (const i of [1, 2, 3]) {
      fake.next(streamed([`a${i}`]));
      await chat(bot, { ...message(`q${i}`), sessionId: session });
    }
    fake.next(async (res) => {
      sseHead(res);
      event(res, chunk({ content: 'a4' }));
      event(res, { ...chunk({}, 'stop'), truncated: true, timings: { prompt_n: 4096, predicted_n: 2 } });
      res.end('data: [DONE]\n\n');
    });
    assert.equal((await chat(bot, { ...message('q4'), sessionId: session })).text, 'a4');
    fake.next(streamed(['a5']));
    await chat(bot, { ...message('q5'), sessionId: session });
    const sent = notSystem(fake.last()).map((m) => m.content);
    assert.deepEqual(sent.slice(-3), ['q4', 'a4', 'q5'], 'the cut turn is kept');
    assert.ok(!sent.includes('q1') && sent.length < 9, `the older turns were halved: ${sent}`);
  });

  it('takes the answer back when the model fails in the middle of its stream', { timeout: TEST_TIMEOUT }, async () => {
    const scripts = {
      'an error event': async (res) => {
        sseHead(res);
        event(res, chunk({ content: 'Half an ' }));
        await delay(60);
        event(res, { error: { message: 'CUDA out of memory', type: 'server_error', code: 500 } });
        res.end();
      },
      'an event: error': async (res) => {
        sseHead(res);
        event(res, chunk({ content: 'Half an ' }));
        await delay(60);
        res.end('event: error\ndata: {"message":"engine dead"}\n\n');
      },
      'a dropped connection': async (res) => {
        sseHead(res);
        event(res, chunk({ content: 'Half an ' }));
        await delay(60);
        res.destroy();
      },
      'a stream that just ends': async (res) => {
        sseHead(res);
        event(res, chunk({ content: 'Half an ' }));
        await delay(60);
        res.end();
      },
    };
    for (const [name, script] of Object.entries(scripts)) {
      fake.next(script);
      const answer = await chat(bot, message('tell me'));
      assert.equal(answer.text, 'Half an ', `${name}: the text before the trouble was sent`);
      assert.equal(answer.final.retract, true, `${name}: then taken back`);
      assert.equal(answer.final.needHuman, true, name);
    }
  });

  it('takes the answer back on an error status, or apologizes in JSON', { timeout: TEST_TIMEOUT }, async () => {
    fake.next(failure(500, 'internal error', 'server_error'));
    const streamedAnswer = await chat(bot, message('hello'));
    assert.deepEqual(streamedAnswer.parts, [{ final: true, retract: true, needHuman: true, category: 'bot_error' }]);

    fake.next(failure(503, 'overloaded', 'server_error'));
    const json = await chat(bot, message('hello', { lang: 'en' }), 'application/json');
    assert.equal(json.status, 200);
    assert.equal(json.json.needHuman, true);
    assert.equal(json.json.category, 'bot_error');
    assert.match(json.json.botMessage, /agent/);

    // The failed turns were not kept: the next message in the session starts afresh.
    fake.next(failure(500, 'internal error', 'server_error'));
    const session = message('').sessionId;
    await chat(bot, { ...message('first try'), sessionId: session });
    fake.next(streamed(['ok']));
    await chat(bot, { ...message('second try'), sessionId: session });
    assert.deepEqual(notSystem(fake.last()).map((m) => m.content), ['second try']);
  });

  it('asks again with half the history when the prompt is too long for the model', { timeout: TEST_TIMEOUT }, async () => {
    const session = message('').sessionId;
    for (let i = 1; i <= 4; i += 1) {
      fake.next(streamed([`a${i}`]));
      await chat(bot, { ...message(`turn ${i} ${'-'.repeat(30)}`), sessionId: session });
    }
    const before = fake.requests.length;
    fake.next(
      failure(400, "This model's maximum context length is 4096 tokens. However, you requested 5210 tokens."),
      streamed(['Short enough now.']),
    );
    const answer = await chat(bot, { ...message('and now?'), sessionId: session });
    assert.equal(answer.text, 'Short enough now.');
    assert.equal(answer.final.needHuman, false);
    const [tooLong, retried] = fake.requests.slice(before).map(notSystem);
    assert.equal(fake.requests.length - before, 2, 'one retry');
    assert.ok(retried.length < tooLong.length, `${retried.length} messages after ${tooLong.length}`);
    assert.equal(retried.at(-1).content, 'and now?');
    assert.deepEqual(retried.slice(0, -1), tooLong.slice(tooLong.length - retried.length, -1), 'the newest turns stayed');

    // A second refusal is not retried again.
    fake.next(
      failure(400, 'the request exceeds the available context size, try increasing it', 'exceed_context_size_error'),
      failure(400, 'the request exceeds the available context size, try increasing it', 'exceed_context_size_error'),
    );
    const again = await chat(bot, { ...message('still there?'), sessionId: session });
    assert.equal(again.final.retract, true);
  });

  it('ends the answer with what was said when the model hits its length limit', { timeout: TEST_TIMEOUT }, async () => {
    fake.next(streamed(['The steps are: first, open ', 'My Page; second'], { finish: 'length' }));
    const answer = await chat(bot, message('how do I return it?'));
    assert.equal(answer.text, 'The steps are: first, open My Page; second');
    assert.deepEqual(answer.final, { final: true, needHuman: false, category: 'general' });

    // All of its budget spent on reasoning: nothing to say, so nothing is claimed.
    fake.next(streamed([{ reasoning_content: 'thinking '.repeat(20) }], { finish: 'length' }));
    const empty = await chat(bot, message('and?'));
    assert.equal(empty.final.retract, true);
  });

  it('gives up on a model that does not start, stalls, or takes too long', { timeout: TEST_TIMEOUT }, async () => {
    const cases = {
      'no first token': { script: streamed(['late'], { headDelayMs: 5000 }), withinMs: 3000 },
      stalls: {
        script: async (res) => {
          sseHead(res);
          event(res, chunk({ content: 'I was saying' }));
          await pause(res, 5000);
          res.end();
        },
        withinMs: 3000,
      },
      'too slow in all': { script: streamed(Array(50).fill('word '), { gapMs: 100 }), withinMs: 3500 },
    };
    for (const [name, { script, withinMs }] of Object.entries(cases)) {
      fake.next(script);
      const started = Date.now();
      const answer = await chat(bot, message('hello'));
      const took = Date.now() - started;
      assert.equal(answer.final.retract, true, name);
      assert.ok(took < withinMs, `${name}: took ${took} ms`);
    }
  });

  it('keeps the stream alive with empty parts while the model is thinking', { timeout: TEST_TIMEOUT }, async () => {
    fake.next(streamed([...Array(10).fill({ reasoning_content: 'hmm ' }), 'Done thinking.'], { gapMs: 50 }));
    const answer = await chat(bot, message('think hard'));
    assert.equal(answer.text, 'Done thinking.');
    const firstText = answer.parts.findIndex((p) => p.delta);
    assert.ok(firstText >= 1, 'something came before the text');
    assert.ok(answer.parts.slice(0, firstText).every((p) => p.delta === ''), 'the parts before it are empty');
  });

  it('asks again without tools when the model server refuses them, and from then on', { timeout: TEST_TIMEOUT }, async () => {
    const before = fake.requests.length;
    fake.next(failure(500, 'tools param requires --jinja flag', 'server_error'), streamed(['No tools needed.']));
    const answer = await chat(plain, message('hello'));
    assert.equal(answer.text, 'No tools needed.');
    fake.next(streamed(['Still fine.']));
    await chat(plain, message('hello again'));
    const [refused, retried, later] = fake.requests.slice(before).map((r) => r.json);
    assert.ok(refused.tools);
    assert.equal(retried.tools, undefined);
    assert.equal(later.tools, undefined);
    assert.equal((await health(plain)).tools, false);
  });
});

describe('llm bot: limits', () => {
  let small;
  before(async () => {
    small = await startLlmBot(fake, {
      LLM_MAX_CONCURRENT: '1',
      LLM_MAX_QUEUE: '1',
      LLM_FIRST_TOKEN_MS: '1500',
      BOT_MAX_SESSIONS: '2',
    });
  });
  after(async () => {
    if (small) assert.equal(await small.stop(), 0, small.stderr());
  });

  it('queues over the limit and hands over at once beyond the queue', { timeout: TEST_TIMEOUT }, async () => {
    const gate = deferred();
    const held = (text) => async (res) => {
      await gate.promise;
      await streamed([text])(res);
    };
    fake.next(held('first answer'), held('second answer'));
    const before = fake.requests.length;
    const first = chat(small, message('one'));
    await waitUntil(() => fake.requests.length === before + 1, { what: 'the first call at the model' });
    const second = chat(small, message('two'));
    await waitUntil(async () => (await health(small)).queued === 1, { what: 'the second message queued' });

    const started = Date.now();
    const third = await chat(small, message('three'));
    assert.ok(Date.now() - started < 1000, 'refused at once');
    assert.deepEqual(third.parts, [{
      final: true,
      needHuman: true,
      category: 'bot_busy',
      botMessage: '지금은 문의가 많아 상담사를 연결해 드리겠습니다. 잠시만 기다려 주세요.',
    }]);
    assert.equal(fake.requests.length, before + 1, 'the queued and the refused message wait');

    gate.resolve();
    assert.equal((await first).text, 'first answer');
    assert.equal((await second).text, 'second answer');
    assert.equal(fake.peak, 1, 'one model call at a time');
    assert.deepEqual(await health(small).then((h) => [h.active, h.queued]), [0, 0]);
  });

  it('hands over a message that waited in the queue too long', { timeout: TEST_TIMEOUT }, async () => {
    fake.next(streamed(Array(50).fill('word '), { gapMs: 100 }));
    const hangUp = new AbortController();
    const busy = openChat(small, message('talk a while'), { signal: hangUp.signal });
    await waitUntil(async () => (await health(small)).active === 1, { what: 'the first call' });
    const started = Date.now();
    const waited = await chat(small, message('my turn?', { lang: 'en' }), 'application/json');
    const took = Date.now() - started;
    assert.ok(took >= 1200 && took < 4000, `handed over after ${took} ms in the queue`);
    assert.equal(waited.json.needHuman, true);
    assert.equal(waited.json.category, 'bot_busy');
    assert.match(waited.json.botMessage, /agent/);
    hangUp.abort();
    await busy.then((response) => response.body.cancel()).catch(() => {});
    await waitUntil(async () => (await health(small)).active === 0, { what: 'the slot to be free' });
  });

  it('forgets the least recently used sessions beyond BOT_MAX_SESSIONS', { timeout: TEST_TIMEOUT }, async () => {
    const say = async (sessionId, text) => {
      fake.next(streamed([`re: ${text}`]));
      await chat(small, { sessionId, customerId: 'cust-1', message: text });
      return notSystem(fake.last()).map((m) => m.content);
    };
    await say('lru-a', 'a1');
    await say('lru-b', 'b1');
    assert.deepEqual(await say('lru-a', 'a2'), ['a1', 're: a1', 'a2'], 'a is the most recent now');
    await say('lru-c', 'c1'); // b, the least recently used, goes
    assert.deepEqual(await say('lru-b', 'b2'), ['b2'], 'b was forgotten');
    assert.deepEqual(await say('lru-c', 'c2'), ['c1', 're: c1', 'c2']);
  });
});

describe('llm bot: the agent\'s summary and suggestions', () => {
  const conversation = (extra = {}) => ({
    conversationId: 'conv-1',
    customerId: 'cust-1',
    messages: [
      { from: 'customer', text: '환불하고 싶어요. 주문번호는 [CARD] 아니고 A-17입니다.' },
      { from: 'bot', text: '환불은 마이페이지에서 가능합니다.' },
      { from: 'customer', text: '안 돼요!! 사람 불러 주세요' },
    ],
    ...extra,
  });

  it('sums up the conversation from a JSON object inside prose', { timeout: TEST_TIMEOUT }, async () => {
    const object = '{"summary": "  고객이 주문 A-17의 환불을\\n원합니다.  ", "category": "Refund Request", "mood": "Frustrated"}';
    fake.next(completion(`Here it is:\n\`\`\`json\n${object}\n\`\`\``));
    const answer = await post(bot, '/api/summary', conversation({ lang: 'en' }));
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, {
      summary: '고객이 주문 A-17의 환불을 원합니다.',
      category: 'refund_request',
      mood: 'frustrated',
    });
    const request = fake.last().json;
    assert.equal(request.stream, false);
    assert.deepEqual(request.response_format, { type: 'json_object' });
    assert.match(request.messages[0].content, /in English/);
    assert.match(request.messages[1].content, /Customer: 환불하고 싶어요/);
    assert.match(request.messages[1].content, /Bot: 환불은/);
  });

  it('clamps every field and drops a mood it does not know', { timeout: TEST_TIMEOUT }, async () => {
    const oversized = { summary: '가'.repeat(2000), category: `x${'_very_long'.repeat(20)}`, mood: 'furious' };
    fake.next(completion(JSON.stringify(oversized), { reasoning_content: '{"summary": "not this"}' }));
    const answer = await post(bot, '/api/summary', conversation());
    assert.equal(answer.status, 200);
    assert.ok(Buffer.byteLength(answer.json.summary) <= 1000);
    assert.ok(answer.json.summary.length >= 300);
    assert.ok(answer.json.category.length <= 64);
    assert.match(answer.json.category, /^[a-z0-9]+(_[a-z0-9]+)*$/);
    assert.equal('mood' in answer.json, false);

    fake.next(completion('<think>{"summary": "not this either"}</think>{"summary": "The real one.", "category": 42}'));
    const thought = await post(bot, '/api/summary', conversation());
    assert.deepEqual(thought.json, { summary: 'The real one.', category: 'general' });
  });

  it('answers 502 when the model fails or says nothing usable', { timeout: TEST_TIMEOUT }, async () => {
    fake.next(failure(500, 'boom', 'server_error'));
    const failed = await post(bot, '/api/summary', conversation());
    assert.equal(failed.status, 502);
    assert.equal(failed.json.error, 'model_failed');
    assert.equal(typeof failed.json.message, 'string');
    for (const content of ['I cannot summarise this.', '{"summary": ""}', '{"category": "refund"}']) {
      fake.next(completion(content));
      const unusable = await post(bot, '/api/summary', conversation());
      assert.equal(unusable.status, 502, content);
      assert.equal(unusable.json.error, 'bad_model_answer');
    }
  });

  it('suggests up to three replies, from an array or an object, or none', { timeout: TEST_TIMEOUT }, async () => {
    const body = conversation({ roomId: 'room-1' });
    fake.next(completion('["첫째 답변", "둘째 답변", "셋째 답변", "넷째 답변"]'));
    const fromArray = await post(bot, '/api/suggestions', body);
    assert.equal(fromArray.status, 200);
    assert.deepEqual(fromArray.json, { suggestions: ['첫째 답변', '둘째 답변', '셋째 답변'] });
    assert.match(fake.last().json.messages[0].content, /in Korean/);

    fake.next(completion(`Sure. {"suggestions": ["", 7, "  Sorry for the wait.  ", "Sorry for the wait.", "${'a'.repeat(1500)}"]}`));
    const fromObject = await post(bot, '/api/suggestions', { ...body, lang: 'en' });
    assert.equal(fromObject.status, 200);
    assert.equal(fromObject.json.suggestions.length, 2, 'empty, non-text and repeated ones left out');
    assert.equal(fromObject.json.suggestions[0], 'Sorry for the wait.');
    assert.equal(Buffer.byteLength(fromObject.json.suggestions[1]), 1000);

    fake.next(completion('{"suggestions": []}'));
    assert.deepEqual((await post(bot, '/api/suggestions', body)).json, { suggestions: [] }, 'nothing to suggest');

    fake.next(failure(502, 'upstream down', 'server_error'));
    assert.equal((await post(bot, '/api/suggestions', body)).status, 502);
    fake.next(completion('no idea'));
    assert.equal((await post(bot, '/api/suggestions', body)).status, 502);
  });

  it('refuses bad bodies with JSON errors', { timeout: TEST_TIMEOUT }, async () => {
    const good = conversation({ roomId: 'room-1' });
    const bad = [
      { ...good, conversationId: undefined },
      { ...good, customerId: 5 },
      { ...good, messages: [] },
      { ...good, messages: 'hello' },
      { ...good, messages: [{ from: 'someone', text: 'hi' }] },
      { ...good, messages: [{ from: 'customer', text: null }] },
      { ...good, lang: 1 },
    ];
    const before = fake.requests.length;
    for (const path of ['/api/summary', '/api/suggestions']) {
      for (const body of bad) {
        const answer = await post(bot, path, body);
        assert.equal(answer.status, 400, `${path} ${JSON.stringify(body)}`);
        assert.equal(answer.json.error, 'bad_request');
      }
      assert.equal((await post(bot, path, '{"messages":')).status, 400);
    }
    assert.equal((await post(bot, '/api/suggestions', { ...good, roomId: '' })).status, 400);
    const large = await post(bot, '/api/summary', { ...good, messages: [{ from: 'customer', text: 'x'.repeat(70 * 1024) }] });
    assert.equal(large.status, 413);
    assert.equal(fake.requests.length, before, 'no bad body reached the model');
  });
});

describe('llm bot: startup', () => {
  it('will not start without the model server\'s address and model', { timeout: TEST_TIMEOUT }, async () => {
    for (const env of [{ LLM_BASE_URL: '' }, { LLM_MODEL: '' }, { LLM_TIMEOUT_MS: 'soon' }, { BOT_LANG_DEFAULT: 'fr' }]) {
      await assert.rejects(startLlmBot(fake, env), /exited with 2/, JSON.stringify(env));
    }
  });
});

describe('llm bot: through the chat server', () => {
  let e2eBot;
  before(async () => {
    e2eBot = await startLlmBot(fake);
  });
  after(async () => {
    if (e2eBot) assert.equal(await e2eBot.stop(), 0, e2eBot.stderr());
  });

  it('the customer sees the model\'s answer grow, then the final text', { timeout: 20000 }, async (t) => {
    const pieces = ['Hello! ', 'Your parcel ', 'left our warehouse ', 'this morning.'];
    fake.next(streamed(pieces, { gapMs: 150 }));
    const server = await startServerWithBot(t, e2eBot, { 'bot.stream-update-ms': '50' });
    const customer = await newGuest(server);
    const { answers } = await connectCustomer(t, server, customer.token);
    const posted = await postBotMessage(server, customer.token, { message: 'where is my parcel?', lang: 'en' });
    assert.equal(posted.status, 202, posted.text);

    const final = (await answers.next((m) => m.json.partial === false, 10000, 'the final answer')).json;
    const partials = answers.all.map((m) => m.json).filter((json) => json.partial === true);
    assert.ok(partials.length >= 2, `the answer grew in ${partials.length} parts`);
    for (const part of partials) assert.equal(part.messageId, final.messageId);
    assert.equal(partials.map((p) => p.delta).join(''), pieces.join(''));
    assert.equal(final.botMessage, pieces.join(''));
    assert.equal(final.needHuman, false);
    assert.equal(final.category, 'general');

    const request = fake.last().json;
    assert.equal(request.messages.at(-1).content, 'where is my parcel?');
    assert.match(request.messages[0].content, /answer in English/);
  });
});
