#!/usr/bin/env node
// Writes docs/BENCHMARKS.md from the results of bench/side-by-side.sh: how to run it, the machine,
// date and command, per-scenario tables with each server's figures, the ratios aicc-chat / peer,
// the latency-against-load plot (SVG, drawn by gnuplot from a data file written here, with the
// template bench/latency.gp) and notes. Only the part between the markers
//   <!-- generated:begin -->  and  <!-- generated:end -->
// is replaced: anything written by hand around it stays. The file is created when missing.
//
//   node bench/report.mjs --results DIR [--out docs/BENCHMARKS.md] [--plot docs/bench-latency.svg]
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { digits, integer, isNumber } from './lib/format.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');

// --- arguments ---
const options = { results: '', out: path.join(repo, 'docs/BENCHMARKS.md'), plot: '' };
{
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1];
    if (!['--results', '--out', '--plot'].includes(args[i]) || value === undefined) {
      console.error('usage: node bench/report.mjs --results DIR [--out FILE.md] [--plot FILE.svg]');
      process.exit(2);
    }
    options[args[i].slice(2)] = value;
    i++;
  }
  if (!options.results) {
    console.error('report: --results DIR is required');
    process.exit(2);
  }
  if (!options.plot) options.plot = path.join(path.dirname(options.out), 'bench-latency.svg');
}

// --- the results ---
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const metaFile = path.join(options.results, 'meta.json');
const meta = fs.existsSync(metaFile) ? readJson(metaFile) : {};
const runs = fs.readdirSync(options.results)
  .filter((name) => name.endsWith('.json') && name !== 'meta.json')
  .sort()
  .map((name) => {
    const run = readJson(path.join(options.results, name));
    run.name ??= name.replace(/\.json$/, '');
    run.server ??= run.target ?? 'aicc';
    run.transport ??= 'ws';
    return run;
  });

const serverNames = { aicc: 'aicc-chat', rabbitmq: 'RabbitMQ', activemq: 'ActiveMQ' };
const serverOrder = ['aicc', 'rabbitmq', 'activemq'];
const displayName = (server, transport) => `${serverNames[server] ?? server} (${transport})`;
const plotName = (server, transport) => `${serverNames[server] ?? server}/${transport}`;
const targetKey = (run) => `${run.server}-${run.transport}`;
const transportOrder = ['ws', 'tcp', 'sockjs'];
const bySetting = (a, b) => serverOrder.indexOf(a.server) - serverOrder.indexOf(b.server) ||
  transportOrder.indexOf(a.transport) - transportOrder.indexOf(b.transport) ||
  (a.offeredPublishRate || Infinity) - (b.offeredPublishRate || Infinity);
const targets = [...new Map(runs.map((run) => [targetKey(run), { server: run.server, transport: run.transport }])).values()]
  .sort(bySetting);
const ofScenario = (scenario) => runs.filter((run) => run.scenario === scenario).sort(bySetting);
const find = (server, transport, predicate) =>
  runs.find((run) => run.server === server && run.transport === transport && predicate(run));
const failedRun = (run) => (run.exitCode ?? 0) !== 0 || (run.failed ?? 0) > 0 || Boolean(run.error);

// --- formatting ---
const bytes = (value) => {
  if (!isNumber(value)) return '–';
  if (Math.abs(value) >= 1024 * 1024) return `${digits(value / 1024 / 1024)} MiB`;
  if (Math.abs(value) >= 1024) return `${digits(value / 1024)} KiB`;
  return `${Math.round(value)} B`;
};
const kib = (value) => (isNumber(value) ? bytes(value * 1024) : '–');
const ms = (value) => (isNumber(value) ? `${digits(value)} ms` : '–');
const mark = (run) => (run && failedRun(run) ? ' †' : '');
// A Markdown table; columns with no figure in any row are left out.
const table = (head, rows) => {
  const keep = head.map((_, i) => i === 0 || rows.some((row) => row[i] !== '–' && row[i] !== '– / –'));
  const pick = (cells) => cells.filter((_, i) => keep[i]);
  return [
    `| ${pick(head).join(' | ')} |`,
    `| ${pick(head.map((cell, i) => (i === 0 || /^(server|point|measure|better)$/.test(cell) ? '---' : '---:'))).join(' | ')} |`,
    ...rows.map((row) => `| ${pick(row).join(' | ')} |`),
  ].join('\n');
};

