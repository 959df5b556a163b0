// What does not need a model: the customer's language, the keyword rules that always hand the
// customer to a person, and the fixed lines the bot says itself.

'use strict';

// Whitespace and invisible separators, removed before matching (also inside words: "결제 오류").
const SPACES = /[\s\u0085\u200B-\u200D\u2060\uFEFF]+/gu;

// The message as the rules see it: NFC (decomposed Hangul composed), no whitespace, lower case.
function normalize(message) {
  return message.normalize('NFC').replace(SPACES, '').replace(/[A-Z]/g, (c) => c.toLowerCase());
}

// The same hand-over rules as the chat server's built-in bot and examples/bot-server/, first
// match wins. Payment trouble comes first so it keeps its own category.
const HAND_OVER_RULES = [
  {
    keywords: ['결제오류', '결제에러', '결제실패', '결제가안', '결제안돼', '결제안되', 'paymenterror', 'paymentfailed'],
    category: 'payment_error',
  },
  {
    keywords: ['상담원', '상담사', '사람', '직원', '담당자', 'agent', 'human'],
    category: 'agent_request',
  },
];

// The category of the rule the message matches, or null.
function handOverCategory(message) {
  const text = normalize(message);
  const rule = HAND_OVER_RULES.find((r) => r.keywords.some((keyword) => text.includes(keyword)));
  return rule ? rule.category : null;
}

// "en" or "ko": the language to answer in.
function pickLang(lang, fallback) {
  const value = String(lang ?? '');
  if (/^en(-|_|$)/i.test(value)) return 'en';
  if (/^ko(-|_|$)/i.test(value)) return 'ko';
  return fallback;
}

const LINES = {
  handOver: {
    ko: '상담사를 연결해 드리겠습니다.',
    en: 'Connecting you to an agent.',
  },
  busy: {
    ko: '지금은 문의가 많아 상담사를 연결해 드리겠습니다. 잠시만 기다려 주세요.',
    en: 'The assistant is busy right now, so we are connecting you to an agent. Please wait a moment.',
  },
  apology: {
    ko: '죄송합니다. 답변 중에 문제가 생겼습니다. 상담사를 연결해 드릴까요?',
    en: 'Sorry, something went wrong with the answer. Would you like to talk to an agent?',
  },
};

const line = (name, lang) => LINES[name][lang];

module.exports = { normalize, handOverCategory, pickLang, line };
