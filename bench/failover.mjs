#!/usr/bin/env node
// Failover times of a cluster, measured on three aicc-chat nodes (store.kind postgres, bus.kind
// redis) behind HAProxy configured as deploy/haproxy.cfg, as bench/cluster.sh runs it. Each trial
// starts a cluster of its own (a private Redis, a new schema on the given PostgreSQL server, three
// nodes, HAProxy; tests/integration/lib/*.mjs) and measures, in this order:
//
// 1. A node dies under its clients: --clients customers connect through HAProxy (round robin over
//    the nodes), a node that does not hold the routing authority is SIGKILLed, and each of its
//    clients reconnects through HAProxy with the pages' backoff (web/js/aicc-session.js: full
//    jitter, 1 s doubling, unless --backoff-ms says otherwise). Measured from the SIGKILL: HAProxy
//    marking the node DOWN (its health checks), and each client CONNECTED again on another node.
// 2. The routing authority dies with customers waiting and agents logged in: --customers customers
//    waiting (routing.mode manual) and --agents agents logged in, all on the node that survives
//    both kills. The authority is SIGKILLed; every agent then accepts its share of the waiting
//    requests, each accept sent again every --retry-ms while it is refused routing_unavailable, as
//    PROTOCOL.md asks. Measured from the SIGKILL: the survivor's /metrics saying
//    aicc_routing_authority 1 (polled every 20 ms), the first accept stored (its RECEIPT: the next
//    assignment), and the last.
//
//   AICC_BINARY=build/aicc-chat node bench/failover.mjs --postgres URL [--trials N] [--clients N]
//     [--customers N] [--agents N] [--retry-ms MS] [--backoff-ms MS] [--json FILE]
//
// --postgres is a server the caller runs (bench/cluster.sh's private one); every trial makes a
// schema there and leaves it. Everything else it starts is stopped at the end, also on SIGINT or
// SIGTERM. Prints one line per measurement and, with --json, writes them all.

import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import WebSocket from 'ws';

import { backoffDelay } from '../web/js/aicc-session.js';
import { apiRequest } from '../tests/integration/lib/auth-http.mjs';
import { agentLogin, newAgent, newCustomer, requestConsult, send } from '../tests/integration/lib/contact-center.mjs';
import { RawStomp, STOMP_SUBPROTOCOLS } from '../tests/integration/lib/raw-stomp.mjs';
import { startServer } from '../tests/integration/lib/server.mjs';
import { postgresUrlFor, privateHaproxy, privateRedis } from '../tests/integration/lib/services.mjs';
import { mintToken } from '../tests/integration/lib/tokens.mjs';
import { delay, mapLimit, waitUntil } from '../tests/integration/lib/util.mjs';

// --- options ---
const options = { postgres: '', trials: 3, clients: 600, customers: 20, agents: 4, retryMs: 50, backoffMs: 1000, json: '' };
{
  const args = process.argv.slice(2);
  const names = { '--postgres': 'postgres', '--trials': 'trials', '--clients': 'clients', '--customers': 'customers',
    '--agents': 'agents', '--retry-ms': 'retryMs', '--backoff-ms': 'backoffMs', '--json': 'json' };
  for (let i = 0; i < args.length; i += 2) {
    const key = names[args[i]];
    if (!key || args[i + 1] === undefined) {
      console.error(`failover: unknown option or missing value: ${args[i]}\n` +
        'usage: node bench/failover.mjs --postgres URL [--trials N] [--clients N] [--customers N] [--agents N] ' +
        '[--retry-ms MS] [--backoff-ms MS] [--json FILE]');
      process.exit(2);
    }
    options[key] = typeof options[key] === 'number' ? Number(args[i + 1]) : args[i + 1];
  }
  if (!options.postgres) {
    console.error('failover: --postgres URL is required (a PostgreSQL server this script may make schemas on)');
    process.exit(2);
  }
}
// lib/services.mjs makes a schema of its own per cluster on this server (postgresUrlFor).
process.env.AICC_TEST_POSTGRES_URL = options.postgres;

const started = performance.now();
const say = (text) => console.log(`[failover ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${text}`);

const median = (values) => {
  const sorted = values.filter((v) => typeof v === 'number').sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null;
};

