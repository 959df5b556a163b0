#!/usr/bin/env node
// Writes the Markdown report of a bench/cluster.sh run from its results folder: how to run it, the
// machine and its load, fan-out on one node against three, Redis traffic per published message,
// rooms on PostgreSQL against SQLite, failover times, and the targets met or not. With --doc, the
// same text also replaces the part of that file between
//   <!-- cluster:begin -->  and  <!-- cluster:end -->
// (added at the end of the file when missing); everything around it stays.
//
//   node bench/cluster-report.mjs --results DIR [--out FILE.md] [--doc docs/BENCHMARKS.md]
import fs from 'node:fs';
import path from 'node:path';
import { digits, integer, isNumber } from './lib/format.mjs';

// --- arguments ---
const options = { results: '', out: '', doc: '' };
{
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i += 2) {
    const key = { '--results': 'results', '--out': 'out', '--doc': 'doc' }[args[i]];
    if (!key || args[i + 1] === undefined) {
      console.error('usage: node bench/cluster-report.mjs --results DIR [--out FILE.md] [--doc FILE.md]');
      process.exit(2);
    }
    options[key] = args[i + 1];
  }
  if (!options.results) {
    console.error('cluster-report: --results DIR is required');
    process.exit(2);
  }
  options.out ||= path.join(options.results, 'cluster.md');
}

// --- the results ---
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const inResults = (name) => path.join(options.results, name);
const meta = fs.existsSync(inResults('meta.json')) ? readJson(inResults('meta.json')) : {};
const runs = fs.readdirSync(options.results)
  .filter((name) => name.endsWith('.json') && !['meta.json', 'failover.json'].includes(name))
  .map((name) => ({ name: name.replace(/\.json$/, ''), ...readJson(inResults(name)) }));
const failover = fs.existsSync(inResults('failover.json')) ? readJson(inResults('failover.json')) : null;
const run = (name) => runs.find((r) => r.name === name);
const failed = (r) => !r || (r.exitCode ?? 0) !== 0 || (r.failed ?? 0) > 0 || Boolean(r.error);
// The routing authority was lost during the run (authorityLosses: how many times a node lost it;
// authorityBefore/After: "EPOCH HOLDER"). Only the cluster's rooms depend on it.
const moved = (r) => r?.scenario === 'rooms' && !['sqlite', 'postgres-async'].includes(r.store) &&
  ((r.authorityLosses ?? 0) > 0 || (typeof r.authorityBefore === 'string' && r.authorityBefore !== r.authorityAfter));

