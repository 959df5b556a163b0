// Smoke runs of the load generator (bench/loadgen) against the real server: every scenario and
// transport works, several processes add up, and it refuses what it must. Never a timing: speed is
// measured in docs/BENCHMARKS.md, not asserted here.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { binaryPath, createServerDir, removeServerDir, repoRoot, startServer } from './lib/server.mjs';
import { waitUntil } from './lib/util.mjs';

const loadgen = process.env.AICC_LOADGEN
  ? resolve(repoRoot, process.env.AICC_LOADGEN)
  : join(resolve(binaryPath, '..'), 'bench', 'aicc-loadgen');

// A room is made by the agent's accept, never by an auto-assignment racing it.
const BENCH_SETTINGS = { 'routing.auto-assign-after': '3600' };

function run(args, timeoutMs = 60000) {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(loadgen, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectRun(new Error(`aicc-loadgen ${args.join(' ')}: no exit within ${timeoutMs} ms\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, output });
    });
  });
}

// Runs a scenario against `server` with --json, expects exit code 0 and returns the figures.
async function figuresOf(server, name, args) {
  const json = join(server.dir, `${name}.json`);
  const { code, output } = await run(['--jwt-secret', server.secret, '--json', json, '--label', name, ...args]);
  assert.equal(code, 0, output);
  const figures = JSON.parse(await readFile(json, 'utf8'));
  assert.equal(figures.label, name);
  assert.equal(figures.failed, 0, output);
  return { figures, output };
}

describe('aicc-loadgen smoke run', () => {
  let server;
  let sockjsUrl;
  before(async () => {
    server = await startServer({ settings: BENCH_SETTINGS });
    sockjsUrl = `ws://127.0.0.1:${server.port}/ws-chat`;
  });
  after(async () => {
    if (server) await server.stop();
  });

  it('holds idle authenticated connections and reads the server from /proc', { timeout: 60000 }, async () => {
    assert.ok(existsSync(loadgen), `no load generator at ${loadgen}: build the bench folder`);
    const { figures } = await figuresOf(server, 'idle', ['--url', server.wsUrl, '--scenario', 'idle',
      '--connections', '40', '--ramp', '200', '--hold', '0.5', '--server-pid', String(server.child.pid)]);
    assert.equal(figures.scenario, 'idle');
    assert.equal(figures.target, 'aicc');
    assert.equal(figures.transport, 'ws');
    assert.equal(figures.connected, 40);
    assert.ok(figures.serverRssKiB > 0);
  });

  it('fans messages out to every subscriber and measures their latency', { timeout: 60000 }, async () => {
    const { figures } = await figuresOf(server, 'fanout', ['--url', server.wsUrl, '--scenario', 'fanout',
      '--connections', '20', '--messages', '200', '--rate', '2000']);
    assert.equal(figures.subscribers, 20);
    assert.equal(figures.published, 200);
    assert.equal(figures.delivered, 20 * 200, 'every subscriber got every message');
    assert.ok(figures.latencyMaxMs >= figures.latencyP50Ms);
  });

  it('speaks the SockJS websocket transport', { timeout: 60000 }, async () => {
    const idle = await figuresOf(server, 'sockjs-idle', ['--transport', 'sockjs', '--url', sockjsUrl,
      '--scenario', 'idle', '--connections', '10', '--hold', '0.2']);
    assert.equal(idle.figures.transport, 'sockjs');
    assert.equal(idle.figures.connected, 10);
    const fanout = await figuresOf(server, 'sockjs-fanout', ['--transport', 'sockjs', '--url', sockjsUrl,
      '--scenario', 'fanout', '--connections', '5', '--messages', '50', '--rate', '1000']);
    assert.equal(fanout.figures.delivered, 5 * 50);
  });

  it('adds up the figures of several worker processes', { timeout: 60000 }, async () => {
    const idle = await figuresOf(server, 'processes-idle', ['--url', server.wsUrl, '--scenario', 'idle',
      '--connections', '30', '--processes', '2', '--hold', '0.2', '--source-addresses', '3']);
    assert.equal(idle.figures.connected, 30);
    const { figures } = await figuresOf(server, 'processes-fanout', ['--url', server.wsUrl, '--scenario', 'fanout',
      '--connections', '21', '--processes', '2', '--messages', '100', '--rate', '1000']);
    assert.equal(figures.subscribers, 21);
    assert.equal(figures.expected, 21 * 100);
    assert.equal(figures.delivered, 21 * 100, 'the subscribers of both processes got every message');
    assert.ok(figures.latencyP999Ms >= figures.latencyP50Ms);
  });

  it('makes rooms through the contact center and chats in them', { timeout: 60000 }, async () => {
    const { figures } = await figuresOf(server, 'rooms', ['--url', server.wsUrl, '--scenario', 'rooms',
      '--connections', '8', '--rate', '4', '--hold', '1']);
    assert.equal(figures.connected, 8);
    assert.equal(figures.rooms, 4);
    assert.ok(figures.sent > 0);
    assert.equal(figures.delivered, figures.sent, 'the other side got every message');
    assert.ok(figures.latencyMaxMs > 0);
    // A second run on the same server makes its own rooms: the first one's are closed.
    const again = await figuresOf(server, 'rooms-again', ['--url', server.wsUrl, '--scenario', 'rooms',
      '--connections', '4', '--processes', '2', '--rate', '4', '--hold', '0.5']);
    assert.equal(again.figures.rooms, 2);
    assert.equal(again.figures.delivered, again.figures.sent);
  });

  it('sends durable room messages with receipts and times them', { timeout: 60000 }, async () => {
    const { figures } = await figuresOf(server, 'durable', ['--url', server.wsUrl, '--scenario', 'durable',
      '--connections', '8', '--window', '2', '--hold', '1', '--server-pid', String(server.child.pid)]);
    assert.equal(figures.pairs, 4);
    assert.equal(figures.window, 2);
    assert.ok(figures.sent > 0);
    assert.equal(figures.receipts, figures.sent, 'every SEND got its RECEIPT');
    assert.equal(figures.delivered, figures.receipts, 'the agents got every acknowledged message');
    assert.ok(figures.receiptsPerSecond > 0);
    assert.ok(figures.receiptMaxMs >= figures.receiptP50Ms && figures.receiptP50Ms > 0);
    // Paced: about --rate per producer for --hold seconds, never more.
    const paced = await figuresOf(server, 'durable-paced', ['--url', server.wsUrl, '--scenario', 'durable',
      '--connections', '4', '--rate', '20', '--hold', '1']);
    assert.ok(paced.figures.sent <= 2 * 20 + 2, `sent ${paced.figures.sent}`);
    assert.equal(paced.figures.receipts, paced.figures.sent);
  });

  it('opens a storm of connections', { timeout: 60000 }, async () => {
    const { figures } = await figuresOf(server, 'storm', ['--url', server.wsUrl, '--scenario', 'storm',
      '--connections', '30']);
    assert.equal(figures.connected, 30);
    assert.ok(figures.connectionsPerSecond > 0);
    assert.equal(figures.reconnected, undefined, 'no restart, no reconnection figures');
  });

  it('refuses what it cannot do, and says why', { timeout: 30000 }, async () => {
    for (const [args, why] of [
      [['--scenario', 'idle'], /--jwt-secret is required/],
      [['--jwt-secret', 'x', '--url', 'ws://10.0.0.1:80/ws'], /loopback/],
      [['--jwt-secret', 'x', '--transport', 'tcp', '--url', 'tcp://192.168.1.1:61613'], /loopback/],
      [['--jwt-secret', 'x', '--connections', '1000000'], /descriptor limit/],
      [['--jwt-secret', 'x', '--scenario', 'nope'], /unknown scenario/],
      [['--target', 'rabbitmq', '--login', 'a', '--passcode', 'b', '--scenario', 'rooms'], /rooms scenario needs the aicc/],
      [['--jwt-secret', 'x', '--scenario', 'rooms', '--connections', '7'], /even --connections/],
      [['--jwt-secret', 'x', '--scenario', 'durable', '--connections', '5'], /even --connections/],
      [['--jwt-secret', 'x', '--scenario', 'durable', '--window', '0'], /--window must be 1 or more/],
      [['--jwt-secret', 'x', '--transport', 'tcp', '--url', 'ws://127.0.0.1:1/ws'], /tcp:\/\//],
      [['--jwt-secret', 'x', '--restart-command', 'true'], /storm/],
    ]) {
      const { code, output } = await run(args);
      assert.equal(code, 2, output);
      assert.match(output, why);
    }
  });
});

describe('aicc-loadgen storm across a server restart', () => {
  it('reconnects every client after the restart command', { timeout: 90000 }, async (t) => {
    const dir = await createServerDir();
    let server = await startServer({ dir, settings: BENCH_SETTINGS });
    t.after(async () => {
      await server.stop();
      await removeServerDir(dir);
    });
    const { port, secret } = server;
    // The restart command stops the server and waits for the test to start it again on the same
    // port (files `down` and `up` in the server folder pass the word).
    const pid = server.child.pid;
    const restart = `kill ${pid}; while kill -0 ${pid} 2>/dev/null; do sleep 0.05; done; ` +
      `touch ${dir}/down; while [ ! -e ${dir}/up ]; do sleep 0.05; done`;
    const json = join(dir, 'storm-restart.json');
    const running = run(['--url', server.wsUrl, '--jwt-secret', secret, '--scenario', 'storm', '--connections', '20',
      '--restart-command', restart, '--timeout', '60', '--json', json], 80000);
    await waitUntil(() => existsSync(join(dir, 'down')), { timeoutMs: 30000, what: 'the restart command' });
    await server.exited;
    server = await startServer({ dir, secret, settings: { ...BENCH_SETTINGS, 'server.port': String(port) } });
    await writeFile(join(dir, 'up'), '');
    const { code, output } = await running;
    assert.equal(code, 0, output);
    const figures = JSON.parse(await readFile(json, 'utf8'));
    assert.equal(figures.connected, 20);
    assert.equal(figures.reconnected, 20, output);
    assert.ok(figures.reconnectSeconds >= 0);
  });
});
