// The outside services some suites need, private to the test that asks: a PostgreSQL or a Redis
// server of its own (scripts/postgres-private.sh, scripts/redis-private.sh) on a free loopback
// port, stopped and removed when the test ends; or, for PostgreSQL, a schema of its own on the
// server make test started (AICC_TEST_POSTGRES_URL). And HAProxy in front of several nodes, set up
// as deploy/haproxy.cfg.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { repoRoot, startServer } from './server.mjs';

export const postgresInstalled = existsSync('/usr/lib/postgresql') &&
  readdirSync('/usr/lib/postgresql').some((version) => existsSync(`/usr/lib/postgresql/${version}/bin/initdb`));
export const redisInstalled = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].some((path) => existsSync(path));

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// A private server run by `script` in a folder under /tmp (PostgreSQL's user must reach it);
// { url, start(), stop() }, stopped and removed when `t` ends.
async function privateServer(t, script, prefix, extra = []) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const port = await freePort();
  const path = join(repoRoot, 'scripts', script);
  const start = () => execFileSync(path, ['start', dir, String(port), ...extra], { encoding: 'utf8' }).trim();
  const stop = () => execFileSync(path, ['stop', dir]);
  const url = start();
  t.after(async () => {
    stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { url, port, start, stop };
}

export const privatePostgres = (t) => privateServer(t, 'postgres-private.sh', 'aicc-it-pg-', ['--fast']);
export const privateRedis = (t) => privateServer(t, 'redis-private.sh', 'aicc-it-redis-');

// A store.postgres.url for a database nobody else uses: a new schema on make test's server, or a
// private server when there is none.
export async function postgresUrlFor(t) {
  const base = process.env.AICC_TEST_POSTGRES_URL;
  if (!base) return (await privatePostgres(t)).url;
  const schema = `it_${randomBytes(6).toString('hex')}`;
  execFileSync('psql', [base, '-q', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE SCHEMA ${schema}`], { stdio: 'pipe' });
  return `${base}${base.includes('?') ? '&' : '?'}options=-csearch_path%3D${schema}`;
}

// A proxy still running when the test process exits is killed.
const liveProxies = new Set();
process.on('exit', () => {
  for (const child of liveProxies) child.kill('SIGKILL');
});

export const haproxyPath = ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy']
  .find((path) => existsSync(path));
export const haproxyInstalled = haproxyPath !== undefined;

// The configuration of deploy/haproxy.cfg for `backends` ([{ name, port }] on 127.0.0.1), as
// scripts/cluster.sh makes it for one machine: bound on 127.0.0.1:`port`, no logging, and a lower
// maxconn. Two additions for tests: an admin socket (`socket`) to read the servers' states, and a
// response header X-Served-By naming the node that answered (also on a WebSocket upgrade), so a
// test knows where the balancer put a client.
export function haproxyConfig({ port, backends, socket }) {
  const shipped = readFileSync(join(repoRoot, 'deploy', 'haproxy.cfg'), 'utf8');
  const out = [];
  for (const line of shipped.split('\n')) {
    if (/^\s*server\s/.test(line)) continue;
    if (/^\s*(log stdout|log global|option httplog)/.test(line)) continue;
    if (/^\s*#/.test(line)) continue;
    if (/^  maxconn /.test(line)) {
      out.push('  maxconn 2000', `  stats socket ${socket} mode 600 level admin`);
      continue;
    }
    if (/^  bind :8080$/.test(line)) {
      out.push(`  bind 127.0.0.1:${port}`, '  http-response set-header X-Served-By %s');
      continue;
    }
    out.push(line);
    if (/^\s*default-server\s/.test(line)) {
      for (const backend of backends) out.push(`  server ${backend.name} 127.0.0.1:${backend.port}`);
    }
  }
  const text = out.join('\n');
  if (!text.includes('X-Served-By') || !text.includes('stats socket') || !text.includes(`127.0.0.1:${port}`)) {
    throw new Error('deploy/haproxy.cfg changed shape: the test configuration could not be derived from it');
  }
  return text;
}

// HAProxy in front of `nodes` (server handles from startServer; named node1, node2, ... in order),
// configured as deploy/haproxy.cfg on a free loopback port, running in the foreground until `t`
// ends. Returns a handle that the client helpers accept as a server (httpUrl, wsUrl, secret),
// with `servedBy(ws)` for the node name of a WebSocket it upgraded, `states()` for the servers'
// health as HAProxy sees it and `waitForStates({ node1: 'UP', ... })`.
export async function privateHaproxy(t, nodes, { readyTimeoutMs = 20000 } = {}) {
  if (!haproxyInstalled) throw new Error('haproxy is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'aicc-it-haproxy-'));
  const port = await freePort();
  const socket = join(dir, 'admin.sock');
  const backends = nodes.map((node, i) => ({ name: `node${i + 1}`, port: node.port }));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, haproxyConfig({ port, backends, socket }));
  const check = spawnSync(haproxyPath, ['-c', '-q', '-f', file], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy refused its configuration:\n${check.stderr}${check.stdout}`);
  const child = spawn(haproxyPath, ['-f', file, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  liveProxies.add(child);
  child.once('exit', () => liveProxies.delete(child));
  t.after(async () => {
    child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  });

  const proxy = {
    port,
    host: '127.0.0.1',
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    secret: nodes[0].secret,
    nodes: Object.fromEntries(backends.map((backend, i) => [backend.name, nodes[i]])),
    get stderr() {
      return stderr;
    },
    // Called by the client helpers with every WebSocket they open on `wsUrl`.
    onWebSocket(ws) {
      ws.once('upgrade', (response) => {
        ws.servedBy = response.headers['x-served-by'];
      });
    },
    // The node name (node1, ...) that answered the upgrade of `ws`.
    servedBy(ws) {
      return ws?.servedBy;
    },
    // { backend: { server: 'UP' | 'DOWN' | ... } } from the admin socket.
    async states() {
      const text = await adminCommand(socket, 'show stat');
      const [header, ...rows] = text.trim().split('\n');
      const columns = header.replace(/^# /, '').split(',');
      const at = (name) => columns.indexOf(name);
      const result = {};
      for (const row of rows) {
        const cells = row.split(',');
        const [backend, server, status] = [cells[at('pxname')], cells[at('svname')], cells[at('status')]];
        if (server === 'FRONTEND' || server === 'BACKEND') continue;
        (result[backend] ??= {})[server] = status.split(' ')[0];
      }
      return result;
    },
    // Resolves once every backend shows each named server in the given state.
    async waitForStates(wanted, { timeoutMs = 20000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      let last;
      while (true) {
        last = await proxy.states().catch((error) => ({ error: error.message }));
        const ok = !last.error && Object.keys(last).length > 0 && Object.values(last).every((servers) =>
          Object.entries(wanted).every(([server, state]) => servers[server] === state));
        if (ok) return last;
        if (Date.now() > deadline) {
          throw new Error(`HAProxy never showed ${JSON.stringify(wanted)} within ${timeoutMs} ms; last ${JSON.stringify(last)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
  await proxy.waitForStates(Object.fromEntries(backends.map((backend) => [backend.name, 'UP'])), { timeoutMs: readyTimeoutMs });
  return proxy;
}

// One command on HAProxy's admin socket; resolves with the whole answer.
function adminCommand(path, command) {
  return new Promise((resolve, reject) => {
    const connection = createConnection(path);
    let answer = '';
    connection.setEncoding('utf8');
    connection.on('data', (chunk) => {
      answer += chunk;
    });
    connection.once('error', reject);
    connection.once('end', () => resolve(answer));
    connection.write(`${command}\n`);
  });
}

// Three nodes on one private PostgreSQL database and one private Redis, sharing a JWT secret, with
// `settings` on top; stopped when `t` ends. Resolves with { nodes, redis }.
export async function startThreeNodes(t, settings = {}) {
  const redis = await privateRedis(t);
  const all = {
    'store.kind': 'postgres',
    'store.postgres.url': await postgresUrlFor(t),
    'bus.kind': 'redis',
    'bus.redis.url': redis.url,
    ...settings,
  };
  const nodes = [await startServer({ settings: all })];
  for (let i = 0; i < 2; ++i) nodes.push(await startServer({ settings: all, secret: nodes[0].secret }));
  t.after(async () => {
    for (const node of nodes) await node.stop();
  });
  return { nodes, redis };
}
