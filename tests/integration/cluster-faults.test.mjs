// Faults of the multi-node mode, with every client going through HAProxy configured as
// deploy/haproxy.cfg (readiness checks on /health/ready, WebSocket tunnels, SockJS sessions kept on
// their node) in front of three nodes on one PostgreSQL and one Redis:
// - the node holding an agent's console is SIGKILLed mid-chat: the console reconnects through
//   the balancer to another node within the agent grace, resumes the room with since-seq, and the
//   room goes on (neither closed nor requeued);
// - the routing authority is SIGKILLed while 50 customers wait: another node takes over and every
//   one of them is assigned exactly once;
// - Redis is stopped and started again during a burst of room messages with subscribers on all
//   three nodes: every acknowledged message reaches every subscriber, in order, once.
// Each test counts what was acknowledged (RECEIPTs) and what is stored afterwards: the same
// messages, none twice. (PostgreSQL stopped is postgres-outage.test.mjs.)

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { apiRequest } from './lib/auth-http.mjs';
import {
  agentLogin, assertSeqRange, chatMessages, fullHistory, newAgent, newCustomer, nextJson,
  nextStatus, reconnectAgent, reconnectCustomer, received, requestConsult, roomEvents, send, subscribeRoom,
  waitForSeq,
} from './lib/contact-center.mjs';
import { startServer } from './lib/server.mjs';
import {
  haproxyInstalled, postgresInstalled, postgresUrlFor, privateHaproxy, privateRedis, redisInstalled,
} from './lib/services.mjs';
import { mintToken } from './lib/tokens.mjs';
import { delay, mapLimit, waitUntil, withTimeout } from './lib/util.mjs';

const TEST_TIMEOUT = 180000;
const missing = !postgresInstalled ? 'PostgreSQL' : !redisInstalled ? 'redis-server' : !haproxyInstalled ? 'haproxy' : '';

// ---- the cluster --------------------------------------------------------------------------------

const readiness = (node) => apiRequest(node, '/health/ready', { method: 'GET' });

async function holdsAuthority(node) {
  const answer = await apiRequest(node, '/metrics', { method: 'GET' });
  return /^aicc_routing_authority 1$/m.test(answer.text);
}

// Three nodes (node1..node3) on a private Redis and a PostgreSQL database of their own, each ready,
// and HAProxy in front of them. `settings` are added to every node's.
async function startCluster(t, settings = {}) {
  // After hooks run in the order they were added: what HAProxy's health checks made of the nodes
  // is noted first, then the nodes stop, then Redis and PostgreSQL.
  let proxy;
  t.after(() => {
    const changes = (proxy?.stderr ?? '').split('\n').map((line) => line.match(/Server nodes\/(\S+) is (UP|DOWN), reason: ([^,]+)/))
      .filter(Boolean).map(([, server, state, reason]) => `${server} ${state} (${reason})`);
    if (changes.length > 0) t.diagnostic(`HAProxy: ${changes.join('; ')}`);
  });
  const nodes = [];
  const killed = new Set();
  // Every node is stopped before any exit code is judged, and the exit codes are judged last,
  // once Redis, PostgreSQL and HAProxy are stopped too: a failed check must leave nothing running
  // (it would keep this test file alive, and the suite with it).
  const badExits = [];
  t.after(async () => {
    const results = [];
    for (const node of nodes) results.push([node, await node.stop()]);
    for (const [node, result] of results) {
      if (!killed.has(node) && result.code !== 0) {
        badExits.push(`exit code ${result.code} (${result.signal ?? 'no signal'}); stderr:\n${result.stderr}`);
      }
    }
  });
  const redis = await privateRedis(t);
  const shared = {
    'store.kind': 'postgres',
    'store.postgres.url': await postgresUrlFor(t),
    'bus.kind': 'redis',
    'bus.redis.url': redis.url,
    // Behind the balancer: the client's address comes from X-Forwarded-For.
    'server.trust-proxy': 'true',
    ...settings,
  };
  for (let i = 0; i < 3; ++i) {
    const node = await startServer({ settings: shared, secret: nodes[0]?.secret });
    nodes.push(node);
    await waitUntil(async () => (await readiness(node)).status === 200,
      { timeoutMs: 20000, intervalMs: 100, what: `node${i + 1} to be ready` });
  }
  proxy = await privateHaproxy(t, nodes);
  t.after(() => assert.deepEqual(badExits, [], 'every node stopped by SIGTERM exits with 0'));
  const names = Object.keys(proxy.nodes);
  const cluster = {
    redis,
    nodes,
    proxy,
    names,
    node: (name) => proxy.nodes[name],
    // The name of the node that holds the routing authority (its /metrics says so).
    async authority(timeoutMs = 20000) {
      return waitUntil(async () => {
        for (const name of names) {
          if (!killed.has(proxy.nodes[name]) && await holdsAuthority(proxy.nodes[name])) return name;
        }
        return null;
      }, { timeoutMs, intervalMs: 100, what: 'a node to hold the routing authority' });
    },
    // SIGKILL of a node: no goodbye to anyone; HAProxy notices by its health checks.
    async kill(name) {
      const node = proxy.nodes[name];
      killed.add(node);
      const result = await node.stop({ signal: 'SIGKILL' });
      assert.equal(result.signal, 'SIGKILL');
      return Date.now();
    },
    survivors: () => names.filter((name) => !killed.has(proxy.nodes[name])),
  };
  return cluster;
}

