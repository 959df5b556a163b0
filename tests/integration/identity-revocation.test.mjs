// Revocation ends everything of a login at once: a reused (already rotated) refresh token, a
// logout with the bearer token alone, and `aicc-chat user disable` each revoke the login's refresh
// family, refuse every access token it issued (CONNECT, HTTP bearer, WebSocket tickets), and end
// the live STOMP sessions opened with them on every transport (/ws, SockJS, plain TCP) with an
// ERROR that says why. The user's other logins stay. Also: tokens naming a foreign audience or
// living longer than the configured validity are refused.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { CookieJar, login, logout, refresh, wsTicket } from './lib/auth-http.mjs';
import { openStompJs, socketFactory } from './lib/clients.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';
import { runUserCommand, startServer } from './lib/server.mjs';
import { TcpStomp, freeTcpPort } from './lib/tcp-stomp.mjs';
import { mintToken } from './lib/tokens.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 20000;
const REFRESH_COOKIE = 'aicc_refresh';

let server;

before(async () => {
  const tcpPort = await freeTcpPort();
  server = await startServer({
    settings: {
      'auth.refresh-reuse-grace': '0',
      'auth.revocation-sync-interval': '1',
      'stomp.tcp-port': String(tcpPort),
    },
  });
  server.tcpPort = tcpPort;
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

const shortId = () => randomUUID().slice(0, 8);

async function addUser(role) {
  const username = `${role}-${shortId()}`;
  const password = `pw ${randomUUID()}`;
  const result = await runUserCommand(server.dir, ['add', username, '--role', role, '--password-stdin'], {
    stdin: `${password}\n`,
  });
  assert.equal(result.code, 0, `user add ${username}: ${result.stderr}`);
  return { username, password };
}

async function signIn({ username, password }) {
  const jar = new CookieJar();
  const answer = await login(server, username, password, { jar });
  assert.equal(answer.status, 200, `login of ${username}: ${answer.text}`);
  return { token: answer.json.accessToken, user: answer.json.user, jar };
}

// One live session of `token` on each transport, subscribed to /topic/chat.
async function openEverywhere(t, token) {
  const raw = await RawStomp.open(server.wsUrl);
  t.after(() => raw.close());
  await raw.connect(token);
  await raw.subscribe('/topic/chat');
  const tcp = await TcpStomp.open(server.tcpPort);
  t.after(() => tcp.close());
  await tcp.connect(token);
  await tcp.subscribe('/topic/chat');
  const sockjs = await openStompJs({
    factory: socketFactory(server, 'xhr-streaming'),
    connectHeaders: { Authorization: `Bearer ${token}` },
  });
  t.after(() => sockjs.close());
  return { raw, tcp, sockjs };
}

// Every session got ERROR `message` and was closed.
async function expectEnded({ raw, tcp, sockjs }, message) {
  for (const client of [raw, tcp]) {
    const frame = await client.nextFrame('ERROR', 5000);
    assert.equal(frame.headers.message, message);
    await client.waitClosed(5000);
  }
  const error = await sockjs.errors.next(() => true, 5000, 'ERROR over SockJS');
  assert.equal(error.headers.message, message);
  await waitUntil(() => !sockjs.client.connected, { timeoutMs: 5000, what: 'the SockJS session to close' });
}

// A CONNECT with `token` is refused as revoked.
async function expectConnectRefused(t, token) {
  const client = await RawStomp.open(server.wsUrl);
  t.after(() => client.close());
  await assert.rejects(client.connect(token), (error) => {
    assert.equal(error.frame?.headers.message, 'authentication failed: token revoked');
    return true;
  });
}

// The session still answers a receipted SEND.
async function expectAlive(client) {
  const receipt = `r-${shortId()}`;
  client.send('SEND', { destination: '/app/chat.send', receipt, 'content-type': 'application/json' },
    JSON.stringify({ content: `still here ${randomUUID()}` }));
  const frame = await client.nextFrame((f) => f.command === 'ERROR' || f.command === 'RECEIPT');
  assert.equal(frame.command, 'RECEIPT', JSON.stringify(frame.headers));
}

describe('revocation of a login', () => {
  it('reuse of a rotated refresh token ends the login\'s sessions and refuses all its access tokens', { timeout: TEST_TIMEOUT }, async (t) => {
    const credentials = await addUser('customer');
    const victim = await signIn(credentials);
    const phone = await signIn(credentials);
    const stolen = victim.jar.clone();
    const rotated = await refresh(server, { jar: victim.jar });
    assert.equal(rotated.status, 200, rotated.text);
    const newest = rotated.json.accessToken;
    const ticket = (await wsTicket(server, newest)).json.ticket;

    const sessions = await openEverywhere(t, victim.token);
    const newestSession = await RawStomp.open(server.wsUrl);
    t.after(() => newestSession.close());
    await newestSession.connect(newest);
    const onPhone = await RawStomp.open(server.wsUrl);
    t.after(() => onPhone.close());
    await onPhone.connect(phone.token);

    const reused = await refresh(server, { jar: stolen });
    assert.equal(reused.status, 401, reused.text);
    assert.equal(reused.json.error, 'token_reused');

    const why = 'authentication failed: token revoked (refresh token reused)';
    await expectEnded(sessions, why);
    assert.equal((await newestSession.nextFrame('ERROR', 5000)).headers.message, why);
    // Every access token of the login is refused: on CONNECT, as a bearer, through a ticket.
    await expectConnectRefused(t, victim.token);
    await expectConnectRefused(t, newest);
    const bearer = await wsTicket(server, newest);
    assert.equal(bearer.status, 401, bearer.text);
    assert.equal(bearer.json.error, 'invalid_token');
    const viaTicket = await RawStomp.open(`${server.wsUrl}?ticket=${ticket}`);
    t.after(() => viaTicket.close());
    await assert.rejects(viaTicket.connect(null));
    // The same user's other login is untouched.
    await expectAlive(onPhone);
    assert.equal((await refresh(server, { jar: phone.jar })).status, 200);
  });

  it('logout with only the bearer token ends the whole login, its refresh token included', { timeout: TEST_TIMEOUT }, async (t) => {
    const credentials = await addUser('agent');
    const desk = await signIn(credentials);
    const other = await signIn(credentials);
    const refreshed = await refresh(server, { jar: desk.jar });
    assert.equal(refreshed.status, 200, refreshed.text);
    // A session opened with another access token of the same login.
    const sessions = await openEverywhere(t, refreshed.json.accessToken);
    const onOther = await RawStomp.open(server.wsUrl);
    t.after(() => onOther.close());
    await onOther.connect(other.token);

    // No cookie, no body: the bearer alone.
    const out = await logout(server, desk.token);
    assert.equal(out.status, 204, out.text);

    await expectEnded(sessions, 'authentication failed: token revoked (signed out)');
    const again = await refresh(server, { jar: desk.jar });
    assert.equal(again.status, 401, again.text);
    await expectConnectRefused(t, refreshed.json.accessToken);
    await expectAlive(onOther);
  });

  it('aicc-chat user disable ends the live sessions of every login of the user', { timeout: TEST_TIMEOUT }, async (t) => {
    const credentials = await addUser('agent');
    const first = await signIn(credentials);
    const second = await signIn(credentials);
    const bystander = await signIn(await addUser('agent'));
    const sessions = await openEverywhere(t, first.token);
    const secondSession = await RawStomp.open(server.wsUrl);
    t.after(() => secondSession.close());
    await secondSession.connect(second.token);
    const onBystander = await RawStomp.open(server.wsUrl);
    t.after(() => onBystander.close());
    await onBystander.connect(bystander.token);

    const disabled = await runUserCommand(server.dir, ['disable', credentials.username]);
    assert.equal(disabled.code, 0, disabled.stderr);

    const why = 'authentication failed: token revoked (account disabled)';
    await expectEnded(sessions, why);
    assert.equal((await secondSession.nextFrame('ERROR', 5000)).headers.message, why);
    await expectConnectRefused(t, second.token);
    await expectAlive(onBystander);
  });
});

describe('access tokens are held to what the server issues', () => {
  it('refuses a token with a foreign audience or a lifetime longer than the configured validity', { timeout: TEST_TIMEOUT }, async (t) => {
    const refusedWith = async (token, reason) => {
      const client = await RawStomp.open(server.wsUrl);
      t.after(() => client.close());
      await assert.rejects(client.connect(token), (error) => {
        assert.equal(error.frame?.headers.message, `authentication failed: ${reason}`);
        return true;
      });
      const bearer = await wsTicket(server, token);
      assert.equal(bearer.status, 401, bearer.text);
      assert.equal(bearer.json.message, reason);
    };
    // Signed with the right key, so only these checks stand in the way.
    await refusedWith(mintToken({ secret: server.secret, claims: { aud: 'another-service' } }), 'wrong audience');
    await refusedWith(mintToken({ secret: server.secret, ttlSeconds: 10 * 365 * 24 * 3600 }),
      'token lifetime longer than allowed');
    // The same token with the configured lifetime is fine.
    const fine = await RawStomp.open(server.wsUrl);
    t.after(() => fine.close());
    await fine.connect(mintToken({ secret: server.secret, ttlSeconds: 3600 }));
  });
});
