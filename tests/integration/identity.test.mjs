// Identity end to end: login, guests recognised through the refresh cookie, refresh-token rotation
// and reuse detection, logout, WebSocket tickets, access-token expiry on a live STOMP session and
// /app/auth.refresh, destination rules per role, login throttling, and hostile input on the
// /api/auth endpoints. Users are created with the binary's own `user add` command on the SQLite
// file of the running server, as an operator would.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';

import { CookieJar, apiRequest, guest, login, logout, parseSetCookie, refresh, wsTicket } from './lib/auth-http.mjs';
import { attemptStompJs, closeLegacyStomp, openLegacyStomp, openStompJs, socketFactory } from './lib/clients.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';
import { runUserCommand, startServer } from './lib/server.mjs';
import { decodeToken, expiredToken } from './lib/tokens.mjs';
import { delay, waitUntil } from './lib/util.mjs';

const require = createRequire(import.meta.url);
const SockJS = require('sockjs-client');

const TEST_TIMEOUT = 15000;
const REFRESH_COOKIE = 'aicc_refresh';
const TICKET_VALIDITY = 1;       // seconds, auth.ws-ticket-validity on the main server
const SHORT_TOKEN_VALIDITY = 4;  // seconds, jwt.access-token-validity on the expiry server

// The main server: no grace for a rotated refresh token, one-second tickets, and a failed-login
// limit per address high enough for the hostile-input tests (the per-user one stays at 5).
let server;
// A server whose access tokens live SHORT_TOKEN_VALIDITY seconds, with no clock-skew allowance.
let shortLived;

before(async () => {
  [server, shortLived] = await Promise.all([
    startServer({
      settings: {
        'auth.refresh-reuse-grace': '0',
        'auth.ws-ticket-validity': String(TICKET_VALIDITY),
        'auth.login-attempts-per-address': '1000',
      },
    }),
    startServer({
      settings: {
        'jwt.access-token-validity': String(SHORT_TOKEN_VALIDITY),
        'jwt.clock-skew': '0',
        'auth.refresh-reuse-grace': '0',
      },
    }),
  ]);
});

after(async () => {
  for (const handle of [server, shortLived]) {
    if (!handle) continue;
    const result = await handle.stop();
    assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
  }
});

const shortId = () => randomUUID().slice(0, 8);
// A refusal's body without its requestId (each request has its own): what must not tell one
// refused login from another.
const withoutRequestId = (answer) => {
  const { requestId, ...rest } = JSON.parse(answer.text);
  assert.match(requestId, /^r[0-9a-f]{16}$/);
  return rest;
};

// A user made with `aicc-chat user add` on `target`'s SQLite file; resolves with its credentials.
async function addUser(target, role, { username = `${role}-${shortId()}`, password = `pw ${randomUUID()}` } = {}) {
  const result = await runUserCommand(target.dir, ['add', username, '--role', role, '--password-stdin'], {
    stdin: `${password}\n`,
  });
  assert.equal(result.code, 0, `user add ${username}: ${result.stderr}`);
  return { username, password };
}

// Logs in (must succeed) and resolves with { token, user, jar }.
async function signIn(target, { username, password }, jar = new CookieJar()) {
  const answer = await login(target, username, password, { jar });
  assert.equal(answer.status, 200, `login of ${username}: ${answer.text}`);
  return { token: answer.json.accessToken, user: answer.json.user, jar };
}

// A new guest customer (must succeed) as { token, user, jar }.
async function newGuest(target, displayName, jar = new CookieJar()) {
  const answer = await guest(target, { jar, json: displayName === undefined ? {} : { displayName } });
  assert.equal(answer.status, 200, `guest: ${answer.text}`);
  return { token: answer.json.accessToken, user: answer.json.user, jar };
}

// A raw STOMP client on /ws (plus `query`), CONNECTed with `token` unless `connect` is false (its
// CONNECTED frame in `.connectedFrame`); closed at the end of the test.
async function rawClient(t, target, token, { query = '', connect = true } = {}) {
  const client = await RawStomp.open(`${target.wsUrl}${query}`);
  t.after(() => client.close());
  if (connect) client.connectedFrame = await client.connect(token);
  return client;
}

// The next frame is ERROR with a message matching `message`, and the server closes.
async function expectStompError(client, message) {
  const frame = await client.nextFrame('ERROR', 5000);
  assert.match(frame.headers.message, message);
  await client.waitClosed(5000);
  return frame;
}

// A CONNECT that must be refused with "authentication failed…" (matching `reason`) and a close.
async function expectConnectRefused(t, target, { token = null, query = '', reason } = {}) {
  const client = await rawClient(t, target, null, { query, connect: false });
  await assert.rejects(client.connect(token), (error) => {
    assert.ok(error.frame, `expected an ERROR frame, got: ${error.message}`);
    assert.match(error.frame.headers.message, /^authentication failed/);
    if (reason) assert.match(error.frame.headers.message, reason);
    return true;
  });
  await client.waitClosed(5000);
}

// The answer is the documented error shape: `status` and {error: code, message}.
function assertError(answer, status, code) {
  assert.equal(answer.status, status, `status; body: ${answer.text}`);
  assert.equal(typeof answer.json, 'object', `a JSON error body: ${answer.text}`);
  if (code) assert.equal(answer.json.error, code);
  assert.equal(typeof answer.json.message, 'string');
}

// The refresh cookie the response set, parsed.
function refreshCookieOf(answer) {
  const line = answer.setCookies.find((l) => l.startsWith(`${REFRESH_COOKIE}=`));
  assert.ok(line, `a Set-Cookie for ${REFRESH_COOKIE}: ${JSON.stringify(answer.setCookies)}`);
  return parseSetCookie(line);
}