// The node (node1, ...) where the balancer put a party's current connection.
function nodeOf(proxy, party) {
  return proxy.servedBy(party.session.client.webSocket);
}

// Opens a party through the balancer with `open()` until it lands on a node `wanted` accepts (round
// robin gets there within three tries); the others are closed.
async function openOn(proxy, open, wanted, what) {
  for (let attempt = 0; attempt < 9; ++attempt) {
    const party = await open();
    if (wanted(nodeOf(proxy, party))) return party;
    await party.session.close();
  }
  throw new Error(`${what}: the balancer never placed the connection on a wanted node`);
}

// Tries `attempt` (a new connection through the balancer) with a growing pause between tries, as
// the pages reconnect: a node that just died is refused (503) until HAProxy's checks take it out.
async function reconnecting(what, attempt, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let pause = 100;
  let lastError;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (error) {
      lastError = error;
      await delay(pause);
      pause = Math.min(pause * 2, 1000);
    }
  }
  throw new Error(`${what}: no connection through the balancer within ${timeoutMs} ms (${lastError?.message})`);
}

// A routing command sent again while it is refused routing_unavailable (PROTOCOL.md: nothing was
// decided, send it again shortly), as long as no node holds the routing authority.
async function untilRouted(party, destination, body, timeoutMs = 30000) {
  await waitUntil(async () => {
    const answer = await send(party, destination, body, 10000);
    if (answer.receipt) return true;
    assert.equal(answer.refusal.json.code, 'routing_unavailable', `${destination} refused: ${answer.refusal.body}`);
    return false;
  }, { timeoutMs, intervalMs: 250, what: `${destination} to be routed` });
}

// The whole audit log (the store's record of routing decisions), oldest first, read as an admin.
async function auditLog(server) {
  const admin = mintToken({ secret: server.secret, role: 'ADMIN' });
  const entries = [];
  for (let after = 0; ;) {
    const page = await apiRequest(server, `/api/admin/audit?order=asc&limit=1000&after=${after}`, { method: 'GET', bearer: admin });
    assert.equal(page.status, 200, page.text);
    if (page.json.entries.length === 0) return entries;
    entries.push(...page.json.entries);
    after = page.json.next;
  }
}

// ---- what was acknowledged ----------------------------------------------------------------------

// Room messages sent with a receipt each: which were acknowledged, and which are still owed one (a
// page's outbox sends those again, with the same clientMessageId, after a reconnect).
class Ledger {
  constructor(roomId) {
    this.roomId = roomId;
    this.sent = new Map();  // clientMessageId -> { text, from }
    this.acked = new Set();
  }

