// An example external bot for aicc-chat, after the seed's bot server.
//
// The chat server calls POST /api/chat {sessionId, customerId, message, messageId?, lang?} and takes
// a 2xx JSON reply with `botMessage` as the answer, in the customer's language `lang` (English for
// "en", else Korean). The answers follow the same keyword rules as the
// chat server's built-in bot (`bot.url: builtin`, src/chat/bot_rules.cpp).
//
// With BOT_WEBHOOK set, the bot also answers through the chat server's webhook,
// POST {CHAT_SERVER_URL}/api/bot/webhook, a short while later, signed with BOT_WEBHOOK_SECRET:
//   X-Aicc-Timestamp: <unix seconds>
//   X-Aicc-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
// BOT_WEBHOOK=1 replies over HTTP and calls the webhook (the chat server delivers one of the two);
// BOT_WEBHOOK=only replies 202 without an answer and answers through the webhook alone.
//
// Environment: PORT (default 8081; 0 picks a free port), HOST (default 127.0.0.1),
// BOT_WEBHOOK, BOT_WEBHOOK_SECRET, CHAT_SERVER_URL (default http://127.0.0.1:8080),
// BOT_WEBHOOK_DELAY_MS (default 300).

'use strict';

const crypto = require('node:crypto');
const express = require('express');

const BODY_LIMIT = '64kb';
const WEBHOOK_TIMEOUT_MS = 5000;

// Whitespace and invisible separators, removed before matching (also inside words: "결제 오류").
const SPACES = /[\s\u0085\u200B-\u200D\u2060\uFEFF]+/gu;

// The message as the rules see it: NFC (decomposed Hangul composed), no whitespace, ASCII lower case.
function normalize(message) {
  return message
    .normalize('NFC')
    .replace(SPACES, '')
    .replace(/[A-Z]/g, (c) => c.toLowerCase());
}

// The rules, first match wins. `keywords` are looked for in the normalized message; `words` (English
// greetings, which hide inside other words: "hi" in "this") only as whole words. The two rules that
// need a person come first, so a customer who asks for an agent gets one even when the message also
// names a self-service topic.
const RULES = [
  {
    keywords: ['결제오류', '결제에러', '결제실패', '결제가안', '결제안돼', '결제안되', 'paymenterror', 'paymentfailed'],
    botMessage: '결제 오류는 상담사가 도와드리겠습니다. 잠시만 기다려 주세요.',
    botMessageEn: 'An agent will help you with the payment error. Please wait a moment.',
    needHuman: true,
    category: 'payment_error',
  },
  {
    keywords: ['상담원', '상담사', '사람', '직원', '담당자', 'agent', 'human'],
    botMessage: '상담사를 연결해 드리겠습니다. 잠시만 기다려 주세요.',
    botMessageEn: 'Connecting you to an agent. Please wait a moment.',
    needHuman: true,
    category: 'agent_request',
  },
  {
    keywords: ['환불', 'refund'],
    botMessage: '환불은 마이페이지에서 가능합니다. 주문 내역에서 환불 신청을 눌러 주세요.',
    botMessageEn: 'You can ask for a refund in My Page: open your order history and press Request refund.',
    needHuman: false,
    category: 'refund',
  },
  {
    keywords: ['배송', '택배', 'delivery', 'shipping'],
    botMessage: '배송 현황은 마이페이지의 주문 내역에서 확인하실 수 있습니다.',
    botMessageEn: 'You can follow your delivery in My Page, under your order history.',
    needHuman: false,
    category: 'delivery',
  },
  {
    keywords: ['안녕', '반가워', '반갑', '하이'],
    words: ['hi', 'hello', 'hey'],
    botMessage: '안녕하세요! 무엇을 도와드릴까요? 환불, 배송, 결제 문의를 도와드릴 수 있습니다.',
    botMessageEn: 'Hello! How can I help? I can answer questions about refunds, deliveries and payments.',
    needHuman: false,
    category: 'greeting',
  },
];

const EMPTY_ANSWER = {
  botMessage: '문의하실 내용을 입력해 주세요.', botMessageEn: 'Please type your question.', needHuman: false, category: 'general',
};
const DEFAULT_ANSWER = {
  botMessage: "문의해 주셔서 감사합니다. 상담사 연결을 원하시면 '상담원'이라고 입력해 주세요.",
  botMessageEn: "Thank you for your question. To talk to a person, type 'agent'.",
  needHuman: false,
  category: 'general',
};

// {botMessage, needHuman, category} for one customer message, in `lang`.
function answer(message, lang) {
  const english = /^en(-|$)/i.test(String(lang ?? ''));
  const say = ({ botMessage, botMessageEn, needHuman, category }) => ({ botMessage: english ? botMessageEn : botMessage, needHuman, category });
  const text = normalize(message);
  if (text === '') return say(EMPTY_ANSWER);
  const asciiWords = (message.match(/[A-Za-z]+/g) ?? []).map((word) => word.toLowerCase());
  const rule = RULES.find(
    (r) => r.keywords.some((keyword) => text.includes(keyword)) || (r.words ?? []).some((w) => asciiWords.includes(w)),
  );
  return say(rule ?? DEFAULT_ANSWER);
}