// SEND with a receipt; resolves with the first RECEIPT or ERROR that answers it.
async function sendAndWait(client, destination, body) {
  const receipt = `r-${shortId()}`;
  client.send('SEND', { destination, receipt, 'content-type': 'application/json' }, JSON.stringify(body));
  return client.nextFrame((f) => f.command === 'ERROR' || (f.command === 'RECEIPT' && f.headers['receipt-id'] === receipt));
}

const nowSeconds = () => Date.now() / 1000;

async function sleepUntilUnix(seconds) {
  const wait = seconds * 1000 - Date.now();
  if (wait > 0) await delay(wait);
}

describe('login', () => {
  it('answers tokens and the user, and the access token CONNECTs over /ws', { timeout: TEST_TIMEOUT }, async (t) => {
    const agent = await addUser(server, 'agent');
    const jar = new CookieJar();
    const answer = await login(server, agent.username, agent.password, { jar });
    assert.equal(answer.status, 200, answer.text);
    const { accessToken, tokenType, expiresIn, user } = answer.json;
    assert.equal(tokenType, 'Bearer');
    assert.equal(expiresIn, 3600);
    assert.match(user.id, /^\S+$/);
    assert.equal(user.username, agent.username);
    assert.equal(user.displayName, agent.username);
    assert.equal(user.role, 'AGENT');
    assert.equal(user.guest, false);
    assert.ok(jar.get(REFRESH_COOKIE), 'the refresh cookie is set');

    const claims = decodeToken(accessToken);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.role, 'AGENT');
    assert.equal(claims.name, agent.username);
    assert.equal(claims.iss, 'aicc-chat');
    assert.equal(claims.exp - claims.iat, 3600);
    assert.ok(claims.jti, 'a jti to revoke it by');
    assert.equal(JSON.parse(Buffer.from(accessToken.split('.')[0], 'base64url')).alg, 'HS256');

    const session = await openStompJs({
      factory: socketFactory(server, 'ws'),
      connectHeaders: { Authorization: `Bearer ${accessToken}` },
    });
    t.after(() => session.close());
    assert.equal(session.connected.headers['user-name'], user.id);
    const inbox = await session.subscribe('/topic/chat');
    const content = `hello from ${randomUUID()}`;
    session.publish('/app/chat.send', { content });
    const message = await inbox.next((m) => m.json?.content === content);
    assert.equal(message.json.sender, agent.username);
  });

  it('gives a wrong password and an unknown user the same 401 and the same body', { timeout: TEST_TIMEOUT }, async () => {
    const customer = await addUser(server, 'customer');
    const wrongPassword = await login(server, customer.username, `${customer.password}x`);
    const unknownUser = await login(server, `nobody-${shortId()}`, customer.password);
    assertError(wrongPassword, 401, 'invalid_credentials');
    assert.equal(unknownUser.status, wrongPassword.status);
    assert.deepEqual(withoutRequestId(unknownUser), withoutRequestId(wrongPassword));
    assert.deepEqual(unknownUser.setCookies, [], 'no cookie for a failed login');
    // Outside demo mode there are no demo users.
    const demo = await login(server, 'user1', '1234');
    assert.deepEqual(withoutRequestId(demo), withoutRequestId(wrongPassword));
    // The right password still works afterwards.
    await signIn(server, customer);
  });

  it('sets the refresh cookie HttpOnly, SameSite=Strict, Path=/api/auth, for 30 days', { timeout: TEST_TIMEOUT }, async () => {
    const customer = await addUser(server, 'customer');
    const answer = await login(server, customer.username, customer.password);
    assert.equal(answer.status, 200);
    const cookie = refreshCookieOf(answer);
    assert.match(cookie.value, /^[0-9A-Za-z_-]{32,}$/, 'an opaque random value');
    assert.equal(cookie.attributes.httponly, true);
    assert.equal(cookie.attributes.samesite, 'Strict');
    assert.equal(cookie.attributes.path, '/api/auth');
    assert.equal(cookie.attributes['max-age'], String(30 * 24 * 3600));
    assert.equal(cookie.attributes.secure, undefined, 'not Secure over plain HTTP unless configured');
    assert.ok(!answer.text.includes(cookie.value), 'the refresh token is not in the JSON body');

    // Guests get the same cookie; logout clears it with the same attributes.
    const visitor = await guest(server);
    assert.deepEqual(refreshCookieOf(visitor).attributes, cookie.attributes);
    const out = await logout(server, answer.json.accessToken, { headers: { cookie: `${REFRESH_COOKIE}=${cookie.value}` } });
    assert.equal(out.status, 204);
    const cleared = refreshCookieOf(out);
    assert.equal(cleared.value, '');
    assert.equal(cleared.attributes['max-age'], '0');
    assert.equal(cleared.attributes.path, '/api/auth');
    assert.equal(cleared.attributes.httponly, true);
  });

  it('refuses a login without username or password with 400', { timeout: TEST_TIMEOUT }, async () => {
    assertError(await apiRequest(server, '/api/auth/login', { json: { username: 'someone' } }), 400, 'bad_request');
    assertError(await apiRequest(server, '/api/auth/login', { json: { password: 'something' } }), 400, 'bad_request');
    assertError(await apiRequest(server, '/api/auth/login', { body: '' }), 400, 'bad_request');
  });
});

