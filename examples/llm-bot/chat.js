// POST /api/chat: one customer message through the model, answered as server-sent events (the
// chat server's protocol 2) or as one JSON object.
//
// The answer's bounds come from the chat server: each part's delta at most 4096 bytes, the whole
// answer under 16 KiB and 2000 parts, the first part within 15 s and at most 45 s between parts.
// Text from the model is gathered for a moment and sent in few parts; while the model has
// nothing to show (queued, thinking, reasoning) an empty part {"delta": ""} goes out every
// BOT_KEEPALIVE_MS, so the chat server's part timers are kept by a bot that is still working,
// and this bot's own model timeouts decide when to give up.

'use strict';

const { halveTurns, trimTurns } = require('./history');
const { countUsage } = require('./llm');
const { TRANSFER_TOOL, chatMessages } = require('./prompts');
const { handOverCategory, line, pickLang } = require('./rules');
const { bytes, clampBytes, findJson, isObject, sanitizeCategory, splitBytes } = require('./text');

const MAX_ANSWER_BYTES = 15 * 1024; // the chat server takes at most 16 KiB
const MAX_DELTA_BYTES = 4096;
const MAX_PARTS = 1800; // the chat server takes at most 2000
const COALESCE_MS = 40; // tokens that come within this go out as one part
const MAX_ID_LENGTH = 256;

// ---- the model's output ---------------------------------------------------------------------

// Hides a <think>...</think> block at the start of the text (models that reason inline), and the
// whitespace before the answer. Text is held only while it could still be the opening tag.
class ThinkFilter {
  constructor() {
    this.state = 'start'; // then 'thinking' or 'open'
    this.held = '';
    this.leading = true; // nothing shown yet: leading whitespace is dropped
  }

  push(text) {
    this.held += text;
    if (this.state === 'start') {
      const head = this.held.trimStart();
      if (head.startsWith('<think>')) {
        this.state = 'thinking';
        this.held = head.slice('<think>'.length);
      } else if ('<think>'.startsWith(head)) {
        return '';
      } else {
        this.state = 'open';
      }
    }
    if (this.state === 'thinking') {
      const end = this.held.indexOf('</think>');
      if (end === -1) {
        this.held = this.held.slice(-'</think>'.length); // a closing tag may be split
        return '';
      }
      this.state = 'open';
      this.held = this.held.slice(end + '</think>'.length);
    }
    return this.take();
  }

  // The stream ended: text still held is shown unless it is unfinished reasoning.
  end() {
    if (this.state === 'thinking') return '';
    this.state = 'open';
    return this.take();
  }

  take() {
    let out = this.held;
    this.held = '';
    if (this.leading) out = out.trimStart();
    if (out !== '') this.leading = false;
    return out;
  }
}

// Tool-call fragments put back together: each call's name comes once, its arguments in pieces.
class ToolCalls {
  constructor() {
    this.calls = [];
  }

  add(fragments) {
    for (const fragment of fragments) {
      if (!isObject(fragment)) continue;
      const index = Number.isInteger(fragment.index) ? fragment.index : 0;
      this.calls[index] ??= { name: '', args: '' };
      const call = this.calls[index];
      const fn = isObject(fragment.function) ? fragment.function : {};
      if (typeof fn.name === 'string' && call.name === '') call.name = fn.name;
      if (typeof fn.arguments === 'string') call.args += fn.arguments;
      else if (isObject(fn.arguments)) call.args += JSON.stringify(fn.arguments);
    }
  }

  // {category} when the model asked for an agent, else null. Arguments that do not parse still
  // count as the request: the category then falls back to agent_request.
  transfer() {
    const call = this.calls.find((c) => c?.name === 'transfer_to_agent');
    if (!call) return null;
    const args = findJson(call.args, '{');
    return { category: sanitizeCategory(isObject(args) ? args.category : '') || 'agent_request' };
  }
}

// ---- the two reply formats --------------------------------------------------------------------

class SseReply {
  constructor(res, keepaliveMs) {
    this.res = res;
    this.keepaliveMs = keepaliveMs;
    this.all = ''; // the whole answer so far
    this.pending = ''; // not sent yet
    this.parts = 0;
    this.overBudget = false; // out of parts: the rest goes in the final's botMessage
    this.flushTimer = null;
    this.keepaliveTimer = null;
    this.closed = false;
  }

