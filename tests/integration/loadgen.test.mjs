// A smoke run of the load generator (bench/loadgen) against the real server: it works, its
// figures add up. Never a timing: speed is measured in docs/BENCHMARKS.md, not asserted here.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { binaryPath, repoRoot, startServer } from './lib/server.mjs';

const loadgen = process.env.AICC_LOADGEN
  ? resolve(repoRoot, process.env.AICC_LOADGEN)
  : join(resolve(binaryPath, '..'), 'bench', 'aicc-loadgen');

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

describe('aicc-loadgen smoke run', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    if (server) await server.stop();
  });

  it('holds idle authenticated connections and reads the server from /proc', { timeout: 60000 }, async () => {
    assert.ok(existsSync(loadgen), `no load generator at ${loadgen}: build the bench folder`);
    const json = join(server.dir, 'idle.json');
    const { code, output } = await run(['--url', server.wsUrl, '--jwt-secret', server.secret, '--scenario', 'idle',
      '--connections', '40', '--ramp', '200', '--hold', '0.5', '--server-pid', String(server.child.pid), '--json', json]);
    assert.equal(code, 0, output);
    const figures = JSON.parse(await readFile(json, 'utf8'));
    assert.equal(figures.connected, 40);
    assert.equal(figures.failed, 0);
    assert.ok(figures.serverRssKiB > 0, output);
  });

  it('fans messages out to every subscriber and measures their latency', { timeout: 60000 }, async () => {
    const json = join(server.dir, 'fanout.json');
    const { code, output } = await run(['--url', server.wsUrl, '--jwt-secret', server.secret, '--scenario', 'fanout',
      '--connections', '20', '--messages', '200', '--rate', '2000', '--json', json]);
    assert.equal(code, 0, output);
    const figures = JSON.parse(await readFile(json, 'utf8'));
    assert.equal(figures.subscribers, 20);
    assert.equal(figures.delivered, 20 * 200, 'every subscriber got every message');
    assert.ok(figures.latencyMaxMs >= figures.latencyP50Ms);
  });

  it('refuses what it cannot do, and says why', { timeout: 30000 }, async () => {
    for (const [args, why] of [
      [['--scenario', 'idle'], /--jwt-secret is required/],
      [['--jwt-secret', 'x', '--url', 'ws://10.0.0.1:80/ws'], /loopback/],
      [['--jwt-secret', 'x', '--connections', '1000000'], /descriptor limit/],
      [['--jwt-secret', 'x', '--scenario', 'nope'], /unknown scenario/],
    ]) {
      const { code, output } = await run(args);
      assert.equal(code, 2, output);
      assert.match(output, why);
    }
  });
});