// --- formatting ---
const ms = (value) => (isNumber(value) ? `${digits(value)} ms` : '–');
const seconds = (value) => (isNumber(value) ? `${digits(value / 1000)} s` : '–');
const signedMs = (value) => (isNumber(value) ? `${value >= 0 ? '+' : '−'}${digits(Math.abs(value))} ms` : '–');
const mark = (r) => (r && failed(r) ? ' †' : '');
const yes = (ok) => (ok === null ? 'not measured' : ok ? '**yes**' : '**no**');
const table = (head, rows) => [
  `| ${head.join(' | ')} |`,
  `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
  ...rows.map((row) => `| ${row.join(' | ')} |`),
].join('\n');

const lines = [];
const add = (...text) => lines.push(...text);
const failures = runs.filter((r) => failed(r) && r.phase !== 'warmup');

// --- how to run, this run ---
const m = meta.machine ?? {};
const load = (values) => (values?.length ? values.map((v) => v.toFixed(2)).join(', ') : '–');
// Busy before the run: something else was running (a run of its own brings the load to about 2).
const busy = (values) => values?.length && values[0] > 0.5;
const v = meta.versions ?? {};
add('### How to run', '',
  '```sh',
  'make build',
  'bench/cluster.sh                                 # --short: a few minutes, results in build/cluster-bench-results',
  'bench/cluster.sh --short --doc docs/BENCHMARKS.md   # and this section rewritten',
  '```', '',
  'The script starts a private PostgreSQL (default durability: fsync and synchronous_commit on) and Redis, three ' +
  'nodes on them (`store.kind: postgres`, `bus.kind: redis`, `server.threads: 1`, limits per connection out of the way) ' +
  'and, for the rooms, a node with SQLite and one with PostgreSQL with synchronous_commit off, all on free loopback ports and pinned to one core with `taskset`; the load ' +
  'generator runs on the other core. The failover trials start clusters of their own behind HAProxy (`bench/failover.mjs`). ' +
  'Everything is stopped at the end, also on Ctrl-C.', '',
  '#### This run', '',
  `- Command: \`${meta.command ?? 'bench/cluster.sh'}\` (${meta.mode ?? 'short'} mode, ${digits((meta.durationSeconds ?? 0) / 60)} minutes)`,
  `- Date: ${meta.dateUtc ?? '–'} (UTC); commit ${meta.gitCommit ?? 'unknown'}`,
  `- Machine: ${m.cpuModel ?? '–'}, ${m.cores ?? '–'} cores, ${m.memoryGiB ?? '–'} GiB RAM, Linux ${m.kernel ?? '–'}, ${m.os ?? '–'}`,
  `- Load average (1, 5, 15 min) before the run: ${load(m.loadAverageAtStart)}` +
  (busy(m.loadAverageAtStart) ? ' (other work was running on the machine: expect noise)' : '') +
  `; after: ${load(m.loadAverageAtEnd)} (the run's own servers and load generator keep both cores busy: about 2)`,
  `- Pinning: PostgreSQL, Redis and every node on core ${meta.pinning?.serverCpu ?? 0}, the load generator on core ${meta.pinning?.loadgenCpu ?? 1}`,
  `- Versions: ${v.aicc || 'aicc-chat'}, PostgreSQL ${v.postgres || '–'}, Redis ${v.redis || '–'}, HAProxy ${v.haproxy || '–'}, Node.js ${v.node || '–'}`,
  '');

// --- fan-out ---
const fan = (where, point) => run(`fanout-${where}-${point}`);
const points = ['max', ...[...new Set(runs.filter((r) => r.phase === 'ladder').map((r) => Math.round(r.fraction * 100)))]
  .sort((a, b) => a - b).map(String)];
