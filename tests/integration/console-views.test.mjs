// The read-only views the web pages load: GET /api/consult/current (the customer widget after a
// reload), /api/consult/queue and /api/agent/rooms (the agent console after a reload), /api/agents
// (the transfer picker), /api/admin/stats (the supervisor page), the conversationId on the offers
// of /topic/consult/request, and demo mode's admin. Each is checked for its shape, its figures,
// that it changes nothing, and who may read it (401 without a token, 403 for other roles).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { apiRequest, login } from './lib/auth-http.mjs';
import { closedPort, postBotMessage, readHistory } from './lib/bot.mjs';
import {
  acceptedRoom,
  newAgent,
  newCustomer,
  nextJson,
  nextStatus,
  quiet,
  reconnectAgent,
  requestConsult,
  roomSend,
  send,
  startCenter,
} from './lib/contact-center.mjs';
import { startServer } from './lib/server.mjs';
import { expiredToken, mintToken } from './lib/tokens.mjs';
import { delay, waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 30000;
const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
// Manual routing: nothing is auto-assigned behind the test's back.
// Manual routing, and requests only when the customer asks (bot.need-human: offer), so that each
// test decides what is in the queue.
const MANUAL = { 'routing.mode': 'manual', 'bot.need-human': 'offer' };

const get = (server, path, token) => apiRequest(server, path, { method: 'GET', bearer: token });

function adminToken(server) {
  return mintToken({ secret: server.secret, sub: `admin-${randomUUID()}`, role: 'ADMIN', name: 'Supervisor' });
}

function assertError(answer, status, code) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.json?.error, code, answer.text);
  assert.equal(typeof answer.json.message, 'string');
  assert.ok(answer.json.message.length > 0);
}

// 401 without a token and with an expired one; 403 for each token of `refused`.
async function assertOnlyFor(server, path, refused) {
  assertError(await apiRequest(server, path, { method: 'GET' }), 401, 'unauthorized');
  assertError(await get(server, path, expiredToken(server.secret)), 401, 'invalid_token');
  for (const token of refused) assertError(await get(server, path, token), 403, 'forbidden');
}

// GET `path` until `check(json)` holds; resolves with that json.
async function getUntil(server, path, token, check, what) {
  let last;
  await waitUntil(async () => {
    last = await get(server, path, token);
    return last.status === 200 && check(last.json);
  }, { timeoutMs: 5000, what: `${what}; last answer ${last?.text}` });
  return last.json;
}

describe('GET /api/consult/current', () => {
  it('is null until the customer writes, then names the conversation; it never opens a request', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: MANUAL });
    const customer = await newCustomer(t, server);
    const first = await get(server, '/api/consult/current', customer.token);
    assert.equal(first.status, 200, first.text);
    assert.match(first.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(first.json, { conversationId: null, request: null, botAnswer: null });

    const posted = await postBotMessage(server, customer.token, { message: '환불하고 싶어요' });
    assert.equal(posted.status, 202, posted.text);
    await customer.bot.next(() => true, 5000, 'the bot answer');
    for (let i = 0; i < 3; ++i) {
      const again = await get(server, '/api/consult/current', customer.token);
      assert.deepEqual(again.json, { conversationId: posted.json.conversationId, request: null, botAnswer: null });
    }
    // Reading it asked for nobody: no request waits, and the customer heard no status.
    assert.deepEqual((await get(server, '/api/consult/queue', adminToken(server))).json, { requests: [] });
    assert.equal((await quiet(customer.status, 200)).length, 0);
  });

  it('says waiting with the position, then connected with agent and room, and when the agent is reconnecting', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { ...MANUAL, 'routing.agent-grace': '30' } });
    const ahead = await newCustomer(t, server);
    const customer = await newCustomer(t, server);
    const aheadRequest = await requestConsult(ahead);
    const waiting = await requestConsult(customer);
    assert.equal(waiting.position, 2);

    const current = await get(server, '/api/consult/current', customer.token);
    assert.equal(current.status, 200, current.text);
    assert.equal(current.json.conversationId, null);
    assert.deepEqual(current.json.request, { requestId: waiting.requestId, status: 'waiting', position: 2 });

    await send(ahead, '/app/consult.cancel', { requestId: aheadRequest.requestId });
    await nextStatus(customer, { requestId: waiting.requestId, position: 1 });
    assert.deepEqual((await get(server, '/api/consult/current', customer.token)).json.request,
      { requestId: waiting.requestId, status: 'waiting', position: 1 });

    const agent = await newAgent(t, server, { name: 'Kim Minji' });
    await nextJson(agent.offers, { requestId: waiting.requestId });
    await send(agent, '/app/agent.accept', { requestId: waiting.requestId });
    const status = await nextStatus(customer, { requestId: waiting.requestId, status: 'connected' });
    const connected = await get(server, '/api/consult/current', customer.token);
    assert.deepEqual(connected.json.request, {
      requestId: waiting.requestId, status: 'connected', agentId: agent.id, agentName: 'Kim Minji', roomId: status.roomId,
    });
    // The room made the conversation the agent reads.
    assert.match(connected.json.conversationId, /^c_/);

    // The agent's only connection drops: within the grace period the customer is told so.
    agent.session.client.forceDisconnect();
    const reconnecting = await getUntil(server, '/api/consult/current', customer.token,
      (json) => json.request?.agentReconnecting === true, 'agentReconnecting');
    assert.equal(reconnecting.request.status, 'connected');
    assert.equal(reconnecting.request.roomId, status.roomId);
    await reconnectAgent(t, server, agent, { loginNow: false });
    const back = await getUntil(server, '/api/consult/current', customer.token,
      (json) => json.request && !('agentReconnecting' in json.request), 'the agent back');
    assert.equal(back.request.agentId, agent.id);

    await assertOnlyFor(server, '/api/consult/current', [agent.token, adminToken(server)]);
  });
});

