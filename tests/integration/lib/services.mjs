// The outside services some suites need, private to the test that asks: a PostgreSQL or a Redis
// server of its own (scripts/postgres-private.sh, scripts/redis-private.sh) on a free loopback
// port, stopped and removed when the test ends; or, for PostgreSQL, a schema of its own on the
// server make test started (AICC_TEST_POSTGRES_URL).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { repoRoot } from './server.mjs';

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