describe('login throttling', () => {
  const PER_USER = 3;
  const PER_ADDRESS = 8;
  const WINDOW = 60;
  let throttled;

  before(async () => {
    throttled = await startServer({
      settings: {
        'auth.login-attempts-per-user': String(PER_USER),
        'auth.login-attempts-per-address': String(PER_ADDRESS),
        'auth.login-window': String(WINDOW),
      },
    });
  });

  after(async () => {
    if (!throttled) return;
    const result = await throttled.stop();
    assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
  });

  function assertRateLimited(answer) {
    assertError(answer, 429, 'rate_limited');
    const retryAfter = Number(answer.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW,
      `Retry-After in whole seconds within the window: ${answer.headers.get('retry-after')}`);
  }

  it('answers 429 with Retry-After once one username failed too often, even to the right password', { timeout: TEST_TIMEOUT }, async () => {
    const victim = await addUser(throttled, 'agent');
    for (let i = 0; i < PER_USER; i += 1) {
      assertError(await login(throttled, victim.username, `guess ${i}`), 401, 'invalid_credentials');
    }
    assertRateLimited(await login(throttled, victim.username, 'one more guess'));
    const rightPassword = await login(throttled, victim.username, victim.password);
    assertRateLimited(rightPassword);
    assert.deepEqual(rightPassword.setCookies, [], 'no session while limited');

    // Another user from the same address is not locked out by the victim's failures.
    const bystander = await addUser(throttled, 'customer');
    await signIn(throttled, bystander);
  });

  it('answers 429 once one address failed too often, whatever the username', { timeout: TEST_TIMEOUT }, async () => {
    let limited = null;
    for (let i = 0; i < PER_ADDRESS + 1 && !limited; i += 1) {
      const answer = await login(throttled, `spray-${shortId()}`, 'password');
      if (answer.status === 429) limited = answer;
      else assertError(answer, 401, 'invalid_credentials');
    }
    assert.ok(limited, `no 429 after ${PER_ADDRESS + 1} failures from one address`);
    assertRateLimited(limited);
    assertRateLimited(await login(throttled, `fresh-${shortId()}`, 'password'));
    // Without server.trust-proxy a forged X-Forwarded-For does not make a new address.
    for (const forwarded of ['10.1.2.3', '203.0.113.7, 127.0.0.1']) {
      assertRateLimited(await login(throttled, `fresh-${shortId()}`, 'password', { headers: { 'x-forwarded-for': forwarded } }));
    }
  });

  it('behind a trusted proxy counts the address the proxy added, whatever the client wrote before it', { timeout: TEST_TIMEOUT }, async (t) => {
    const proxied = await startServer({
      settings: {
        'server.trust-proxy': 'true',
        'auth.login-attempts-per-user': '100',
        'auth.login-attempts-per-address': String(PER_ADDRESS),
        'auth.login-window': String(WINDOW),
      },
    });
    t.after(() => proxied.stop());
    // The client forges a different first hop each time; the proxy's hop (last) stays the same.
    for (let i = 0; i < PER_ADDRESS; i += 1) {
      const answer = await login(proxied, `spray-${shortId()}`, 'password', {
        headers: { 'x-forwarded-for': `198.51.100.${i}, 192.0.2.10` },
      });
      assertError(answer, 401, 'invalid_credentials');
    }
    assertRateLimited(await login(proxied, `fresh-${shortId()}`, 'password', { headers: { 'x-forwarded-for': '203.0.113.99, 192.0.2.10' } }));
    // Another client behind the same proxy is another address.
    assertError(await login(proxied, `fresh-${shortId()}`, 'password', { headers: { 'x-forwarded-for': '192.0.2.11' } }), 401, 'invalid_credentials');
  });

  it('limits the creation of new guests per address, but never a returning one', { timeout: TEST_TIMEOUT }, async () => {
    const returning = await newGuest(throttled, 'Regular');
    let limited = null;
    for (let i = 0; i < 80 && !limited; i += 1) {
      const answer = await guest(throttled);
      if (answer.status === 429) limited = answer;
      else assert.equal(answer.status, 200, answer.text);
    }
    assert.ok(limited, 'no 429 after 80 new guests in a row from one address');
    assertRateLimited(limited);
    const back = await guest(throttled, { jar: returning.jar });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.json.user.id, returning.user.id);
  });
});

describe('guests', () => {
  it('creates a guest customer whose token CONNECTs', { timeout: TEST_TIMEOUT }, async (t) => {
    const visitor = await newGuest(server, '손님 Kim');
    assert.match(visitor.user.id, /^g_/);
    assert.equal(visitor.user.guest, true);
    assert.equal(visitor.user.role, 'CUSTOMER');
    assert.equal(visitor.user.displayName, '손님 Kim');
    assert.equal(visitor.user.username, null);
    const claims = decodeToken(visitor.token);
    assert.equal(claims.sub, visitor.user.id);
    assert.equal(claims.role, 'CUSTOMER');
    const client = await rawClient(t, server, visitor.token);
    assert.equal(client.connectedFrame.headers['user-name'], visitor.user.id);
    await client.subscribe('/user/queue/errors');

    const anonymous = await newGuest(server);
    assert.match(anonymous.user.id, /^g_/);
    assert.notEqual(anonymous.user.id, visitor.user.id);
    assert.ok(anonymous.user.displayName.length > 0, 'a default display name');
  });

  it('recognises the same customer after a reload (a new client with the same cookie)', { timeout: TEST_TIMEOUT }, async (t) => {
    const first = await newGuest(server, 'Returning');
    const cookies = [first.jar.get(REFRESH_COOKIE)];
    const tokens = [first.token];
    let jar = first.jar;
    for (let reload = 0; reload < 3; reload += 1) {
      // The reloaded page has only the browser's cookie: a fresh jar holding it.
      jar = new CookieJar([[REFRESH_COOKIE, jar.get(REFRESH_COOKIE)]]);
      const again = await newGuest(server, undefined, jar);
      assert.equal(again.user.id, first.user.id, `reload ${reload}: the same customer`);
      assert.equal(again.user.displayName, 'Returning', 'the name is kept when none is given');
      assert.ok(!cookies.includes(jar.get(REFRESH_COOKIE)), 'the cookie rotates');
      assert.ok(!tokens.includes(again.token), 'a new access token');
      cookies.push(jar.get(REFRESH_COOKIE));
      tokens.push(again.token);
    }
    const client = await rawClient(t, server, tokens.at(-1));
    assert.equal(client.connectedFrame.headers['user-name'], first.user.id);

    // Without the cookie it is somebody new.
    const stranger = await newGuest(server);
    assert.notEqual(stranger.user.id, first.user.id);
  });

  it('never turns a refresh cookie of an agent into that agent on /api/auth/guest', { timeout: TEST_TIMEOUT }, async () => {
    const agent = await signIn(server, await addUser(server, 'agent'));
    const answer = await guest(server, { jar: agent.jar.clone() });
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.json.user.id, /^g_/);
    assert.notEqual(answer.json.user.id, agent.user.id);
    assert.equal(answer.json.user.role, 'CUSTOMER');
    // The agent's own cookie still works on /api/auth/refresh.
    assert.equal((await refresh(server, { jar: agent.jar })).status, 200);
  });

  it('ignores an id in the body: the customer id comes from the cookie only', { timeout: TEST_TIMEOUT }, async () => {
    const victim = await newGuest(server, 'Victim');
    const answer = await guest(server, { json: { id: victim.user.id, userId: victim.user.id, displayName: 'Mallory' } });
    assert.equal(answer.status, 200, answer.text);
    assert.notEqual(answer.json.user.id, victim.user.id);
  });
});

