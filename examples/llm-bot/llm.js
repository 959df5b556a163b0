// A client for an OpenAI-compatible chat-completions endpoint: POST {baseUrl}/chat/completions,
// streamed (server-sent events) or in one piece.
//
// Every failure becomes an LlmError with a `kind` the caller can act on:
//   context_length  the prompt is longer than the model's context (HTTP 400/413 saying so)
//   tools_refused   the server will not take `tools` (no tool support, or not enabled)
//   format_refused  the server will not take `response_format`
//   http            any other non-2xx status
//   stream_error    an error event in the middle of the stream
//   dropped         the stream ended or broke off before the model finished
//   bad_answer      the server answered something that is not a completion
//   first_token_timeout, stalled, timeout   see CallGuard
//   aborted         the caller stopped the call

'use strict';

const { SseParser } = require('./sse');
const { isObject } = require('./text');

class LlmError extends Error {
  constructor(kind, message, status = 0) {
    super(message);
    this.name = 'LlmError';
    this.kind = kind;
    this.status = status;
  }
}

// How vLLM, llama.cpp, Ollama and hosted APIs say the prompt does not fit.
const CONTEXT_TOO_LONG = new RegExp([
  'context[ _-]?(length|size|window)',
  'maximum context',
  'too many tokens',
  'exceeds? (the )?(available )?context',
  'prompt is too long',
  'too long for the context',
].join('|'), 'i');

// The human-readable message inside an error body ({error: {message}}, {error: "..."}, text).
function errorMessage(body) {
  try {
    const json = JSON.parse(body);
    const error = json.error ?? json;
    if (typeof error === 'string') return { message: error, code: '' };
    return { message: String(error.message ?? body), code: String(error.code ?? error.type ?? '') };
  } catch {
    return { message: body, code: '' };
  }
}

function httpError(status, body) {
  const { message, code } = errorMessage(body.slice(0, 4000));
  const said = `${code} ${message}`;
  const shown = `model server answered HTTP ${status}: ${message.slice(0, 300)}`;
  if ((status === 400 || status === 413) && CONTEXT_TOO_LONG.test(said)) {
    return new LlmError('context_length', shown, status);
  }
  if (status >= 400 && /response_format|json_object|json mode/i.test(said)) return new LlmError('format_refused', shown, status);
  if (status >= 400 && /tool|function/i.test(said)) return new LlmError('tools_refused', shown, status);
  return new LlmError('http', shown, status);
}

// The timers around one call. Aborts `signal` when the whole call takes longer than `totalMs`,
// when `idleMs` pass before the first touch() (first_token_timeout) or between two (stalled),
// or when `outer` aborts; `reason` says which came first.
class CallGuard {
  constructor({ totalMs, idleMs = 0, outer }) {
    this.controller = new AbortController();
    this.signal = this.controller.signal;
    this.reason = null;
    this.idleMs = idleMs;
    this.total = setTimeout(() => this.stop('timeout'), totalMs);
    this.idle = idleMs > 0 ? setTimeout(() => this.stop('first_token_timeout'), idleMs) : null;
    this.outer = outer;
    this.onOuter = () => this.stop('aborted');
    if (outer?.aborted) this.stop('aborted');
    outer?.addEventListener('abort', this.onOuter, { once: true });
  }

  stop(reason) {
    if (this.reason) return;
    this.reason = reason;
    this.controller.abort();
  }

  touch() {
    if (!this.idle) return;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.stop('stalled'), this.idleMs);
  }

  // The error to report for `error`, thrown while this guard was on.
  explain(error) {
    const messages = {
      timeout: 'the model took longer than the whole-call timeout',
      first_token_timeout: 'the model did not start answering in time',
      stalled: 'the model stopped sending in the middle of its answer',
      aborted: 'the call was stopped',
    };
    if (this.reason) return new LlmError(this.reason, messages[this.reason]);
    if (error instanceof LlmError) return error;
    return new LlmError('dropped', `the model server connection failed: ${error.cause?.message ?? error.message}`);
  }

  dispose() {
    clearTimeout(this.total);
    clearTimeout(this.idle);
    this.outer?.removeEventListener('abort', this.onOuter);
  }
}

// `text` as JSON, or a bad_answer error naming `what`.
function parseAnswer(text, what) {
  try {
    return JSON.parse(text);
  } catch {
    throw new LlmError('bad_answer', `the model server sent ${what} that is not JSON`);
  }
}

// Tokens from an OpenAI `usage` object, or from llama.cpp's `timings` when usage is missing.
function usageOf(json) {
  if (isObject(json.usage)) {
    return { prompt: Number(json.usage.prompt_tokens) || 0, completion: Number(json.usage.completion_tokens) || 0 };
  }
  if (isObject(json.timings)) {
    return { prompt: Number(json.timings.prompt_n) || 0, completion: Number(json.timings.predicted_n) || 0 };
  }
  return null;
}