const notes = [];
const failures = runs.filter(failedRun);

// --- the ratio table ---
const aiccTargets = targets.filter((t) => t.server === 'aicc');
const peerTargets = targets.filter((t) => t.server !== 'aicc');
const figureOf = {
  memory: (server, transport) => find(server, transport, (r) => r.scenario === 'idle'),
  delivered: (server, transport) =>
    find(server, transport, (r) => r.scenario === 'fanout' && r.phase === 'max') ??
    runs.filter((r) => r.server === server && r.transport === transport && r.scenario === 'fanout')
      .sort((a, b) => (b.deliveredPerSecond ?? 0) - (a.deliveredPerSecond ?? 0))[0],
  latency: (server, transport) => find(server, transport, (r) => r.scenario === 'fanout' && r.phase === 'common'),
  // The fewest pairs run: the same for every server.
  durable: (server, transport) => runs.filter((r) => r.server === server && r.transport === transport &&
    r.scenario === 'durable').sort((a, b) => a.connections - b.connections)[0],
};
const pairs = [];
for (const peer of peerTargets) {
  const same = aiccTargets.find((t) => t.transport === peer.transport);
  if (same) pairs.push({ aicc: same, peer });
  const ws = aiccTargets.find((t) => t.transport === 'ws');
  if (ws && ws !== same) pairs.push({ aicc: ws, peer });
}
// aicc-chat's figure over the peer's, and what that means in words (e.g. "42× less memory").
const ratioCell = (aiccRun, peerRun, field, lowerIsBetter) => {
  const a = aiccRun?.[field];
  const p = peerRun?.[field];
  if (!isNumber(a) || !isNumber(p) || p <= 0 || a <= 0) return '–';
  const ratio = a / p;
  const factor = digits(ratio >= 1 ? ratio : 1 / ratio, 2);
  const words = {
    serverBytesPerConnection: ratio < 1 ? 'less memory' : 'more memory',
    deliveredPerSecond: ratio < 1 ? 'fewer' : 'more',
    receiptsPerSecond: ratio < 1 ? 'fewer' : 'more',
    latencyP99Ms: ratio < 1 ? 'lower' : 'higher',
  }[field];
  const dagger = (aiccRun && failedRun(aiccRun)) || (peerRun && failedRun(peerRun)) ? ' †' : '';
  return `**${digits(ratio, 2)}**${dagger} (${factor}× ${words}${(lowerIsBetter ? ratio > 1 : ratio < 1) ? ', worse' : ''})`;
};
let ratioSection;
if (pairs.length === 0) {
  ratioSection = '_No peer was measured in this run, so there is no ratio to show (see the notes)._';
} else {
  const rows = [
    ['memory per idle connection (server RSS growth / connections)', 'lower', 'memory', 'serverBytesPerConnection', true],
    ['delivered messages/s, flat out', 'higher', 'delivered', 'deliveredPerSecond', false],
    [`p99 latency at the same offered load (${integer(meta.commonPublishRate)} messages/s published, ` +
      `${integer(meta.sizes?.fanoutSubscribers)} subscribers)`, 'lower', 'latency', 'latencyP99Ms', true],
    [`durable sends with a receipt each, receipts/s (${integer((meta.sizes?.durableConnections ?? [])[0] / 2)} producers, ` +
      'one receipt waited for at a time)', 'higher', 'durable', 'receiptsPerSecond', false],
  ];
  ratioSection = table(
    ['measure', 'better', ...pairs.map(({ aicc, peer }) => `${displayName(aicc.server, aicc.transport)} / ${displayName(peer.server, peer.transport)}`)],
    rows.map(([label, better, figure, field, lower]) => [label, better, ...pairs.map(({ aicc, peer }) =>
      ratioCell(figureOf[figure](aicc.server, aicc.transport), figureOf[figure](peer.server, peer.transport), field, lower))]),
  );
}