describe('GET /api/consult/queue and the offers', () => {
  it('lists the waiting requests in queue order with the bot conversation that agents may read', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: MANUAL });
    const agent = await newAgent(t, server);
    const talker = await newCustomer(t, server, { displayName: 'Talker' });
    const posted = await postBotMessage(server, talker.token, { message: '결제오류가 났어요' });
    assert.equal(posted.status, 202, posted.text);
    const answer = (await talker.bot.next(() => true, 5000, 'the bot answer')).json;
    const first = await requestConsult(talker, { category: 'billing', reason: 'double charge' });

    // The offer carries the conversation, and the agent reads it over HTTP.
    const offer = await nextJson(agent.offers, { requestId: first.requestId });
    assert.equal(offer.conversationId, posted.json.conversationId);
    const history = await readHistory(server, agent.token, offer.conversationId);
    assert.equal(history.status, 200, history.text);
    assert.deepEqual(history.json.messages.map((m) => m.text), ['결제오류가 났어요', answer.botMessage]);

    // A customer who never wrote to the bot has none.
    const silent = await newCustomer(t, server, { displayName: 'Silent' });
    const second = await requestConsult(silent);
    assert.equal((await nextJson(agent.offers, { requestId: second.requestId })).conversationId, null);

    // The bot's handoff summary follows the offer (the built-in bot makes one): read the queue
    // once it is there, so that both reads below see the same.
    let queue;
    for (let tries = 0; tries < 100; tries += 1) {
      queue = await get(server, '/api/consult/queue', agent.token);
      if (queue.json?.requests?.[0]?.summary) break;
      await delay(50);
    }
    assert.equal(queue.status, 200, queue.text);
    assert.equal(queue.json.requests.length, 2);
    const [a, b] = queue.json.requests;
    assert.equal(a.summary.category, 'payment_error');
    assert.match(a.summary.text, /결제오류가 났어요/);
    assert.ok(['calm', 'neutral', 'frustrated', 'angry'].includes(a.summary.mood), a.summary.mood);
    assert.equal(b.summary, null, 'no conversation, nothing to summarise');
    assert.match(a.waitingSince, RFC3339_MS);
    assert.deepEqual(a, {
      requestId: first.requestId,
      customerId: talker.id,
      customerName: 'Talker',
      category: 'billing',
      reason: 'double charge',
      lastBotMessage: answer.botMessage,
      waitingSince: a.waitingSince,
      position: 1,
      requeued: false,
      conversationId: posted.json.conversationId,
      summary: a.summary,
    });
    assert.equal(a.waitingSince, offer.waitingSince);
    assert.deepEqual(
      { requestId: b.requestId, customerName: b.customerName, position: b.position, conversationId: b.conversationId, requeued: b.requeued },
      { requestId: second.requestId, customerName: 'Silent', position: 2, conversationId: null, requeued: false });
    assert.deepEqual((await get(server, '/api/consult/queue', adminToken(server))).json, queue.json);

    // Taken: gone from the queue. Transferred back: at the head, marked requeued.
    await send(agent, '/app/agent.accept', { requestId: first.requestId });
    const assignment = await nextJson(agent.assignments, { requestId: first.requestId });
    let now = (await get(server, '/api/consult/queue', agent.token)).json.requests;
    assert.deepEqual(now.map((r) => [r.requestId, r.position]), [[second.requestId, 1]]);
    await send(agent, '/app/room.transfer', { roomId: assignment.roomId });
    await nextStatus(talker, { requestId: first.requestId, status: 'waiting' });
    now = (await get(server, '/api/consult/queue', agent.token)).json.requests;
    assert.deepEqual(now.map((r) => [r.requestId, r.position, r.requeued]),
      [[first.requestId, 1, true], [second.requestId, 2, false]]);

    await assertOnlyFor(server, '/api/consult/queue', [talker.token]);
  });
});

