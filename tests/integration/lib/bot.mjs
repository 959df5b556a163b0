// Helpers for the bot conversation tests: customers that talk to the bot over STOMP and HTTP, the
// example external bot (examples/bot-server/) as a child process, stand-in bots that never answer
// or defer to the webhook, a relay that records the bot's webhook calls on their way to the chat
// server, and signed (or badly signed) webhook requests.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { join } from 'node:path';

import { apiRequest, guest } from './auth-http.mjs';
import { openStompJs, socketFactory } from './clients.mjs';
import { repoRoot, startServer } from './server.mjs';
import { delay, withTimeout } from './util.mjs';

export const BOT_RESPONSE = '/user/queue/bot/response';
export const WEBHOOK_SECRET = 'bot-webhook-secret-for-integration-0123456789';
const exampleBotPath = join(repoRoot, 'examples', 'bot-server', 'server.js');

// ---- customers -------------------------------------------------------------------------------

// A new guest customer: { token, id }.
export async function newGuest(server) {
  const answer = await guest(server);
  if (answer.status !== 200) throw new Error(`guest login failed: ${answer.status} ${answer.text}`);
  return { token: answer.json.accessToken, id: answer.json.user.id };
}

// A STOMP connection on /ws with `token`, subscribed to the bot's answers. Returns { session,
// answers } (answers: an Inbox of { headers, body, json }); closed by the test's t.after.
export async function connectCustomer(t, server, token) {
  const session = await openStompJs({
    factory: socketFactory(server, 'ws'),
    connectHeaders: { Authorization: `Bearer ${token}` },
  });
  t.after(() => session.close());
  const answers = await session.subscribe(BOT_RESPONSE);
  return { session, answers };
}

// POST /api/bot/message as `token`; resolves like apiRequest.
export function postBotMessage(server, token, body) {
  return apiRequest(server, '/api/bot/message', { bearer: token, json: body });
}

// GET /api/conversations/{id}/messages with an optional query string.
export function readHistory(server, token, conversationId, query = '') {
  const suffix = query === '' ? '' : `?${query}`;
  return apiRequest(server, `/api/conversations/${encodeURIComponent(conversationId)}/messages${suffix}`, {
    method: 'GET',
    bearer: token,
  });
}

// Resolves with `inbox`'s unclaimed items once nothing new came for `quietMs`: what a check that
// "no second answer arrives" looks at.
export async function settle(inbox, quietMs) {
  let seen = -1;
  while (seen !== inbox.all.length) {
    seen = inbox.all.length;
    await delay(quietMs);
  }
  return inbox.unclaimed;
}

// ---- webhook requests ------------------------------------------------------------------------

export function signWebhook(secret, timestamp, body) {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export const unixNow = () => Math.floor(Date.now() / 1000);

// POST /api/bot/webhook with `payload` (an object, or a string/Buffer sent as is), signed with
// `secret` at `timestamp` unless `secret` is null. `headers` override the computed ones. Resolves
// like apiRequest, with `request` = { body, headers } to send again.
export async function sendWebhook(server, payload, { secret = WEBHOOK_SECRET, timestamp = unixNow(), headers = {} } = {}) {
  const body = Buffer.from(typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload));
  const requestHeaders = { 'content-type': 'application/json' };
  if (secret !== null) {
    requestHeaders['x-aicc-timestamp'] = String(timestamp);
    requestHeaders['x-aicc-signature'] = signWebhook(secret, timestamp, body);
  }
  Object.assign(requestHeaders, headers);
  const answer = await apiRequest(server, '/api/bot/webhook', { body, headers: requestHeaders });
  return { ...answer, request: { body, headers: requestHeaders } };
}

// Sends the very same request again (a replay).
export function resendWebhook(server, request) {
  return apiRequest(server, '/api/bot/webhook', { body: request.body, headers: request.headers });
}

// ---- processes and stand-in servers ----------------------------------------------------------