  open() {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no', // a proxy in between must not hold the parts back
    });
    this.res.flushHeaders();
    this.armKeepalive();
  }

  write(part) {
    if (this.closed || this.res.destroyed) return;
    this.res.write(`data: ${JSON.stringify(part)}\n\n`);
    this.parts += 1;
    this.armKeepalive();
  }

  armKeepalive() {
    clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = setTimeout(() => {
      if (this.parts < MAX_PARTS - 1) this.write({ delta: '' });
    }, this.keepaliveMs);
  }

  add(text) {
    this.all += text;
    this.pending += text;
    this.flushTimer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  flush() {
    clearTimeout(this.flushTimer);
    this.flushTimer = null;
    for (const delta of splitBytes(this.pending, MAX_DELTA_BYTES)) {
      if (this.parts >= MAX_PARTS - 1) {
        this.overBudget = true; // one part is kept for the final
        return;
      }
      this.write({ delta });
      this.pending = this.pending.slice(delta.length);
    }
  }

  answer({ needHuman, category }) {
    this.flush();
    const final = { final: true, needHuman, category };
    if (this.overBudget) final.botMessage = this.all;
    this.end(final);
  }

  // Takes back whatever was shown; the chat server apologizes and offers an agent.
  fail() {
    this.end({ final: true, retract: true, needHuman: true, category: 'bot_error' });
  }

  handOver(text, category) {
    this.end({ final: true, needHuman: true, category, botMessage: text });
  }

  end(final) {
    this.write(final);
    this.close();
  }

  close() {
    clearTimeout(this.flushTimer);
    clearTimeout(this.keepaliveTimer);
    if (!this.closed) this.res.end();
    this.closed = true;
  }
}

class JsonReply {
  constructor(res, lang, messageId) {
    this.res = res;
    this.lang = lang;
    this.messageId = messageId;
    this.all = '';
  }

  open() {}

  add(text) {
    this.all += text;
  }

  send(botMessage, needHuman, category) {
    if (this.res.headersSent) return;
    const body = { botMessage, needHuman, category };
    if (this.messageId) body.replyTo = this.messageId;
    this.res.json(body);
  }

  answer({ needHuman, category }) {
    this.send(this.all, needHuman, category);
  }

  fail() {
    this.send(line('apology', this.lang), true, 'bot_error');
  }

  handOver(text, category) {
    this.send(text, true, category);
  }

  close() {}
}

// ---- the request ----------------------------------------------------------------------------

const isId = (value) => typeof value === 'string' && value !== '' && value.length <= MAX_ID_LENGTH;
const isOptionalString = (value) => value === undefined || value === null || typeof value === 'string';

// The checked body, or a sentence saying what is wrong with it.
function checkChatBody(body) {
  if (!isObject(body)) return 'the body must be a JSON object';
  const { sessionId, customerId, message, messageId, lang } = body;
  if (!isId(sessionId)) return `sessionId must be a non-empty string of at most ${MAX_ID_LENGTH} characters`;
  if (!isId(customerId)) return `customerId must be a non-empty string of at most ${MAX_ID_LENGTH} characters`;
  if (typeof message !== 'string') return 'message must be a string';
  if (!isOptionalString(messageId) || (messageId ?? '').length > MAX_ID_LENGTH) return 'messageId must be a string';
  if (!isOptionalString(lang)) return 'lang must be a string';
  return { sessionId, customerId, message, messageId: messageId ?? '', lang: lang ?? '' };
}

