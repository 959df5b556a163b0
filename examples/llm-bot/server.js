// An external bot for aicc-chat that answers with a large language model: it speaks the chat
// server's bot protocol (streamed answers, the agent's summary and reply suggestions) and
// forwards to any OpenAI-compatible chat-completions endpoint (vLLM, Ollama, llama.cpp's
// llama-server, hosted APIs): POST {LLM_BASE_URL}/chat/completions.
//
//   GET  /api/capabilities  what this bot can do (protocol 2)
//   POST /api/chat          one customer message: server-sent events, or JSON
//   POST /api/summary       the conversation summed up for the agent who takes over
//   POST /api/suggestions   replies the agent could send next
//   GET  /health            status, load and token counts
//
// Environment: see README.md. LLM_BASE_URL and LLM_MODEL are required.

'use strict';

const { readFileSync } = require('node:fs');
const express = require('express');

const { createAgentHelpHandler } = require('./agent-help');
const { createChatHandler } = require('./chat');
const { SessionStore } = require('./history');
const { Limiter } = require('./limiter');
const { createLlmClient } = require('./llm');
const { DEFAULT_SYSTEM_PROMPT } = require('./prompts');

const BODY_LIMIT = '64kb';

// A whole number from the environment, `fallback` when unset.
function whole(env, name, fallback, min) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number >= ${min}, not "${raw}"`);
  return value;
}

// The settings from the environment; throws with a sentence naming the variable.
function configFromEnv(env) {
  if (!env.LLM_BASE_URL) throw new Error('LLM_BASE_URL is required (e.g. http://127.0.0.1:11434/v1)');
  if (!env.LLM_MODEL) throw new Error('LLM_MODEL is required (the model name the server knows)');
  const url = new URL(env.LLM_BASE_URL);
  if (!['http:', 'https:'].includes(url.protocol)) throw new Error('LLM_BASE_URL must be an http or https URL');
  const langDefault = env.BOT_LANG_DEFAULT || 'ko';
  if (!['ko', 'en'].includes(langDefault)) throw new Error('BOT_LANG_DEFAULT must be ko or en');
  if (!['', '0', '1'].includes(env.LLM_TOOLS ?? '')) throw new Error('LLM_TOOLS must be 0 or 1');
  return {
    host: env.HOST || '127.0.0.1',
    port: whole(env, 'PORT', 8082, 0),
    baseUrl: url.href.replace(/\/+$/, ''), // a trailing slash is dropped so a path prefix is kept
    model: env.LLM_MODEL,
    apiKey: env.LLM_API_KEY || '',
    timeoutMs: whole(env, 'LLM_TIMEOUT_MS', 60000, 1),
    firstTokenMs: whole(env, 'LLM_FIRST_TOKEN_MS', 15000, 1),
    maxConcurrent: whole(env, 'LLM_MAX_CONCURRENT', 4, 1),
    maxQueue: whole(env, 'LLM_MAX_QUEUE', 32, 0),
    maxHistoryChars: whole(env, 'LLM_MAX_HISTORY_CHARS', 12000, 1),
    maxTokens: whole(env, 'LLM_MAX_TOKENS', 0, 0),
    tools: env.LLM_TOOLS !== '0',
    maxSessions: whole(env, 'BOT_MAX_SESSIONS', 1000, 1),
    keepaliveMs: whole(env, 'BOT_KEEPALIVE_MS', 5000, 1),
    langDefault,
    systemPrompt: env.SYSTEM_PROMPT_FILE ? readFileSync(env.SYSTEM_PROMPT_FILE, 'utf8') : DEFAULT_SYSTEM_PROMPT,
  };
}

const log = {
  info: (text) => console.log(text),
  warn: (text) => console.error(`warning: ${text}`),
  error: (error) => console.error(error),
};

function createApp(config, { llm = createLlmClient(config) } = {}) {
  const shared = {
    config,
    llm,
    sessions: new SessionStore({ maxSessions: config.maxSessions, maxChars: config.maxHistoryChars }),
    limiter: new Limiter({ max: config.maxConcurrent, maxQueue: config.maxQueue }),
    stats: { tools: config.tools, calls: 0, promptTokens: 0, completionTokens: 0 },
    log,
  };
  const { limiter, sessions, stats } = shared;

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: BODY_LIMIT }));

  app.get('/api/capabilities', (req, res) => {
    res.json({ protocol: 2, streaming: true, summary: true, suggestions: true });
  });
  app.post('/api/chat', createChatHandler(shared));
  app.post('/api/summary', createAgentHelpHandler(shared, 'summary'));
  app.post('/api/suggestions', createAgentHelpHandler(shared, 'suggestions'));
  app.get('/health', (req, res) => {
    res.json({
      status: 'ok',
      active: limiter.active,
      queued: limiter.queued,
      sessions: sessions.size,
      tools: stats.tools,
      usage: { calls: stats.calls, promptTokens: stats.promptTokens, completionTokens: stats.completionTokens },
    });
  });

  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `no ${req.method} ${req.path} here` });
  });
  // Body parser failures (bad JSON, too large) as JSON errors rather than HTML pages.
  app.use((error, req, res, next) => {
    if (res.headersSent) return next(error);
    const status = error.status >= 400 && error.status < 500 ? error.status : 500;
    const code = status === 413 ? 'too_large' : status === 500 ? 'internal' : 'bad_request';
    if (status === 500) log.error(error);
    return res.status(status).json({ error: code, message: status === 500 ? 'internal error' : error.message });
  });
  return app;
}

function main() {
  let config;
  try {
    config = configFromEnv(process.env);
  } catch (error) {
    console.error(`llm bot: ${error.message}`);
    process.exit(2);
  }
  const server = createApp(config).listen(config.port, config.host, () => {
    const { address, port } = server.address();
    const shown = address.includes(':') ? `[${address}]` : address;
    console.log(`llm bot listening on http://${shown}:${port} (model ${config.model} at ${config.baseUrl})`);
  });
  server.on('error', (error) => {
    console.error(`llm bot: ${error.message}`);
    process.exit(1);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      server.close(() => process.exit(0));
      server.closeIdleConnections();
      // Answers still streaming get a moment to end, then their connections are closed.
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    });
  }
}

module.exports = { configFromEnv, createApp };

if (require.main === module) main();