describe('refresh tokens', () => {
  it('rotate on every refresh, from the cookie or from {refreshToken}', { timeout: TEST_TIMEOUT }, async (t) => {
    const customer = await signIn(server, await addUser(server, 'customer'));
    const seen = [customer.jar.get(REFRESH_COOKIE)];

    const fromCookie = await refresh(server, { jar: customer.jar });
    assert.equal(fromCookie.status, 200, fromCookie.text);
    assert.equal(fromCookie.json.tokenType, 'Bearer');
    assert.equal(fromCookie.json.user.id, customer.user.id);
    assert.equal(fromCookie.json.user.role, 'CUSTOMER');
    assert.notEqual(fromCookie.json.accessToken, customer.token);
    const rotated = customer.jar.get(REFRESH_COOKIE);
    assert.ok(rotated && !seen.includes(rotated), 'a new refresh cookie');
    seen.push(rotated);

    // A client without cookies (a native app) sends the token in the body.
    const fromBody = await refresh(server, { json: { refreshToken: rotated } });
    assert.equal(fromBody.status, 200, fromBody.text);
    assert.equal(fromBody.json.user.id, customer.user.id);
    const next = refreshCookieOf(fromBody).value;
    assert.ok(!seen.includes(next));

    // Refreshing does not revoke the access tokens already handed out.
    await rawClient(t, server, customer.token);
    await rawClient(t, server, fromBody.json.accessToken);
  });

  it('a rotated refresh token used again revokes its family, newest token included; other logins keep working', { timeout: TEST_TIMEOUT }, async () => {
    const credentials = await addUser(server, 'customer');
    const laptop = await signIn(server, credentials);
    const phone = await signIn(server, credentials);

    const stolen = laptop.jar.clone();
    assert.equal((await refresh(server, { jar: laptop.jar })).status, 200);
    assert.notEqual(laptop.jar.get(REFRESH_COOKIE), stolen.get(REFRESH_COOKIE));

    // The old token comes back (a thief's copy, or the victim after the thief): reuse.
    const reused = await refresh(server, { jar: stolen });
    assertError(reused, 401, 'token_reused');
    assert.equal(refreshCookieOf(reused).attributes['max-age'], '0', 'the cookie is cleared');
    // The whole family is gone: the newest token too.
    const newest = await refresh(server, { jar: laptop.jar });
    assertError(newest, 401);
    // The phone's login is another family and keeps working.
    const phoneRefresh = await refresh(server, { jar: phone.jar });
    assert.equal(phoneRefresh.status, 200, phoneRefresh.text);
    assert.equal(phoneRefresh.json.user.id, laptop.user.id);
    assert.equal((await refresh(server, { jar: phone.jar })).status, 200);
  });

  it('a reused guest cookie on /api/auth/guest is refused too, not turned into a new guest', { timeout: TEST_TIMEOUT }, async () => {
    const visitor = await newGuest(server, 'Twice');
    const copy = visitor.jar.clone();
    await newGuest(server, undefined, visitor.jar);
    const reused = await guest(server, { jar: copy });
    assertError(reused, 401, 'token_reused');
    // The family is revoked: the legitimate cookie no longer resumes the customer.
    const after = await guest(server, { jar: visitor.jar });
    assert.equal(after.status, 200);
    assert.notEqual(after.json.user.id, visitor.user.id);
  });

  it('refuses a refresh without a token, with an unknown one and with an access token', { timeout: TEST_TIMEOUT }, async () => {
    assertError(await refresh(server), 401, 'invalid_token');
    assertError(await refresh(server, { json: { refreshToken: 'f'.repeat(64) } }), 401, 'invalid_token');
    const customer = await newGuest(server);
    assertError(await refresh(server, { json: { refreshToken: customer.token } }), 401, 'invalid_token');
    assertError(await refresh(server, { headers: { cookie: `${REFRESH_COOKIE}=` } }), 401, 'invalid_token');
  });
});