describe('GET /api/agent/rooms', () => {
  it("gives the caller's open rooms, also after a reload, and drops closed ones", { timeout: TEST_TIMEOUT }, async (t) => {
    // A grace period longer than the reload below.
    const server = await startCenter(t, { settings: { ...MANUAL, 'routing.agent-grace': '30' } });
    const agent = await newAgent(t, server);
    const other = await newAgent(t, server);
    const c1 = await newCustomer(t, server, { displayName: 'One' });
    const c2 = await newCustomer(t, server, { displayName: 'Two' });
    const c3 = await newCustomer(t, server, { displayName: 'Three' });
    const room1 = await acceptedRoom(c1, agent, { category: 'refund' });
    const room2 = await acceptedRoom(c2, agent);
    const room3 = await acceptedRoom(c3, other);

    const answer = await get(server, '/api/agent/rooms', agent.token);
    assert.equal(answer.status, 200, answer.text);
    const rooms = answer.json.rooms;
    assert.deepEqual(rooms.map((r) => r.roomId).sort(), [room1.roomId, room2.roomId].sort());
    const one = rooms.find((r) => r.roomId === room1.roomId);
    assert.match(one.assignedAt, RFC3339_MS);
    assert.deepEqual(one, {
      roomId: room1.roomId,
      requestId: room1.request.requestId,
      customer: { id: c1.id, displayName: 'One' },
      category: 'refund',
      conversationId: room1.assignment.conversationId,
      summary: one.summary,
      assignedAt: one.assignedAt,
      notes: [],
    });
    assert.ok(one.summary === null || typeof one.summary.text === 'string', JSON.stringify(one.summary));
    assert.match(one.conversationId, /^c_/);

    // A reloaded console: a new connection, the same rooms.
    await agent.session.close();
    await reconnectAgent(t, server, agent, { loginNow: false });
    assert.equal((await get(server, '/api/agent/rooms', agent.token)).json.rooms.length, 2);

    await send(c1, '/app/room.close', { roomId: room1.roomId });
    const left = await getUntil(server, '/api/agent/rooms', agent.token, (json) => json.rooms.length === 1, 'one room left');
    assert.equal(left.rooms[0].roomId, room2.roomId);
    assert.deepEqual((await get(server, '/api/agent/rooms', other.token)).json.rooms.map((r) => r.roomId), [room3.roomId]);
    const newcomer = mintToken({ secret: server.secret, role: 'AGENT', sub: `agent-${randomUUID()}` });
    assert.deepEqual((await get(server, '/api/agent/rooms', newcomer)).json, { rooms: [] });

    await assertOnlyFor(server, '/api/agent/rooms', [c2.token, adminToken(server)]);
  });
});

