// Starts the real aicc-chat binary for a test and stops it again.
//
// Every server gets its own temporary folder (port file, SQLite file, a tiny web root with a
// secret file beside it for the path traversal checks), binds 127.0.0.1 port 0 and reports the
// port it got through server.port-file. stop() sends SIGTERM, waits for the exit and returns the
// exit code and everything the server wrote to stderr. A server still running when the test
// process exits is killed, so a failing test never leaves one behind.
//
// A test that restarts a server on the same data makes the folder itself (createServerDir), passes
// it to every startServer({ dir }) and removes it at the end (removeServerDir); runUserCommand runs
// the binary's `user ...` commands against that folder's SQLite file.
//
// With AICC_TEST_STORE=postgres (and AICC_TEST_POSTGRES_URL, which make test provides) every
// server folder gets a PostgreSQL schema of its own instead of its SQLite file, so the same suites
// run on the PostgreSQL adapter (storeSettingsFor).

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { delay } from './util.mjs';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

// The binary under test: AICC_BINARY, else build/aicc-chat in the repository.
export const binaryPath = process.env.AICC_BINARY
  ? resolve(repoRoot, process.env.AICC_BINARY)
  : join(repoRoot, 'build', 'aicc-chat');

// The content of the file placed next to (outside) the web root: a traversal that reaches it
// would show this text.
export const SECRET_FILE_CONTENT = 'this file lies outside the web root';
export const INDEX_MARKER = 'aicc-chat integration index';