// --- what the integration helpers expect of a test: after() hooks, run here when a trial ends ---
class Scope {
  hooks = [];
  after(hook) {
    this.hooks.push(hook);
  }
  diagnostic(text) {
    say(text);
  }
  // Last registered, first run: HAProxy and the clients go before the nodes, the nodes before Redis.
  async close() {
    for (const hook of this.hooks.splice(0).reverse()) {
      try {
        await hook();
      } catch (error) {
        say(`cleanup: ${error.message}`);
      }
    }
  }
}
let current = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    say(`${signal}: stopping what this trial started`);
    await current?.close();
    process.exit(130);
  });
}

// --- the cluster ---
const NODE_SETTINGS = {
  'server.threads': '1',
  'server.trust-proxy': 'true',
  'log.level': 'warn',
  // Every client comes from 127.0.0.1 (through HAProxy): the per-address handshake limit would
  // measure itself, not the failover.
  'ws.handshake-rate-per-ip': '1000000',
  'ws.handshake-burst-per-ip': '1000000',
  // Agents accept; nothing is assigned by a timer while the authority is away.
  'routing.mode': 'manual',
  'routing.max-rooms-per-agent': '100',
  'routing.agent-grace': '60',
};

async function holdsAuthority(node) {
  const answer = await apiRequest(node, '/metrics', { method: 'GET', timeoutMs: 2000 }).catch(() => null);
  return answer !== null && /^aicc_routing_authority 1$/m.test(answer.text);
}

async function startCluster(scope) {
  const redis = await privateRedis(scope);
  const settings = {
    ...NODE_SETTINGS,
    'store.kind': 'postgres',
    'store.postgres.url': await postgresUrlFor(scope),
    'bus.kind': 'redis',
    'bus.redis.url': redis.url,
  };
  const nodes = [];
  for (let i = 0; i < 3; ++i) {
    const node = await startServer({ settings, secret: nodes[0]?.secret });
    scope.after(() => node.stop());
    nodes.push(node);
    await waitUntil(async () => (await apiRequest(node, '/health/ready', { method: 'GET' })).status === 200,
      { timeoutMs: 20000, intervalMs: 50, what: `node${i + 1} to be ready` });
  }
  const proxy = await privateHaproxy(scope, nodes);
  const names = Object.keys(proxy.nodes);
  const authority = await waitUntil(async () => {
    for (const name of names) if (await holdsAuthority(proxy.nodes[name])) return name;
    return null;
  }, { timeoutMs: 20000, intervalMs: 50, what: 'a node to hold the routing authority' });
  return { proxy, names, authority };
}

// SIGKILL of a node; resolves with the moment the signal went, once the process is gone.
async function kill(node) {
  const at = performance.now();
  await node.stop({ signal: 'SIGKILL' });
  return at;
}

// --- 1. a node dies under its clients ---

// A customer on a raw WebSocket through HAProxy; resolves once CONNECTED, with the node that
// answered the upgrade (HAProxy's X-Served-By); rejects when the handshake or CONNECT fails.
function openThrough(proxy, token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(proxy.wsUrl, STOMP_SUBPROTOCOLS, { handshakeTimeout: 5000 });
    let node;
    ws.once('upgrade', (response) => {
      node = response.headers['x-served-by'];
    });
    ws.once('unexpected-response', (request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => {
        request.destroy();
        reject(new Error(`HTTP ${response.statusCode} from ${response.headers['x-served-by'] ?? 'HAProxy'} ${body.slice(0, 80)}`));
      });
    });
    ws.on('error', reject);
    ws.once('open', () => {
      const client = new RawStomp(ws);
      client.connect(token, { timeoutMs: 5000 }).then(() => resolve({ client, node }), (error) => {
        client.close();
        reject(error);
      });
    });
  });
}

