// The admin user API over the real binary: only admins may use it; agents and admins are created
// (the CLI's username and password rules, duplicates refused), listed with filters and pages,
// disabled (their live sessions end at once and routing lets go of them; nobody disables
// themselves or the last enabled admin) and enabled, their passwords reset (the old one stops
// working, every login ends), and an agent's room limit changes routing at once. Every change is
// in the user audit log with who made it and the request's correlation id, never a password, and
// `aicc-chat user` keeps working on the same data, audited as "cli:".

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { apiRequest, CookieJar, login, refresh } from './lib/auth-http.mjs';
import {
  FAST_ROUTING, newAgent, newCustomer, nextStatus, requestConsult,
} from './lib/contact-center.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';
import { runUserCommand, startServer } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 20000;
const USERS = '/api/admin/users';

let server;
let admin;  // { username, password, token, id }

const shortId = () => randomUUID().slice(0, 8);

async function cliAdd(username, role, password) {
  const added = await runUserCommand(server.dir, ['add', username, '--role', role, '--password-stdin'],
    { stdin: `${password}\n` });
  assert.equal(added.code, 0, `user add ${username}: ${added.stderr}`);
}

async function signIn(username, password, jar = new CookieJar()) {
  const answer = await login(server, username, password, { jar });
  assert.equal(answer.status, 200, `login ${username}: ${answer.text}`);
  return { username, password, jar, token: answer.json.accessToken, id: answer.json.user.id };
}

// As the admin, unless `bearer` says otherwise (null: no Authorization at all).
const call = (path, { method = 'GET', json, body, headers, bearer = admin.token } = {}) =>
  apiRequest(server, path, { method, json, body, headers, bearer: bearer ?? undefined });

// A refusal: the status, the code, and a message that says why.
function assertRefused(answer, status, code) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.json?.error, code, answer.text);
  assert.ok(typeof answer.json.message === 'string' && answer.json.message.length > 0, answer.text);
}

async function createAgent(extra = {}) {
  const username = `agent-${shortId()}`;
  const password = `pw ${randomUUID()}`;
  const answer = await call(USERS, { method: 'POST', json: { username, role: 'AGENT', password, ...extra } });
  assert.equal(answer.status, 201, answer.text);
  return { username, password, id: answer.json.user.id, user: answer.json.user };
}