// The X-Aicc-Signature value for `body` (a Buffer of the exact bytes sent) at `timestamp`.
function signWebhook(secret, timestamp, body) {
  const mac = crypto.createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `sha256=${mac}`;
}

async function sendWebhook({ chatServerUrl, secret }, payload) {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const timestamp = String(Math.floor(Date.now() / 1000));
  const response = await fetch(`${chatServerUrl}/api/bot/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-aicc-timestamp': timestamp,
      'x-aicc-signature': signWebhook(secret, timestamp, body),
    },
    body,
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  });
  if (!response.ok) {
    const text = (await response.text()).slice(0, 200);
    throw new Error(`chat server answered HTTP ${response.status}: ${text}`);
  }
}

const badRequest = (res, message) => res.status(400).json({ error: 'bad_request', message });

// `webhook`: null, or {mode: 'also' | 'only', chatServerUrl, secret, delayMs}.
function createApp({ webhook = null, log = console } = {}) {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: BODY_LIMIT }));

  app.get('/health', (req, res) => res.json({ status: 'ok' }));

  app.post('/api/chat', (req, res) => {
    const { sessionId, customerId, message, messageId, lang } = req.body ?? {};
    if (typeof sessionId !== 'string' || sessionId === '') {
      return badRequest(res, 'sessionId must be a non-empty string');
    }
    if (typeof customerId !== 'string' || customerId === '') {
      return badRequest(res, 'customerId must be a non-empty string');
    }
    if (typeof message !== 'string') return badRequest(res, 'message must be a string');
    if (messageId !== undefined && messageId !== null && typeof messageId !== 'string') {
      return badRequest(res, 'messageId must be a string');
    }

    const reply = { sessionId, customerId, ...answer(message, lang) };
    if (messageId) reply.replyTo = messageId;

    if (webhook) {
      setTimeout(() => {
        sendWebhook(webhook, reply).catch((error) => log.error(`webhook call failed: ${error.message}`));
      }, webhook.delayMs).unref();
    }
    if (webhook?.mode === 'only') return res.status(202).json({ accepted: true });
    return res.json(reply);
  });

  // Body parser failures (bad JSON, too large) as JSON errors rather than HTML pages.
  app.use((error, req, res, next) => {
    if (res.headersSent) return next(error);
    const status = error.status >= 400 && error.status < 500 ? error.status : 500;
    const code = status === 413 ? 'too_large' : status === 500 ? 'internal' : 'bad_request';
    if (status === 500) log.error(error);
    const message = status === 500 ? 'internal error' : error.message;
    return res.status(status).json({ error: code, message });
  });
  return app;
}

// The webhook settings from the environment, or null when the webhook is off.
function webhookFromEnv(env) {
  const modes = new Map([['', null], ['0', null], ['1', 'also'], ['only', 'only']]);
  const value = env.BOT_WEBHOOK ?? '';
  if (!modes.has(value)) throw new Error(`BOT_WEBHOOK must be 0, 1 or only, not "${value}"`);
  const mode = modes.get(value);
  if (mode === null) return null;
  if (!env.BOT_WEBHOOK_SECRET) {
    throw new Error('BOT_WEBHOOK needs BOT_WEBHOOK_SECRET (the chat server\'s bot.webhook-secret)');
  }
  const delayMs = Number(env.BOT_WEBHOOK_DELAY_MS ?? 300);
  if (!Number.isInteger(delayMs) || delayMs < 0) {
    throw new Error('BOT_WEBHOOK_DELAY_MS must be a whole number >= 0');
  }
  // Validated as a URL; a trailing slash is dropped so a path prefix is kept.
  const chatServerUrl = new URL(env.CHAT_SERVER_URL || 'http://127.0.0.1:8080').href.replace(/\/+$/, '');
  return {
    mode,
    chatServerUrl,
    secret: env.BOT_WEBHOOK_SECRET,
    delayMs,
  };
}

function main() {
  let webhook;
  try {
    webhook = webhookFromEnv(process.env);
  } catch (error) {
    console.error(`bot server: ${error.message}`);
    process.exit(2);
  }
  const host = process.env.HOST || '127.0.0.1';
  const port = Number(process.env.PORT ?? 8081);
  const server = createApp({ webhook }).listen(port, host, () => {
    const { address, port: bound } = server.address();
    const shown = address.includes(':') ? `[${address}]` : address;
    const via = webhook ? ` (webhook ${webhook.mode}: ${webhook.chatServerUrl})` : '';
    console.log(`bot server listening on http://${shown}:${bound}${via}`);
  });
  server.on('error', (error) => {
    console.error(`bot server: ${error.message}`);
    process.exit(1);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => server.close(() => process.exit(0)));
  }
}

module.exports = { answer, normalize, signWebhook, createApp };

if (require.main === module) main();
