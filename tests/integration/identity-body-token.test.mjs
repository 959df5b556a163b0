// The refresh token in the JSON body instead of the cookie ("refreshTokenIn": "body"), for the
// widget embedded in a third-party page, where a cross-site iframe gets no SameSite=Strict cookie:
// login, guest and refresh answer with refreshToken and refreshExpiresIn and set no cookie; guest
// resumes from a body token (the cookie wins when both come); rotation and reuse detection are
// the cookie's; logout revokes the family named in the body; any other refreshTokenIn is a 400.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { CookieJar, apiRequest, guest, login, logout, refresh } from './lib/auth-http.mjs';
import { connectCustomer } from './lib/bot.mjs';
import { runUserCommand, startServer } from './lib/server.mjs';

const TEST_TIMEOUT = 15000;
const REFRESH_VALIDITY = 2592000;  // jwt.refresh-token-validity default, seconds
const BODY = { refreshTokenIn: 'body' };

let server;

before(async () => {
  // No grace for a rotated token, so a reuse is caught at once.
  server = await startServer({ settings: { 'auth.refresh-reuse-grace': '0' } });
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

function assertError(answer, status, code) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.json?.error, code, answer.text);
  assert.ok(typeof answer.json.message === 'string' && answer.json.message.length > 0);
}

// A session answer in body mode: the refresh token in the body, no cookie set.
function assertBodySession(answer) {
  assert.equal(answer.status, 200, answer.text);
  assert.match(answer.json.refreshToken, /^[0-9a-f]{64}$/);
  assert.ok(Math.abs(answer.json.refreshExpiresIn - REFRESH_VALIDITY) <= 2, `refreshExpiresIn ${answer.json.refreshExpiresIn}`);
  assert.equal(answer.json.tokenType, 'Bearer');
  assert.equal(typeof answer.json.accessToken, 'string');
  assert.deepEqual(answer.setCookies, [], 'no Set-Cookie in body mode');
  return answer.json;
}