describe('GET /api/agents', () => {
  it('lists every agent seen with state, rooms and capacity', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, {
      settings: { ...MANUAL, 'routing.agent-grace': '30', 'routing.max-rooms-per-agent': '2' },
    });
    const available = await newAgent(t, server, { name: 'Available' });
    const away = await newAgent(t, server, { name: 'Away' });
    await send(away, '/app/agent.status', { status: 'away' });
    const offline = await newAgent(t, server, { name: 'Offline' });
    await send(offline, '/app/agent.logout', {});
    const flaky = await newAgent(t, server, { name: 'Flaky' });
    const customer = await newCustomer(t, server);
    await acceptedRoom(customer, flaky);
    flaky.session.client.forceDisconnect();

    const json = await getUntil(server, '/api/agents', available.token,
      (body) => body.agents.find((a) => a.id === flaky.id)?.state === 'reconnecting', 'flaky reconnecting');
    const byId = Object.fromEntries(json.agents.map((a) => [a.id, a]));
    assert.deepEqual(byId[available.id], { id: available.id, name: 'Available', state: 'available', activeRooms: 0, maxRooms: 2, atCapacity: false, status: 'available' });
    assert.equal(byId[away.id].state, 'away');
    assert.equal(byId[away.id].status, 'away');
    assert.equal(byId[offline.id].state, 'offline');
    assert.equal(byId[offline.id].status, 'available');
    assert.deepEqual(byId[flaky.id], { id: flaky.id, name: 'Flaky', state: 'reconnecting', activeRooms: 1, maxRooms: 2, atCapacity: false, status: 'available' });
    assert.equal(json.agents.length, 4);
    assert.deepEqual((await get(server, '/api/agents', adminToken(server))).json, json);

    await assertOnlyFor(server, '/api/agents', [customer.token]);
  });
});