// --- per-scenario tables ---
const idleRuns = ofScenario('idle');
const idleSection = idleRuns.length === 0 ? '_Not run._' : table(
  ['server', 'connections', 'connected', 'failed', 'ramp (s)', 'server RSS', 'RSS growth', 'per connection', 'server CPU (s)'],
  idleRuns.map((r) => [displayName(r.server, r.transport) + mark(r), integer(r.connections), integer(r.connected),
    integer(r.failed), digits(r.rampSeconds), kib(r.serverRssKiB), kib(r.serverRssGrowthKiB),
    bytes(r.serverBytesPerConnection), digits(r.serverCpuSeconds)]),
);

const fanoutRuns = ofScenario('fanout');
const pointName = (r) => (r.phase === 'max' ? 'flat out' : r.phase === 'common' ? 'common load'
  : isNumber(r.fraction) ? `${Math.round(r.fraction * 100)} % of max` : r.name);
const fanoutSection = fanoutRuns.length === 0 ? '_Not run._' : table(
  ['server', 'point', 'offered (published/s)', 'subscribers', 'delivered / expected', 'delivered/s', 'p50', 'p99', 'p99.9', 'max', 'server CPU (s)'],
  fanoutRuns.map((r) => [displayName(r.server, r.transport) + mark(r), pointName(r),
    r.offeredPublishRate ? integer(r.offeredPublishRate) : 'flat out', integer(r.subscribers),
    `${integer(r.delivered)} / ${integer(r.expected)}`, integer(r.deliveredPerSecond), ms(r.latencyP50Ms),
    ms(r.latencyP99Ms), ms(r.latencyP999Ms), ms(r.latencyMaxMs), digits(r.serverCpuSeconds)]),
);

const stormRuns = ofScenario('storm');
const stormSection = stormRuns.length === 0
  ? '_Not run (the load generator at hand has no storm scenario yet)._'
  : table(
    ['server', 'connections', 'connected', 'failed', 'connections/s', 'restart (s)', 'reconnected after restart',
      'reconnect (s)', 'server CPU (s)'],
    stormRuns.map((r) => [displayName(r.server, r.transport) + mark(r), integer(r.connections), integer(r.connected),
      integer(r.failed), integer(r.connectionsPerSecond), digits(r.restartSeconds), integer(r.reconnected),
      digits(r.reconnectSeconds), digits(r.serverCpuSeconds)]),
  );

const roomsRuns = ofScenario('rooms');
const roomsFields = [['connections', 'connections'], ['connected', 'connected'], ['failed', 'failed'], ['rooms', 'rooms'],
  ['sent', 'messages sent'], ['delivered', 'delivered'], ['deliveredPerSecond', 'delivered/s'], ['latencyP50Ms', 'p50'],
  ['latencyP99Ms', 'p99'], ['latencyMaxMs', 'max'], ['serverRssGrowthKiB', 'RSS growth'], ['serverCpuSeconds', 'server CPU (s)']];
const roomsSection = roomsRuns.length === 0
  ? '_Not run (the load generator at hand has no rooms scenario yet)._'
  : table(['server', ...roomsFields.map(([, label]) => label)], roomsRuns.map((r) => [displayName(r.server, r.transport) + mark(r),
    ...roomsFields.map(([f]) => (f.endsWith('Ms') ? ms(r[f]) : f.endsWith('KiB') ? kib(r[f])
      : ['deliveredPerSecond', 'serverCpuSeconds'].includes(f) ? digits(r[f]) : integer(r[f])))]));

const durableRuns = ofScenario('durable').sort((a, b) => (a.connections - b.connections) ||
  displayName(a.server, a.transport).localeCompare(displayName(b.server, b.transport)));