const verdicts = {};
if (fan('one', 'max')) {
  const subscribers = fan('one', 'max').subscribers ?? meta.sizes?.fanoutSubscribers;
  add('### Fan-out: one node against three', '',
    `${integer(subscribers)} subscribers on one topic (\`/topic/chat\`), one publisher on node1. "One node": every ` +
    'subscriber on node1. "Three nodes": the subscribers spread over node1, node2 and node3 (`aicc-loadgen --spread`), ' +
    'so two thirds of the deliveries go through Redis. Both run one right after the other at each point; ' +
    'load points are fractions of one node\'s flat-out rate. Latency is publisher send to subscriber receive.', '');
  const rows = [];
  for (const point of points) {
    const one = fan('one', point);
    const three = fan('three', point);
    if (!one && !three) continue;
    const label = point === 'max' ? 'flat out' : `${point} % of one node's max`;
    const ratio = isNumber(one?.latencyP99Ms) && isNumber(three?.latencyP99Ms) && one.latencyP99Ms > 0
      ? three.latencyP99Ms / one.latencyP99Ms : null;
    rows.push([label, point === 'max' ? 'flat out' : integer(one?.offeredPublishRate ?? three?.offeredPublishRate),
      `${integer(one?.deliveredPerSecond)}${mark(one)}`, ms(one?.latencyP50Ms), ms(one?.latencyP99Ms),
      `${integer(three?.deliveredPerSecond)}${mark(three)}`, ms(three?.latencyP50Ms), ms(three?.latencyP99Ms),
      ratio === null ? '–' : `${digits(ratio, 2)}×`]);
  }
  add(table(['point', 'offered (published/s)', 'one node: delivered/s', 'p50', 'p99', 'three nodes: delivered/s', 'p50', 'p99',
    'p99 three / one'], rows), '');

  const splitRows = [];
  for (const point of points) {
    const three = fan('three', point);
    const one = fan('one', point);
    if (!three) continue;
    const perDelivery = (r) => (isNumber(r?.clusterCpuSeconds) && r?.delivered > 0
      ? `${digits((r.clusterCpuSeconds + (r.redisCpuSeconds ?? 0)) * 1e6 / r.delivered)} µs` : '–');
    // The load generator's core: busy most of the time means its queues are in the latency too.
    const loadgenBusy = (r) => (isNumber(r?.loadgenCpuSeconds) && r?.wallSeconds > 0
      ? `${Math.round((100 * r.loadgenCpuSeconds) / r.wallSeconds)} %` : '–');
    splitRows.push([point === 'max' ? 'flat out' : `${point} %`, ms(three.publisherNodeLatencyP50Ms), ms(three.publisherNodeLatencyP99Ms),
      ms(three.otherNodesLatencyP50Ms), ms(three.otherNodesLatencyP99Ms), perDelivery(one), perDelivery(three),
      `${loadgenBusy(one)} / ${loadgenBusy(three)}`]);
  }
  add('The three-node runs by where the subscriber was; the CPU time of the nodes and Redis per delivered message (all ' +
    'three nodes counted in both); and the load generator\'s CPU time over the whole run, connections included, as a share ' +
    'of its core:', '',
    table(['point', 'publisher\'s node: p50', 'p99', 'other nodes: p50', 'p99', 'CPU per delivery, one node', 'three nodes',
      'load generator busy, one / three'], splitRows), '');

  // The targets: p99 within 2x at each common load point; the hop's cost at half load.
  const ladder = points.filter((p) => p !== 'max');
  const within = ladder.map((p) => {
    const one = fan('one', p);
    const three = fan('three', p);
    return isNumber(one?.latencyP99Ms) && isNumber(three?.latencyP99Ms) ? three.latencyP99Ms <= 2 * one.latencyP99Ms : null;
  }).filter((ok) => ok !== null);
  verdicts.p99 = within.length ? within.every(Boolean) : null;
  verdicts.p99Points = ladder.filter((p) => {
    const one = fan('one', p);
    const three = fan('three', p);
    return isNumber(one?.latencyP99Ms) && isNumber(three?.latencyP99Ms) && three.latencyP99Ms > 2 * one.latencyP99Ms;
  });
  const half = { one: fan('one', '50'), three: fan('three', '50') };
  if (half.one && half.three) {
    verdicts.hopP50 = half.three.latencyP50Ms - half.one.latencyP50Ms;
    verdicts.hopP99 = half.three.latencyP99Ms - half.one.latencyP99Ms;
    verdicts.hopInsideP50 = half.three.otherNodesLatencyP50Ms - half.three.publisherNodeLatencyP50Ms;
    verdicts.hopInsideP99 = half.three.otherNodesLatencyP99Ms - half.three.publisherNodeLatencyP99Ms;
    add(`At half load (${integer(half.one.offeredPublishRate)} published/s): three nodes against one, p50 ${signedMs(verdicts.hopP50)}, ` +
      `p99 ${signedMs(verdicts.hopP99)}; inside the three-node run, the other nodes' subscribers against the publisher's node's, ` +
      `p50 ${signedMs(verdicts.hopInsideP50)}, p99 ${signedMs(verdicts.hopInsideP99)}.`, '');
  }
}

