// What the bot tells the model: the system prompt of the customer chat, the hand-over tool, and
// the prompts for the agent's summary and reply suggestions.

'use strict';

const LANGUAGE = { ko: 'Korean', en: 'English' };

const DEFAULT_SYSTEM_PROMPT = `You are the customer support assistant of an online shop's contact center.
Answer the customer's questions briefly, politely and accurately, in plain text without Markdown.
If you do not know something, say so: never invent order details, prices or policies.
Personal data in the customer's messages has been replaced by the placeholders [RRN] (resident
registration number), [CARD] (card number), [PHONE] and [EMAIL]. Never ask the customer to type
such details in the chat.
When the customer asks for a person, is upset, has a payment problem, or needs something you
cannot do (change an order, check a refund, fix an account), call the transfer_to_agent tool and
tell the customer briefly that an agent will take over.`;

// The one tool the model may call: the customer needs a human agent.
const TRANSFER_TOOL = {
  type: 'function',
  function: {
    name: 'transfer_to_agent',
    description: 'Hand the customer over to a human agent of the contact center.',
    parameters: {
      type: 'object',
      properties: {
        category: {
          type: 'string',
          description: 'The topic in snake_case English, e.g. refund, delivery, payment_error, account.',
        },
        reason: { type: 'string', description: 'Why a person is needed, in one short sentence.' },
      },
      required: ['category'],
    },
  },
};

// One system message (some chat templates allow no other) with the base prompt, the language
// and, when a keyword rule already decided on a hand-over, what to say about it.
function chatSystemMessage(basePrompt, lang, handOverCategory) {
  const parts = [basePrompt.trim(), `Always answer in ${LANGUAGE[lang]}.`];
  if (handOverCategory) {
    parts.push(`This customer is being handed over to a human agent (topic: ${handOverCategory}). ` +
      'Tell them briefly that an agent will help them; do not try to solve the problem yourself.');
  }
  return { role: 'system', content: parts.join('\n\n') };
}

// The messages of one chat call: system, the history in user/assistant pairs, the new message.
function chatMessages({ basePrompt, lang, handOverCategory, turns, message }) {
  const messages = [chatSystemMessage(basePrompt, lang, handOverCategory)];
  for (const turn of turns) {
    messages.push({ role: 'user', content: turn.user }, { role: 'assistant', content: turn.assistant });
  }
  messages.push({ role: 'user', content: message });
  return messages;
}

const SPEAKER = { customer: 'Customer', bot: 'Bot', agent: 'Agent' };

// The conversation as lines of text, the newest kept within `maxChars`.
function transcript(messages, maxChars) {
  const lines = messages.map((m) => `${SPEAKER[m.from]}: ${m.text.replace(/\s+/g, ' ').trim()}`);
  const kept = [];
  let chars = 0;
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    if (chars + lines[i].length > maxChars) {
      if (kept.length === 0) kept.push(lines[i].slice(-maxChars)); // one long line: its end
      break;
    }
    kept.unshift(lines[i]);
    chars += lines[i].length + 1;
  }
  return kept.join('\n');
}

function summaryMessages(lang, text) {
  const system = `You summarise a customer service chat for the human agent who takes it over now.
Reply with one JSON object and nothing else:
{"summary": "...", "category": "...", "mood": "..."}
- summary: one to three short sentences in ${LANGUAGE[lang]}: what the customer wants, what was tried, what is still open.
- category: the topic in snake_case English, e.g. refund, delivery, payment_error, account.
- mood: the customer's mood now, exactly one of calm, neutral, frustrated, angry.`;
  return [{ role: 'system', content: system }, { role: 'user', content: text }];
}

function suggestionsMessages(lang, text) {
  const system = `You help a human agent of a contact center answer a customer.
Given the chat so far, propose up to three replies the agent could send to the customer next, in ${LANGUAGE[lang]}.
Each reply is complete, polite, ready to send, and different from the others.
Reply with one JSON object and nothing else: {"suggestions": ["...", "..."]}`;
  return [{ role: 'system', content: system }, { role: 'user', content: text }];
}

module.exports = {
  DEFAULT_SYSTEM_PROMPT,
  TRANSFER_TOOL,
  chatMessages,
  transcript,
  summaryMessages,
  suggestionsMessages,
};