  // Resolves true once receipted (never, if the connection died first).
  send(party, clientMessageId, text = `text of ${clientMessageId}`) {
    this.sent.set(clientMessageId, { text, from: party.id });
    const receipt = `r-${clientMessageId}-${randomUUID()}`;
    return new Promise((resolve) => {
      party.session.client.watchForReceipt(receipt, () => {
        this.acked.add(clientMessageId);
        resolve(true);
      });
      party.session.publish('/app/room.send', { roomId: this.roomId, text, clientMessageId }, { receipt });
    });
  }

  unacked(from) {
    return [...this.sent].filter(([id, m]) => m.from === from && !this.acked.has(id)).map(([id]) => id);
  }

  // The stored history holds exactly the acknowledged messages, each once, seqs 1..n.
  assertStored(history, what) {
    assertSeqRange(history, 1, history.length, `${what}: the stored history`);
    const stored = history.map((m) => m.clientMessageId);
    const twice = stored.filter((id, i) => stored.indexOf(id) !== i);
    assert.deepEqual(twice, [], `${what}: stored twice`);
    const lost = [...this.acked].filter((id) => !stored.includes(id));
    assert.deepEqual(lost, [], `${what}: acknowledged but not stored`);
    const unacknowledged = stored.filter((id) => !this.acked.has(id));
    assert.deepEqual(unacknowledged, [], `${what}: stored but never acknowledged`);
    for (const message of history) {
      assert.equal(message.text, this.sent.get(message.clientMessageId)?.text, `${what}: text of ${message.clientMessageId}`);
    }
  }
}

// Every agent_reconnecting event of a room is followed by agent_reconnected; nothing took the room
// from its agent or closed it.
function assertRoomKept(roomInbox, what) {
  const events = roomEvents(roomInbox).filter((e) => e.type !== 'typing');
  const ending = events.filter((e) => ['left', 'closed', 'transferred'].includes(e.type));
  assert.deepEqual(ending, [], `${what}: the room was taken from its agent or closed`);
  let away = false;
  for (const event of events) {
    if (event.type === 'agent_reconnecting') away = true;
    if (event.type === 'agent_reconnected') away = false;
  }
  assert.equal(away, false, `${what}: the agent was left reconnecting: ${JSON.stringify(events)}`);
}