// --- Redis per publish ---
const redisRuns = runs.filter((r) => r.phase === 'redis').sort((a, b) => (a.subscribers ?? 0) - (b.subscribers ?? 0));
if (redisRuns.length > 0) {
  const rest = meta.redisAtRest ?? {};
  // The run with many messages less the one with a single message and as many subscribers
  // (connecting and subscribing cost Redis something too), less Redis at rest over the extra time.
  const perMessage = (r) => {
    const base = run(`${r.name}-base`) ?? { published: 0, wallSeconds: 0, redisPublishCalls: 0, redisNetInputBytes: 0, redisNetOutputBytes: 0 };
    const published = (r.published ?? 0) - (base.published ?? 0);
    if (published <= 0) return {};
    const extra = (r.wallSeconds ?? 0) - (base.wallSeconds ?? 0);
    const part = (key, restRate) => (r[key] - base[key] - (restRate ?? 0) * extra) / published;
    return {
      calls: part('redisPublishCalls', rest.publishPerSecond),
      input: part('redisNetInputBytes', rest.bytesInPerSecond),
      output: part('redisNetOutputBytes', rest.bytesOutPerSecond),
    };
  };
  add('### Redis traffic per published message', '',
    `Three nodes at ${integer(meta.sizes?.redisPublishRate)} published/s, with more and more subscribers. Redis' own counters ` +
    '(`INFO commandstats` cmdstat_publish calls, `INFO stats` total_net_input_bytes and total_net_output_bytes) are read before and ' +
    'after each run; each subscriber count runs twice, with one message and with many, and the difference, less what Redis ' +
    `does at rest over the extra time (${digits(rest.publishPerSecond)} PUBLISH/s, ${integer(rest.bytesInPerSecond)} B/s in, ` +
    `${integer(rest.bytesOutPerSecond)} B/s out: presence heartbeats), is divided by the extra messages published.`, '',
    table(['subscribers', 'on node1 / node2 / node3', 'published', 'delivered', 'PUBLISH calls per message', 'bytes into Redis per message',
      'bytes out of Redis per message'], redisRuns.map((r) => {
      const per = perMessage(r);
      const s = r.subscribers ?? 0;
      return [integer(s), `${integer(Math.ceil(s / 3))} / ${integer(Math.ceil((s - 1) / 3))} / ${integer(Math.floor(s / 3))}`,
        integer(r.published), `${integer(r.delivered)}${mark(r)}`, digits(per.calls), integer(per.input), integer(per.output)];
    })), '');
  const calls = redisRuns.map((r) => perMessage(r).calls).filter(isNumber);
  const outputs = redisRuns.map((r) => perMessage(r).output).filter(isNumber);
  const flat = (values) => values.length >= 2 && Math.max(...values) <= 1.1 * Math.min(...values) + 0.05 * Math.max(...values);
  verdicts.redisFlat = calls.length >= 2 ? flat(calls) && flat(outputs) : null;
}

// --- rooms ---
const roomRuns = runs.filter((r) => r.scenario === 'rooms');
if (roomRuns.length > 0) {
  const storeName = {
    sqlite: 'SQLite (one node, local bus)',
    postgres: 'PostgreSQL (node1 of the cluster)',
    'postgres-three': 'PostgreSQL (spread over the three nodes)',
    'postgres-async': 'PostgreSQL, synchronous_commit off (one node, local bus)',
  };
  const order = ['sqlite', 'postgres', 'postgres-three', 'postgres-async'];
  const sorted = [...roomRuns].sort((a, b) => (a.offeredMessagesPerSecond - b.offeredMessagesPerSecond) ||
    order.indexOf(a.store) - order.indexOf(b.store));
  add('### Rooms: PostgreSQL against SQLite', '',
    `The rooms scenario: ${integer(meta.sizes?.roomsConnections)} connections, half customers and half agents, one room each ` +
    `pair (made through the contact center), then both sides of every room send for ${integer(meta.sizes?.roomsHoldSeconds)} s at ` +
    'the rate given; every message is stored (its seq taken in the store) before it is delivered, so stored messages/s is ' +
    'delivered/s. "Spread": customer and agent of a room on different nodes. One right after the other, same offered load. ' +
    'The CPU time is the nodes\' (all three for the cluster\'s rows), PostgreSQL\'s not counted.', '',
    table(['store', 'offered (messages/s)', 'rooms', 'sent', 'stored and delivered', 'stored/s', 'p50', 'p99', 'max', 'nodes\' CPU (s)'],
      sorted.map((r) => [storeName[r.store] ?? r.store, integer(r.offeredMessagesPerSecond), integer(r.rooms), integer(r.sent),
        `${integer(r.delivered)}${mark(r)}${moved(r) ? ' ‡' : ''}`, integer(r.deliveredPerSecond), ms(r.latencyP50Ms), ms(r.latencyP99Ms),
        ms(r.latencyMaxMs), digits(r.clusterCpuSeconds)])), '');
}