describe('logout', () => {
  it('ends the live STOMP sessions of that login and revokes its access token and refresh family; other devices stay', { timeout: TEST_TIMEOUT }, async (t) => {
    const credentials = await addUser(server, 'agent');
    const desk = await signIn(server, credentials);
    const laptop = await signIn(server, credentials);
    const bystander = await newGuest(server, 'Bystander');

    const raw = await rawClient(t, server, desk.token);
    await raw.subscribe('/topic/chat');
    const sockjs = await openStompJs({
      factory: socketFactory(server, 'xhr-streaming'),
      connectHeaders: { Authorization: `Bearer ${desk.token}` },
    });
    t.after(() => sockjs.close());
    const onLaptop = await rawClient(t, server, laptop.token);
    await onLaptop.subscribe('/topic/chat');
    const other = await rawClient(t, server, bystander.token);
    await other.subscribe('/topic/chat');
    const ticket = (await wsTicket(server, desk.token)).json.ticket;

    const out = await logout(server, desk.token, { jar: desk.jar });
    assert.equal(out.status, 204, out.text);
    assert.equal(out.text, '');
    assert.equal(desk.jar.get(REFRESH_COOKIE), undefined, 'the cookie is cleared');

    const rawError = await expectStompError(raw, /^authentication failed: token revoked/);
    assert.equal(rawError.headers.message, 'authentication failed: token revoked (signed out)');
    const sockjsError = await sockjs.errors.next(() => true, 5000, 'ERROR over SockJS');
    assert.equal(sockjsError.headers.message, 'authentication failed: token revoked (signed out)');
    await waitUntil(() => !sockjs.client.connected, { timeoutMs: 5000, what: 'the SockJS session to close' });

    // Somebody else's session, and the same user's other device, are untouched.
    const content = `still here ${randomUUID()}`;
    assert.equal((await sendAndWait(other, '/app/chat.send', { content })).command, 'RECEIPT');
    const laptopContent = `laptop ${randomUUID()}`;
    assert.equal((await sendAndWait(onLaptop, '/app/chat.send', { content: laptopContent })).command, 'RECEIPT');

    // The logged-out access token is refused everywhere.
    await expectConnectRefused(t, server, { token: desk.token, reason: /token revoked/ });
    assertError(await wsTicket(server, desk.token), 401, 'invalid_token');
    assertError(await logout(server, desk.token), 401);
    // A ticket issued before the logout dies with its token.
    await expectConnectRefused(t, server, { query: `?ticket=${ticket}` });
  });

  it('revokes the refresh token of the login that logged out, and only that one', { timeout: TEST_TIMEOUT }, async () => {
    const credentials = await addUser(server, 'customer');
    const desk = await signIn(server, credentials);
    const laptop = await signIn(server, credentials);
    const deskCookie = desk.jar.clone();
    assert.equal((await logout(server, desk.token, { jar: desk.jar })).status, 204);
    assertError(await refresh(server, { jar: deskCookie }), 401);
    const stillIn = await refresh(server, { jar: laptop.jar });
    assert.equal(stillIn.status, 200, 'the other device stays signed in');
    // Its fresh access token works.
    const ticket = await wsTicket(server, stillIn.json.accessToken);
    assert.equal(ticket.status, 200);
  });

  it("does not revoke somebody else's refresh token sent along with the logout", { timeout: TEST_TIMEOUT }, async () => {
    const mallory = await newGuest(server, 'Mallory');
    const victim = await newGuest(server, 'Victim');
    const out = await logout(server, mallory.token, { jar: victim.jar.clone() });
    assert.equal(out.status, 204);
    const still = await refresh(server, { jar: victim.jar });
    assert.equal(still.status, 200, still.text);
    assert.equal(still.json.user.id, victim.user.id);
  });

  it('needs a valid bearer token', { timeout: TEST_TIMEOUT }, async () => {
    const none = await apiRequest(server, '/api/auth/logout');
    assertError(none, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    assertError(await logout(server, 'not-a-token'), 401, 'invalid_token');
    assertError(await logout(server, expiredToken(server.secret)), 401, 'invalid_token');
  });
});

describe('WebSocket tickets', () => {
  it('authenticates a CONNECT without credentials on /ws?ticket=, once', { timeout: TEST_TIMEOUT }, async (t) => {
    const visitor = await newGuest(server, 'Ticket holder');
    const answer = await wsTicket(server, visitor.token);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.expiresIn, TICKET_VALIDITY);
    assert.match(answer.json.ticket, /^[0-9A-Za-z_-]{16,}$/);
    assert.notEqual(answer.json.ticket, visitor.token);

    const client = await rawClient(t, server, null, { query: `?ticket=${answer.json.ticket}`, connect: false });
    const connected = await client.connect(null);
    assert.equal(connected.headers['user-name'], visitor.user.id);
    await client.subscribe('/topic/chat');
    assert.equal((await sendAndWait(client, '/app/chat.send', { content: 'via ticket' })).command, 'RECEIPT');

    await expectConnectRefused(t, server, { query: `?ticket=${answer.json.ticket}`, reason: /ticket/ });
  });

  it('refuses a ticket after its validity', { timeout: TEST_TIMEOUT }, async (t) => {
    const visitor = await newGuest(server);
    const answer = await wsTicket(server, visitor.token);
    assert.equal(answer.status, 200);
    // Issued at some whole second s <= now; valid through s + validity.
    await sleepUntilUnix(Math.floor(nowSeconds()) + TICKET_VALIDITY + 1.05);
    await expectConnectRefused(t, server, { query: `?ticket=${answer.json.ticket}`, reason: /ticket/ });
  });

  it('works on a SockJS URL: stompjs 2.3.3 with no CONNECT headers', { timeout: TEST_TIMEOUT }, async (t) => {
    const visitor = await newGuest(server, 'Legacy page');
    const { ticket } = (await wsTicket(server, visitor.token)).json;
    const { client, connected } = await openLegacyStomp(`${server.httpUrl}/ws-chat?ticket=${ticket}`, {});
    t.after(() => closeLegacyStomp(client));
    assert.equal(connected.headers['user-name'], visitor.user.id);
    const content = `legacy ${randomUUID()}`;
    const received = new Promise((resolve) => {
      client.subscribe('/topic/chat', (message) => {
        if (JSON.parse(message.body).content === content) resolve(JSON.parse(message.body));
      });
    });
    client.send('/app/chat.send', {}, JSON.stringify({ content }));
    const message = await Promise.race([received, delay(5000).then(() => null)]);
    assert.ok(message, 'the message came back');
    assert.equal(message.sender, 'Legacy page');
  });

  it('works on a SockJS URL over xhr-polling with @stomp/stompjs, and only once', { timeout: TEST_TIMEOUT }, async (t) => {
    const visitor = await newGuest(server, 'Polling page');
    const { ticket } = (await wsTicket(server, visitor.token)).json;
    const factory = () => new SockJS(`${server.httpUrl}/ws-stomp?ticket=${ticket}`, null, { transports: ['xhr-polling'] });
    const session = await openStompJs({ factory });
    t.after(() => session.close());
    assert.equal(session.connected.headers['user-name'], visitor.user.id);
    await session.subscribe('/topic/chat');

    const second = await attemptStompJs({ factory });
    assert.equal(second.session, undefined, 'a used ticket must not connect again');
    assert.match(second.error?.headers.message ?? '', /^authentication failed/);
  });

  it('needs a valid bearer token', { timeout: TEST_TIMEOUT }, async () => {
    const none = await apiRequest(server, '/api/auth/ws-ticket');
    assertError(none, 401);
    assertError(await wsTicket(server, 'garbage'), 401, 'invalid_token');
    assertError(await wsTicket(server, expiredToken(server.secret)), 401, 'invalid_token');
    const visitor = await newGuest(server);
    assertError(await apiRequest(server, '/api/auth/ws-ticket', { headers: { authorization: `Basic ${visitor.token}` } }), 401);
  });
});

