// The Debian package (packaging/debian/): its control data and files, its maintainer scripts and
// systemd unit, the packaged server started from an unpacked copy with the packaged configuration,
// and a real dpkg install, upgrade, removal and purge on a throwaway overlay of this machine.
//
// AICC_DEB names the package to check (make test builds it with packaging/debian/build-deb.sh);
// without it, this file builds one with that script from the build folder of AICC_BINARY.

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { guest, login } from './lib/auth-http.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';
import { binaryPath, repoRoot } from './lib/server.mjs';
import { delay } from './lib/util.mjs';

const UNIT = 'lib/systemd/system/aicc-chat.service';
const CONFIG = 'etc/aicc-chat/aicc-chat.yaml';
const WEB = 'usr/share/aicc-chat/web';
const webRoot = process.env.AICC_WEB_ROOT
  ? resolve(repoRoot, process.env.AICC_WEB_ROOT)
  : join(dirname(binaryPath), 'web');

function run(command, args, options = {}) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

// A command every step here needs, or a failure saying what provides it.
function requireTool(tool, provider) {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  assert.ok(found, `${tool} is not installed: it comes with ${provider} (scripts/install-deps.sh --test)`);
}

// CMake's project(VERSION), the version the package must carry.
function projectVersion() {
  const match = /project\(\s*aicc_chat\s+VERSION\s+([0-9.]+)/.exec(readFileSync(join(repoRoot, 'CMakeLists.txt'), 'utf8'));
  assert.ok(match, 'CMakeLists.txt names no project version');
  return match[1];
}

// `key=value` lines of a systemd unit, values of repeated keys in order.
function parseUnit(text) {
  const entries = new Map();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    if (!entries.has(match[1])) entries.set(match[1], []);
    entries.get(match[1]).push(match[2]);
  }
  return entries;
}

// The effective configuration as the packaged binary reads it (`check-config`): key -> value.
function effectiveConfig(root, configFile, env) {
  const result = spawnSync(join(root, 'usr/bin/aicc-chat'), ['check-config', configFile], {
    encoding: 'utf8', env: { PATH: process.env.PATH, ...env },
  });
  assert.equal(result.status, 0, `check-config of the packaged configuration: ${result.stderr}`);
  const values = new Map();
  for (const line of result.stdout.split('\n')) {
    const match = /^([a-z.-]+) = (.*)$/.exec(line);
    if (match) values.set(match[1], match[2]);
  }
  return { values, output: result.stdout };
}

// The system calls a SystemCallFilter= line allows, its groups (@name) expanded the way systemd does.
function syscallsOf(filter) {
  const names = new Set();
  const expand = (group) => {
    const lines = run('systemd-analyze', ['syscall-filter', '--no-pager', group]).split('\n').slice(1);
    for (const line of lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
      if (line.startsWith('@')) expand(line);
      else names.add(line);
    }
  };
  for (const group of filter.split(/\s+/).filter(Boolean)) expand(group);
  return names;
}

