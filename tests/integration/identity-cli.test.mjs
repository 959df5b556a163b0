// Identity as an operator sees it: the `aicc-chat user ...` commands working on the SQLite file of
// a running server, users and refresh tokens surviving a restart on the same file, and demo mode.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { CookieJar, guest, login, logout, parseSetCookie, refresh } from './lib/auth-http.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';
import { createServerDir, removeServerDir, runUserCommand, startServer } from './lib/server.mjs';

const TEST_TIMEOUT = 15000;
const REFRESH_COOKIE = 'aicc_refresh';

const shortId = () => randomUUID().slice(0, 8);

function assertError(answer, status, code) {
  assert.equal(answer.status, status, `status; body: ${answer.text}`);
  if (code) assert.equal(answer.json?.error, code, answer.text);
}

async function signIn(target, username, password, jar = new CookieJar()) {
  const answer = await login(target, username, password, { jar });
  assert.equal(answer.status, 200, `login of ${username}: ${answer.text}`);
  return { token: answer.json.accessToken, user: answer.json.user, jar };
}

// CONNECT over /ws with `token`; resolves with the CONNECTED frame or rejects with the ERROR.
async function connectOnce(t, target, token) {
  const client = await RawStomp.open(target.wsUrl);
  t.after(() => client.close());
  return client.connect(token);
}