// Adds one call's `usage` ({prompt, completion} or null) to the totals /health shows.
function countUsage(stats, usage) {
  stats.calls += 1;
  stats.promptTokens += usage?.prompt ?? 0;
  stats.completionTokens += usage?.completion ?? 0;
}

function createLlmClient({ baseUrl, apiKey, timeoutMs, firstTokenMs }) {
  const url = `${baseUrl}/chat/completions`;

  function post(body, signal) {
    const headers = { 'content-type': 'application/json', accept: body.stream ? 'text/event-stream' : 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    return fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal });
  }

  // One stream event: text and tool-call fragments go to onDelta; reasoning is dropped here, so
  // it can reach neither the customer nor the history.
  function readEvent(event, state, onDelta) {
    if (event.data === '[DONE]') {
      state.done = true;
      return;
    }
    if (event.event === 'error') throw new LlmError('stream_error', `model stream error: ${event.data.slice(0, 300)}`);
    const json = parseAnswer(event.data, 'an event');
    if (!isObject(json)) throw new LlmError('bad_answer', 'the model server sent an event that is not an object');
    if (json.error) {
      const { message } = errorMessage(JSON.stringify(json));
      throw new LlmError('stream_error', `model stream error: ${message.slice(0, 300)}`);
    }
    state.usage = usageOf(json) ?? state.usage;
    if (json.truncated === true) state.truncated = true; // llama.cpp cut the prompt to fit
    const choice = Array.isArray(json.choices) ? json.choices.find((c) => isObject(c) && (c.index ?? 0) === 0) : undefined;
    if (!choice) return; // e.g. the closing usage chunk, which has `choices: []`
    const delta = isObject(choice.delta) ? choice.delta : {};
    const content = typeof delta.content === 'string' ? delta.content : '';
    const toolCalls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
    if (content !== '' || toolCalls.length > 0) onDelta({ content, toolCalls });
    if (choice.finish_reason) state.finishReason = choice.finish_reason;
  }

  // A server that ignored `stream: true` and answered in one JSON piece.
  function readWhole(json, state, onDelta) {
    const message = json?.choices?.[0]?.message;
    if (!isObject(message)) throw new LlmError('bad_answer', 'the model server answer has no message');
    onDelta({
      content: typeof message.content === 'string' ? message.content : '',
      toolCalls: Array.isArray(message.tool_calls) ? message.tool_calls.map((call, index) => ({ index, ...call })) : [],
    });
    state.finishReason = json.choices[0].finish_reason ?? 'stop';
    state.usage = usageOf(json);
  }

  // Streams one completion. onDelta({content, toolCalls}) gets the visible text and tool-call
  // fragments as they come. Resolves with {finishReason, usage, truncated}.
  async function stream(body, { signal, onDelta }) {
    const guard = new CallGuard({ totalMs: timeoutMs, idleMs: firstTokenMs, outer: signal });
    const state = { done: false, finishReason: null, usage: null, truncated: false };
    try {
      const response = await post({ ...body, stream: true, stream_options: { include_usage: true } }, guard.signal);
      if (!response.ok) throw httpError(response.status, await response.text());
      if (!/text\/event-stream/i.test(response.headers.get('content-type') ?? '')) {
        readWhole(parseAnswer(await response.text(), 'an answer'), state, onDelta);
        return state;
      }
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const take = (events) => {
        for (const event of events) {
          guard.touch();
          readEvent(event, state, onDelta);
          if (state.done) return;
        }
      };
      for await (const chunk of response.body) {
        take(parser.push(decoder.decode(chunk, { stream: true })));
        if (state.done) break;
      }
      if (!state.done) take(parser.end(decoder.decode()));
      if (!state.done && !state.finishReason) throw new LlmError('dropped', 'the model stream ended before the answer did');
      return state;
    } catch (error) {
      throw guard.explain(error);
    } finally {
      guard.dispose();
    }
  }

  // One completion in one piece: {content, finishReason, usage}.
  async function complete(body, { signal } = {}) {
    const guard = new CallGuard({ totalMs: timeoutMs, outer: signal });
    try {
      const response = await post({ ...body, stream: false }, guard.signal);
      const text = await response.text();
      if (!response.ok) throw httpError(response.status, text);
      const json = parseAnswer(text, 'an answer');
      const message = json?.choices?.[0]?.message;
      if (!isObject(message)) throw new LlmError('bad_answer', 'the model server answer has no message');
      return {
        content: typeof message.content === 'string' ? message.content : '',
        finishReason: json.choices[0].finish_reason ?? null,
        usage: usageOf(json),
      };
    } catch (error) {
      throw guard.explain(error);
    } finally {
      guard.dispose();
    }
  }

  return { stream, complete };
}

module.exports = { createLlmClient, countUsage, LlmError, httpError };