describe('access tokens on a live STOMP session', () => {
  it('refuses SEND and SUBSCRIBE once the token expired; /app/auth.refresh keeps a session alive', { timeout: 20000 }, async (t) => {
    const visitor = await newGuest(shortLived, 'Long stay');
    const first = decodeToken(visitor.token);
    assert.equal(first.exp - first.iat, SHORT_TOKEN_VALIDITY);

    const kept = await rawClient(t, shortLived, visitor.token);
    await kept.subscribe('/topic/chat');
    await kept.subscribe('/user/queue/errors');
    const sender = await rawClient(t, shortLived, visitor.token);
    const subscriber = await rawClient(t, shortLived, visitor.token);

    // A little before the first token runs out, the page refreshes and hands the new token over.
    await sleepUntilUnix(first.iat + SHORT_TOKEN_VALIDITY / 2);
    const renewed = await refresh(shortLived, { jar: visitor.jar });
    assert.equal(renewed.status, 200, renewed.text);
    const second = decodeToken(renewed.json.accessToken);
    assert.ok(second.exp > first.exp, 'the new token outlives the old one');
    const handover = await sendAndWait(kept, '/app/auth.refresh', { accessToken: renewed.json.accessToken });
    assert.equal(handover.command, 'RECEIPT', handover.headers.message);

    await sleepUntilUnix(first.exp + 0.3);
    assert.ok(nowSeconds() < second.exp, 'the check runs while the new token is still valid');

    // Sessions still on the old token are cut at their next frame.
    sender.send('SEND', { destination: '/app/chat.send' }, JSON.stringify({ content: 'too late' }));
    await expectStompError(sender, /^authentication failed: token expired$/);
    subscriber.send('SUBSCRIBE', { id: 's1', destination: '/topic/chat' });
    await expectStompError(subscriber, /^authentication failed: token expired$/);
    await expectConnectRefused(t, shortLived, { token: visitor.token, reason: /expired/ });

    // The session that took the new token goes on.
    const content = `after expiry ${randomUUID()}`;
    const answer = await sendAndWait(kept, '/app/chat.send', { content });
    assert.equal(answer.command, 'RECEIPT', answer.headers.message);
    const message = await kept.nextFrame((f) => f.command === 'MESSAGE' && f.body.includes(content));
    assert.equal(JSON.parse(message.body).sender, 'Long stay');
    assert.ok(kept.isOpen);
  });

  it('refuses /app/auth.refresh with a token of another user on /user/queue/errors, and keeps the connection', { timeout: TEST_TIMEOUT }, async (t) => {
    const alice = await newGuest(server, 'Alice');
    const bob = await newGuest(server, 'Bob');
    const client = await rawClient(t, server, alice.token);
    await client.subscribe('/user/queue/errors', 'errors');
    await client.subscribe('/topic/chat', 'chat');

    const cases = [
      { body: { accessToken: bob.token }, code: 'invalid_token' },
      { body: { accessToken: 'not.a.token' }, code: 'invalid_token' },
      { body: { accessToken: expiredToken(server.secret, { sub: alice.user.id }) }, code: 'invalid_token' },
      { body: { accessToken: 42 }, code: 'bad_request' },
      { body: ['not', 'an', 'object'], code: 'bad_request' },
    ];
    for (const { body, code } of cases) {
      const receipt = `refresh-${shortId()}`;
      client.send('SEND', { destination: '/app/auth.refresh', receipt }, JSON.stringify(body));
      // The refusal answers the SEND instead of a RECEIPT: it carries the receipt id.
      const error = await client.nextFrame((f) => f.command === 'MESSAGE' && f.headers.destination === '/user/queue/errors');
      assert.equal(JSON.parse(error.body).code, code, `for ${JSON.stringify(body).slice(0, 60)}`);
      assert.equal(JSON.parse(error.body).receiptId, receipt);
    }
    // Still Alice, still connected.
    const content = `alice ${randomUUID()}`;
    assert.equal((await sendAndWait(client, '/app/chat.send', { content })).command, 'RECEIPT');
    assert.ok(!client.frames.all.some((f) => f.command === 'RECEIPT' && f.headers['receipt-id']?.startsWith('refresh-')),
      'no refused refresh was receipted');
    const message = await client.nextFrame((f) => f.command === 'MESSAGE' && f.body.includes(content));
    assert.equal(JSON.parse(message.body).sender, 'Alice');
    assert.ok(client.isOpen);
  });
});