describe('faults on three nodes behind HAProxy', { skip: missing ? `${missing} is not installed (scripts/install-deps.sh --test)` : false }, () => {
  it('the node of an agent mid-chat is SIGKILLed: the console comes back on another node and the room goes on', { timeout: TEST_TIMEOUT }, async (t) => {
    const GRACE_SECONDS = 30;
    const cluster = await startCluster(t, { 'routing.mode': 'manual', 'routing.agent-grace': String(GRACE_SECONDS) });
    const { proxy } = cluster;
    const authority = await cluster.authority();

    // The customer anywhere; the agent's console on a node that holds neither the customer nor the
    // routing authority, so that only the agent's connection dies with it.
    const customer = await newCustomer(t, proxy);
    const customerNode = nodeOf(proxy, customer);
    const agentId = `agent-${randomUUID()}`;
    const agent = await openOn(proxy, () => newAgent(t, proxy, { id: agentId, loginNow: false }),
      (node) => node !== authority && node !== customerNode, 'the agent');
    const agentNode = nodeOf(proxy, agent);
    await agentLogin(agent);
    t.diagnostic(`authority ${authority}, customer on ${customerNode}, agent on ${agentNode}`);

    const waiting = await requestConsult(customer, {}, 10000);
    assert.equal(waiting.status, 'waiting');
    await nextJson(agent.offers, { requestId: waiting.requestId }, 10000);
    assert.ok((await send(agent, '/app/agent.accept', { requestId: waiting.requestId }, 10000)).receipt);
    const { roomId } = await nextJson(agent.assignments, { requestId: waiting.requestId }, 10000);
    await nextStatus(customer, { requestId: waiting.requestId, status: 'connected' }, 10000);
    const customerRoom = await subscribeRoom(customer, roomId);
    const firstAgentRoom = await subscribeRoom(agent, roomId);
    const firstAgentErrors = agent.errors;

    const ledger = new Ledger(roomId);
    for (let i = 0; i < 10; ++i) {
      assert.ok(await withTimeout(ledger.send(customer, `c-before-${i}`), 10000, 'a receipt'));
      assert.ok(await withTimeout(ledger.send(agent, `a-before-${i}`), 10000, 'a receipt'));
    }

    // The customer goes on writing while the agent is away ...
    let talking = true;
    const customerTalk = (async () => {
      for (let i = 0; talking; ++i) {
        assert.ok(await withTimeout(ledger.send(customer, `c-during-${i}`), 10000, 'a receipt during the outage'));
        await delay(100);
      }
    })();
    // ... and the agent's node dies under a burst of the agent's: some messages acknowledged, some
    // stored without their RECEIPT, some never received.
    const burst = Array.from({ length: 100 }, (_, i) => `a-burst-${i}`);
    for (const id of burst) ledger.send(agent, id);
    await waitUntil(() => burst.filter((id) => ledger.acked.has(id)).length >= 10,
      { timeoutMs: 10000, intervalMs: 2, what: 'the first receipts of the burst' });
    const killedAt = await cluster.kill(agentNode);
    const unconfirmed = ledger.unacked(agent.id);
    t.diagnostic(`${agentNode} killed with ${unconfirmed.length} of the burst's ${burst.length} unacknowledged`);

    // The console reconnects through the balancer: another node, logged in again, the room resumed
    // from the last seq it showed.
    const seenBefore = chatMessages(firstAgentRoom);
    assertSeqRange(seenBefore, 1, seenBefore.at(-1)?.seq ?? 0, 'the agent before the kill');
    const sinceSeq = seenBefore.at(-1).seq;
    await reconnecting('the agent', () => reconnectAgent(t, proxy, agent));
    const reconnectedAfterMs = Date.now() - killedAt;
    const newNode = nodeOf(proxy, agent);
    assert.notEqual(newNode, agentNode, 'the balancer sent the console back to the dead node');
    assert.ok(reconnectedAfterMs < GRACE_SECONDS * 1000, `reconnected ${reconnectedAfterMs} ms after the kill, past the grace`);
    t.diagnostic(`the console reconnected on ${newNode} ${reconnectedAfterMs} ms after the kill`);
    // The balancer took the dead node out by its health checks.
    await proxy.waitForStates({ [agentNode]: 'DOWN' }, { timeoutMs: 15000 });
    // What the console reads after a reconnect, from whichever node the balancer picks: asked of
    // every surviving node (checked at the end).
    const roomLists = {};
    for (const name of cluster.survivors()) {
      const answer = await apiRequest(cluster.node(name), '/api/agent/rooms', { method: 'GET', bearer: agent.token });
      roomLists[name] = answer.json?.rooms?.map((room) => room.roomId) ?? answer.text;
    }
    const agentRoom = await subscribeRoom(agent, roomId, { sinceSeq });
    // The outbox sends what got no RECEIPT again, with the same clientMessageId.
    for (const id of unconfirmed) {
      assert.ok(await withTimeout(ledger.send(agent, id, ledger.sent.get(id).text), 10000, `the receipt of ${id} sent again`));
    }
    talking = false;
    await customerTalk;

    // The room goes on, both ways.
    for (let i = 0; i < 10; ++i) {
      assert.ok(await withTimeout(ledger.send(agent, `a-after-${i}`), 10000, 'a receipt'));
      assert.ok(await withTimeout(ledger.send(customer, `c-after-${i}`), 10000, 'a receipt'));
    }
    const history = await fullHistory(proxy, customer.token, roomId);
    ledger.assertStored(history, 'after the kill');
    const last = history.length;
    await waitForSeq(customerRoom, last, 20000);
    await waitForSeq(agentRoom, last, 20000);
    assertSeqRange(chatMessages(customerRoom), 1, last, 'the customer');
    assertSeqRange(chatMessages(agentRoom), sinceSeq + 1, last, 'the agent after reconnecting (since-seq)');
    const duringSeqs = history.filter((m) => m.clientMessageId.startsWith('c-during-')).map((m) => m.seq);
    assert.ok(duringSeqs.length > 0, 'the customer wrote while the agent was away');
    assert.ok(history.filter((m) => m.clientMessageId.startsWith('a-after-')).length === 10);

    // Neither closed nor requeued: the customer stayed connected to the same agent all along.
    assertRoomKept(customerRoom, 'the customer\'s room');
    assertRoomKept(agentRoom, 'the agent\'s room');
    const statuses = received(customer.status, (s) => s.requestId === waiting.requestId).map((s) => s.status);
    assert.deepEqual(statuses.slice(statuses.indexOf('connected')), ['connected'],
      `the customer's consult after the kill: ${statuses.join(', ')}`);
    assert.deepEqual(received(firstAgentErrors), [], 'refusals to the agent before the kill');
    assert.deepEqual(received(agent.errors), [], 'refusals to the agent after reconnecting');
    assert.deepEqual(received(customer.errors), [], 'refusals to the customer');

    // The console after its reconnect lists its rooms (GET /api/agent/rooms) from whichever node
    // the balancer picked, and marks a room it does not find as ended: every node must list it.
    for (const [name, rooms] of Object.entries(roomLists)) {
      assert.ok(Array.isArray(rooms) && rooms.includes(roomId),
        `GET /api/agent/rooms on ${name} (the authority is ${authority}) after the reconnect: ${JSON.stringify(rooms)}, not the room ${roomId}`);
    }
  });

  it('the routing authority is SIGKILLed while 50 customers wait: each is assigned exactly once', { timeout: TEST_TIMEOUT }, async (t) => {
    const CUSTOMERS = 50;
    const AGENTS = 5;
    const AUTO_ASSIGN_AFTER = 10;
    // Five agents with room for 15 each: all of them are needed (more than any two nodes' worth).
    const cluster = await startCluster(t, {
      'routing.mode': 'hybrid',
      'routing.auto-assign-after': String(AUTO_ASSIGN_AFTER),
      'routing.max-rooms-per-agent': '15',
      'routing.agent-grace': '60',
    });
    const { proxy } = cluster;
    await cluster.authority();

    // Every connection through the balancer, round robin over the three nodes.
    const agents = [];
    for (let i = 0; i < AGENTS; ++i) {
      const agent = await newAgent(t, proxy, { loginNow: false });
      agent.node = nodeOf(proxy, agent);
      agent.assignmentInboxes = [agent.assignments];
      agent.errorInboxes = [agent.errors];
      await untilRouted(agent, '/app/agent.login', {});
      agents.push(agent);
    }
    const customers = await mapLimit(Array.from({ length: CUSTOMERS }), 5, async () => {
      const customer = await newCustomer(t, proxy, { minted: true });
      customer.node = nodeOf(proxy, customer);
      customer.statusInboxes = [customer.status];
      return customer;
    });
    await mapLimit(customers, 10, async (customer) => {
      const status = await requestConsult(customer, {}, 20000);
      assert.equal(status.status, 'waiting', JSON.stringify(status));
      customer.requestId = status.requestId;
    });
    const requestIds = new Set(customers.map((c) => c.requestId));
    assert.equal(requestIds.size, CUSTOMERS, 'one request per customer');

    const authority = await cluster.authority();
    const onIt = (parties) => parties.filter((p) => p.node === authority).length;
    t.diagnostic(`authority ${authority}, holding ${onIt(agents)} agents and ${onIt(customers)} customers; ` +
      `agents on ${agents.map((a) => a.node).join(' ')}`);
    const killedAt = await cluster.kill(authority);

    // Another node takes over (its /metrics says so), watched in the background.
    let tookOverAt;
    const takeover = cluster.authority(30000).then((name) => {
      tookOverAt = Date.now();
      return name;
    });
    // Whoever was connected to the dead node comes back through the balancer, as the pages do:
    // consoles log in again (sent again while routing is unavailable), widgets listen again.
    await Promise.all([
      ...agents.filter((a) => a.node === authority).map(async (agent) => {
        await reconnecting(agent.id, () => reconnectAgent(t, proxy, agent, { loginNow: false }));
        agent.node = nodeOf(proxy, agent);
        agent.assignmentInboxes.push(agent.assignments);
        agent.errorInboxes.push(agent.errors);
        await untilRouted(agent, '/app/agent.login', {});
      }),
      ...customers.filter((c) => c.node === authority).map(async (customer) => {
        await reconnecting(customer.id, () => reconnectCustomer(t, proxy, customer));
        customer.node = nodeOf(proxy, customer);
        customer.reconnected = true;
        customer.statusInboxes.push(customer.status);
      }),
    ]);
    const newAuthority = await takeover;
    t.diagnostic(`${newAuthority} took over ${tookOverAt - killedAt} ms after the SIGKILL`);
    await proxy.waitForStates({ [authority]: 'DOWN' }, { timeoutMs: 15000 });

    // Every customer is assigned, within the takeover plus the offer window (bounded generously).
    const assignedStatus = (customer) => customer.statusInboxes.flatMap((inbox) => received(inbox,
      (s) => s.requestId === customer.requestId && (s.status === 'auto_assigned' || s.status === 'connected')));
    await waitUntil(() => customers.every((c) => assignedStatus(c).length > 0), {
      timeoutMs: 60000,
      intervalMs: 200,
      what: 'every waiting customer to be assigned',
    }).catch(async (error) => {
      const left = customers.filter((c) => assignedStatus(c).length === 0);
      // Whom the new authority's engine considered for the last decisions.
      const considered = (await auditLog(proxy)).filter((entry) => entry.candidates.length > 0).at(-1);
      const agentNode = new Map(agents.map((a) => [a.id, a.node]));
      throw new Error(`${error.message}: ${left.length} of ${CUSTOMERS} never assigned ` +
        `(${left.filter((c) => c.reconnected).length} of them reconnected); assignments by agent (node: count): ` +
        `${agents.map((a) => `${a.node}: ${a.assignmentInboxes.reduce((n, inbox) => n + inbox.all.length, 0)}`).join(', ')}; ` +
        `the last ${considered?.event} audited considered ${considered?.candidates.length} agents: ` +
        `${considered?.candidates.map((c) => `${agentNode.get(c.agentId)} ${c.verdict} ${c.activeRooms}`).join(', ')}`);
    });
    const allAssignedMs = Date.now() - killedAt;
    t.diagnostic(`all ${CUSTOMERS} assigned ${allAssignedMs} ms after the SIGKILL`);
    await delay(2000);  // anything assigned twice would show by now

    // Exactly once: one assignment per request to the agents, one room each, one status per
    // customer, and the audit log (the store) agrees.
    const assignments = agents.flatMap((agent) => agent.assignmentInboxes.flatMap((inbox) => received(inbox))
      .map((assignment) => ({ ...assignment, agentId: agent.id })));
    const byRequest = new Map();
    for (const assignment of assignments) {
      assert.ok(requestIds.has(assignment.requestId), `an assignment of an unknown request ${assignment.requestId}`);
      assert.ok(!byRequest.has(assignment.requestId), `request ${assignment.requestId} assigned twice`);
      byRequest.set(assignment.requestId, assignment);
    }
    assert.equal(byRequest.size, CUSTOMERS, 'an assignment per request reached an agent');
    assert.equal(new Set(assignments.map((a) => a.roomId)).size, CUSTOMERS, 'a room per request');
    for (const customer of customers) {
      const statuses = assignedStatus(customer);
      assert.equal(statuses.length, 1, `${customer.id}: assigned ${statuses.length} times`);
      assert.equal(statuses[0].roomId, byRequest.get(customer.requestId).roomId, `${customer.id}: the room`);
      assert.equal(byRequest.get(customer.requestId).customer.id, customer.id, `${customer.requestId}: the customer`);
    }
    const assigning = (await auditLog(proxy)).filter((entry) => entry.event === 'auto_assign' || entry.event === 'accept');
    const audited = assigning.map((entry) => entry.requestId);
    assert.deepEqual([...audited].sort(), [...requestIds].sort(), 'the audit log: one assignment per request');
    for (const entry of assigning) {
      assert.equal(entry.agentId, byRequest.get(entry.requestId).agentId, `the audit log: the agent of ${entry.requestId}`);
    }
    for (const agent of agents) {
      const refusals = agent.errorInboxes.flatMap((inbox) => received(inbox, (e) => e.code !== 'routing_unavailable'));
      assert.deepEqual(refusals, [], `refusals to ${agent.id}`);
    }

    // A widget that reconnected reads its consult (GET /api/consult/current) from whichever node
    // the balancer picks: every surviving node must know it.
    for (const customer of customers.filter((c) => c.reconnected)) {
      for (const name of cluster.survivors()) {
        const current = await apiRequest(cluster.node(name), '/api/consult/current', { method: 'GET', bearer: customer.token });
        assert.equal(current.json?.request?.requestId, customer.requestId,
          `GET /api/consult/current on ${name} (the authority is ${newAuthority}) for a reconnected customer: ${current.text}`);
      }
    }
  });

  it('Redis restarted during a burst: every acknowledged message reaches the subscribers on every node, in order, once', { timeout: TEST_TIMEOUT }, async (t) => {
    const cluster = await startCluster(t, { 'routing.mode': 'manual' });
    const { proxy, redis } = cluster;
    await cluster.authority();

    // One subscriber of the room on each node: the customer, the agent, and the agent's second
    // console.
    const customer = await newCustomer(t, proxy);
    const customerNode = nodeOf(proxy, customer);
    const agentId = `agent-${randomUUID()}`;
    const agent = await openOn(proxy, () => newAgent(t, proxy, { id: agentId, loginNow: false }),
      (node) => node !== customerNode, 'the agent');
    const agentNode = nodeOf(proxy, agent);
    await agentLogin(agent);
    const second = await openOn(proxy, () => newAgent(t, proxy, { id: agentId, loginNow: false }),
      (node) => node !== customerNode && node !== agentNode, 'the second console');
    t.diagnostic(`customer on ${customerNode}, agent on ${agentNode}, second console on ${nodeOf(proxy, second)}`);

    const waiting = await requestConsult(customer, {}, 10000);
    await nextJson(agent.offers, { requestId: waiting.requestId }, 10000);
    assert.ok((await send(agent, '/app/agent.accept', { requestId: waiting.requestId }, 10000)).receipt);
    const { roomId } = await nextJson(agent.assignments, { requestId: waiting.requestId }, 10000);
    // Each party subscribes once its own node told it of the room, as the real clients do: a node
    // learns the room's members from the bus, and a SUBSCRIBE that comes before them is refused.
    await nextStatus(customer, { requestId: waiting.requestId, status: 'connected' }, 10000);
    await nextJson(second.assignments, { requestId: waiting.requestId }, 10000);
    const subscribers = {
      customer: await subscribeRoom(customer, roomId),
      agent: await subscribeRoom(agent, roomId),
      'second console': await subscribeRoom(second, roomId),
    };
    const ledger = new Ledger(roomId);
    for (let i = 0; i < 5; ++i) {
      assert.ok(await withTimeout(ledger.send(customer, `c-warm-${i}`), 10000, 'a receipt'));
      assert.ok(await withTimeout(ledger.send(agent, `a-warm-${i}`), 10000, 'a receipt'));
    }
    for (const inbox of Object.values(subscribers)) await waitForSeq(inbox, 10, 10000);

    // The burst: both sides write without waiting, every 25 ms, while Redis goes away and comes
    // back.
    let bursting = true;
    const pending = [];
    const writers = [customer, agent].map(async (party, side) => {
      for (let i = 0; bursting; ++i) {
        pending.push(ledger.send(party, `${side === 0 ? 'c' : 'a'}-burst-${i}`));
        await delay(25);
      }
    });
    await delay(500);
    redis.stop();
    const stoppedAt = Date.now();
    // HAProxy drains every node while none can reach Redis (readiness 503) ...
    await proxy.waitForStates({ node1: 'DOWN', node2: 'DOWN', node3: 'DOWN' }, { timeoutMs: 15000 });
    redis.start();
    // ... and takes them back once they reconnected.
    await proxy.waitForStates({ node1: 'UP', node2: 'UP', node3: 'UP' }, { timeoutMs: 20000 });
    t.diagnostic(`Redis away for ${Date.now() - stoppedAt} ms, until every node was back in HAProxy`);
    await delay(500);
    bursting = false;
    await Promise.all(writers);
    const outcomes = await withTimeout(Promise.all(pending), 20000, 'the burst\'s receipts');
    assert.ok(outcomes.every(Boolean));
    assert.deepEqual(received(customer.errors), [], 'refusals to the customer');
    assert.deepEqual(received(agent.errors), [], 'refusals to the agent');
    let history = await fullHistory(proxy, customer.token, roomId);
    ledger.assertStored(history, 'after the burst');
    t.diagnostic(`${pending.length} messages in the burst`);

    // A subscription that missed messages with Redis notices the gap at the next message past it
    // and catches up from the store. The burst went on after every node was back, and one more
    // message each way makes sure a message follows the last one Redis may have lost.
    assert.ok(await withTimeout(ledger.send(customer, 'c-after'), 10000, 'a receipt'));
    assert.ok(await withTimeout(ledger.send(agent, 'a-after'), 10000, 'a receipt'));
    history = await fullHistory(proxy, customer.token, roomId);
    ledger.assertStored(history, 'at the end');
    for (const [who, inbox] of Object.entries(subscribers)) {
      await waitForSeq(inbox, history.length, 20000);
      assertSeqRange(chatMessages(inbox), 1, history.length, who);
      assert.deepEqual(chatMessages(inbox).map((m) => m.clientMessageId), history.map((m) => m.clientMessageId), `${who}: the messages`);
    }
    for (const [who, inbox] of Object.entries(subscribers)) assertRoomKept(inbox, `the room of the ${who}`);

    // Messages stored during an outage in a room that then goes quiet: the nodes are told which
    // channels they subscribed again (the Bus's `resubscribed`), and their subscribers catch up
    // from the store then, without waiting for a later message.
    await t.test('a room gone quiet during a Redis outage catches up once Redis is back', async () => {
      const allReadiness = async (status) => (await Promise.all(cluster.nodes.map(readiness))).every((a) => a.status === status);
      redis.stop();
      await waitUntil(() => allReadiness(503), { timeoutMs: 10000, intervalMs: 100, what: 'every node to see Redis gone' });
      for (let i = 0; i < 3; ++i) assert.ok(await withTimeout(ledger.send(agent, `a-quiet-${i}`), 10000, 'a receipt'));
      redis.start();
      await waitUntil(() => allReadiness(200), { timeoutMs: 20000, intervalMs: 100, what: 'every node to be back on Redis' });
      const quietEnd = history.length + 3;
      await waitUntil(() => Object.values(subscribers).every((inbox) => (chatMessages(inbox).at(-1)?.seq ?? 0) >= quietEnd), {
        timeoutMs: 5000,
        what: `every subscriber to reach seq ${quietEnd} (${Object.entries(subscribers).map(([who, inbox]) => `${who} at ${chatMessages(inbox).at(-1)?.seq}`).join(', ')})`,
      });
    });
  });
});