// `shared`: {config, llm, sessions, limiter, stats, log}; `stats.tools` turns off for good once
// the model server refuses tools.
function createChatHandler(shared) {
  const { config, llm, sessions, limiter, stats, log } = shared;

  // One model call. Visible text goes to reply.add as it comes, cut at MAX_ANSWER_BYTES (the
  // model is then stopped and the answer ends with what was said).
  async function runModel(body, { reply, stop }) {
    const think = new ThinkFilter();
    const tools = new ToolCalls();
    let text = '';
    let full = false;
    const show = (piece) => {
      if (full || piece === '') return;
      const kept = clampBytes(piece, MAX_ANSWER_BYTES - bytes(text));
      text += kept;
      reply.add(kept);
      if (kept.length < piece.length) {
        full = true;
        stop.abort();
      }
    };
    const onDelta = ({ content, toolCalls }) => {
      show(think.push(content));
      tools.add(toolCalls);
    };
    let result;
    try {
      result = await llm.stream(body, { signal: stop.signal, onDelta });
      show(think.end());
    } catch (error) {
      if (!full) throw error;
      result = { finishReason: 'length', usage: null, truncated: false };
    }
    return { ...result, text, transfer: tools.transfer() };
  }

  // The model's answer, adapting once to a prompt too long (history halved) and once to a
  // server without tools (asked again without them). Nothing was shown when these come.
  async function askModel(turn) {
    const { input, lang, rule, key } = turn;
    let turns = trimTurns(sessions.turns(key), config.maxHistoryChars - input.message.length);
    let halved = false;
    for (;;) {
      const body = {
        model: config.model,
        messages: chatMessages({ basePrompt: config.systemPrompt, lang, handOverCategory: rule, turns, message: input.message }),
      };
      if (stats.tools) body.tools = [TRANSFER_TOOL];
      if (config.maxTokens) body.max_tokens = config.maxTokens;
      try {
        return { ...(await runModel(body, turn)), turns };
      } catch (error) {
        if (error.kind === 'context_length' && !halved && turns.length > 0) {
          log.warn(`chat session=${input.sessionId}: prompt too long for the model, asking again with half the history`);
          halved = true;
          turns = halveTurns(turns);
          sessions.replace(key, turns);
        } else if (error.kind === 'tools_refused' && stats.tools) {
          log.warn(`the model server refuses tools (${error.message}); asking without them from now on`);
          stats.tools = false;
        } else {
          throw error;
        }
      }
    }
  }

  // Sends the final part for a finished model call and keeps the turn in the history.
  function finish(turn, outcome) {
    const { input, lang, rule, key, reply } = turn;
    const { usage, finishReason, transfer } = outcome;
    countUsage(stats, usage);
    log.info(`chat session=${input.sessionId} finish=${finishReason} tokens=${usage ? `${usage.prompt}/${usage.completion}` : '?'}`);
    if (finishReason === 'length') log.warn(`chat session=${input.sessionId}: the answer was cut at its length limit`);
    let text = outcome.text;
    const needHuman = Boolean(transfer || rule);
    if (text.trim() === '' && needHuman) {
      text = line('handOver', lang);
      reply.add(text);
    }
    if (text.trim() === '') {
      log.warn(`chat session=${input.sessionId}: the model answered nothing (finish=${finishReason})`);
      reply.fail();
      return;
    }
    reply.answer({ needHuman, category: transfer?.category ?? rule ?? 'general' });
    // A prompt the model server cut (llama.cpp's `truncated`) would be cut again next time.
    const turns = outcome.truncated ? halveTurns(outcome.turns) : outcome.turns;
    sessions.replace(key, [...turns, { user: input.message, assistant: text.trim() }]);
  }

  return async function chat(req, res) {
    const input = checkChatBody(req.body);
    if (typeof input === 'string') return res.status(400).json({ error: 'bad_request', message: input });
    const lang = pickLang(input.lang, config.langDefault);
    const streamed = String(req.headers.accept ?? '').includes('text/event-stream');
    const turn = {
      input,
      lang,
      rule: handOverCategory(input.message), // a keyword rule's category, or null
      key: `${input.customerId}\n${input.sessionId}`,
      reply: streamed ? new SseReply(res, config.keepaliveMs) : new JsonReply(res, lang, input.messageId),
      stop: new AbortController(), // stops the model call when the chat server hangs up (or the answer is full)
    };
    let gone = false;
    res.on('close', () => {
      if (res.writableFinished) return;
      gone = true;
      turn.stop.abort();
    });
    turn.reply.open();

    const release = await limiter.acquire({ waitMs: config.firstTokenMs, signal: turn.stop.signal });
    if (!release) {
      log.warn(`chat session=${input.sessionId}: too busy, handing over`);
      turn.reply.handOver(line('busy', lang), turn.rule ?? 'bot_busy');
      return undefined;
    }
    try {
      finish(turn, await askModel(turn));
    } catch (error) {
      if (gone) {
        log.info(`chat session=${input.sessionId}: the chat server hung up`);
      } else {
        log.warn(`chat session=${input.sessionId} failed: ${error.kind ?? 'internal'}: ${error.message}`);
        if (!error.kind) log.error(error);
        turn.reply.fail();
      }
    } finally {
      release();
      turn.reply.close();
    }
    return undefined;
  };
}

module.exports = { createChatHandler, ThinkFilter, ToolCalls, MAX_ANSWER_BYTES };