describe('destinations by role', () => {
  let customerToken;
  let agentToken;

  before(async () => {
    customerToken = (await newGuest(server, 'Role customer')).token;
    agentToken = (await signIn(server, await addUser(server, 'agent'))).token;
  });

  // What the server answers to one frame on a fresh connection of `token`.
  async function answerTo(t, token, command, destination) {
    const client = await rawClient(t, server, token);
    const receipt = `r-${shortId()}`;
    const headers = { destination, receipt };
    if (command === 'SUBSCRIBE') headers.id = 'sub-0';
    client.send(command, headers, command === 'SEND' ? '{}' : '');
    const frame = await client.nextFrame((f) => f.command === 'ERROR' || (f.command === 'RECEIPT' && f.headers['receipt-id'] === receipt));
    if (frame.command === 'ERROR') await client.waitClosed(5000);
    return frame;
  }

  async function expectForbidden(t, token, command, destination) {
    const frame = await answerTo(t, token, command, destination);
    assert.equal(frame.command, 'ERROR', `${command} ${destination} must be refused`);
    assert.match(frame.headers.message, /^forbidden destination/);
  }

  // Allowed for the role: received (RECEIPT), or refused for a reason other than the role (the
  // handler may not exist yet: "unknown destination").
  async function expectNotForbidden(t, token, command, destination) {
    const frame = await answerTo(t, token, command, destination);
    if (frame.command === 'ERROR') assert.doesNotMatch(frame.headers.message, /forbidden/);
    return frame;
  }

  it('lets only agents subscribe to /topic/consult/**', { timeout: TEST_TIMEOUT }, async (t) => {
    await expectForbidden(t, customerToken, 'SUBSCRIBE', '/topic/consult/request');
    await expectForbidden(t, customerToken, 'SUBSCRIBE', '/topic/consult/updates');
    await expectForbidden(t, customerToken, 'SUBSCRIBE', '/user/queue/agent/assignment');
    assert.equal((await answerTo(t, agentToken, 'SUBSCRIBE', '/topic/consult/request')).command, 'RECEIPT');
    assert.equal((await answerTo(t, agentToken, 'SUBSCRIBE', '/topic/consult/updates')).command, 'RECEIPT');
    // Both may use the lobby.
    assert.equal((await answerTo(t, customerToken, 'SUBSCRIBE', '/topic/chat')).command, 'RECEIPT');
    assert.equal((await answerTo(t, agentToken, 'SUBSCRIBE', '/topic/chat')).command, 'RECEIPT');
  });

  it('lets only agents send to /app/agent.*', { timeout: TEST_TIMEOUT }, async (t) => {
    await expectForbidden(t, customerToken, 'SEND', '/app/agent.login');
    await expectForbidden(t, customerToken, 'SEND', '/app/agent.accept');
    const frame = await expectNotForbidden(t, agentToken, 'SEND', '/app/agent.login');
    if (frame.command === 'ERROR') assert.match(frame.headers.message, /^unknown destination/);
  });

  it('lets only customers send to /app/consult.request', { timeout: TEST_TIMEOUT }, async (t) => {
    await expectForbidden(t, agentToken, 'SEND', '/app/consult.request');
    const frame = await expectNotForbidden(t, customerToken, 'SEND', '/app/consult.request');
    if (frame.command === 'ERROR') assert.match(frame.headers.message, /^unknown destination/);
  });
});