async function nodeKill(scope, cluster) {
  const { proxy, names, authority } = cluster;
  const secret = proxy.secret;
  const clients = await mapLimit(Array.from({ length: options.clients }, (_, i) => i), 50, async (i) => {
    const token = mintToken({ secret, sub: `failover-${i}`, role: 'CUSTOMER', ttlSeconds: 3600 });
    return { token, ...(await openThrough(proxy, token)) };
  });
  // Closed here once measured; the hook is for a trial cut short.
  scope.after(() => Promise.all(clients.map((c) => c.client.close())));
  const victim = names.find((name) => name !== authority);
  const cut = clients.filter((c) => c.node === victim);
  const spread = Object.fromEntries(names.map((name) => [name, clients.filter((c) => c.node === name).length]));

  let downAt = null;
  const watching = (async () => {
    while (downAt === null) {
      const states = await proxy.states().catch(() => ({}));
      // The backend of /ws (the SockJS one has checks of its own).
      if (states.nodes?.[victim] === 'DOWN') downAt = performance.now();
      else await delay(20);
    }
  })();
  const refused = {};  // why reconnection attempts failed: count by reason
  const refusalWaits = [];  // how long each failed attempt took to fail
  const killedAt = await kill(proxy.nodes[victim]);
  // Each client of the victim: its connection is gone (HAProxy closes the tunnel); it comes back
  // through HAProxy as a page does.
  const back = await Promise.all(cut.map(async (c) => {
    await c.client.waitClosed(10000).catch(() => c.client.close());
    for (let attempt = 0; ; ++attempt) {
      await delay(backoffDelay(attempt, { initialMs: options.backoffMs }));
      const triedAt = performance.now();
      try {
        const again = await openThrough(proxy, c.token);
        c.client = again.client;
        return { ms: performance.now() - killedAt, node: again.node, attempts: attempt + 1 };
      } catch (error) {
        refused[error.message] = (refused[error.message] ?? 0) + 1;
        refusalWaits.push(performance.now() - triedAt);
        if (performance.now() - killedAt > 120000) return { ms: null, node: null, attempts: attempt + 1 };
      }
    }
  }));
  await waitUntil(() => downAt !== null, { timeoutMs: 20000, what: `HAProxy to mark ${victim} DOWN` }).catch(() => {});
  downAt ??= performance.now();
  await watching;
  await Promise.all(clients.map((c) => c.client.close()));
  const times = back.map((b) => b.ms).filter((ms) => ms !== null).sort((a, b) => a - b);
  const wrongNode = back.filter((b) => b.node === victim || b.node === undefined).length;
  const quantile = (q) => (times.length ? times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)] : null);
  return {
    clients: options.clients,
    spread,
    victim,
    dropped: cut.length,
    reconnected: times.length,
    reconnectedOnTheVictim: wrongNode,
    refusedAttempts: Object.values(refused).reduce((sum, n) => sum + n, 0),
    refusedBecause: refused,
    refusedAttemptMedianMs: median(refusalWaits),
    haproxy: proxy.stderr.split('\n').filter((line) => line.includes(`nodes/${victim} is DOWN`)).join(' '),
    haproxyDownMs: downAt - killedAt,
    firstReconnectMs: times[0] ?? null,
    p50ReconnectMs: quantile(0.5),
    p90ReconnectMs: quantile(0.9),
    allReconnectedMs: times.length === cut.length ? times.at(-1) : null,
  };
}

// --- 2. the routing authority dies with customers waiting and agents logged in ---