function filesUnder(dir) {
  const out = [];
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

// The pids of the children of process `pid` (the server strace runs).
function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

// Starts `binary` with `args` and a bare environment plus `env`, waiting for its port file. With
// `traced`, `binary` is strace running the server: stop() signals the server, strace's child (strace
// itself holds fatal signals back while it traces a command), and strace exits after it.
async function startPackaged(binary, args, { env, cwd, portFile, traced = false }) {
  const child = spawn(binary, args, { cwd, env: { PATH: process.env.PATH, LANG: 'C.UTF-8', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  let exitInfo = null;
  exited.then((info) => {
    exitInfo = info;
  });
  const deadline = Date.now() + 15000;
  while (!existsSync(portFile) || !(Number.parseInt(await readFile(portFile, 'utf8'), 10) > 0)) {
    if (exitInfo) throw new Error(`the packaged server exited during start-up (${JSON.stringify(exitInfo)}): ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the packaged server wrote no port within 15 s: ${stderr}`);
    }
    await delay(20);
  }
  const port = Number.parseInt(await readFile(portFile, 'utf8'), 10);
  return {
    httpUrl: `http://127.0.0.1:${port}`,
    get stderr() {
      return stderr;
    },
    async stop() {
      const targets = () => (traced ? childrenOf(child.pid) : [child.pid]);
      const signal = (name) => {
        for (const pid of targets()) {
          try {
            process.kill(pid, name);
          } catch {
            // Gone already.
          }
        }
      };
      if (!exitInfo) signal('SIGTERM');
      const timer = setTimeout(() => {
        signal('SIGKILL');
        child.kill('SIGKILL');
      }, 15000);
      const info = await exited;
      clearTimeout(timer);
      return info;
    },
  };
}

describe('the Debian package', { timeout: 180000 }, () => {
  let scratch;
  let deb;
  let root; // the package's files, unpacked with dpkg-deb -x
  let control; // its control area, unpacked with dpkg-deb -e

  before(async () => {
    requireTool('dpkg-deb', 'dpkg');
    scratch = await mkdtemp(join(tmpdir(), 'aicc-package-'));
    if (process.env.AICC_DEB) {
      deb = resolve(repoRoot, process.env.AICC_DEB);
      assert.ok(existsSync(deb), `AICC_DEB names ${deb}, which does not exist: the package build failed`);
    } else {
      const printed = run(join(repoRoot, 'packaging/debian/build-deb.sh'), [dirname(binaryPath), scratch]);
      deb = printed.trim().split('\n').pop();
    }
    root = join(scratch, 'root');
    control = join(scratch, 'control');
    run('dpkg-deb', ['-x', deb, root]);
    run('dpkg-deb', ['-e', deb, control]);
  });

  after(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('is named and versioned from CMake, and depends on the packages of the libraries it links', () => {
    const version = projectVersion();
    const arch = run('dpkg', ['--print-architecture']).trim();
    assert.equal(deb.split('/').pop(), `aicc-chat_${version}_${arch}.deb`);
    const fields = run('dpkg-deb', ['-f', deb, 'Package', 'Version', 'Architecture', 'Maintainer', 'Description',
      'Installed-Size', 'Depends']);
    const field = (name) => new RegExp(`^${name}: (.*(?:\\n .*)*)`, 'm').exec(fields)?.[1];
    assert.equal(field('Package'), 'aicc-chat');
    assert.equal(field('Version'), version);
    assert.equal(field('Architecture'), arch);
    assert.match(field('Maintainer'), /^[^<>]+ <[^<>@\s]+@[^<>\s]+>$/);
    assert.match(field('Description'), /^chat server for AI contact centers\n /);
    assert.match(field('Installed-Size'), /^[1-9][0-9]*$/);
    assert.equal(run(join(root, 'usr/bin/aicc-chat'), ['--version']).trim(), `aicc-chat ${version}`);

    const depends = field('Depends').split(',').map((item) => item.trim().split(/[\s(]/)[0]);
    assert.ok(depends.includes('adduser'), `adduser (postinst makes the user): ${depends}`);
    // Every library the binary names must come from a package in Depends, found here the way apt
    // would find it on a fresh machine: the package that ships the library file.
    const needed = run('readelf', ['-d', join(root, 'usr/bin/aicc-chat')])
      .split('\n').map((line) => /\(NEEDED\).*\[(.+)\]/.exec(line)?.[1]).filter(Boolean);
    assert.ok(needed.length >= 8, `libraries named by the binary: ${needed}`);
    // The names each installed package answers to: its own and the virtual ones it provides
    // (libspdlog1.10 provides the libspdlog1.10-fmt9 its shlibs file asks for).
    const namesOf = new Map();
    for (const line of run('dpkg-query', ['-W', '-f', '${Package}\t${Provides}\n']).split('\n').filter(Boolean)) {
      const [name, provides = ''] = line.split('\t');
      namesOf.set(name, [name, ...provides.split(',').map((item) => item.trim().split(/[\s(]/)[0]).filter(Boolean)]);
    }
    const found = run('dpkg', ['-S', ...needed.map((library) => `*/${library}`)]).split('\n').filter(Boolean);
    for (const library of needed) {
      const owners = found.filter((line) => line.endsWith(`/${library}`)).map((line) => line.split(':')[0]);
      assert.ok(owners.some((owner) => (namesOf.get(owner) ?? [owner]).some((name) => depends.includes(name))),
        `${library} comes from ${owners.join(' or ')}, which Depends (${depends.join(', ')}) does not name`);
    }
    const installedNames = new Set([...namesOf.values()].flat());
    for (const name of depends) assert.ok(installedNames.has(name), `${name} is a package or one an installed package provides`);
  });

  it('holds the stripped binary, the built web pages, the unit and the configuration, all root\'s', () => {
    const listing = run('dpkg-deb', ['-c', deb]).split('\n').filter(Boolean).map((line) => {
      const [mode, owner, , , , ...path] = line.split(/\s+/);
      return { mode, owner, path: path.join(' ').replace(/^\.\//, '').replace(/\/$/, '') };
    });
    const byPath = new Map(listing.map((entry) => [entry.path, entry]));
    for (const entry of listing) assert.equal(entry.owner, 'root/root', `${entry.path} belongs to root`);
    const allowed = ['', 'usr', 'usr/bin', 'usr/share', 'usr/share/man', 'usr/share/man/man1', 'etc', 'lib', 'lib/systemd',
      'lib/systemd/system'];
    for (const entry of listing) {
      assert.ok(allowed.includes(entry.path) || /^(usr\/bin\/aicc-chat|usr\/share\/aicc-chat|usr\/share\/doc|usr\/share\/man\/man1\/aicc-chat\.1\.gz|etc\/aicc-chat|lib\/systemd\/system\/aicc-chat\.service)/.test(entry.path),
        `${entry.path} is none of the package's places`);
      assert.ok(!entry.path.startsWith('var'), `${entry.path}: the data folder is made by postinst, not shipped`);
      if (entry.mode.startsWith('d')) assert.equal(entry.mode, 'drwxr-xr-x', entry.path);
    }
    const expectations = {
      'usr/bin/aicc-chat': '-rwxr-xr-x',
      [CONFIG]: '-rw-r--r--',
      [UNIT]: '-rw-r--r--',
      [`${WEB}/index.html`]: '-rw-r--r--',
      'usr/share/doc/aicc-chat/aicc-chat.yaml.example': '-rw-r--r--',
      'usr/share/doc/aicc-chat/copyright': '-rw-r--r--',
      'usr/share/doc/aicc-chat/changelog.gz': '-rw-r--r--',
      'usr/share/man/man1/aicc-chat.1.gz': '-rw-r--r--',
    };
    for (const [path, mode] of Object.entries(expectations)) {
      assert.equal(byPath.get(path)?.mode, mode, `${path} in the package, mode ${mode}`);
    }
    // The secret is made on the machine, never shipped.
    assert.ok(!listing.some((entry) => entry.path.endsWith('.env')), 'no environment file in the package');
    assert.doesNotMatch(readFileSync(join(root, CONFIG), 'utf8'), /^\s*(jwt\.)?secret:/m, 'no secret in the configuration');

    // The web pages are the built ones, every file of them.
    assert.deepEqual(filesUnder(join(root, WEB)), filesUnder(webRoot), `the package's pages are those of ${webRoot}`);
    assert.ok(filesUnder(join(root, WEB)).some((file) => /^assets\/.+\.js$/.test(file)), 'the bundled scripts');
    // Stripped: no symbol table.
    assert.doesNotMatch(run('readelf', ['-S', join(root, 'usr/bin/aicc-chat')]), /\.symtab/);

    // The control area: the one conffile, and checksums matching every file.
    assert.equal(readFileSync(join(control, 'conffiles'), 'utf8'), `/${CONFIG}\n`);
    const sums = spawnSync('md5sum', ['--check', '--strict', '--quiet', join(control, 'md5sums')], { cwd: root, encoding: 'utf8' });
    assert.equal(sums.status, 0, `md5sums: ${sums.stdout}${sums.stderr}`);
    const summed = readFileSync(join(control, 'md5sums'), 'utf8').split('\n').filter(Boolean).length;
    assert.equal(summed, listing.filter((entry) => entry.mode.startsWith('-')).length, 'a checksum for every file');
  });

  it('has POSIX shell maintainer scripts that stop on the first error', () => {
    for (const script of ['postinst', 'prerm', 'postrm']) {
      const path = join(control, script);
      assert.equal(statSync(path).mode & 0o777, 0o755, `${script} is executable`);
      const text = readFileSync(path, 'utf8');
      assert.match(text, /^#!\/bin\/sh\n/, `${script} runs with /bin/sh`);
      assert.match(text, /^set -e$/m, `${script} stops on errors`);
      const syntax = spawnSync('sh', ['-n', path], { encoding: 'utf8' });
      assert.equal(syntax.status, 0, `sh -n ${script}: ${syntax.stderr}`);
      // Every systemctl call is guarded: the scripts run in containers and chroots without systemd.
      for (const line of text.split('\n').filter((l) => /^\s*systemctl /.test(l))) {
        assert.match(line, /\|\| true$/, `${script}: ${line.trim()}`);
      }
    }
    const postinst = readFileSync(join(control, 'postinst'), 'utf8');
    assert.match(postinst, /if \[ -d \/run\/systemd\/system \]/, 'postinst starts the service only when systemd runs');
    assert.match(readFileSync(join(control, 'postrm'), 'utf8'), /if \[ "\$1" = purge \]/, 'postrm deletes data on purge only');
  });

  it('has a hardened unit that passes systemd-analyze verify and fits the packaged configuration', () => {
    requireTool('systemd-analyze', 'systemd');
    const unitText = readFileSync(join(root, UNIT), 'utf8');
    const unit = parseUnit(unitText);
    const one = (key) => {
      assert.equal(unit.get(key)?.length, 1, `${key}= once in the unit`);
      return unit.get(key)[0];
    };
    assert.equal(one('ExecStart'), `/usr/bin/aicc-chat --config /${CONFIG}`);
    assert.equal(one('User'), 'aicc-chat');
    assert.equal(one('Group'), 'aicc-chat');
    assert.equal(one('EnvironmentFile').replace(/^-/, ''), '/etc/aicc-chat/aicc-chat.env');
    assert.equal(one('Restart'), 'on-failure');
    assert.equal(one('LimitNOFILE'), '1048576');
    assert.equal(one('NoNewPrivileges'), 'yes');
    assert.equal(one('ProtectSystem'), 'strict');
    assert.equal(one('CapabilityBoundingSet'), '');
    assert.equal(one('StateDirectory'), 'aicc-chat');
    const writable = one('ReadWritePaths').split(/\s+/);
    assert.deepEqual(writable, ['/var/lib/aicc-chat']);
    for (const key of ['ProtectHome', 'PrivateTmp', 'PrivateDevices', 'ProtectKernelTunables', 'ProtectKernelModules',
      'ProtectKernelLogs', 'ProtectControlGroups', 'RestrictNamespaces', 'LockPersonality', 'MemoryDenyWriteExecute']) {
      assert.equal(one(key), 'yes', `${key}=yes`);
    }
    assert.equal(one('RestrictAddressFamilies'), 'AF_INET AF_INET6 AF_UNIX');
    assert.equal(unit.get('SystemCallFilter')?.[0], '@system-service');

    // What the configuration names must be where the unit lets the service write or read.
    const { values, output } = effectiveConfig(root, join(root, CONFIG), { AICC_JWT_SECRET: randomBytes(48).toString('base64') });
    assert.match(output, /^configuration is valid \(0 warnings\)$/m, output);
    assert.equal(values.get('demo'), 'false');
    for (const key of ['store.sqlite.path', 'attachments.path']) {
      assert.ok(writable.some((dir) => values.get(key).startsWith(`${dir}/`)), `${key} (${values.get(key)}) is under ReadWritePaths`);
    }
    assert.equal(values.get('server.web-root'), `/${WEB}`);
    assert.ok(existsSync(join(root, WEB, 'index.html')), 'the configured web root is in the package');
    assert.ok(Number(values.get('server.port')) >= 1024, 'a port the service may bind without capabilities');
    // systemd must give the graceful shutdown its full time before it kills the process.
    const stopSeconds = Number(/^(\d+)s$/.exec(one('TimeoutStopSec'))?.[1]);
    assert.ok(stopSeconds * 1000 > Number(values.get('server.shutdown-timeout-ms')) + 5000,
      `TimeoutStopSec=${one('TimeoutStopSec')} leaves room for server.shutdown-timeout-ms ${values.get('server.shutdown-timeout-ms')}`);

    // verify checks ExecStart's program: the unit as packaged, with it pointed at the unpacked one.
    const verifyDir = join(scratch, 'verify');
    execFileSync('mkdir', ['-p', verifyDir]);
    const verifiable = join(verifyDir, 'aicc-chat.service');
    execFileSync('sh', ['-c', 'sed "s|^ExecStart=/usr/bin/|ExecStart=$1/usr/bin/|" "$2" >"$3"', 'sh', root, join(root, UNIT), verifiable]);
    // Documentation=man:aicc-chat(1) is looked up with man, here among the package's pages.
    const verify = spawnSync('systemd-analyze', ['verify', verifiable],
      { encoding: 'utf8', env: { ...process.env, MANPATH: join(root, 'usr/share/man') } });
    assert.equal(verify.status, 0, `systemd-analyze verify: ${verify.stdout}${verify.stderr}`);
    // verify only warns about unknown keys and bad values, so any output is a failure.
    assert.equal(`${verify.stdout}${verify.stderr}`.trim(), '', 'systemd-analyze verify has nothing to say');
    const security = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', verifiable], { encoding: 'utf8' });
    const exposure = /Overall exposure level for aicc-chat\.service: ([0-9.]+)/.exec(security.stdout);
    assert.ok(exposure, `systemd-analyze security: ${security.stdout}${security.stderr}`);
    assert.ok(Number(exposure[1]) <= 2.0, `exposure ${exposure[1]} (at most 2.0):\n${security.stdout}`);
  });

  describe('the unpacked server with the packaged configuration', () => {
    let data;
    let overridesIn; // the packaged configuration's data paths moved into a folder, a free port
    let overrides; // those of `data`

    before(async () => {
      data = join(scratch, 'var/lib/aicc-chat');
      await mkdir(data, { recursive: true });
      // The paths of this machine's layout, moved into the scratch folder; the rest as packaged.
      const { values } = effectiveConfig(root, join(root, CONFIG), { AICC_JWT_SECRET: randomBytes(48).toString('base64') });
      overridesIn = (dir) => [
        '--set', `store.sqlite.path=${join(dir, relative('/var/lib/aicc-chat', values.get('store.sqlite.path')))}`,
        '--set', `attachments.path=${join(dir, relative('/var/lib/aicc-chat', values.get('attachments.path')))}`,
        '--set', `server.web-root=${root}${values.get('server.web-root')}`,
        '--set', 'server.port=0',
        '--set', `server.port-file=${join(dir, 'port')}`,
      ];
      overrides = overridesIn(data);
    });

    it('serves the health endpoint, the pages and a login, and stops cleanly', async () => {
      // A secret as postinst makes it: 48 random bytes in base64.
      const env = { AICC_JWT_SECRET: randomBytes(48).toString('base64') };
      const binary = join(root, 'usr/bin/aicc-chat');
      const add = spawnSync(binary, ['--config', join(root, CONFIG), ...overrides, 'user', 'add', 'admin1', '--role', 'admin', '--password-stdin'],
        { input: 'packaged-login-1\n', encoding: 'utf8', cwd: data, env: { PATH: process.env.PATH } });
      assert.equal(add.status, 0, `user add: ${add.stderr}`);
      const server = await startPackaged(binary, ['--config', join(root, CONFIG), ...overrides], { env, cwd: data, portFile: join(data, 'port') });
      try {
        const health = await fetch(`${server.httpUrl}/health`);
        assert.equal(health.status, 200);
        assert.equal((await health.json()).version, projectVersion());
        for (const page of ['/', '/agent.html', '/admin.html', '/widget.js']) {
          const answer = await fetch(`${server.httpUrl}${page}`);
          assert.equal(answer.status, 200, page);
          const expected = readFileSync(join(root, WEB, page === '/' ? 'index.html' : page.slice(1)), 'utf8');
          assert.equal(await answer.text(), expected, `${page} is the packaged file`);
        }
        const answer = await login(server, 'admin1', 'packaged-login-1');
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.json.user.role, 'ADMIN', answer.text);
        assert.match(server.stderr, new RegExp(`web_root=${root}/${WEB}`));
        assert.ok(existsSync(join(data, 'aicc-chat.sqlite')), 'the database in the (moved) data folder');
      } finally {
        const exit = await server.stop();
        assert.deepEqual(exit, { code: 0, signal: null }, server.stderr);
      }
    });

    // No systemd runs the unit here, so its seccomp filter cannot refuse anything: instead every
    // system call the server makes while serving a customer's chat with the bot is traced and
    // checked against the filter. One outside it would fail with EPERM under the unit.
    it('makes only system calls the unit\'s SystemCallFilter= allows while serving a chat', async () => {
      requireTool('strace', 'strace');
      requireTool('systemd-analyze', 'systemd');
      const filters = parseUnit(readFileSync(join(root, UNIT), 'utf8')).get('SystemCallFilter');
      const allowed = syscallsOf(filters.filter((f) => !f.startsWith('~')).join(' '));
      for (const denied of syscallsOf(filters.filter((f) => f.startsWith('~')).map((f) => f.slice(1)).join(' '))) {
        allowed.delete(denied);
      }
      assert.ok(allowed.has('epoll_wait') && !allowed.has('reboot') && !allowed.has('setrlimit'), 'the filter as expanded');

      // As the unit runs it, not as root: as root SQLite hands its files back to their owner
      // (fchown), which the service never needs. Its own data folder, which that user owns.
      const summary = join(scratch, 'syscalls.txt');
      const tracedData = join(scratch, 'traced');
      await mkdir(tracedData);
      const asUser = [];
      if (process.getuid() === 0) {
        execFileSync('chmod', ['0755', scratch]);
        execFileSync('chown', ['nobody', tracedData]);
        asUser.push('-u', 'nobody');
      }
      const portFile = join(tracedData, 'port');
      const tracedOverrides = overridesIn(tracedData);
      const server = await startPackaged('strace', ['-f', '-qq', '-c', '-o', summary, ...asUser, join(root, 'usr/bin/aicc-chat'),
        '--config', join(root, CONFIG), ...tracedOverrides], { env: { AICC_JWT_SECRET: randomBytes(48).toString('base64') }, cwd: tracedData, portFile, traced: true });
      try {
        assert.equal((await fetch(`${server.httpUrl}/health`)).status, 200);
        assert.equal((await fetch(`${server.httpUrl}/widget.html`)).status, 200);
        const customer = await guest(server);
        assert.equal(customer.status, 200, customer.text);
        const client = await RawStomp.open(`${server.httpUrl.replace('http', 'ws')}/ws`);
        try {
          await client.connect(customer.json.accessToken);
          await client.subscribe('/user/queue/bot/response');
          await client.send('SEND', { destination: '/app/bot.message', 'content-type': 'application/json' },
            JSON.stringify({ message: 'hello', lang: 'en' }));
          const answer = await client.nextFrame('MESSAGE', 10000);
          assert.ok(JSON.parse(answer.body).botMessage, answer.body);
        } finally {
          client.close();
        }
      } finally {
        // The server stops on SIGTERM; strace then writes the summary and exits with its status.
        const exit = await server.stop();
        assert.equal(exit.code, 0, server.stderr);
      }
      const used = readFileSync(summary, 'utf8').split('\n')
        .map((line) => line.trim().split(/\s+/)).filter((f) => f.length >= 5 && /^[0-9.]+$/.test(f[0]))
        .map((f) => f[f.length - 1]).filter((name) => name !== 'total');
      assert.ok(used.includes('epoll_wait') || used.includes('epoll_pwait'), `the trace: ${used}`);
      assert.deepEqual(used.filter((name) => !allowed.has(name)), [], 'system calls outside SystemCallFilter=');
    });

    it('refuses to start without the secret, saying how to give it, with the status the unit does not restart on', () => {
      const result = spawnSync(join(root, 'usr/bin/aicc-chat'), ['--config', join(root, CONFIG), ...overrides],
        { encoding: 'utf8', cwd: data, env: { PATH: process.env.PATH }, timeout: 15000 });
      assert.equal(result.status, 2, result.stderr);
      assert.equal(parseUnit(readFileSync(join(root, UNIT), 'utf8')).get('RestartPreventExitStatus')?.[0], '2');
      assert.match(result.stderr, /jwt\.secret is required outside demo mode/);
      assert.match(result.stderr, /AICC_JWT_SECRET/);
    });
  });

  // A real dpkg run needs root (mounts, a system user); on this machine's files it would leave them
  // changed, so it runs on overlays in a mount namespace of its own (lib/deb-install-sandbox.sh).
  it('installs, upgrades, removes and purges with dpkg on a throwaway overlay of this machine',
    { skip: process.getuid() !== 0 && 'needs root (make test runs as root on the test machines)' }, () => {
      requireTool('unshare', 'util-linux');
      const ownNamespace = run('readlink', ['/proc/self/ns/mnt']).trim();
      const result = spawnSync('unshare', ['--mount', '--propagation', 'private', '--',
        join(repoRoot, 'tests/integration/lib/deb-install-sandbox.sh'), deb, ownNamespace], { encoding: 'utf8', timeout: 120000 });
      const facts = new Map();
      for (const line of result.stdout.split('\n')) {
        const at = line.indexOf('=');
        if (at > 0) facts.set(line.slice(0, at), line.slice(at + 1));
      }
      const report = `${result.stdout}${result.stderr}`;
      assert.equal(facts.get('setup_error'), undefined, report);
      assert.equal(facts.get('done'), 'yes', report);
      assert.equal(facts.get('preinstalled'), '0', `aicc-chat is installed on this machine already:\n${report}`);
      const expected = {
        install_status: '0',
        user: 'aicc-chat:/var/lib/aicc-chat:/usr/sbin/nologin',
        group: 'aicc-chat',
        data_dir: 'aicc-chat:aicc-chat 750',
        env_file: 'root:aicc-chat 640',
        env_secret_length: '64',
        env_readable_by_service: 'yes',
        env_readable_by_others: 'no',
        enabled: 'yes',
        conffiles: `/${CONFIG} `,
        user_add_status: '0',
        health: '200',
        index_page: '1',
        login_token: '1',
        database: 'aicc-chat:aicc-chat 640',
        server_exit: '0',
        upgrade_status: '0',
        upgrade_keeps_config: '1',
        upgrade_keeps_secret: 'yes',
        upgrade_keeps_data: 'yes',
        upgrade_brings_back_secret: 'no',
        remove_status: '0',
        remove_binary: 'absent',
        remove_data: 'present',
        remove_env: 'present',
        purge_status: '0',
        purge_data: 'absent',
        purge_etc: 'absent',
        purge_enabled: 'absent',
        purge_user: 'present',
        reinstall_status: '0',
        reinstall_secret: 'new',
      };
      for (const [name, value] of Object.entries(expected)) {
        assert.equal(facts.get(name), value, `${name}:\n${report}`);
      }
    });
});