const liveServers = new Set();
process.on('exit', () => {
  for (const child of liveServers) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

export class ServerHandle {
  constructor({ child, dir, ownsDir = true, port, secret }) {
    this.child = child;
    this.dir = dir;
    this.ownsDir = ownsDir;
    this.port = port;
    this.secret = secret;
    this.host = '127.0.0.1';
    this.httpUrl = `http://127.0.0.1:${port}`;
    this.wsUrl = `ws://127.0.0.1:${port}/ws`;
    this.stderrText = '';
    this.exitInfo = null;
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        liveServers.delete(child);
        this.exitInfo = { code, signal };
        resolveExit(this.exitInfo);
      });
    });
    this.stopped = null;
  }

  // Everything the server wrote to stderr so far.
  get stderr() {
    return this.stderrText;
  }

  get running() {
    return this.exitInfo === null;
  }

  // Resolves once a stderr line matches `pattern`.
  async waitForLog(pattern, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (pattern.test(this.stderrText)) return;
      await delay(20);
    }
    throw new Error(`server log never matched ${pattern} within ${timeoutMs} ms; stderr:\n${this.stderrText}`);
  }

  // Stops the server (SIGTERM, then SIGKILL after `timeoutMs`) and removes its folder unless the
  // caller gave it (startServer({ dir })). Safe to call more than once; every call returns the same
  // result.
  stop({ signal = 'SIGTERM', timeoutMs = 15000 } = {}) {
    if (!this.stopped) this.stopped = this.#stop(signal, timeoutMs);
    return this.stopped;
  }

  async #stop(signal, timeoutMs) {
    const started = Date.now();
    let killed = false;
    if (this.running) {
      this.child.kill(signal);
      let timer;
      const timeout = new Promise((resolveTimeout) => {
        timer = setTimeout(() => resolveTimeout('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([this.exited, timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        killed = true;
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
    return {
      code: this.exitInfo.code,
      signal: this.exitInfo.signal,
      killed,
      elapsedMs: Date.now() - started,
      stderr: this.stderrText,
    };
  }
}

// A fresh temporary folder laid out for a server: a tiny web root with a secret file beside it.
export async function createServerDir() {
  const dir = await mkdtemp(join(tmpdir(), 'aicc-int-'));
  const webRoot = join(dir, 'web');
  await mkdir(webRoot);
  await writeFile(join(webRoot, 'index.html'),
    `<!doctype html><title>${INDEX_MARKER}</title><p>${INDEX_MARKER}</p>\n`);
  await writeFile(join(dir, 'secret.txt'), SECRET_FILE_CONTENT);
  return dir;
}

export function removeServerDir(dir) {
  return rm(dir, { recursive: true, force: true });
}

// The SQLite file of a server folder.
export function sqlitePathIn(dir) {
  return join(dir, 'aicc-chat.sqlite');
}

// Whether servers store in PostgreSQL (see the top of this file) rather than SQLite.
export const usesPostgres = process.env.AICC_TEST_STORE === 'postgres';

// The store settings of a server folder: its SQLite file, or its own PostgreSQL schema (made on
// first use and named in the folder, so a restart on the folder finds the same data).
export function storeSettingsFor(dir) {
  if (!usesPostgres) return { 'store.sqlite.path': sqlitePathIn(dir) };
  const base = process.env.AICC_TEST_POSTGRES_URL;
  if (!base) throw new Error('AICC_TEST_STORE=postgres needs AICC_TEST_POSTGRES_URL');
  const nameFile = join(dir, 'postgres-schema');
  let schema;
  if (existsSync(nameFile)) {
    schema = readFileSync(nameFile, 'utf8').trim();
  } else {
    schema = `it_${randomBytes(6).toString('hex')}`;
    execFileSync('psql', [base, '-q', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE SCHEMA ${schema}`], { stdio: 'pipe' });
    writeFileSync(nameFile, schema);
  }
  const separator = base.includes('?') ? '&' : '?';
  return {
    'store.kind': 'postgres',
    'store.postgres.url': `${base}${separator}options=-csearch_path%3D${schema}&application_name=${schema}`,
  };
}

// Runs `sql` on the store of a server folder from another connection, as an operator (or a
// failing disk) would: the sqlite3 shell on its SQLite file, or psql in its PostgreSQL schema.
export function runStoreSql(dir, sql) {
  if (!usesPostgres) {
    execFileSync('sqlite3', ['-cmd', '.timeout 5000', sqlitePathIn(dir), sql]);
    return;
  }
  const url = storeSettingsFor(dir)['store.postgres.url'].replace(/&application_name=[^&]*$/, '');
  execFileSync('psql', [url, '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { stdio: 'pipe' });
}

// Only the variables a process needs: an AICC_* variable of the caller must not change the test.
function childEnvironment(dir) {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' };
}

// Starts a server. `settings` become --set key=value arguments and override the defaults here;
// `args` are further command-line arguments (e.g. '--demo'). With `dir` (from createServerDir) the
// server uses that folder and its SQLite file, and stop() leaves them for the next start; `secret`
// keeps the JWT secret of an earlier start. `limits`: 'unlimited' (see UNLIMITED_SENDS) or 'default'.
// `fileSizeLimitBytes`: see below.
// Most suites drive the server far faster than people type (hundreds of SENDs a second from one
// user, many sessions of one user), so they start it with the send-rate limits out of the way;
// rate-limits.test.mjs checks the limits at their defaults by passing `limits: 'default'`.
export const UNLIMITED_SENDS = {
  'limits.connection.sends-per-second': '1000000',
  'limits.connection.send-burst': '1000000',
  'limits.connection.bytes-per-second': '1073741824',
  'limits.connection.bytes-burst': '1073741824',
  'limits.chat.sends-per-second': '1000000',
  'limits.chat.send-burst': '1000000',
  'limits.chat.bytes-per-second': '1073741824',
  'limits.chat.bytes-burst': '1073741824',
  'limits.lobby.sends-per-second': '1000000',
  'limits.lobby.send-burst': '1000000',
  'limits.lobby.bytes-per-second': '1073741824',
  'limits.lobby.bytes-burst': '1073741824',
  'limits.sessions-per-user': '100000',
};

export async function startServer({ settings = {}, args: extraArgs = [], dir, secret, startTimeoutMs = 15000, limits = 'unlimited', fileSizeLimitBytes } = {}) {
  if (!existsSync(binaryPath)) {
    throw new Error(`server binary not found at ${binaryPath}; build it or set AICC_BINARY`);
  }
  const ownsDir = !dir;
  if (ownsDir) dir = await createServerDir();
  const webRoot = join(dir, 'web');
  const portFile = join(dir, 'server.port');
  // A port file left by an earlier start on this folder names a port nobody listens on any more.
  await rm(portFile, { force: true });
  secret ??= randomBytes(32).toString('hex');

  const merged = {
    'server.host': '127.0.0.1',
    'server.port': '0',
    'server.port-file': portFile,
    'server.web-root': webRoot,
    ...storeSettingsFor(dir),
    'jwt.secret': secret,
    ...(limits === 'default' ? {} : UNLIMITED_SENDS),
    ...settings,
  };
  const args = [];
  for (const [key, value] of Object.entries(merged)) args.push('--set', `${key}=${value}`);
  args.push(...extraArgs);

  // `fileSizeLimitBytes`: no file the server writes may grow past it (RLIMIT_FSIZE), as on a full
  // disk: writes fail (SIGXFSZ ignored) instead of the process being killed.
  const command = fileSizeLimitBytes === undefined
    ? [binaryPath, args]
    : ['/bin/sh', ['-c', `trap '' XFSZ; exec prlimit --fsize=${fileSizeLimitBytes} -- "$0" "$@"`, binaryPath, ...args]];
  const child = spawn(command[0], command[1], { cwd: dir, env: childEnvironment(dir), stdio: ['ignore', 'ignore', 'pipe'] });
  liveServers.add(child);
  const handle = new ServerHandle({ child, dir, ownsDir, port: 0, secret: merged['jwt.secret'] });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    handle.stderrText += chunk;
  });
  child.once('error', (error) => {
    handle.stderrText += `\nspawn failed: ${error.message}\n`;
  });

  const deadline = Date.now() + startTimeoutMs;
  while (true) {
    if (!handle.running) {
      if (ownsDir) await rm(dir, { recursive: true, force: true });
      throw new Error(`server exited during start-up (${JSON.stringify(handle.exitInfo)}); stderr:\n${handle.stderr}`);
    }
    if (existsSync(portFile)) {
      const text = (await readFile(portFile, 'utf8')).trim();
      const port = Number.parseInt(text, 10);
      if (port > 0) {
        handle.port = port;
        handle.httpUrl = `http://127.0.0.1:${port}`;
        handle.wsUrl = `ws://127.0.0.1:${port}/ws`;
        return handle;
      }
    }
    if (Date.now() > deadline) {
      await handle.stop({ signal: 'SIGKILL' });
      throw new Error(`server did not write its port within ${startTimeoutMs} ms; stderr:\n${handle.stderr}`);
    }
    await delay(20);
  }
}

// Runs `aicc-chat [--set ...] user <args...>` on the SQLite file of server folder `dir` (the server
// may be running on it), writing `stdin` to its standard input. Resolves with { code, stdout,
// stderr }; kills the process after `timeoutMs`.
export function runUserCommand(dir, userArgs, { stdin = '', settings = {}, timeoutMs = 15000 } = {}) {
  return runCommand(dir, ['user', ...userArgs], { stdin, settings: { ...storeSettingsFor(dir), ...settings }, timeoutMs });
}

// Runs `aicc-chat [--set ...] <words...>` in folder `dir` with a bare environment plus `env`,
// writing `stdin` to its standard input. Resolves with { code, signal, stdout, stderr }; kills the
// process after `timeoutMs`.
export function runCommand(dir, words, { stdin = '', settings = {}, env = {}, timeoutMs = 15000 } = {}) {
  const args = [];
  for (const [key, value] of Object.entries(settings)) {
    args.push('--set', `${key}=${value}`);
  }
  args.push(...words);
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(binaryPath, args, { cwd: dir, env: { ...childEnvironment(dir), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    liveServers.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      liveServers.delete(child);
      rejectRun(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      liveServers.delete(child);
      if (signal === 'SIGKILL') {
        rejectRun(new Error(`aicc-chat ${words.join(' ')}: no exit within ${timeoutMs} ms; stderr:\n${stderr}`));
        return;
      }
      resolveRun({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  });
}