describe('refresh token in the body', () => {
  it('guest in body mode, refresh with the body token rotates it, the old one reused revokes the family', { timeout: TEST_TIMEOUT }, async (t) => {
    const first = assertBodySession(await guest(server, { json: { ...BODY, displayName: 'Embedded' } }));
    assert.equal(first.user.displayName, 'Embedded');
    assert.equal(first.user.guest, true);
    // The access token works as any other.
    await connectCustomer(t, server, first.accessToken);

    const rotated = assertBodySession(await refresh(server, { json: { ...BODY, refreshToken: first.refreshToken } }));
    assert.equal(rotated.user.id, first.user.id);
    assert.notEqual(rotated.refreshToken, first.refreshToken);
    const again = assertBodySession(await refresh(server, { json: { ...BODY, refreshToken: rotated.refreshToken } }));
    assert.equal(again.user.id, first.user.id);

    // The first token comes back: a stolen copy. Refused, no cookie touched, the family is gone.
    const reused = await refresh(server, { json: { ...BODY, refreshToken: first.refreshToken } });
    assertError(reused, 401, 'token_reused');
    assert.deepEqual(reused.setCookies, []);
    assertError(await refresh(server, { json: { ...BODY, refreshToken: again.refreshToken } }), 401, 'invalid_token');
    // It does not resume the guest either.
    const resumed = await guest(server, { json: { ...BODY, refreshToken: again.refreshToken } });
    assert.equal(resumed.status, 200, resumed.text);
    assert.notEqual(resumed.json.user.id, first.user.id, 'a revoked family gives a new guest');
  });

  it('guest resumes from a body token with the same user id; the token is rotated', { timeout: TEST_TIMEOUT }, async () => {
    const first = assertBodySession(await guest(server, { json: BODY }));
    const resumed = assertBodySession(await guest(server, { json: { ...BODY, refreshToken: first.refreshToken } }));
    assert.equal(resumed.user.id, first.user.id);
    assert.notEqual(resumed.refreshToken, first.refreshToken);
    // Resuming in cookie mode from a body token hands the next token over as a cookie.
    const jar = new CookieJar();
    const toCookie = await guest(server, { jar, json: { refreshToken: resumed.refreshToken } });
    assert.equal(toCookie.status, 200, toCookie.text);
    assert.equal(toCookie.json.user.id, first.user.id);
    assert.equal(toCookie.json.refreshToken, undefined);
    assert.ok(jar.get('aicc_refresh'));
    // The rotated token used again on guest is a reuse, as with the cookie.
    assertError(await guest(server, { json: { ...BODY, refreshToken: first.refreshToken } }), 401, 'token_reused');
  });

  it('the cookie wins when a guest sends both', { timeout: TEST_TIMEOUT }, async () => {
    const jar = new CookieJar();
    const byCookie = await guest(server, { jar, json: { displayName: 'Cookie' } });
    assert.equal(byCookie.status, 200, byCookie.text);
    const byBody = assertBodySession(await guest(server, { json: { ...BODY, displayName: 'Body' } }));
    const both = await guest(server, { jar, json: { refreshToken: byBody.refreshToken } });
    assert.equal(both.status, 200, both.text);
    assert.equal(both.json.user.id, byCookie.json.user.id);
    // The body's token was not used: it still resumes its own guest.
    const own = assertBodySession(await guest(server, { json: { ...BODY, refreshToken: byBody.refreshToken } }));
    assert.equal(own.user.id, byBody.user.id);
  });

  it('login in body mode; refresh and logout with the body token', { timeout: TEST_TIMEOUT }, async () => {
    const username = `embedded-${randomUUID().slice(0, 8)}`;
    const password = `pw ${randomUUID()}`;
    const added = await runUserCommand(server.dir, ['add', username, '--role', 'customer', '--password-stdin'], { stdin: `${password}\n` });
    assert.equal(added.code, 0, added.stderr);
    const session = assertBodySession(await login(server, username, password, { json: { username, password, ...BODY } }));
    assert.equal(session.user.username, username);
    const next = assertBodySession(await refresh(server, { json: { ...BODY, refreshToken: session.refreshToken } }));
    assert.equal(next.user.id, session.user.id);

    // A logout body that is not an object with a string refreshToken is ignored, as it always was;
    // the bearer alone ends its login, the family included.
    for (const body of ['not json', '[]', '{"refreshToken":42}', `{"refreshToken":"${'x'.repeat(9000)}"}`]) {
      const other = assertBodySession(await login(server, username, password, { json: { username, password, ...BODY } }));
      const ignored = await apiRequest(server, '/api/auth/logout', {
        bearer: other.accessToken, body, headers: { 'content-type': 'application/json' },
      });
      assert.equal(ignored.status, 204, ignored.text);
      assertError(await refresh(server, { json: { ...BODY, refreshToken: other.refreshToken } }), 401, 'invalid_token');
    }

    // Logout names the body token: that login's family is revoked.
    const out = await logout(server, next.accessToken, { json: { refreshToken: next.refreshToken } });
    assert.equal(out.status, 204, out.text);
    assertError(await refresh(server, { json: { ...BODY, refreshToken: next.refreshToken } }), 401, 'invalid_token');
  });

  it('cookie mode is unchanged: a cookie and no token in the body', { timeout: TEST_TIMEOUT }, async () => {
    const jar = new CookieJar();
    const answer = await guest(server, { jar, json: { refreshTokenIn: null } });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.refreshToken, undefined);
    assert.equal(answer.json.refreshExpiresIn, undefined);
    assert.ok(jar.get('aicc_refresh'));
    const refreshed = await refresh(server, { jar });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(refreshed.json.refreshToken, undefined);
  });

  it('refuses any other refreshTokenIn with 400 on login, guest and refresh', { timeout: TEST_TIMEOUT }, async () => {
    const bad = ['cookie', 'BODY', 'body ', '', 'header', 1, true, ['body'], { in: 'body' }, 'b'.repeat(4000)];
    for (const refreshTokenIn of bad) {
      for (const [path, extra] of [
        ['/api/auth/login', { username: 'nobody', password: 'x' }],
        ['/api/auth/guest', {}],
        ['/api/auth/refresh', { refreshToken: 'f'.repeat(64) }],
      ]) {
        const answer = await apiRequest(server, path, { json: { ...extra, refreshTokenIn } });
        assertError(answer, 400, 'bad_request');
        assert.match(answer.json.message, /refreshTokenIn/);
        assert.deepEqual(answer.setCookies, []);
      }
    }
    // A body token of another type is refused as well; a missing one is a 401.
    assertError(await guest(server, { json: { ...BODY, refreshToken: 42 } }), 400, 'bad_request');
    assertError(await refresh(server, { json: BODY }), 401, 'invalid_token');
    assertError(await refresh(server, { json: { ...BODY, refreshToken: 'x'.repeat(5000) } }), 401, 'invalid_token');
    // The server still serves.
    assertBodySession(await guest(server, { json: BODY }));
  });
});