describe('hostile input on the auth endpoints', () => {
  const ENDPOINTS = ['/api/auth/login', '/api/auth/guest', '/api/auth/refresh'];

  it('refuses bodies that are not a JSON object with 400', { timeout: TEST_TIMEOUT }, async () => {
    const bodies = ['{"username":', 'username=a&password=b', '[]', '["user","pw"]', '"text"', '42', 'null', 'true',
      '{"a":'.repeat(40) + '1' + '}'.repeat(40), '\u0000\u0001\u0002', '{"username":"a","password":"b"} trailing'];
    for (const path of ENDPOINTS) {
      for (const body of bodies) {
        const answer = await apiRequest(server, path, { body, headers: { 'content-type': 'application/json' } });
        assertError(answer, 400, 'bad_request');
        assert.deepEqual(answer.setCookies.filter((l) => !l.includes('Max-Age=0')), [], `${path} ${body.slice(0, 20)}`);
      }
    }
  });

  it('refuses a body that is not sent as application/json with 415, before reading it', { timeout: TEST_TIMEOUT }, async () => {
    const agent = await addUser(server, 'agent');
    const credentials = JSON.stringify({ username: agent.username, password: agent.password });
    // What a cross-site form or a "simple" fetch can send without asking the server first.
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', null]) {
      for (const path of ENDPOINTS) {
        const answer = await apiRequest(server, path, {
          body: type === null ? Buffer.from(credentials) : credentials,
          headers: type === null ? {} : { 'content-type': type },
        });
        assertError(answer, 415, 'unsupported_media_type');
        assert.deepEqual(answer.setCookies, [], `${path} with ${type}: no cookie`);
      }
    }
    // The same body as JSON logs in (with a charset parameter too).
    const ok = await apiRequest(server, '/api/auth/login', { body: credentials, headers: { 'content-type': 'application/json; charset=utf-8' } });
    assert.equal(ok.status, 200, ok.text);
  });

  it('refuses the cookie routes to another site: Origin or Sec-Fetch-Site, with 403', { timeout: TEST_TIMEOUT }, async () => {
    const customer = await signIn(server, await addUser(server, 'customer'));
    const stolenRide = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of stolenRide) {
      for (const path of ['/api/auth/refresh', '/api/auth/guest']) {
        const answer = await apiRequest(server, path, { json: {}, jar: customer.jar.clone(), headers });
        assertError(answer, 403, 'forbidden_origin');
        assert.deepEqual(answer.setCookies, [], 'the cookie is neither rotated nor cleared');
      }
      assertError(await logout(server, customer.token, { jar: customer.jar.clone(), headers }), 403, 'forbidden_origin');
    }
    // Nothing was used: the cookie still refreshes from our own page, and from a client that is not
    // a browser.
    const own = await refresh(server, { jar: customer.jar, headers: { origin: server.httpUrl, 'sec-fetch-site': 'same-origin' } });
    assert.equal(own.status, 200, own.text);
    assert.equal((await refresh(server, { jar: customer.jar })).status, 200);
    await server.waitForLog(/cross-site request refused on \/api\/auth\/refresh/);
  });

  it('refuses a 10 KB body with 413', { timeout: TEST_TIMEOUT }, async () => {
    const big = JSON.stringify({ username: 'x'.repeat(10 * 1024), password: 'y' });
    for (const path of ENDPOINTS) assertError(await apiRequest(server, path, { body: big }), 413);
    const bigName = JSON.stringify({ displayName: 'n'.repeat(10 * 1024) });
    assertError(await apiRequest(server, '/api/auth/guest', { body: bigName }), 413);
  });

  it('refuses fields of the wrong type with 400', { timeout: TEST_TIMEOUT }, async () => {
    const logins = [
      { username: 42, password: 'x' },
      { username: 'x', password: 1234 },
      { username: ['agent1'], password: '1234' },
      { username: { $ne: null }, password: { $ne: null } },
      { username: true, password: false },
    ];
    for (const json of logins) assertError(await apiRequest(server, '/api/auth/login', { json }), 400, 'bad_request');
    for (const json of [{ displayName: 5 }, { displayName: ['a'] }, { displayName: {} }]) {
      assertError(await apiRequest(server, '/api/auth/guest', { json }), 400, 'bad_request');
    }
    for (const json of [{ refreshToken: 5 }, { refreshToken: ['x'] }, { refreshToken: {} }]) {
      assertError(await apiRequest(server, '/api/auth/refresh', { json }), 400, 'bad_request');
    }
  });

  it('answers a 2 KB username, NUL bytes and odd text like any wrong login', { timeout: TEST_TIMEOUT }, async () => {
    const reference = await login(server, `nobody-${shortId()}`, 'password');
    assertError(reference, 401, 'invalid_credentials');
    const agent = await addUser(server, 'agent');
    const attempts = [
      ['u'.repeat(2048), 'password'],
      [`${agent.username}\u0000`, agent.password],
      [`${agent.username}\u0000admin`, agent.password],
      [agent.username, `${agent.password}\u0000`],
      ['', agent.password],
      [agent.username, ''],
      [agent.username, 'p'.repeat(4096)],
      ["' OR 1=1 --", "' OR '1'='1"],
      ['\ud83d\ude00', '\u202e'],
    ];
    for (const [username, password] of attempts) {
      const answer = await login(server, username, password);
      assert.equal(answer.status, 401, `${JSON.stringify(username).slice(0, 40)}: ${answer.text}`);
      assert.deepEqual(withoutRequestId(answer), withoutRequestId(reference));
    }
    // Bad UTF-8 in the body.
    const badUtf8 = Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","password":"x"}')]);
    const answer = await apiRequest(server, '/api/auth/login', { body: badUtf8, headers: { 'content-type': 'application/json' } });
    assert.ok(answer.status === 400 || answer.status === 401, `bad UTF-8: ${answer.status}`);
    // The agent is not locked out by others' garbage and still logs in.
    await signIn(server, agent);
  });

  it('refuses guest display names with control characters, NUL or over 64 bytes', { timeout: TEST_TIMEOUT }, async () => {
    for (const displayName of ['a\u0000b', 'line\nbreak', 'tab\there', '\u007f', 'x'.repeat(65), '가'.repeat(22)]) {
      const answer = await apiRequest(server, '/api/auth/guest', { json: { displayName } });
      assertError(answer, 400, 'bad_request');
    }
    // Right at the limit is fine.
    assert.equal((await apiRequest(server, '/api/auth/guest', { json: { displayName: 'x'.repeat(64) } })).status, 200);
  });

  it('refuses odd refresh tokens: 2 KB, NUL bytes, a cookie that is not ours', { timeout: TEST_TIMEOUT }, async () => {
    for (const refreshToken of ['r'.repeat(2048), 'abc\u0000def', '../../etc/passwd', ' ']) {
      assertError(await refresh(server, { json: { refreshToken } }), 401, 'invalid_token');
    }
    for (const cookie of [`${REFRESH_COOKIE}=${'c'.repeat(2048)}`, `${REFRESH_COOKIE}="quoted"`, 'other=1; aicc_refresh', 'garbage']) {
      assertError(await refresh(server, { headers: { cookie } }), 401);
      // On /api/auth/guest a bad cookie is a first visit: a new guest.
      const visitor = await guest(server, { headers: { cookie } });
      assert.equal(visitor.status, 200, `guest with cookie ${cookie.slice(0, 30)}: ${visitor.text}`);
    }
  });

  it('never takes an access token from the URL: ?access_token= does not authenticate', { timeout: TEST_TIMEOUT }, async (t) => {
    const visitor = await newGuest(server, 'URL token');
    for (const name of ['access_token', 'token', 'accessToken', 'ticket']) {
      await expectConnectRefused(t, server, { query: `?${name}=${visitor.token}` });
    }
    // Not over SockJS either.
    const outcome = await attemptStompJs({
      factory: () => new SockJS(`${server.httpUrl}/ws-chat?access_token=${visitor.token}`, null, { transports: ['xhr-streaming'] }),
    });
    assert.equal(outcome.session, undefined);
    assert.match(outcome.error?.headers.message ?? '', /^authentication failed/);
    // The same token in the CONNECT header is fine.
    await rawClient(t, server, visitor.token);
  });

  it('still serves logins after all this', { timeout: TEST_TIMEOUT }, async (t) => {
    const agent = await signIn(server, await addUser(server, 'agent'));
    await rawClient(t, server, agent.token);
    const health = await apiRequest(server, '/health', { method: 'GET' });
    assert.equal(health.status, 200);
  });
});
