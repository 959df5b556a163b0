// Helpers for the contact center tests: a server with short routing delays, customers (guests with
// a refresh cookie jar) and agents (tokens minted with role AGENT, or real users created with
// `aicc-chat user add` and logged in over HTTP) on STOMP over /ws, with an Inbox per destination
// they listen to, and small waits on those inboxes.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { CookieJar, guest, login } from './auth-http.mjs';
import { openStompJs, socketFactory } from './clients.mjs';
import { readHistory } from './bot.mjs';
import { startServer, runUserCommand } from './server.mjs';
import { mintToken } from './tokens.mjs';
import { delay } from './util.mjs';

export const CONSULT_STATUS = '/user/queue/consult/status';
export const CONSULT_REQUESTS = '/topic/consult/request';
export const CONSULT_UPDATES = '/topic/consult/updates';
export const ASSIGNMENTS = '/user/queue/agent/assignment';
export const ERRORS = '/user/queue/errors';
export const BOT_RESPONSE = '/user/queue/bot/response';
export const NOTES = '/user/queue/agent/notes';
export const roomTopic = (roomId) => `/topic/room/${roomId}`;

// Routing delays for tests: whole seconds, the smallest the configuration allows above zero.
export const FAST_ROUTING = {
  'routing.auto-assign-after': '1',
  'routing.agent-grace': '1',
};

// Starts a server with FAST_ROUTING plus `settings`; stops it when test `t` ends and checks that
// it exited cleanly (code 0).
export async function startCenter(t, { settings = {}, ...options } = {}) {
  const server = await startServer({ settings: { ...FAST_ROUTING, ...settings }, ...options });
  t.after(async () => {
    const result = await server.stop();
    // A server killed by the test itself (SIGKILL) has no exit code to check.
    if (result.signal !== 'SIGKILL') assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
  });
  return server;
}

// A STOMP session on /ws with `token`, closed when test `t` ends.
export async function connect(t, server, token) {
  const session = await openStompJs({
    factory: socketFactory(server, 'ws'),
    connectHeaders: { Authorization: `Bearer ${token}` },
  });
  t.after(() => session.close());
  return session;
}

// A guest customer: a fresh cookie jar (or `jar`, to resume the guest it holds), a token, a STOMP
// session subscribed to its consult status, bot answers and errors.
// With `minted`, a customer with a minted token instead (no guest sign-in: the guest route is rate
// limited per address, and a test that needs a hundred customers would meet the limit).
export async function newCustomer(t, server, { jar = new CookieJar(), displayName, minted = false } = {}) {
  if (minted) {
    const id = `customer-${randomUUID()}`;
    const customer = {
      kind: 'customer', jar, id, name: displayName ?? id,
      token: mintToken({ secret: server.secret, sub: id, role: 'CUSTOMER', name: displayName ?? id, ttlSeconds: 3600 }),
    };
    await attach(t, server, customer, [CONSULT_STATUS, BOT_RESPONSE, ERRORS]);
    return customer;
  }
  const answer = await guest(server, { jar, json: displayName === undefined ? {} : { displayName } });
  assert.equal(answer.status, 200, `guest login: ${answer.text}`);
  const customer = {
    kind: 'customer',
    jar,
    token: answer.json.accessToken,
    id: answer.json.user.id,
    name: answer.json.user.displayName,
  };
  await attach(t, server, customer, [CONSULT_STATUS, BOT_RESPONSE, ERRORS]);
  return customer;
}

// Connects `party` (customer or agent) with its token and subscribes to `destinations`; the
// inboxes land on `party.inboxes` by destination, and `party.status`, `party.errors` … for short.
async function attach(t, server, party, destinations) {
  party.session = await connect(t, server, party.token);
  party.inboxes = {};
  for (const destination of destinations) party.inboxes[destination] = await party.session.subscribe(destination);
  party.status = party.inboxes[CONSULT_STATUS];
  party.bot = party.inboxes[BOT_RESPONSE];
  party.errors = party.inboxes[ERRORS];
  party.offers = party.inboxes[CONSULT_REQUESTS];
  party.updates = party.inboxes[CONSULT_UPDATES];
  party.assignments = party.inboxes[ASSIGNMENTS];
  party.notes = party.inboxes[NOTES];
  return party;
}