before(async () => {
  server = await startServer({
    settings: { ...FAST_ROUTING, 'routing.mode': 'auto', 'auth.revocation-sync-interval': '1' },
  });
  const username = `root-${shortId()}`;
  const password = `pw ${randomUUID()}`;
  await cliAdd(username, 'admin', password);
  admin = await signIn(username, password);
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

describe('who may use it', () => {
  it('refuses no token, a bad token, agents and customers, with a reason', { timeout: TEST_TIMEOUT }, async () => {
    assertRefused(await call(USERS, { bearer: null }), 401, 'unauthorized');
    assertRefused(await call(USERS, { bearer: 'not.a.token' }), 401, 'invalid_token');
    const agentToken = mintToken({ secret: server.secret, sub: `a-${shortId()}`, role: 'AGENT', name: 'A', ttlSeconds: 600 });
    const customerToken = mintToken({ secret: server.secret, sub: `c-${shortId()}`, role: 'CUSTOMER', name: 'C', ttlSeconds: 600 });
    for (const bearer of [agentToken, customerToken]) {
      assertRefused(await call(USERS, { bearer }), 403, 'forbidden');
      assertRefused(await call(USERS, { bearer, method: 'POST', json: { username: 'x', role: 'ADMIN' } }), 403, 'forbidden');
      assertRefused(await call(`${USERS}/${admin.id}/disable`, { bearer, method: 'POST', json: {} }), 403, 'forbidden');
      assertRefused(await call('/api/admin/audit?kind=users', { bearer }), 403, 'forbidden');
    }
  });
});

describe('creating and listing', () => {
  it('creates an agent with a generated password, once, and refuses a taken username', { timeout: TEST_TIMEOUT }, async () => {
    const username = `kim-${shortId()}`;
    const created = await call(USERS, { method: 'POST', json: { username, role: 'AGENT', displayName: '김 상담원', maxRooms: 2 } });
    assert.equal(created.status, 201, created.text);
    const { user, generatedPassword } = created.json;
    assert.equal(user.username, username);
    assert.equal(user.displayName, '김 상담원');
    assert.equal(user.role, 'AGENT');
    assert.equal(user.disabled, false);
    assert.equal(user.maxRooms, 2);
    assert.equal(user.passwordHash, undefined);
    assert.match(generatedPassword, /^[A-Za-z2-9]{16}$/);
    const signedIn = await signIn(username, generatedPassword);
    assert.equal(signedIn.id, user.id);
    // Shown once: reading the user again never gives it.
    const read = await call(`${USERS}/${user.id}`);
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.json.user, user);
    assert.doesNotMatch(read.text, new RegExp(generatedPassword));

    assertRefused(await call(USERS, { method: 'POST', json: { username, role: 'ADMIN', password: 'another password' } }), 409, 'username_taken');
    // Two admins creating one username at once: one wins, the other is told.
    const racing = `race-${shortId()}`;
    const answers = await Promise.all([1, 2].map(() => call(USERS, { method: 'POST', json: { username: racing, role: 'AGENT' } })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409]);
  });

  it('lists staff only, filtered and paged', { timeout: TEST_TIMEOUT }, async () => {
    const agents = [await createAgent(), await createAgent()];
    const customer = `cust-${shortId()}`;
    await cliAdd(customer, 'customer', 'customer password');
    const all = await call(`${USERS}?limit=200`);
    assert.equal(all.status, 200, all.text);
    const names = all.json.users.map((u) => u.username);
    assert.ok(agents.every((a) => names.includes(a.username)));
    assert.ok(names.includes(admin.username));
    assert.ok(!names.includes(customer), 'customers are not staff');
    assert.deepEqual([...names].sort(), names, 'by username');

    const admins = await call(`${USERS}?role=ADMIN`);
    assert.ok(admins.json.users.every((u) => u.role === 'ADMIN'));
    assert.ok(admins.json.users.some((u) => u.id === admin.id));

    // One page at a time, with the cursor it gives.
    const seen = [];
    let after = '';
    for (let page = 0; page < 50; page += 1) {
      const answer = await call(`${USERS}?limit=1${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      assert.equal(answer.status, 200, answer.text);
      seen.push(...answer.json.users.map((u) => u.username));
      if (answer.json.next === null) break;
      after = answer.json.next;
    }
    assert.deepEqual(seen, names);
  });
});

describe('hostile input', () => {
  it('refuses oversized, malformed, mistyped and unknown input, and bad ids, saying why', { timeout: TEST_TIMEOUT }, async () => {
    const agent = await createAgent();
    const post = (json) => call(USERS, { method: 'POST', json });
    assertRefused(await call(USERS, { method: 'POST', body: JSON.stringify({ username: 'x'.repeat(9000), role: 'AGENT' }), headers: { 'content-type': 'application/json' } }), 413, 'too_large');
    assertRefused(await call(USERS, { method: 'POST', body: '{"username": ', headers: { 'content-type': 'application/json' } }), 400, 'bad_request');
    assertRefused(await call(USERS, { method: 'POST', body: '[]', headers: { 'content-type': 'application/json' } }), 400, 'bad_request');
    assertRefused(await call(USERS, { method: 'POST', body: 'username=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type');
    assertRefused(await post({ username: 5, role: 'AGENT' }), 400, 'bad_request');
    assertRefused(await post({ username: ['a'], role: 'AGENT' }), 400, 'bad_request');
    assertRefused(await post({ username: `u-${shortId()}`, role: 'AGENT', isAdmin: true }), 400, 'bad_request');
    assertRefused(await post({ username: `u-${shortId()}`, role: 'CUSTOMER' }), 400, 'bad_request');
    assertRefused(await post({ username: `u-${shortId()}`, role: 'ROOT' }), 400, 'bad_request');
    assertRefused(await post({ username: 'has space', role: 'AGENT' }), 400, 'bad_request');
    assertRefused(await post({ username: '', role: 'AGENT' }), 400, 'bad_request');
    assertRefused(await post({ username: `u-${shortId()}`, role: 'AGENT', password: 'short' }), 400, 'bad_request');
    assertRefused(await post({ username: `u-${shortId()}`, role: 'AGENT', displayName: 'a\u0000b' }), 400, 'bad_request');
    assertRefused(await post({ username: `u-${shortId()}`, role: 'AGENT', maxRooms: '2' }), 400, 'bad_request');
    assertRefused(await post({ username: `u-${shortId()}`, role: 'AGENT', maxRooms: 1.5 }), 400, 'bad_request');
    assertRefused(await post({ username: `u-${shortId()}`, role: 'AGENT', maxRooms: 101 }), 400, 'bad_request');

    const maxRooms = (json) => call(`${USERS}/${agent.id}/max-rooms`, { method: 'PUT', json });
    assertRefused(await maxRooms({ maxRooms: -1 }), 400, 'bad_request');
    assertRefused(await maxRooms({ maxRooms: 1e12 }), 400, 'bad_request');
    assertRefused(await maxRooms({}), 400, 'bad_request');
    assertRefused(await maxRooms({ maxRooms: 2, extra: 1 }), 400, 'bad_request');
    assertRefused(await call(`${USERS}/${admin.id}/max-rooms`, { method: 'PUT', json: { maxRooms: 2 } }), 400, 'bad_request');
    assertRefused(await call(`${USERS}/${agent.id}/password`, { method: 'POST', json: { password: 12345678 } }), 400, 'bad_request');
    assertRefused(await call(`${USERS}/${agent.id}/disable`, { method: 'POST', json: { now: true } }), 400, 'bad_request');

    for (const id of ['u_nobody', 'x'.repeat(129), '%2e%2e', 'a%00b', 'a.b']) {
      assertRefused(await call(`${USERS}/${id}`), 404, 'not_found');
      assertRefused(await call(`${USERS}/${id}/disable`, { method: 'POST', json: {} }), 404, 'not_found');
    }
    assertRefused(await call(`${USERS}/${agent.id}/explode`, { method: 'POST', json: {} }), 404, 'not_found');
    for (const query of ['limit=0', 'limit=201', 'limit=x', 'role=CUSTOMER', 'disabled=maybe', `after=${'a'.repeat(65)}`]) {
      assertRefused(await call(`${USERS}?${query}`), 400, 'bad_request');
    }
    for (const query of ['kind=users&limit=0', 'kind=users&before=-1', 'kind=nope']) {
      assertRefused(await call(`/api/admin/audit?${query}`), 400, 'bad_request');
    }
    // The agent is as it was.
    const read = await call(`${USERS}/${agent.id}`);
    assert.deepEqual(read.json.user, agent.user);
  });
});

describe('disabling and passwords', () => {
  it('disabling an agent ends their sessions at once, takes them out of routing, and enabling lets them back', { timeout: TEST_TIMEOUT }, async (t) => {
    const account = await createAgent();
    const signedIn = await signIn(account.username, account.password);
    const agent = await newAgent(t, server, { id: account.id, name: account.username, token: signedIn.token });
    const raw = await RawStomp.open(server.wsUrl);
    t.after(() => raw.close());
    await raw.connect(signedIn.token);

    const disabled = await call(`${USERS}/${account.id}/disable`, { method: 'POST', json: {} });
    assert.equal(disabled.status, 200, disabled.text);
    assert.equal(disabled.json.user.disabled, true);
    // At once, not at the next revocation sync.
    const frame = await raw.nextFrame('ERROR', 1500);
    assert.equal(frame.headers.message, 'authentication failed: token revoked (account disabled)');
    await raw.waitClosed(3000);
    await waitUntil(() => !agent.session.client.connected, { timeoutMs: 3000, what: 'the agent console to be closed' });
    assertRefused(await login(server, account.username, account.password), 403, 'account_disabled');
    assertRefused(await refresh(server, { jar: signedIn.jar }), 403, 'account_disabled');
    const agents = await call('/api/agents');
    const seen = agents.json.agents.find((a) => a.id === account.id);
    assert.ok(!seen || seen.state === 'offline' || seen.state === 'reconnecting', JSON.stringify(seen));
    // Idempotent: disabling again changes nothing.
    const again = await call(`${USERS}/${account.id}/disable`, { method: 'POST', json: {} });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.changed, false);

    const enabled = await call(`${USERS}/${account.id}/enable`, { method: 'POST' });
    assert.equal(enabled.status, 200, enabled.text);
    assert.equal(enabled.json.user.disabled, false);
    await signIn(account.username, account.password);
  });

  it('nobody disables themselves or the last enabled admin', { timeout: TEST_TIMEOUT }, async () => {
    assertRefused(await call(`${USERS}/${admin.id}/disable`, { method: 'POST', json: {} }), 409, 'cannot_disable_self');
    const username = `boss-${shortId()}`;
    const password = `pw ${randomUUID()}`;
    const created = await call(USERS, { method: 'POST', json: { username, role: 'ADMIN', password } });
    assert.equal(created.status, 201, created.text);
    const boss = await signIn(username, password);
    // Every other admin disabled (the first admin too), by boss.
    const admins = (await call(`${USERS}?role=ADMIN&disabled=false&limit=200`)).json.users;
    for (const other of admins.filter((u) => u.id !== boss.id)) {
      const answer = await call(`${USERS}/${other.id}/disable`, { method: 'POST', json: {}, bearer: boss.token });
      assert.equal(answer.status, 200, answer.text);
    }
    // boss is the last: the CLI may not disable them either.
    const refused = await runUserCommand(server.dir, ['disable', username]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /last enabled admin/);
    for (const other of admins.filter((u) => u.id !== boss.id)) {
      const answer = await call(`${USERS}/${other.id}/enable`, { method: 'POST', json: {}, bearer: boss.token });
      assert.equal(answer.status, 200, answer.text);
    }
    // The first admin's logins were revoked with the disable: sign in again for the next tests.
    admin = await signIn(admin.username, admin.password);
    const disabledBoss = await call(`${USERS}/${boss.id}/disable`, { method: 'POST', json: {} });
    assert.equal(disabledBoss.status, 200, disabledBoss.text);
  });

  it('a password reset replaces the old password and ends every login', { timeout: TEST_TIMEOUT }, async (t) => {
    const account = await createAgent();
    const signedIn = await signIn(account.username, account.password);
    const raw = await RawStomp.open(server.wsUrl);
    t.after(() => raw.close());
    await raw.connect(signedIn.token);

    const reset = await call(`${USERS}/${account.id}/password`, { method: 'POST', json: {} });
    assert.equal(reset.status, 200, reset.text);
    const generated = reset.json.generatedPassword;
    assert.match(generated, /^[A-Za-z2-9]{16}$/);
    const frame = await raw.nextFrame('ERROR', 1500);
    assert.equal(frame.headers.message, 'authentication failed: token revoked (password changed)');
    assertRefused(await login(server, account.username, account.password), 401, 'invalid_credentials');
    assertRefused(await refresh(server, { jar: signedIn.jar }), 401, 'invalid_token');
    await signIn(account.username, generated);

    // A chosen one: not echoed back.
    const chosen = `chosen ${randomUUID()}`;
    const set = await call(`${USERS}/${account.id}/password`, { method: 'POST', json: { password: chosen } });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.json.generatedPassword, undefined);
    assert.doesNotMatch(set.text, new RegExp(chosen));
    assertRefused(await login(server, account.username, generated), 401, 'invalid_credentials');
    await signIn(account.username, chosen);
  });
});

describe('room limits', () => {
  it('an agent with max 1 gets no second room, and a raised limit assigns the waiting customer at once', { timeout: TEST_TIMEOUT }, async (t) => {
    const account = await createAgent();
    const limited = await call(`${USERS}/${account.id}/max-rooms`, { method: 'PUT', json: { maxRooms: 1 } });
    assert.equal(limited.status, 200, limited.text);
    assert.equal(limited.json.user.maxRooms, 1);
    assert.equal(limited.json.appliedToRouting, true);
    const signedIn = await signIn(account.username, account.password);
    await newAgent(t, server, { id: account.id, name: account.username, token: signedIn.token });

    const first = await newCustomer(t, server, { minted: true });
    const second = await newCustomer(t, server, { minted: true });
    // Assigned at once (the first status) or right after a short wait.
    const firstStatus = await requestConsult(first);
    if (firstStatus.status !== 'auto_assigned') await nextStatus(first, { status: 'auto_assigned' });
    assert.equal((await call('/api/agents')).json.agents.find((a) => a.id === account.id).activeRooms, 1);
    const waiting = await requestConsult(second);
    assert.equal(waiting.status, 'waiting');
    const agents = await call('/api/agents');
    const seen = agents.json.agents.find((a) => a.id === account.id);
    assert.equal(seen.maxRooms, 1);
    assert.equal(seen.activeRooms, 1);
    assert.equal(seen.atCapacity, true);
    await assert.rejects(nextStatus(second, { status: 'auto_assigned' }, 1500));

    const raised = await call(`${USERS}/${account.id}/max-rooms`, { method: 'PUT', json: { maxRooms: 2 } });
    assert.equal(raised.status, 200, raised.text);
    await nextStatus(second, { status: 'auto_assigned', agentId: account.id }, 3000);
    // Back to the default (3 unless configured).
    const reset = await call(`${USERS}/${account.id}/max-rooms`, { method: 'PUT', json: { maxRooms: 0 } });
    assert.equal(reset.json.user.maxRooms, 0);
    const after = (await call('/api/agents')).json.agents.find((a) => a.id === account.id);
    assert.equal(after.maxRooms, 3);
  });
});

describe('audit and the CLI', () => {
  it('records every change with the admin, the request id and no password; the CLI shares data and log', { timeout: TEST_TIMEOUT }, async () => {
    const password = `secret ${randomUUID()}`;
    const username = `audited-${shortId()}`;
    const created = await call(USERS, { method: 'POST', json: { username, role: 'AGENT', password } });
    assert.equal(created.status, 201, created.text);
    const id = created.json.user.id;
    const requestId = created.headers.get('x-request-id');
    assert.ok(requestId);
    const reset = await call(`${USERS}/${id}/password`, { method: 'POST', json: {} });
    const generated = reset.json.generatedPassword;
    await call(`${USERS}/${id}/max-rooms`, { method: 'PUT', json: { maxRooms: 4 } });
    await call(`${USERS}/${id}/display-name`, { method: 'PUT', json: { displayName: '새 이름' } });

    // The CLI on the same store: it sees the user, changes them, and is audited.
    const listed = await runUserCommand(server.dir, ['list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(username));
    const cliDisable = await runUserCommand(server.dir, ['disable', username]);
    assert.equal(cliDisable.code, 0, cliDisable.stderr);
    assert.equal((await call(`${USERS}/${id}`)).json.user.disabled, true);
    const cliLimit = await runUserCommand(server.dir, ['max-rooms', username, '2']);
    assert.equal(cliLimit.code, 0, cliLimit.stderr);
    assert.equal((await call(`${USERS}/${id}`)).json.user.maxRooms, 2);

    const log = await call('/api/admin/audit?kind=users&limit=100');
    assert.equal(log.status, 200, log.text);
    assert.doesNotMatch(log.text, new RegExp(password));
    assert.doesNotMatch(log.text, new RegExp(generated));
    const mine = log.json.entries.filter((e) => e.targetId === id);
    assert.deepEqual(mine.map((e) => e.action), ['max_rooms', 'disable', 'rename', 'max_rooms', 'reset_password', 'create']);
    const create = mine.at(-1);
    assert.equal(create.actorId, admin.id);
    assert.equal(create.targetUsername, username);
    assert.equal(create.requestId, requestId);
    assert.match(create.at, /^\d{4}-\d\d-\d\dT/);
    assert.match(mine[0].actorId, /^cli:/);
    assert.equal(mine[0].requestId, '');
    // Paging: newest first, `next` is the cursor.
    const page = await call('/api/admin/audit?kind=users&limit=1');
    assert.equal(page.json.entries.length, 1);
    const older = await call(`/api/admin/audit?kind=users&limit=1&before=${page.json.next}`);
    assert.ok(older.json.entries[0].id < page.json.entries[0].id);
    // The routing audit is still the default kind.
    const routing = await call('/api/admin/audit?limit=1');
    assert.equal(routing.status, 200, routing.text);
    assert.ok(Array.isArray(routing.json.entries));
  });
});