describe('aicc-chat user commands on a running server', () => {
  let server;

  before(async () => {
    server = await startServer({ settings: { 'auth.refresh-reuse-grace': '0' } });
  });

  after(async () => {
    if (!server) return;
    const result = await server.stop();
    assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
  });

  const user = (args, stdin) => runUserCommand(server.dir, args, { stdin });

  it('adds an agent who can then log in and connect', { timeout: TEST_TIMEOUT }, async (t) => {
    const username = `agent-${shortId()}`;
    const added = await user(['add', username, '--role', 'agent', '--name', '상담원 Lee', '--password-stdin'], 'a long password\n');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, new RegExp(`added ${username} \\(AGENT, u_\\w+\\)`));
    const id = added.stdout.match(/\((AGENT), (u_\w+)\)/)[2];

    const session = await signIn(server, username, 'a long password');
    assert.equal(session.user.id, id);
    assert.equal(session.user.role, 'AGENT');
    assert.equal(session.user.displayName, '상담원 Lee');
    assert.equal(session.user.guest, false);
    const connected = await connectOnce(t, server, session.token);
    assert.equal(connected.headers['user-name'], id);

    const list = await user(['list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${id}\\s+${username}\\s+AGENT\\s+active`));
  });

  it('lists guests only with --all', { timeout: TEST_TIMEOUT }, async () => {
    const visitor = await guest(server, { json: { displayName: 'Listed guest' } });
    assert.equal(visitor.status, 200);
    const id = visitor.json.user.id;
    assert.doesNotMatch((await user(['list'])).stdout, new RegExp(id));
    const all = await user(['list', '--all']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, new RegExp(`${id}\\s+\\(guest\\)\\s+CUSTOMER`));
  });

  it('refuses short passwords, duplicates, bad roles and bad usernames', { timeout: TEST_TIMEOUT }, async () => {
    const username = `cli-${shortId()}`;
    const short = await user(['add', username, '--role', 'agent', '--password-stdin'], '1234567\n');
    assert.notEqual(short.code, 0);
    assert.match(short.stderr, /8/);
    assertError(await login(server, username, '1234567'), 401, 'invalid_credentials');

    const empty = await user(['add', username, '--role', 'agent', '--password-stdin'], '');
    assert.notEqual(empty.code, 0, 'no password on stdin');

    assert.equal((await user(['add', username, '--role', 'customer', '--password-stdin'], 'good password\n')).code, 0);
    const duplicate = await user(['add', username, '--role', 'admin', '--password-stdin'], 'other password\n');
    assert.notEqual(duplicate.code, 0);
    assert.match(duplicate.stderr, /exists/);
    // The first one is unchanged.
    assert.equal((await signIn(server, username, 'good password')).user.role, 'CUSTOMER');

    const role = await user(['add', `x-${shortId()}`, '--role', 'superuser', '--password-stdin'], 'good password\n');
    assert.notEqual(role.code, 0);
    for (const bad of ['has space', 'x'.repeat(65), 'semi;colon', '']) {
      const result = await user(['add', bad, '--role', 'agent', '--password-stdin'], 'good password\n');
      assert.notEqual(result.code, 0, `username ${JSON.stringify(bad)}`);
    }
    assert.notEqual((await user(['disable', `nobody-${shortId()}`])).code, 0, 'an unknown user');
    assert.notEqual((await user([])).code, 0, 'no command');
  });

  it('disable blocks login (403) and refresh; enable lets the user back in', { timeout: TEST_TIMEOUT }, async () => {
    const username = `agent-${shortId()}`;
    const password = 'agent password';
    assert.equal((await user(['add', username, '--role', 'agent', '--password-stdin'], `${password}\n`)).code, 0);
    const before = await signIn(server, username, password);

    const disabled = await user(['disable', username]);
    assert.equal(disabled.code, 0, disabled.stderr);
    assertError(await login(server, username, password), 403, 'account_disabled');
    // A wrong password is still just a wrong password: nothing tells whether the account exists.
    assertError(await login(server, username, 'wrong password'), 401, 'invalid_credentials');
    const refreshed = await refresh(server, { jar: before.jar });
    assert.ok(refreshed.status === 401 || refreshed.status === 403, `refresh of a disabled user: ${refreshed.status} ${refreshed.text}`);
    assert.equal(refreshed.json?.accessToken, undefined);
    assert.match((await user(['list'])).stdout, new RegExp(`${username}\\s+AGENT\\s+disabled`));

    assert.equal((await user(['enable', username])).code, 0);
    const back = await signIn(server, username, password);
    assert.equal(back.user.id, before.user.id);
    // The refresh tokens of before the disable stay revoked.
    assert.notEqual((await refresh(server, { jar: before.jar })).status, 200);
    assert.equal((await refresh(server, { jar: back.jar })).status, 200);
  });

  it('passwd changes the password and signs the old sessions out of refresh', { timeout: TEST_TIMEOUT }, async () => {
    const username = `cust-${shortId()}`;
    assert.equal((await user(['add', username, '--role', 'customer', '--password-stdin'], 'old password\n')).code, 0);
    const before = await signIn(server, username, 'old password');

    const tooShort = await user(['passwd', username, '--password-stdin'], 'short\n');
    assert.notEqual(tooShort.code, 0);
    await signIn(server, username, 'old password');

    const changed = await user(['passwd', username, '--password-stdin'], 'new password\n');
    assert.equal(changed.code, 0, changed.stderr);
    assertError(await login(server, username, 'old password'), 401, 'invalid_credentials');
    const after = await signIn(server, username, 'new password');
    assert.equal(after.user.id, before.user.id);
    assertError(await refresh(server, { jar: before.jar }), 401);
  });
});

describe('restart on the same SQLite file', () => {
  it('keeps users, refresh tokens, guests and revoked access tokens', { timeout: 30000 }, async (t) => {
    const dir = await createServerDir();
    t.after(() => removeServerDir(dir));
    const settings = { 'auth.refresh-reuse-grace': '0' };
    const first = await startServer({ dir, settings });
    t.after(() => first.stop({ signal: 'SIGKILL' }));
    const secret = first.secret;

    const username = `agent-${shortId()}`;
    const password = 'restart password';
    assert.equal((await runUserCommand(dir, ['add', username, '--role', 'agent', '--password-stdin'], { stdin: `${password}\n` })).code, 0);
    const agent = await signIn(first, username, password);
    // One rotation before the restart: the rotated token must still count as used afterwards.
    const beforeRotation = agent.jar.clone();
    assert.equal((await refresh(first, { jar: agent.jar })).status, 200);
    const visitor = await guest(first, { jar: new CookieJar(), json: { displayName: 'Back tomorrow' } });
    assert.equal(visitor.status, 200);
    const guestJar = new CookieJar([[REFRESH_COOKIE, parseSetCookie(visitor.setCookies[0]).value]]);
    const loggedOut = await signIn(first, username, password);
    assert.equal((await logout(first, loggedOut.token, { jar: loggedOut.jar })).status, 204);

    const stopped = await first.stop();
    assert.equal(stopped.code, 0, `first run exit code; stderr:\n${stopped.stderr}`);

    const second = await startServer({ dir, settings, secret });
    t.after(() => second.stop({ signal: 'SIGKILL' }));

    const refreshed = await refresh(second, { jar: agent.jar });
    assert.equal(refreshed.status, 200, `refresh with the cookie of before the restart: ${refreshed.text}`);
    assert.equal(refreshed.json.user.id, agent.user.id);
    assert.equal(refreshed.json.user.username, username);

    const resumed = await guest(second, { jar: guestJar });
    assert.equal(resumed.status, 200, resumed.text);
    assert.equal(resumed.json.user.id, visitor.json.user.id, 'the same guest customer');
    assert.equal(resumed.json.user.displayName, 'Back tomorrow');

    assert.equal((await signIn(second, username, password)).user.id, agent.user.id);
    // Access tokens of the first run still work (same secret), except the revoked one.
    assert.equal((await connectOnce(t, second, agent.token)).headers['user-name'], agent.user.id);
    await assert.rejects(connectOnce(t, second, loggedOut.token), (error) => {
      assert.equal(error.frame?.headers.message, 'authentication failed: token revoked');
      return true;
    });
    // Reuse detection survives too: the token rotated before the restart revokes its family.
    assertError(await refresh(second, { jar: beforeRotation }), 401, 'token_reused');
    assertError(await refresh(second, { jar: agent.jar }), 401);

    const result = await second.stop();
    assert.equal(result.code, 0, `second run exit code; stderr:\n${result.stderr}`);
  });
});

describe('demo mode', () => {
  it('creates user1, agent1, agent2 and admin with password 1234, with a warning, once', { timeout: 30000 }, async (t) => {
    const dir = await createServerDir();
    t.after(() => removeServerDir(dir));
    // No JWT secret: demo mode makes one up (and says so).
    const settings = { 'jwt.secret': '', 'auth.cookie-secure': 'true' };
    const demo = await startServer({ dir, args: ['--demo'], settings });
    t.after(() => demo.stop({ signal: 'SIGKILL' }));
    await demo.waitForLog(/created demo user admin/);
    assert.match(demo.stderr, /warn.*DEMO MODE/);
    assert.match(demo.stderr, /warn.*demo user user1 \(CUSTOMER\) with password 1234/);
    assert.match(demo.stderr, /warn.*demo user agent1 \(AGENT\) with password 1234/);
    assert.match(demo.stderr, /warn.*demo user admin \(ADMIN\) with password 1234/);
    assert.match(demo.stderr, /warn.*jwt\.secret is a random value/);

    const expected = { user1: 'CUSTOMER', agent1: 'AGENT', agent2: 'AGENT', admin: 'ADMIN' };
    for (const [username, role] of Object.entries(expected)) {
      const answer = await login(demo, username, '1234');
      assert.equal(answer.status, 200, `${username}: ${answer.text}`);
      assert.equal(answer.json.user.role, role);
      assert.equal(answer.json.user.username, username);
      const cookie = parseSetCookie(answer.setCookies[0]);
      assert.equal(cookie.attributes.secure, true, 'auth.cookie-secure marks the cookie Secure');
      assert.equal((await connectOnce(t, demo, answer.json.accessToken)).headers['user-name'], answer.json.user.id);
    }
    assertError(await login(demo, 'agent1', '12345'), 401, 'invalid_credentials');
    const ids = {};
    for (const username of Object.keys(expected)) ids[username] = (await signIn(demo, username, '1234')).user.id;

    const stopped = await demo.stop();
    assert.equal(stopped.code, 0, `exit code; stderr:\n${stopped.stderr}`);

    // Started again on the same file: the same users, not created twice, still with the warning.
    const again = await startServer({ dir, args: ['--demo'], settings });
    t.after(() => again.stop({ signal: 'SIGKILL' }));
    for (const username of Object.keys(expected)) {
      assert.equal((await signIn(again, username, '1234')).user.id, ids[username]);
    }
    assert.match(again.stderr, /DEMO MODE/);
    assert.doesNotMatch(again.stderr, /created demo user/);
    const list = await runUserCommand(dir, ['list']);
    assert.equal(list.stdout.trim().split('\n').length, 1 + 4, `four users:\n${list.stdout}`);
    const result = await again.stop();
    assert.equal(result.code, 0, `exit code; stderr:\n${result.stderr}`);
  });
});