// A loopback port that was free a moment ago and that nobody listens on now.
export async function closedPort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Starts examples/bot-server/server.js on a free loopback port with `env` only (nothing from the
// caller's environment). Returns { url, port, stdout(), stderr(), stop() }; stop() resolves with
// the exit code.
export function startExampleBot(env = {}) {
  return startNodeService(exampleBotPath, env, 'example bot');
}

// Starts the Node service at `scriptPath` with a bare environment plus `env` (it listens on PORT=0
// and prints "listening on http://127.0.0.1:<port>"); { port, url, stdout(), stderr(), stop() },
// stop() (SIGTERM, then SIGKILL after 5 s; once) resolving with the exit code. `name` is for the
// messages of a start or stop that fails.
export async function startNodeService(scriptPath, env, name) {
  const child = spawn(process.execPath, [scriptPath], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stdout.setEncoding('utf8');
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit');
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const started = new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    exited.then(([code]) => reject(new Error(`${name} exited with ${code} before listening:\n${stderr}`)));
  });
  let port;
  try {
    port = await withTimeout(started, 10000, `the ${name} to listen`);
  } catch (error) {
    kill();
    process.removeListener('exit', kill);
    throw error;
  }
  let stopped = null;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stdout: () => stdout,
    stderr: () => stderr,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        try {
          const [code] = await withTimeout(exited, 5000, `the ${name} to exit`);
          return code;
        } catch (error) {
          kill();
          throw error;
        } finally {
          process.removeListener('exit', kill);
        }
      })();
      return stopped;
    },
  };
}

async function listen(server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server.address().port;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// A stand-in bot on a free port. `respond(request, res)` answers (or not) each POST /api/chat;
// `request` is { url, headers, json }. Every request is recorded in `requests`. close() drops
// every connection, answered or not.
// A chat server asking `bot` (a fake bot's { url }), its webhook signed with WEBHOOK_SECRET, an
// answer with needHuman only offering a person; stopped and checked for a clean exit when `t` ends.
export async function startServerWithBot(t, bot, settings = {}) {
  const server = await startServer({
    settings: { 'bot.need-human': 'offer', 'bot.url': bot.url, 'bot.webhook-secret': WEBHOOK_SECRET, ...settings },
  });
  t.after(async () => {
    const result = await server.stop();
    assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
  });
  return server;
}

export async function startFakeBot(respond) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    let json;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      json = undefined;
    }
    const request = { url: req.url, headers: req.headers, json };
    requests.push(request);
    respond(request, res);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

// Sits between the bot and the chat server: forwards every request to `target` (set it once the
// chat server runs) and records { url, headers, body, json, status, answer } for each, so a test
// sees which webhook calls the bot made and what the chat server answered.
export async function startWebhookRelay() {
  const calls = [];
  const relay = {
    target: null,
    calls,
    url: null,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const headers = {};
    for (const name of ['content-type', 'x-aicc-timestamp', 'x-aicc-signature']) {
      if (req.headers[name] !== undefined) headers[name] = req.headers[name];
    }
    const call = { url: req.url, headers, body, json: undefined, status: 0, answer: undefined };
    try {
      call.json = JSON.parse(body.toString('utf8'));
    } catch {
      // Recorded as is.
    }
    try {
      if (!relay.target) throw new Error('relay has no target yet');
      const answer = await fetch(`${relay.target}${req.url}`, {
        method: req.method,
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
        signal: AbortSignal.timeout(5000),
      });
      const text = await answer.text();
      call.status = answer.status;
      try {
        call.answer = JSON.parse(text);
      } catch {
        call.answer = text;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
    } catch (error) {
      call.status = 502;
      call.answer = error.message;
      res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":"relay_failed"}');
    }
    calls.push(call);
  });
  const port = await listen(server);
  relay.url = `http://127.0.0.1:${port}`;
  return relay;
}