const durableFields = [['pairs', 'pairs'], ['failed', 'failed'], ['sent', 'sent'], ['receipts', 'receipts'],
  ['receiptsPerSecond', 'receipts/s'], ['receiptP50Ms', 'receipt p50'], ['receiptP99Ms', 'receipt p99'],
  ['deliveredPerSecond', 'delivered/s'], ['latencyP99Ms', 'delivery p99'], ['serverCpuSeconds', 'server CPU (s)']];
const durableSection = durableRuns.length === 0
  ? '_Not run (the load generator at hand has no durable scenario yet)._'
  : table(['server', ...durableFields.map(([, label]) => label)], durableRuns.map((r) => [displayName(r.server, r.transport) + mark(r),
    ...durableFields.map(([f]) => (f.endsWith('Ms') ? ms(r[f])
      : ['receiptsPerSecond', 'deliveredPerSecond', 'serverCpuSeconds'].includes(f) ? digits(r[f]) : integer(r[f])))]));

// --- the plot ---
const plotDir = path.dirname(path.resolve(options.plot));
let plotSection;
{
  const series = targets.map((t) => ({
    ...t,
    // The common-load run sits among the ladder's points (it is in the tables and the ratios).
    points: fanoutRuns.filter((r) => r.server === t.server && r.transport === t.transport && r.phase !== 'common' &&
      isNumber(r.deliveredPerSecond) && r.deliveredPerSecond > 0 && isNumber(r.latencyP99Ms) && r.latencyP99Ms > 0)
      .map((r) => [r.deliveredPerSecond, r.latencyP50Ms, r.latencyP99Ms])
      .sort((a, b) => a[0] - b[0]),
  })).filter((s) => s.points.length > 0);
  const gnuplot = spawnSync('gnuplot', ['--version'], { encoding: 'utf8' });
  if (series.length === 0) {
    plotSection = '_No fan-out result to plot._';
  } else if (gnuplot.error || gnuplot.status !== 0) {
    plotSection = '_gnuplot is missing (bench/peers/install.sh installs gnuplot-nox): no plot this time._';
    notes.push('The plot was not drawn: gnuplot is not installed.');
  } else {
    const dataFile = path.join(options.results, 'latency.dat');
    fs.writeFileSync(dataFile, series.map((s) =>
      `# ${plotName(s.server, s.transport)}: delivered/s p50_ms p99_ms\n` +
      s.points.map((p) => p.map((v) => v.toFixed(4)).join(' ')).join('\n')).join('\n\n\n') + '\n');
    const xs = series.flatMap((s) => s.points.map((p) => p[0]));
    const logx = Math.max(...xs) / Math.min(...xs) > 30 ? 1 : 0;
    const subtitle = `${integer(meta.sizes?.fanoutSubscribers)} subscribers, one publisher; server on one core` +
      (meta.dateUtc ? `; ${meta.dateUtc.slice(0, 10)}` : '');
    const quote = (text) => `'${String(text).replace(/'/g, "''")}'`;
    fs.mkdirSync(plotDir, { recursive: true });
    const run = spawnSync('gnuplot', ['-e', [
      `datafile=${quote(dataFile)}`, `outfile=${quote(path.resolve(options.plot))}`, `series=${series.length}`,
      `titles=${quote(series.map((s) => plotName(s.server, s.transport)).join(' '))}`, `logx=${logx}`,
      `subtitle=${quote(subtitle)}`,
    ].join('; '), path.join(here, 'latency.gp')], { encoding: 'utf8' });
    if (run.status !== 0) {
      plotSection = `_gnuplot failed: ${(run.stderr || '').trim().split('\n').slice(-1)[0]}_`;
    } else {
      const relative = path.relative(path.dirname(path.resolve(options.out)), path.resolve(options.plot));
      plotSection = `![Fan-out latency (p50 dashed, p99 solid) against delivered messages/s, per server](${relative.split(path.sep).join('/')})\n\n` +
        `Each point is one fan-out run (${integer(meta.sizes?.fanoutSubscribers)} subscribers): publishing at ` +
        `${(meta.sizes?.fanoutFractions ?? []).map((f) => `${Math.round(f * 100)} %`).join(', ')} of the server's flat-out ` +
        'rate, and flat out (the rightmost point, where queues build up).' +
        (logx ? ' Both axes are logarithmic.' : ' The latency axis is logarithmic.');
    }
  }
}