async function authorityKill(scope, cluster) {
  const { proxy, names, authority } = cluster;
  const survivor = names.find((name) => name !== authority && proxy.nodes[name].running);
  const node = proxy.nodes[survivor];
  const agents = [];
  for (let i = 0; i < options.agents; ++i) {
    const agent = await newAgent(scope, node, { loginNow: false });
    await agentLogin(agent);
    agents.push(agent);
  }
  const customers = await mapLimit(Array.from({ length: options.customers }), 5, async () => {
    const customer = await newCustomer(scope, node, { minted: true });
    const status = await requestConsult(customer, {}, 10000);
    if (status.status !== 'waiting') throw new Error(`a customer's request is ${status.status}, not waiting`);
    customer.requestId = status.requestId;
    return customer;
  });

  let tookOverAt = null;
  const watching = (async () => {
    while (tookOverAt === null) {
      if (await holdsAuthority(node)) tookOverAt = performance.now();
      else await delay(20);
    }
  })();
  const killedAt = await kill(proxy.nodes[authority]);
  let refusals = 0;
  let slowest = 0;
  const slow = [];  // accepts answered after more than a second (a forward's 5 s timeout)
  const accepted = [];
  const otherRefusals = [];
  // Agent j accepts requests j, j + A, j + 2A, ... one after the other.
  await Promise.all(agents.map(async (agent, j) => {
    for (let k = j; k < customers.length; k += agents.length) {
      for (;;) {
        const sentAt = performance.now();
        const answer = await send(agent, '/app/agent.accept', { requestId: customers[k].requestId }, 10000)
          .catch((error) => ({ error }));
        const answeredAt = performance.now();
        slowest = Math.max(slowest, answeredAt - sentAt);
        if (answeredAt - sentAt > 1000) {
          slow.push({ sentMs: sentAt - killedAt, answerMs: answeredAt - sentAt, answer: answer.receipt ? 'receipt' : answer.refusal?.json?.code ?? String(answer.error) });
        }
        if (answer.receipt) {
          accepted.push(performance.now() - killedAt);
          break;
        }
        const code = answer.refusal?.json?.code;
        if (code === 'routing_unavailable' || answer.error) {
          refusals += 1;
          await delay(options.retryMs);
          continue;
        }
        otherRefusals.push(code ?? String(answer.error));
        break;
      }
      if (performance.now() - killedAt > 120000) break;
    }
  }));
  await waitUntil(() => tookOverAt !== null, { timeoutMs: 20000, what: `${survivor} to take the authority over` }).catch(() => {});
  tookOverAt ??= performance.now();
  await watching;
  accepted.sort((a, b) => a - b);
  return {
    authority,
    survivor,
    customersWaiting: customers.length,
    agents: agents.length,
    takeoverMs: tookOverAt - killedAt,
    firstAssignmentMs: accepted[0] ?? null,
    allAssignedMs: accepted.length === customers.length ? accepted.at(-1) : null,
    assigned: accepted.length,
    routingUnavailableAnswers: refusals,
    slowestAnswerMs: slowest,
    slowAnswers: slow,
    otherRefusals,
  };
}

// --- the trials ---
const results = [];
try {
  for (let trial = 1; trial <= options.trials; ++trial) {
    current = new Scope();
    try {
      const cluster = await startCluster(current);
      say(`trial ${trial}: cluster up, ${cluster.authority} holds the routing authority`);
      const node = await nodeKill(current, cluster);
      say(`trial ${trial}: ${node.victim} killed under ${node.dropped} of ${node.clients} clients (${JSON.stringify(node.spread)}): ` +
        `HAProxy DOWN after ${node.haproxyDownMs.toFixed(0)} ms; ${node.reconnected} back elsewhere, ` +
        `p50 ${node.p50ReconnectMs?.toFixed(0)} ms, all ${node.allReconnectedMs?.toFixed(0)} ms; ${node.refusedAttempts} attempts refused`);
      const routing = await authorityKill(current, cluster);
      say(`trial ${trial}: authority ${routing.authority} killed with ${routing.customersWaiting} customers waiting: ` +
        `${routing.survivor} took over after ${routing.takeoverMs.toFixed(0)} ms, first assignment ${routing.firstAssignmentMs?.toFixed(0)} ms, ` +
        `all ${routing.allAssignedMs?.toFixed(0)} ms (${routing.routingUnavailableAnswers} accepts refused routing_unavailable)`);
      results.push({ trial, nodeKill: node, authorityKill: routing });
    } finally {
      await current.close();
      current = null;
    }
  }
} catch (error) {
  console.error(`failover: ${error.stack ?? error}`);
  process.exitCode = 1;
}

const summary = {};
for (const [part, keys] of [['nodeKill', ['haproxyDownMs', 'p50ReconnectMs', 'allReconnectedMs']],
  ['authorityKill', ['takeoverMs', 'firstAssignmentMs', 'allAssignedMs']]]) {
  for (const key of keys) {
    const values = results.map((r) => r[part][key]).filter((v) => typeof v === 'number');
    summary[`${part}.${key}`] = { median: median(values), min: Math.min(...values), max: Math.max(...values) };
  }
}
const failed = results.length < options.trials ||
  results.some((r) => r.nodeKill.allReconnectedMs === null || r.nodeKill.reconnectedOnTheVictim > 0 ||
    r.authorityKill.allAssignedMs === null || r.authorityKill.otherRefusals.length > 0);
if (failed) process.exitCode = 1;
if (options.json) {
  writeFileSync(options.json, `${JSON.stringify({ options, trials: results, summary, failed }, null, 1)}\n`);
}
say(`done: ${results.length} of ${options.trials} trials${failed ? ' (with failures)' : ''}`);