// --- failover ---
if (failover?.trials?.length) {
  const o = failover.options ?? {};
  const trials = failover.trials;
  const median = (values) => {
    const sorted = values.filter(isNumber).sort((a, b) => a - b);
    return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null;
  };
  const nodeRows = trials.map((t) => {
    const n = t.nodeKill;
    return [String(t.trial), `${integer(n.dropped)} of ${integer(n.clients)}`, ms(n.haproxyDownMs), ms(n.firstReconnectMs),
      ms(n.p50ReconnectMs), ms(n.p90ReconnectMs), n.allReconnectedMs === null ? '**not all**' : ms(n.allReconnectedMs),
      `${integer(n.refusedAttempts)}${n.refusedAttempts ? ` (${ms(n.refusedAttemptMedianMs)} each)` : ''}`];
  });
  const nodeMedian = (key) => ms(median(trials.map((t) => t.nodeKill[key])));
  nodeRows.push(['median', '', nodeMedian('haproxyDownMs'), nodeMedian('firstReconnectMs'), nodeMedian('p50ReconnectMs'),
    nodeMedian('p90ReconnectMs'), nodeMedian('allReconnectedMs'), '']);
  add('### Failover', '',
    `${trials.length} trials, each on a cluster of its own: three nodes on one PostgreSQL and a private Redis, HAProxy in front ` +
    'configured as `deploy/haproxy.cfg` (health checks every second, two failures take a node out). Times are from the SIGKILL.', '',
    `**A node dies under its clients.** ${integer(o.clients)} customers connect through HAProxy (round robin); a node that does not ` +
    'hold the routing authority is SIGKILLed. Each of its clients reconnects through HAProxy as the pages do ' +
    `(\`web/js/aicc-session.js\`: a random delay below ${integer(o.backoffMs)} ms, doubling after each failure) and is counted back ` +
    'once CONNECTED on another node. "Refused": reconnection attempts HAProxy answered 503.', '',
    table(['trial', 'clients cut', 'HAProxy marks it DOWN', 'first back', 'half back', '90 % back', 'all back elsewhere', 'attempts refused'], nodeRows), '');
  const routingRows = trials.map((t) => {
    const a = t.authorityKill;
    return [String(t.trial), `${integer(a.customersWaiting)} / ${integer(a.agents)}`, ms(a.takeoverMs), ms(a.firstAssignmentMs),
      a.allAssignedMs === null ? '**not all**' : ms(a.allAssignedMs), integer(a.routingUnavailableAnswers), ms(a.slowestAnswerMs)];
  });
  const routingMedian = (key) => ms(median(trials.map((t) => t.authorityKill[key])));
  routingRows.push(['median', '', routingMedian('takeoverMs'), routingMedian('firstAssignmentMs'), routingMedian('allAssignedMs'), '', '']);
  add(`**The routing authority dies.** ${integer(o.customers)} customers waiting (\`routing.mode: manual\`) and ${integer(o.agents)} agents ` +
    'logged in, all on the node that survives; the authority (its `/metrics` says `aicc_routing_authority 1`) is SIGKILLed. ' +
    `Each agent then accepts its share of the waiting requests, sending an accept again every ${integer(o.retryMs)} ms while it is ` +
    'refused `routing_unavailable`. "Takeover": the survivor\'s `/metrics` says it holds the authority; "next assignment": the ' +
    'first accept stored (its RECEIPT).', '',
    table(['trial', 'waiting / agents', 'takeover', 'next assignment', 'all assigned', 'accepts refused', 'slowest answer'], routingRows), '');
  verdicts.failover = {
    takeover: median(trials.map((t) => t.authorityKill.takeoverMs)),
    assignment: median(trials.map((t) => t.authorityKill.firstAssignmentMs)),
    reconnect: median(trials.map((t) => t.nodeKill.allReconnectedMs)),
  };
}