// --- notes ---
const present = new Set(targets.map((t) => t.server));
if (present.has('activemq')) {
  notes.push("**ActiveMQ is measured over STOMP/TCP, not WebSocket.** Debian's `activemq` 5.17 package lacks " +
    "the WebSocket transport (it ships no Jetty), so ActiveMQ runs with one `stomp+nio` connector on 127.0.0.1. " +
    'The fair comparison for it is aicc-chat over STOMP/TCP' +
    (aiccTargets.some((t) => t.transport === 'tcp') ? ' (shown)' : ' (not in this run: this aicc-chat has no `stomp.tcp-port`)') +
    '; aicc-chat over WebSocket pays framing and masking that ActiveMQ does not.');
  notes.push(`ActiveMQ's JVM heap is fixed (${(meta.settings?.activemq ?? '').match(/-Xms[^\s,]+ -Xmx[^\s,]+/)?.[0] ?? '-Xms2g -Xmx2g'}, ` +
    'no pre-touch): its RSS grows as the heap is first touched, garbage included, so its memory per connection ' +
    'depends on when the collector last ran. Pinned to one core, the JVM picks the serial collector.');
}
if (present.has('rabbitmq')) {
  notes.push('RabbitMQ is measured over `rabbitmq_web_stomp` (STOMP over WebSocket, like aicc-chat). Its STOMP ' +
    'virtual host is `/`; topics go through `amq.topic`. Erlang allocates in large carriers, so its RSS ' +
    'moves in steps.');
}
// A RabbitMQ 3.10 web-stomp fault seen under flat-out publishing: the heartbeat process of a
// throttled connection crashes on the flow-control 'resume' message and the connection is closed.
const rabbitLogs = (() => {
  try {
    const dir = path.join(options.results, 'logs');
    return fs.readdirSync(dir).filter((name) => name.startsWith('rabbitmq-pass'))
      .map((name) => fs.readFileSync(path.join(dir, name), 'utf8')).join('\n');
  } catch { return ''; }
})();
if (rabbitLogs.includes('{unexpected_message,resume}')) {
  notes.push('RabbitMQ closed a connection during a run (its log: the heartbeat process crashed with ' +
    '`{unexpected_message,resume}` when flow control resumed the throttled connection); that run is marked †.');
}
notes.push('**What "memory" is:** the resident set (VmRSS in /proc) of the one server process (aicc-chat, ' +
  "RabbitMQ's beam.smp, ActiveMQ's java), read by the load generator before the connections and after holding " +
  'them; per connection is the growth divided by the connections that got CONNECTED. Kernel socket buffers are ' +
  'not part of it.');
notes.push('Latency is publisher send to subscriber receive, timestamps from one clock (same machine). The load ' +
  'generator runs on its own core and can be the limit at the highest loads; flat-out rows measure queueing, ' +
  'not the server at rest.');
notes.push('Each server runs alone, pinned with `taskset` to one core, the load generator to another; ' +
  'everything on 127.0.0.1. Peers are configured for this run, not tuned per release: see `bench/peers/`.');