describe('GET /api/admin/stats', () => {
  it('judges the bot: its answers, why customers reached a person, and their ratings of its answers', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.mode': 'manual' } });
    const admin = adminToken(server);
    const helped = await newCustomer(t, server);
    assert.equal((await postBotMessage(server, helped.token, { message: '환불하고 싶어요' })).status, 202);
    const answer = (await helped.bot.next((m) => m.json.partial === false, 5000, 'the answer')).json;
    assert.equal(answer.needHuman, false);
    const handed = await newCustomer(t, server);
    assert.equal((await postBotMessage(server, handed.token, { message: '결제오류가 났어요' })).status, 202);
    const handover = (await handed.bot.next((m) => m.json.partial === false, 5000, 'the hand-over')).json;
    assert.equal(handover.needHuman, true);
    await nextStatus(handed, { status: 'waiting' });

    // A rating of the bot's answer, once, by its customer only, of a bot answer only.
    assert.ok((await send(helped, '/app/bot.rate', { messageId: answer.messageId, score: 4, comment: 'quick' })).receipt);
    const again = await send(helped, '/app/bot.rate', { messageId: answer.messageId, score: 1 });
    assert.equal(again.refusal?.json.code, 'already_rated');
    const other = await send(handed, '/app/bot.rate', { messageId: answer.messageId, score: 1 });
    assert.equal(other.refusal?.json.code, 'not_found', 'not their answer');
    const question = await send(helped, '/app/bot.rate', { messageId: answer.replyTo, score: 1 });
    assert.equal(question.refusal?.json.code, 'not_found', 'not a bot answer');
    for (const body of [{ messageId: answer.messageId, score: 9 }, { messageId: answer.messageId, score: '5' }, { score: 5 }]) {
      const refused = await send(helped, '/app/bot.rate', body);
      assert.equal(refused.refusal?.json.code, 'bad_request', JSON.stringify(body));
    }

    const stats = (await get(server, '/api/admin/stats', admin)).json;
    assert.equal(stats.botOutcomes.answered, 2, 'the refund answer and the hand-over answer');
    assert.deepEqual(stats.botOutcomes.handedOver, { total: 1, botNeedHuman: 1, botFailed: 0, customerAsked: 0 });
    assert.deepEqual(stats.botOutcomes.botSatisfaction, { count: 1, average: 4 });
    // The first customer's chat counts as resolved by the bot only after half an hour.
    assert.equal(stats.botOutcomes.resolvedByBot, 0);
  });

  it('counts an agent with as many chats as allowed as full, not available', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { ...MANUAL, 'routing.max-rooms-per-agent': '1' } });
    const agent = await newAgent(t, server, { name: 'Busy' });
    const idle = await newAgent(t, server, { name: 'Idle' });
    const customer = await newCustomer(t, server);
    await acceptedRoom(customer, agent);
    const stats = (await get(server, '/api/admin/stats', adminToken(server))).json;
    assert.equal(stats.agents.available, 1, 'only the idle agent can take a chat');
    assert.equal(stats.agents.full, 1);
    const byId = Object.fromEntries(stats.agents.list.map((a) => [a.id, a]));
    assert.equal(byId[agent.id].atCapacity, true);
    assert.equal(byId[agent.id].state, 'available', 'the status the agent chose stays');
    assert.equal(byId[idle.id].atCapacity, false);
  });

  it('gives admins the live figures: queue, agents, rooms, messages, bot failures, queue history', { timeout: TEST_TIMEOUT }, async (t) => {
    // A bot nobody listens on: every question ends in the apology.
    const port = await closedPort();
    const server = await startCenter(t, { settings: { ...MANUAL, 'bot.url': `http://127.0.0.1:${port}`, 'bot.timeout-ms': '2000' } });
    const admin = adminToken(server);
    const empty = await get(server, '/api/admin/stats', admin);
    assert.equal(empty.status, 200, empty.text);
    assert.equal(empty.json.waiting.count, 0);
    assert.equal(empty.json.messagesPerMinute, 0);
    assert.deepEqual(empty.json.bot, { asked: 0, failed: 0, failureRate: 0 });

    const asker = await newCustomer(t, server);
    for (const message of ['hello?', 'anyone?']) {
      assert.equal((await postBotMessage(server, asker.token, { message })).status, 202);
      const apology = (await asker.bot.next(() => true, 5000, 'the apology')).json;
      assert.equal(apology.category, 'bot_unavailable');
    }
    await requestConsult(asker);
    const agent = await newAgent(t, server, { name: 'Counted' });
    const chatter = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(chatter, agent);
    await roomSend(chatter, roomId, 'one');
    await roomSend(agent, roomId, 'two');
    await roomSend(chatter, roomId, 'three');
    await roomSend(chatter, roomId, 'three', 'retry-is-not-counted');
    await roomSend(chatter, roomId, 'three', 'retry-is-not-counted');

    const answer = await get(server, '/api/admin/stats', admin);
    assert.equal(answer.status, 200, answer.text);
    const stats = answer.json;
    assert.match(stats.now, RFC3339_MS);
    assert.deepEqual(Object.keys(stats).sort(),
      ['agents', 'bot', 'botOutcomes', 'messagesPerMinute', 'now', 'queueHistory', 'rooms', 'satisfaction', 'waiting'].sort());
    // Two requests for a person: one after the bot's apology, one asked without the bot. Nothing
    // resolved by the bot: it never answered.
    assert.deepEqual(stats.botOutcomes, {
      windowHours: 24,
      answered: 0,
      resolvedByBot: 0,
      handedOver: { total: 2, botNeedHuman: 0, botFailed: 1, customerAsked: 1 },
      botSatisfaction: { count: 0, average: null },
      resolutionRate: 0,
    });
    // No room was rated yet: no average.
    assert.deepEqual(stats.satisfaction, { count: 0, windowHours: 24, average: null });
    assert.equal(stats.waiting.count, 1);
    assert.ok(Number.isInteger(stats.waiting.longestWaitMs) && stats.waiting.longestWaitMs >= 0, stats.waiting);
    assert.deepEqual(
      { available: stats.agents.available, away: stats.agents.away, offline: stats.agents.offline, reconnecting: stats.agents.reconnecting },
      { available: 1, away: 0, offline: 0, reconnecting: 0 });
    assert.deepEqual(stats.agents.list, [{ id: agent.id, name: 'Counted', state: 'available', activeRooms: 1, maxRooms: 3, atCapacity: false }]);
    assert.deepEqual(stats.rooms, { open: 1 });
    // Two questions, two apologies, four room messages (the retry is stored once).
    assert.equal(stats.messagesPerMinute, 8);
    assert.deepEqual(stats.bot, { asked: 2, failed: 2, failureRate: 1 });
    assert.ok(stats.queueHistory.length >= 1);
    for (const sample of stats.queueHistory) {
      assert.match(sample.t, RFC3339_MS);
      assert.ok(Number.isInteger(sample.waiting));
    }
    assert.deepEqual(stats.queueHistory.at(-1), { t: stats.now, waiting: 1 });

    await assertOnlyFor(server, '/api/admin/stats', [agent.token, asker.token]);
  });

  it("demo mode's admin (admin / 1234) signs in as ADMIN and reads them", { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startServer({ args: ['--demo'] });
    t.after(async () => {
      const result = await server.stop();
      assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
    });
    await server.waitForLog(/created demo user admin/);
    assert.match(server.stderr, /warn.*demo user admin \(ADMIN\) with password 1234/);
    const signedIn = await login(server, 'admin', '1234');
    assert.equal(signedIn.status, 200, signedIn.text);
    assert.equal(signedIn.json.user.role, 'ADMIN');
    const stats = await get(server, '/api/admin/stats', signedIn.json.accessToken);
    assert.equal(stats.status, 200, stats.text);
    const agent = await login(server, 'agent1', '1234');
    assertError(await get(server, '/api/admin/stats', agent.json.accessToken), 403, 'forbidden');
  });
});