// An agent with a minted token (a fresh user id unless `id` is given), connected, subscribed to the
// console destinations, and logged in (/app/agent.login) unless `loginNow` is false.
export async function newAgent(t, server, { id = `agent-${randomUUID()}`, name = id, token, loginNow = true } = {}) {
  const agent = {
    kind: 'agent',
    id,
    name,
    token: token ?? mintToken({ secret: server.secret, sub: id, role: 'AGENT', name, ttlSeconds: 3600 }),
  };
  await attach(t, server, agent, [CONSULT_REQUESTS, CONSULT_UPDATES, ASSIGNMENTS, ERRORS, NOTES]);
  if (loginNow) await agentLogin(agent);
  return agent;
}

// A new STOMP session for an agent (after a dropped connection or a restart), with the same
// subscriptions; logs in again when `loginNow`.
export async function reconnectAgent(t, server, agent, { loginNow = true } = {}) {
  await attach(t, server, agent, [CONSULT_REQUESTS, CONSULT_UPDATES, ASSIGNMENTS, ERRORS, NOTES]);
  if (loginNow) await agentLogin(agent);
  return agent;
}

// A new STOMP session for a customer (after a dropped connection), with the same subscriptions.
export function reconnectCustomer(t, server, customer) {
  return attach(t, server, customer, [CONSULT_STATUS, BOT_RESPONSE, ERRORS]);
}

// A real agent account: `aicc-chat user add NAME --role agent --password-stdin` on the server's
// folder, then POST /api/auth/login. Returns { username, password, token, id, name }.
export async function createAgentAccount(server, username, { displayName = username } = {}) {
  const password = `pw-${randomUUID()}`;
  const added = await runUserCommand(server.dir, ['add', username, '--role', 'agent', '--name', displayName, '--password-stdin'],
    { stdin: `${password}\n` });
  assert.equal(added.code, 0, `user add ${username}: ${added.stderr}`);
  const answer = await login(server, username, password);
  assert.equal(answer.status, 200, `login ${username}: ${answer.text}`);
  assert.equal(answer.json.user.role, 'AGENT');
  return { username, password, token: answer.json.accessToken, id: answer.json.user.id, name: answer.json.user.displayName };
}

// /app/agent.login with a receipt: once it is back, every later frame of any client is handled after
// the login (the routing service runs them in arrival order).
export function agentLogin(agent) {
  return agent.session.publishWithReceipt('/app/agent.login', {});
}

// SEND with a receipt, resolved once the server answered it (so a later step happens after this
// one was handled): { receipt } when done, { refusal } when refused on the party's errors.
export function send(party, destination, body, timeoutMs = 5000) {
  return party.session.publishAnswered(destination, body, party.errors, { timeoutMs });
}

// Asks for a human and resolves with the first status of that request (waiting, or at once
// assigned).
export async function requestConsult(customer, body = {}, timeoutMs = 5000) {
  await send(customer, '/app/consult.request', body);
  return (await customer.status.next(() => true, timeoutMs, `${customer.id}: consult status`)).json;
}

// The next consult status of `customer` matching `match` (an object of expected fields or a
// predicate).
export async function nextStatus(customer, match, timeoutMs = 5000) {
  const predicate = typeof match === 'function' ? (m) => match(m.json) : (m) => matches(m.json, match);
  return (await customer.status.next(predicate, timeoutMs, `status ${JSON.stringify(match)}`)).json;
}

// The next item in `inbox` whose JSON has all the fields of `fields` (or passes it, a predicate).
export async function nextJson(inbox, fields, timeoutMs = 5000) {
  const predicate = typeof fields === 'function' ? (m) => fields(m.json) : (m) => matches(m.json, fields);
  return (await inbox.next(predicate, timeoutMs, `${inbox.what} with ${typeof fields === 'function' ? 'a predicate' : JSON.stringify(fields)}`)).json;
}