const fewer = idleRuns.filter((r) => isNumber(r.connections) && r.connections < (meta.sizes?.idleConnections ?? 0));
if (fewer.some((r) => r.server === 'rabbitmq')) {
  notes.push(`RabbitMQ holds ${integer(fewer.find((r) => r.server === 'rabbitmq').connections)} idle connections, not ` +
    `${integer(meta.sizes?.idleConnections)}: it refuses new connections past 90 % of its descriptor limit ` +
    `(${integer(meta.machine?.descriptorLimit)} here, and the hard limit cannot be raised), its "file descriptor limit alarm".`);
}
if (stormRuns.length > 0) {
  notes.push('Storm: connections/s counts TCP connect, handshake and CONNECT → CONNECTED, as fast as they go. ' +
    'Then the server is restarted under the connected clients (`bench/peers/<server>.sh restart`): "restart" is ' +
    'the stop and start up to the first STOMP CONNECTED answered, "reconnect" runs from the end of that restart ' +
    'to the last client CONNECTED again (clients retry with backoff from 100 ms to 2 s).');
}
if (meta.loadgenHasTarget === false) {
  notes.push('The load generator used had no `--target` option yet, so only aicc-chat was measured.');
}
for (const scenario of ['storm', 'rooms', 'durable']) {
  if (ofScenario(scenario).length === 0) notes.push(`The ${scenario} scenario was not run (the load generator at hand lacks it).`);
}
if (failures.length > 0) {
  notes.push(`† Runs with failed connections or a non-zero exit status: ${failures.map((r) => `\`${r.name}\`` +
    ` (${[r.failed ? `${integer(r.failed)} failed` : null, r.exitCode ? `exit ${r.exitCode}` : null, r.error ?? null]
      .filter(Boolean).join(', ')})`).join(', ')}. Their logs are in the results folder.`);
}

// --- the generated part ---
const machine = meta.machine ?? {};
const versions = meta.versions ?? {};
const lines = [];
lines.push('## Side-by-side results');
lines.push('');
lines.push('_Generated by `bench/report.mjs` from the results of `bench/side-by-side.sh`; edits between the ' +
  '`generated` markers are overwritten. The rest of this file is kept._');
lines.push('');
lines.push('### How to run');
lines.push('');
lines.push('```sh');
lines.push('scripts/install-deps.sh --bench   # RabbitMQ, ActiveMQ and gnuplot-nox from Debian (once)');
lines.push('make build');
lines.push('make bench                        # micro-benchmarks + the short side-by-side run (a few minutes)');
lines.push('make bench-full                   # the documented run (bench/side-by-side.sh --full)');
lines.push('```');
lines.push('');
lines.push('The script starts each server in turn (its own data in a temporary folder, 127.0.0.1 only), pinned to ' +
  'one core with `taskset`, runs `aicc-loadgen` pinned to another for each scenario, stops the server, ' +
  'and writes this section. Results (JSON per run, `meta.json`, logs) go to `build/bench-results` (`--out DIR`).');
lines.push('');
lines.push('### This run');
lines.push('');
lines.push(`- Command: \`${meta.command ?? 'bench/side-by-side.sh'}\` (${meta.mode ?? '?'} mode` +
  (isNumber(meta.durationSeconds) ? `, ${Math.round(meta.durationSeconds / 60 * 10) / 10} minutes` : '') + ')');
lines.push(`- Date: ${meta.dateUtc ?? '?'} (UTC); commit ${meta.gitCommit ?? '?'}`);
lines.push(`- Machine: ${machine.cpuModel ?? '?'}, ${machine.cores ?? '?'} cores, ${machine.memoryGiB ?? '?'} GiB RAM, ` +
  `Linux ${machine.kernel ?? '?'}, ${machine.os ?? '?'}; descriptor limit ${integer(machine.descriptorLimit)}`);