// --- targets ---
{
  const rows = [];
  if ('p99' in verdicts) {
    rows.push(['p99 with three nodes within 2× of one node at the same offered load', yes(verdicts.p99) +
      (verdicts.p99Points?.length ? ` (over 2× at ${verdicts.p99Points.map((p) => `${p} %`).join(', ')})` : '')]);
  }
  if ('hopP50' in verdicts) {
    const within = (p50, p99) => p50 <= 0.5 && p99 <= 2;
    rows.push(['goal: a hop between nodes adds p50 ≤ 0.5 ms and p99 ≤ 2 ms at half load',
      `three nodes against one: ${yes(within(verdicts.hopP50, verdicts.hopP99))} (p50 ${signedMs(verdicts.hopP50)}, ` +
      `p99 ${signedMs(verdicts.hopP99)}); the other nodes' subscribers against the publisher's node's, same run: ` +
      `${yes(within(verdicts.hopInsideP50, verdicts.hopInsideP99))} (p50 ${signedMs(verdicts.hopInsideP50)}, p99 ${signedMs(verdicts.hopInsideP99)})`]);
  }
  if ('redisFlat' in verdicts) {
    rows.push(['Redis traffic per publish independent of the number of subscribers', yes(verdicts.redisFlat)]);
  }
  if (verdicts.failover) {
    rows.push(['routing authority SIGKILLed: next assignment (median)', `${seconds(verdicts.failover.assignment)} (takeover ${seconds(verdicts.failover.takeover)})`]);
    rows.push(['node SIGKILLed: all its clients connected elsewhere through HAProxy (median)', seconds(verdicts.failover.reconnect)]);
  }
  if (rows.length > 0) add('### Targets', '', table(['target', 'reached'], rows), '');
}

const movedRuns = runs.filter(moved);
if (movedRuns.length > 0) {
  const count = (n) => (n === 1 ? 'once' : n === 2 ? 'twice' : `${integer(n)} times`);
  const state = (text) => {
    const [epoch, holder] = String(text).split(/[ @]/);
    return `epoch ${epoch} on ${holder === 'none' ? 'no node' : holder}`;
  };
  add(`‡ A node lost the routing authority during the run (its lease ran out before it was renewed, or another node ` +
    `claimed it meanwhile): ${movedRuns.map((r) => `${r.name}, lost ${count(r.authorityLosses ?? 0)} ` +
    `(${state(r.authorityBefore)} → ${state(r.authorityAfter)})`).join('; ')}.`, '');
}
if (failures.length > 0) {
  add(`† Runs that did not go through cleanly (exit status, failed connections or missing messages): ${failures.map((r) => r.name).join(', ')}; ` +
    'see their logs in the results folder.', '');
}

const text = `${lines.join('\n').trimEnd()}\n`;
fs.writeFileSync(options.out, text);
if (options.doc) {
  const begin = '<!-- cluster:begin -->';
  const end = '<!-- cluster:end -->';
  const generated = `${begin}\n_Generated by \`bench/cluster-report.mjs\` from the results of \`bench/cluster.sh\`; edits between the ` +
    '`cluster` markers are overwritten._\n\n' + `${text}${end}`;
  const current = fs.existsSync(options.doc) ? fs.readFileSync(options.doc, 'utf8') : '';
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  const next = from >= 0 && to > from
    ? current.slice(0, from) + generated + current.slice(to + end.length)
    : `${current.trimEnd()}\n\n${generated}\n`;
  fs.writeFileSync(options.doc, next);
}