export function matches(json, fields) {
  if (json === undefined || json === null) return false;
  return Object.entries(fields).every(([key, value]) => json[key] === value);
}

// Resolves once `inbox` received nothing new for `quietMs`, with the items not yet claimed.
export async function quiet(inbox, quietMs = 300) {
  let seen = -1;
  while (seen !== inbox.all.length) {
    seen = inbox.all.length;
    await delay(quietMs);
  }
  return inbox.unclaimed;
}

// Every JSON body `inbox` ever received that passes `predicate`.
export function received(inbox, predicate = () => true) {
  return inbox.all.map((m) => m.json).filter((json) => json !== undefined && predicate(json));
}

// Subscribes `party` to room `roomId` (optionally with since-seq) and returns the inbox.
export function subscribeRoom(party, roomId, { sinceSeq } = {}) {
  const headers = sinceSeq === undefined ? {} : { 'since-seq': String(sinceSeq) };
  return party.session.subscribe(roomTopic(roomId), { headers });
}

// The chat messages (not the events) of a room inbox, in arrival order.
export function chatMessages(roomInbox) {
  return roomInbox.all.map((m) => m.json).filter((json) => json && json.seq !== undefined && json.type === undefined);
}

export function roomEvents(roomInbox, type) {
  return roomInbox.all.map((m) => m.json).filter((json) => json && json.type !== undefined && (type === undefined || json.type === type));
}

// Waits until the room inbox holds a chat message with seq >= `seq`.
export async function waitForSeq(roomInbox, seq, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const last = chatMessages(roomInbox).at(-1);
    if (last && last.seq >= seq) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for room seq ${seq}; last seen ${last?.seq}`);
    }
    await delay(10);
  }
}

// Asserts that `messages` carry seqs from..to, each once, in order.
export function assertSeqRange(messages, from, to, who = 'messages') {
  const seqs = messages.map((m) => m.seq);
  const expected = Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
  if (seqs.length !== expected.length || seqs.some((seq, i) => seq !== expected[i])) {
    // A short summary rather than two 400-element arrays.
    const dup = seqs.filter((seq, i) => seqs.indexOf(seq) !== i);
    const missing = expected.filter((seq) => !seqs.includes(seq));
    assert.fail(`${who}: expected seqs ${from}..${to} once each in order; got ${seqs.length} ` +
      `(first ${seqs[0]}, last ${seqs.at(-1)}); duplicates [${dup.slice(0, 10)}], missing [${missing.slice(0, 10)}]`);
  }
}

// Sends a chat message to a room with a receipt.
export function roomSend(party, roomId, text, clientMessageId = `cm-${randomUUID()}`) {
  return send(party, '/app/room.send', { roomId, text, clientMessageId });
}

// Every stored message of `streamId` over HTTP (paged), as `token` sees it.
export async function fullHistory(server, token, streamId) {
  const messages = [];
  let after = 0;
  while (true) {
    const page = await readHistory(server, token, streamId, `after=${after}&limit=500`);
    assert.equal(page.status, 200, `history of ${streamId}: ${page.text}`);
    messages.push(...page.json.messages);
    if (page.json.messages.length === 0) return messages;
    after = page.json.nextAfter;
  }
}

// A customer asks for a human and `agent` accepts: resolves with { request, assignment, status }
// once the customer is connected.
export async function acceptedRoom(customer, agent, body = {}) {
  const waiting = await requestConsult(customer, body);
  assert.equal(waiting.status, 'waiting');
  await nextJson(agent.offers, { requestId: waiting.requestId });
  await send(agent, '/app/agent.accept', { requestId: waiting.requestId });
  const assignment = await nextJson(agent.assignments, { requestId: waiting.requestId });
  const status = await nextStatus(customer, { requestId: waiting.requestId, status: 'connected' });
  return { request: waiting, assignment, status, roomId: assignment.roomId };
}