describe('GET /api/consult/history', () => {
  it('lists the customer\'s own rooms, oldest first, with agent, times, last seq and rating; customers only', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: MANUAL });
    const customer = await newCustomer(t, server);
    const other = await newCustomer(t, server);
    const agent = await newAgent(t, server, { name: 'Kim' });
    assert.deepEqual((await get(server, '/api/consult/history', customer.token)).json, { conversationId: null, rooms: [] });

    const first = await acceptedRoom(customer, agent);
    await roomSend(agent, first.roomId, 'first answer', 'a-1');
    await roomSend(customer, first.roomId, 'thanks', 'c-2');
    await send(agent, '/app/room.close', { roomId: first.roomId });
    await nextStatus(customer, { status: 'closed' });
    await send(customer, '/app/room.rate', { roomId: first.roomId, score: 5, comment: 'great' });
    const second = await acceptedRoom(customer, agent);

    const history = await get(server, '/api/consult/history', customer.token);
    assert.equal(history.status, 200, history.text);
    assert.equal(history.json.conversationId, first.assignment.conversationId);
    assert.deepEqual(history.json.rooms.map((r) => r.roomId), [first.roomId, second.roomId]);
    const [closed, open] = history.json.rooms;
    assert.equal(closed.agentId, agent.id);
    assert.equal(closed.agentName, 'Kim');
    assert.equal(closed.lastSeq, 2);
    assert.match(closed.createdAt, RFC3339_MS);
    assert.match(closed.closedAt, RFC3339_MS);
    assert.deepEqual(closed.rating, { score: 5, comment: 'great' });
    assert.equal(open.closedAt, undefined);
    assert.equal(open.rating, undefined);
    assert.equal(open.lastSeq, 0);

    // Another customer's list is their own (empty); agents and supervisors have their own views.
    assert.deepEqual((await get(server, '/api/consult/history', other.token)).json, { conversationId: null, rooms: [] });
    await assertOnlyFor(server, '/api/consult/history', [agent.token, adminToken(server)]);
  });
});

describe('GET /api/customers/{id}/context', () => {
  it('gives agents and supervisors where the customer is and their rooms; the context is bounded', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: MANUAL });
    const customer = await newCustomer(t, server);
    const agent = await newAgent(t, server, { name: 'Kim' });
    const path = `/api/customers/${encodeURIComponent(customer.id)}/context`;
    assert.deepEqual((await get(server, path, agent.token)).json,
      { customerId: customer.id, conversationId: null, context: null, rooms: [] });

    const context = { pageUrl: 'https://shop.example/cart', pageTitle: '장바구니', referrer: 'https://search.example/', lang: 'en', userAgent: 'Mozilla/5.0 Chrome/120', memberId: '' };
    await send(customer, '/app/customer.context', context);
    const { roomId } = await acceptedRoom(customer, agent);
    const answer = await get(server, path, adminToken(server));
    assert.equal(answer.status, 200, answer.text);
    const { updatedAt, ...told } = answer.json.context;
    assert.deepEqual(told, context);
    assert.match(updatedAt, RFC3339_MS);
    assert.deepEqual(answer.json.rooms.map((r) => [r.roomId, r.agentName]), [[roomId, 'Kim']]);

    // Each field has a limit and a type; a refusal says so and changes nothing.
    for (const bad of [{ pageUrl: 'x'.repeat(2049) }, { pageTitle: 'x'.repeat(301) }, { lang: 7 }, { userAgent: 'x'.repeat(513) }]) {
      const refused = await send(customer, '/app/customer.context', bad);
      assert.equal(refused.refusal?.json.code, 'bad_request', JSON.stringify(bad).slice(0, 40));
    }
    assert.equal((await get(server, path, agent.token)).json.context.pageUrl, context.pageUrl);
    await assertOnlyFor(server, path, [customer.token]);
    assertError(await get(server, '/api/customers/x/y/context', agent.token), 404, 'not_found');
  });
});