lines.push(`- Pinning: server on core ${meta.pinning?.serverCpu ?? 0}, load generator on core ${meta.pinning?.loadgenCpu ?? 1}`);
// The load before the run tells whether other work shared the machine (at the end it mostly
// shows the run itself, e.g. a JVM's threads stopping).
if (machine.loadAverageAtStart?.length) {
  const busy = Math.max(...machine.loadAverageAtStart) > 0.5;
  lines.push(`- Load average (1, 5, 15 min) before the run: ${machine.loadAverageAtStart.join(', ')}` +
    (busy ? ' (other work was running on the machine: expect noise)' : ''));
}
const versionParts = [];
if (present.has('aicc')) versionParts.push(`aicc-chat ${(versions.aicc || '?').replace(/^aicc-chat\s+/, '')} (${meta.settings?.aicc ?? ''})`);
if (present.has('rabbitmq')) versionParts.push(`RabbitMQ ${versions.rabbitmq || '?'} on Erlang ${versions.erlang || '?'} (${meta.settings?.rabbitmq ?? ''})`);
if (present.has('activemq')) versionParts.push(`ActiveMQ ${versions.activemq || '?'} on ${versions.java || 'Java'} (${meta.settings?.activemq ?? ''})`);
for (const part of versionParts) lines.push(`- ${part}`);
lines.push('');
lines.push('### aicc-chat / peer');
lines.push('');
lines.push('Each cell is the aicc-chat figure divided by the peer\'s, with what that means in words.');
lines.push('');
lines.push(ratioSection);
lines.push('');
lines.push('### Latency against load');
lines.push('');
lines.push(plotSection);
lines.push('');
lines.push(`### Idle connections: memory per connection`);
lines.push('');
lines.push(`${integer(meta.sizes?.idleConnections)} connections (CONNECT with heart-beats), opened at ` +
  `${integer(meta.sizes?.idleRamp)}/s and held ${meta.sizes?.idleHoldSeconds ?? '?'} s; a fresh server process for each.`);
lines.push('');
lines.push(idleSection);
lines.push('');
lines.push('### Fan-out: delivered messages/s and latency');
lines.push('');
lines.push(`${integer(meta.sizes?.fanoutSubscribers)} subscribers on one topic, one publisher. ` +
  `The common load (${integer(meta.commonPublishRate)} messages/s published) is a quarter of the slowest server's ` +
  'flat-out rate, the same for every server. Every server gets an unreported warm-up run after each start.');
lines.push('');
lines.push(fanoutSection);
lines.push('');
lines.push('### Connection storm');
lines.push('');
lines.push(stormSection);
lines.push('');
lines.push('### Durable messages: sends with receipts');
lines.push('');
lines.push(`Pairs of a producer and a consumer; each producer sends persistent messages for ${integer(meta.sizes?.durableHoldSeconds)} s, ` +
  'waiting for each RECEIPT before the next. aicc-chat: room messages (a customer sends, the agent receives), stored in ' +
  'SQLite before the RECEIPT; RabbitMQ: `persistent:true` to a durable queue, receipts after its publisher confirms; ' +
  'ActiveMQ: persistent messages in KahaDB. Receipt latency runs from the SEND to its RECEIPT.');
lines.push('');
lines.push(durableSection);
lines.push('');
lines.push('### Rooms (aicc-chat only)');
lines.push('');
lines.push(roomsSection);
lines.push('');
lines.push('### Notes');
lines.push('');
for (const note of notes) lines.push(`- ${note}`);
const generated = `<!-- generated:begin -->\n${lines.join('\n')}\n<!-- generated:end -->`;

// --- into the file, keeping what is outside the markers ---
const begin = '<!-- generated:begin -->';
const end = '<!-- generated:end -->';
let document;
if (fs.existsSync(options.out)) {
  const current = fs.readFileSync(options.out, 'utf8');
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  document = from >= 0 && to > from
    ? current.slice(0, from) + generated + current.slice(to + end.length)
    : `${current.replace(/\s*$/, '')}\n\n${generated}\n`;
} else {
  document = '# Benchmarks\n\n' +
    'How aicc-chat compares with two established STOMP brokers, RabbitMQ (with its Web-STOMP plugin) and ' +
    'ActiveMQ Classic, on the same machine under the same load generator (`bench/loadgen`). The micro-benchmarks ' +
    '(`bench/*_bench.cpp`) run with `make bench` too.\n\n' + generated + '\n';
}
fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
fs.writeFileSync(options.out, document);
console.log(`report: wrote ${options.out}${plotSection.startsWith('![') ? ` and ${options.plot}` : ''}`);
