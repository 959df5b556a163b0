// `aicc-chat check-config [FILE]`: a configuration checked the way a start checks it, the effective
// values printed with every secret masked, and what is valid but unwise listed as warnings.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { createServerDir, removeServerDir, repoRoot, runCommand } from './lib/server.mjs';

const TEST_TIMEOUT = 15000;

describe('aicc-chat check-config', () => {
  let dir;
  const secret = randomBytes(32).toString('base64');

  before(async () => {
    dir = await createServerDir();
  });
  after(() => removeServerDir(dir));

  const check = (words, options = {}) => runCommand(dir, ['check-config', ...words], options);

  it('accepts the shipped configuration with a secret from the environment, and masks it', { timeout: TEST_TIMEOUT }, async () => {
    const file = join(repoRoot, 'config', 'aicc-chat.yaml');
    const answer = await check([file], {
      env: { AICC_JWT_SECRET: secret, AICC_STORE_POSTGRES_URL: 'postgresql://aicc:hunter2-pw@db.internal/aicc' },
    });
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /^# effective configuration \(.*aicc-chat\.yaml, then the environment and --set; secrets masked\)$/m);
    assert.match(answer.stdout, /^jwt\.secret = \(set\)$/m);
    assert.match(answer.stdout, /^store\.postgres\.url = \(set\)$/m);
    assert.match(answer.stdout, /^bot\.webhook-secret = \(not set\)$/m);
    assert.match(answer.stdout, /^server\.port = 8080$/m);
    assert.match(answer.stdout, /^configuration is valid \(\d+ warnings?\)$/m);
    assert.ok(!answer.stdout.includes(secret) && !answer.stderr.includes(secret), 'the secret is never printed');
    assert.ok(!answer.stdout.includes('hunter2-pw'), 'a URL password is never printed');
  });

  it('prints the values that win: the file, then the environment, then --set', { timeout: TEST_TIMEOUT }, async () => {
    const file = join(dir, 'layers.yaml');
    await writeFile(file, 'server:\n  port: 9001\n  threads: 3\nrouting:\n  max-rooms-per-agent: 7\n');
    const answer = await check([file], {
      settings: { 'server.threads': '5' },
      env: { AICC_JWT_SECRET: secret, AICC_ROUTING_MAX_ROOMS_PER_AGENT: '4' },
    });
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /^server\.port = 9001$/m);
    assert.match(answer.stdout, /^server\.threads = 5$/m);
    assert.match(answer.stdout, /^routing\.max-rooms-per-agent = 4$/m);
  });

  it('refuses, with the reason and status 2, what a start would refuse', { timeout: TEST_TIMEOUT }, async () => {
    const cases = [
      { name: 'no secret', yaml: 'server:\n  port: 8080\n', env: {}, reason: /jwt\.secret is required outside demo mode/ },
      { name: 'short secret', yaml: '', env: { AICC_JWT_SECRET: 'short-secret' }, reason: /jwt\.secret is too short: 12 bytes/ },
      { name: 'repeated secret', yaml: '', env: { AICC_JWT_SECRET: 'changeme'.repeat(5) }, reason: /jwt\.secret is too easy to guess: it repeats a pattern of 8 characters/ },
      { name: 'run of characters', yaml: '', env: { AICC_JWT_SECRET: 'abcdefghijklmnopqrstuvwxyz0123456789' }, reason: /jwt\.secret is too easy to guess: it is mostly a run/ },
      { name: 'origin with a path', yaml: 'ws:\n  allowed-origins: ["https://shop.example/chat"]\n', env: { AICC_JWT_SECRET: secret }, reason: /ws\.allowed-origins/ },
      { name: 'unknown key', yaml: 'server:\n  prot: 8080\n', env: { AICC_JWT_SECRET: secret }, reason: /server\.prot/ },
      { name: 'bad business hours', yaml: 'hours:\n  weekly: "mon-fri 09:00-25:00"\n', env: { AICC_JWT_SECRET: secret }, reason: /hours: / },
      { name: 'postgres without its URL', yaml: 'store:\n  kind: postgres\n', env: { AICC_JWT_SECRET: secret }, reason: /store\.postgres\.url is required/ },
    ];
    for (const [index, { name, yaml, env, reason }] of cases.entries()) {
      const file = join(dir, `refused-${index}.yaml`);
      await writeFile(file, yaml);
      const answer = await check([file], { env });
      assert.equal(answer.code, 2, `${name}: ${answer.stdout}${answer.stderr}`);
      assert.match(answer.stderr, /^aicc-chat: configuration error \(.*\.yaml\): /, name);
      assert.match(answer.stderr, reason, name);
      assert.equal(answer.stdout, '', `${name}: nothing printed as if valid`);
      for (const value of Object.values(env)) assert.ok(!answer.stderr.includes(value), `${name}: the secret is not echoed`);
    }
  });

  it('lists what is valid but unwise as warnings naming the key', { timeout: TEST_TIMEOUT }, async () => {
    const file = join(dir, 'unwise.yaml');
    await writeFile(file, [
      'demo: true',
      'server:',
      '  host: 0.0.0.0',
      'ws:',
      '  allowed-origins: ["*"]',
      'bot:',
      '  webhook-require-signature: false',
      'bus:',
      '  kind: redis',
      '  redis:',
      '    url: redis://127.0.0.1:6379',
      'stomp:',
      '  tcp-port: 61613',
      '  tcp-host: 0.0.0.0',
      '',
    ].join('\n'));
    const answer = await check([file]);
    assert.equal(answer.code, 0, answer.stderr);
    for (const key of ['demo is on', 'jwt.secret is not set', 'ws.allowed-origins has "\\*"', 'bot.webhook-require-signature is false',
      'auth.cookie-secure is false', 'bus.kind is redis but store.kind is sqlite', 'stomp.tcp-host is 0.0.0.0', 'store.sqlite.path is relative']) {
      assert.match(answer.stdout, new RegExp(`^warning: ${key}`, 'm'), key);
    }
    assert.match(answer.stdout, /^configuration is valid \(8 warnings\)$/m);
  });

  it('reads --config like a start when no file follows the command', { timeout: TEST_TIMEOUT }, async () => {
    const file = join(dir, 'by-option.yaml');
    await writeFile(file, 'server:\n  port: 9123\n');
    const answer = await runCommand(dir, ['--config', file, 'check-config'], { env: { AICC_JWT_SECRET: secret } });
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /^server\.port = 9123$/m);
    const missing = await check([join(dir, 'no-such-file.yaml')], { env: { AICC_JWT_SECRET: secret } });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no-such-file\.yaml/);
  });
});
