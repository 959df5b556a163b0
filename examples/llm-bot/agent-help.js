// POST /api/summary and POST /api/suggestions: help for the human agent who takes the customer
// over. Both send the conversation to the model in one (not streamed) call, ask for JSON, and
// read the answer leniently: the first JSON value in the text, every field checked and clamped.

'use strict';

const { countUsage } = require('./llm');
const { summaryMessages, suggestionsMessages, transcript } = require('./prompts');
const { pickLang } = require('./rules');
const { clampBytes, findJson, isObject, sanitizeCategory, stripThink } = require('./text');

const MAX_SUMMARY_BYTES = 1000;
const MAX_SUGGESTION_BYTES = 1000;
const MAX_SUGGESTIONS = 3;
const MAX_MESSAGES = 500;
const MOODS = new Set(['calm', 'neutral', 'frustrated', 'angry']);
const SENDERS = new Set(['customer', 'bot', 'agent']);

const isId = (value) => typeof value === 'string' && value !== '' && value.length <= 256;

// The checked body, or a sentence saying what is wrong with it. `ids`: the required id fields.
function checkConversationBody(body, ids) {
  if (!isObject(body)) return 'the body must be a JSON object';
  for (const name of ids) {
    if (!isId(body[name])) return `${name} must be a non-empty string of at most 256 characters`;
  }
  if (body.lang !== undefined && body.lang !== null && typeof body.lang !== 'string') return 'lang must be a string';
  const { messages } = body;
  if (!Array.isArray(messages) || messages.length === 0) return 'messages must be a non-empty array';
  if (messages.length > MAX_MESSAGES) return `messages must hold at most ${MAX_MESSAGES} entries`;
  for (const [i, m] of messages.entries()) {
    if (!isObject(m) || !SENDERS.has(m.from)) return `messages[${i}].from must be customer, bot or agent`;
    if (typeof m.text !== 'string') return `messages[${i}].text must be a string`;
  }
  return { lang: body.lang ?? '', messages };
}

// {summary, category, mood?} from the model's text, or null when there is no usable summary.
function readSummary(content) {
  const value = findJson(stripThink(content), '{');
  if (!isObject(value) || typeof value.summary !== 'string') return null;
  const summary = clampBytes(value.summary.replace(/\s+/g, ' ').trim(), MAX_SUMMARY_BYTES).trim();
  if (summary === '') return null;
  const answer = { summary, category: sanitizeCategory(value.category) || 'general' };
  const mood = typeof value.mood === 'string' ? value.mood.trim().toLowerCase() : '';
  if (MOODS.has(mood)) answer.mood = mood; // anything else is left out, not guessed
  return answer;
}

// {suggestions: [...]} from the model's text (a JSON array, or an object holding one), or null
// when it holds no list. An empty list is an answer: the model had nothing to suggest.
function readSuggestions(content) {
  const value = findJson(stripThink(content));
  let list = Array.isArray(value) ? value : null;
  if (isObject(value)) list = Array.isArray(value.suggestions) ? value.suggestions : Object.values(value).find(Array.isArray);
  if (!list) return null;
  const suggestions = [];
  for (const item of list) {
    const text = typeof item === 'string' ? item : isObject(item) && typeof item.text === 'string' ? item.text : '';
    const clean = clampBytes(text.trim(), MAX_SUGGESTION_BYTES).trim();
    if (clean !== '' && !suggestions.includes(clean)) suggestions.push(clean);
    if (suggestions.length === MAX_SUGGESTIONS) break;
  }
  return { suggestions };
}

// `shared` as for the chat handler. `kind`: 'summary' or 'suggestions'.
function createAgentHelpHandler(shared, kind) {
  const { config, llm, limiter, stats, log } = shared;
  const ids = kind === 'summary' ? ['conversationId', 'customerId'] : ['roomId', 'conversationId', 'customerId'];
  const promptFor = kind === 'summary' ? summaryMessages : suggestionsMessages;
  const read = kind === 'summary' ? readSummary : readSuggestions;

  // The model's text, adapting once to a prompt too long (half the conversation) and once to a
  // server that refuses response_format (asked again without it).
  async function ask(input, lang, signal) {
    let maxChars = config.maxHistoryChars;
    let format = true;
    let halved = false;
    for (;;) {
      const body = { model: config.model, messages: promptFor(lang, transcript(input.messages, maxChars)) };
      if (format) body.response_format = { type: 'json_object' }; // a hint; the answer is read leniently
      if (config.maxTokens) body.max_tokens = config.maxTokens;
      try {
        const answer = await llm.complete(body, { signal });
        countUsage(stats, answer.usage);
        return answer.content;
      } catch (error) {
        if (error.kind === 'context_length' && !halved) {
          halved = true;
          maxChars = Math.floor(maxChars / 2);
        } else if (error.kind === 'format_refused' && format) {
          format = false;
        } else {
          throw error;
        }
      }
    }
  }

  return async function agentHelp(req, res) {
    const input = checkConversationBody(req.body, ids);
    if (typeof input === 'string') return res.status(400).json({ error: 'bad_request', message: input });
    const lang = pickLang(input.lang, config.langDefault);
    const stop = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) stop.abort();
    });
    const release = await limiter.acquire({ waitMs: config.firstTokenMs, signal: stop.signal });
    if (!release) return res.status(503).json({ error: 'busy', message: 'the model is busy; try again later' });
    try {
      const answer = read(await ask(input, lang, stop.signal));
      if (!answer) {
        log.warn(`${kind}: the model's answer held no usable ${kind}`);
        return res.status(502).json({ error: 'bad_model_answer', message: `the model's answer held no usable ${kind}` });
      }
      return res.json(answer);
    } catch (error) {
      log.warn(`${kind} failed: ${error.kind ?? 'internal'}: ${error.message}`);
      if (res.headersSent || stop.signal.aborted) return undefined;
      return res.status(502).json({ error: 'model_failed', message: error.message });
    } finally {
      release();
    }
  };
}

module.exports = { createAgentHelpHandler, readSummary, readSuggestions };
