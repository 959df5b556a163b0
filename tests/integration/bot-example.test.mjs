// The example external bot (examples/bot-server/): its answers over HTTP, its input checks, and its
// signed webhook calls, caught by a small local HTTP receiver. No chat server needed.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { repoRoot } from './lib/server.mjs';
import { deferred, withTimeout } from './lib/util.mjs';

const TEST_TIMEOUT = 15000;
const SECRET = 'example-webhook-secret-0123456789abcdef';
const serverPath = join(repoRoot, 'examples', 'bot-server', 'server.js');

// Starts the example on a free port with `env` (and nothing from the caller's environment).
async function startBot(env = {}) {
  const child = spawn(process.execPath, [serverPath], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit');
  const started = new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    exited.then(([code]) => reject(new Error(`bot exited with ${code} before listening:\n${stderr}`)));
  });
  const port = await withTimeout(started, 10000, 'the example bot to listen');
  return {
    url: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const [code] = await withTimeout(exited, 5000, 'the example bot to exit');
      return code;
    },
  };
}

// A stand-in for the chat server's webhook endpoint: records each request with its raw body.
async function startReceiver() {
  const requests = [];
  let waiter = deferred();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      waiter.resolve();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    async next(ms = 5000) {
      while (requests.length === 0) {
        await withTimeout(waiter.promise, ms, 'a webhook call');
        waiter = deferred();
      }
      return requests.shift();
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function chat(bot, body, headers = { 'content-type': 'application/json' }) {
  const response = await fetch(`${bot.url}/api/chat`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

// Checks the signature the way the chat server does, independently of the bot's own code.
function assertSigned(request, secret) {
  const timestamp = request.headers['x-aicc-timestamp'];
  const signature = request.headers['x-aicc-signature'];
  assert.match(timestamp, /^\d{1,12}$/);
  assert.ok(Math.abs(Number(timestamp) - Date.now() / 1000) <= 300, `timestamp ${timestamp} is not fresh`);
  assert.match(signature, /^sha256=[0-9a-f]{64}$/);
  const expected = createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(`${timestamp}.`), request.body]))
    .digest();
  assert.ok(timingSafeEqual(Buffer.from(signature.slice(7), 'hex'), expected), 'signature does not match the body');
}

// The same cases as the built-in bot's unit tests (tests/chat/bot_rules_test.cpp).
const CASES = [
  { message: '환불하고 싶어요', category: 'refund', needHuman: false, mentions: '마이페이지' },
  { message: '결제오류가 났어요', category: 'payment_error', needHuman: true, mentions: '상담사' },
  { message: '결제 오류', category: 'payment_error', needHuman: true },
  { message: '결제가 안 돼요', category: 'payment_error', needHuman: true },
  { message: '상담원 연결해 주세요', category: 'agent_request', needHuman: true },
  { message: '사람이랑 통화하고 싶어요', category: 'agent_request', needHuman: true },
  { message: 'AGENT please', category: 'agent_request', needHuman: true },
  { message: '환불이 안 돼요, 상담원 연결해 주세요', category: 'agent_request', needHuman: true },
  { message: '배송 언제 와요?', category: 'delivery', needHuman: false, mentions: '주문 내역' },
  { message: '안녕하세요', category: 'greeting', needHuman: false },
  { message: 'Hello!', category: 'greeting', needHuman: false },
  { message: 'this is strange', category: 'general', needHuman: false },
  { message: '영업시간이 어떻게 되나요?', category: 'general', needHuman: false, mentions: '상담원' },
  { message: ' \u3000 ', category: 'general', needHuman: false, mentions: '입력해 주세요' },
  // "환불" as decomposed jamo (NFD).
  { message: '\u1112\u116A\u11AB\u1107\u116E\u11AF', category: 'refund', needHuman: false },
];

describe('example bot over HTTP', () => {
  let bot;
  before(async () => {
    bot = await startBot();
  });
  after(async () => {
    if (bot) assert.equal(await bot.stop(), 0, bot.stderr());
  });

  it('answers each rule like the built-in bot', { timeout: TEST_TIMEOUT }, async () => {
    for (const { message, category, needHuman, mentions } of CASES) {
      const { status, body } = await chat(bot, { sessionId: 'conv-1', customerId: 'cust-1', message });
      assert.equal(status, 200, message);
      assert.equal(body.category, category, message);
      assert.equal(body.needHuman, needHuman, message);
      assert.equal(typeof body.botMessage, 'string');
      assert.ok(body.botMessage.length > 0);
      if (mentions) assert.ok(body.botMessage.includes(mentions), `${message} → ${body.botMessage}`);
    }
  });

  it('answers in English for lang "en", in Korean otherwise', { timeout: TEST_TIMEOUT }, async () => {
    const english = await chat(bot, { sessionId: 'c', customerId: 'u', message: '환불', lang: 'en' });
    assert.equal(english.body.category, 'refund');
    assert.match(english.body.botMessage, /My Page/);
    const korean = await chat(bot, { sessionId: 'c', customerId: 'u', message: 'refund', lang: 'ko' });
    assert.match(korean.body.botMessage, /마이페이지/);
  });

  it('echoes the ids and answers messageId with replyTo', { timeout: TEST_TIMEOUT }, async () => {
    const plain = await chat(bot, { sessionId: 's-9', customerId: 'c-9', message: '환불' });
    assert.equal(plain.body.sessionId, 's-9');
    assert.equal(plain.body.customerId, 'c-9');
    assert.equal('replyTo' in plain.body, false);
    const tagged = await chat(bot, { sessionId: 's-9', customerId: 'c-9', message: '환불', messageId: 'm-1' });
    assert.equal(tagged.body.replyTo, 'm-1');
  });

  it('never quotes the customer', { timeout: TEST_TIMEOUT }, async () => {
    const { body } = await chat(bot, { sessionId: 's', customerId: 'c', message: '<img src=x onerror=alert(1)>' });
    assert.equal(body.botMessage.includes('<img'), false);
  });

  it('refuses bodies of the wrong shape with JSON errors', { timeout: TEST_TIMEOUT }, async () => {
    const bad = [
      '{"sessionId":"s","customerId":"c"}',
      '{"sessionId":"s","customerId":"c","message":42}',
      '{"sessionId":"","customerId":"c","message":"hi"}',
      '{"sessionId":"s","message":"hi"}',
      '{"sessionId":"s","customerId":"c","message":"hi","messageId":7}',
      '{"sessionId":"s",',
      '[]',
      'null',
    ];
    for (const body of bad) {
      const response = await chat(bot, body);
      assert.equal(response.status, 400, body);
      assert.equal(response.body.error, 'bad_request', body);
      assert.equal(typeof response.body.message, 'string');
    }
    const notJson = await chat(bot, 'message=hi', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(notJson.status, 400);
  });

  it('refuses a body over 64 KiB with 413', { timeout: TEST_TIMEOUT }, async () => {
    const message = 'x'.repeat(70 * 1024);
    const { status, body } = await chat(bot, { sessionId: 's', customerId: 'c', message });
    assert.equal(status, 413);
    assert.equal(body.error, 'too_large');
    // And still serves the next customer.
    assert.equal((await chat(bot, { sessionId: 's', customerId: 'c', message: '환불' })).status, 200);
  });

  it('answers /health', { timeout: TEST_TIMEOUT }, async () => {
    const response = await fetch(`${bot.url}/health`);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });
});

describe('example bot webhook', () => {
  let receiver;
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
  });

  it('BOT_WEBHOOK=1 replies and also calls the signed webhook', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await startBot({
      BOT_WEBHOOK: '1',
      BOT_WEBHOOK_SECRET: SECRET,
      CHAT_SERVER_URL: receiver.url,
      BOT_WEBHOOK_DELAY_MS: '50',
    });
    t.after(() => bot.stop());
    const message = { sessionId: 'conv-7', customerId: 'cust-7', message: '결제 오류가 났어요', messageId: 'msg-3' };
    const reply = await chat(bot, message);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.category, 'payment_error');

    const request = await receiver.next();
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/api/bot/webhook');
    assert.match(request.headers['content-type'], /^application\/json/);
    assertSigned(request, SECRET);
    assert.deepEqual(JSON.parse(request.body.toString('utf8')), {
      sessionId: 'conv-7',
      customerId: 'cust-7',
      botMessage: reply.body.botMessage,
      needHuman: true,
      category: 'payment_error',
      replyTo: 'msg-3',
    });
    assert.equal(receiver.requests.length, 0, 'one webhook call per message');
  });

  it('BOT_WEBHOOK=only answers through the webhook alone', { timeout: TEST_TIMEOUT }, async (t) => {
    const bot = await startBot({
      BOT_WEBHOOK: 'only',
      BOT_WEBHOOK_SECRET: SECRET,
      CHAT_SERVER_URL: `${receiver.url}/`,
      BOT_WEBHOOK_DELAY_MS: '0',
    });
    t.after(() => bot.stop());
    const reply = await chat(bot, { sessionId: 's-1', customerId: 'c-1', message: '환불' });
    assert.equal(reply.status, 202);
    assert.equal('botMessage' in reply.body, false);

    const request = await receiver.next();
    assert.equal(request.url, '/api/bot/webhook');
    assertSigned(request, SECRET);
    const body = JSON.parse(request.body.toString('utf8'));
    assert.equal(body.category, 'refund');
    assert.equal(body.needHuman, false);
    // Signed with another secret it would not verify.
    assert.throws(() => assertSigned(request, 'another-secret'));
  });

  it('will not start the webhook without a secret or with an unknown mode', { timeout: TEST_TIMEOUT }, async () => {
    for (const env of [{ BOT_WEBHOOK: '1' }, { BOT_WEBHOOK: 'yes', BOT_WEBHOOK_SECRET: SECRET }]) {
      await assert.rejects(startBot(env), (error) => {
        assert.match(error.message, /exited with 2/);
        assert.match(error.message, /BOT_WEBHOOK/);
        return true;
      });
    }
  });
});
