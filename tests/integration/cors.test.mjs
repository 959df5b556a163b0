// CORS for pages on another origin listed in ws.allowed-origins (docs/PROTOCOL.md, "Pages on
// another origin"): /api/auth/* and /api/bot/message answer their preflights and carry
// Access-Control-Allow-Origin (the exact origin, never "*", never with credentials); every other
// route and every other origin gets no CORS header, and a refused preflight says why. Such pages
// get their refresh token in the body (the cookie is SameSite=Strict and stays same-site), and the
// cookie routes still refuse origins that are not listed.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { apiRequest } from './lib/auth-http.mjs';
import { rawHttpRequest } from './lib/http.mjs';
import { connectCustomer } from './lib/bot.mjs';
import { runUserCommand, startServer } from './lib/server.mjs';

const TEST_TIMEOUT = 15000;
const PAGES = 'https://pages.example';
const OTHER_PAGES = 'http://127.0.0.1:9';
const PASSWORD = 'cors-test-password';

let server;

before(async () => {
  server = await startServer({
    settings: { 'ws.allowed-origins': `${PAGES},${OTHER_PAGES},*`, 'auth.refresh-reuse-grace': '0' },
  });
  const added = await runUserCommand(server.dir, ['add', 'corsuser', '--role', 'customer', '--password-stdin'],
    { stdin: `${PASSWORD}\n` });
  assert.equal(added.code, 0, added.stderr);
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

function preflight(path, origin, { method = 'POST', headers = 'content-type' } = {}) {
  const requestHeaders = { Origin: origin, 'Access-Control-Request-Method': method };
  if (headers !== '') requestHeaders['Access-Control-Request-Headers'] = headers;
  return rawHttpRequest(server.port, path, { method: 'OPTIONS', headers: requestHeaders });
}

function assertNoCors(headers, what) {
  for (const name of ['access-control-allow-origin', 'access-control-allow-methods',
    'access-control-allow-headers', 'access-control-allow-credentials']) {
    assert.equal(headers[name], undefined, `${what}: no ${name}`);
  }
}

function assertRefusal(answer, code, why) {
  assert.equal(answer.status, 403, answer.body);
  const body = JSON.parse(answer.body);
  assert.equal(body.error, code, answer.body);
  assert.match(body.message, why);
  assertNoCors(answer.headers, `${code}: ${body.message}`);
}

describe('CORS preflight', () => {
  it('grants the listed origin on the sign-in routes and the bot entry', { timeout: TEST_TIMEOUT }, async () => {
    for (const path of ['/api/auth/login', '/api/auth/guest', '/api/auth/refresh', '/api/auth/logout',
      '/api/auth/ws-ticket', '/api/bot/message']) {
      const answer = await preflight(path, PAGES, { headers: 'authorization, content-type' });
      assert.equal(answer.status, 204, `${path}: ${answer.body}`);
      assert.equal(answer.headers['access-control-allow-origin'], PAGES);
      assert.equal(answer.headers['access-control-allow-methods'], 'POST');
      assert.equal(answer.headers['access-control-allow-headers'], 'Authorization, Content-Type');
      assert.equal(answer.headers['access-control-max-age'], '600');
      assert.equal(answer.headers.vary, 'Origin');
      assert.equal(answer.headers['access-control-allow-credentials'], undefined);
      assert.match(answer.headers['x-request-id'], /^r[0-9a-f]{16}$/);
    }
    const other = await preflight('/api/auth/login', OTHER_PAGES);
    assert.equal(other.headers['access-control-allow-origin'], OTHER_PAGES);
  });

  it('refuses other origins, routes, methods and headers, saying why, with no CORS header', { timeout: TEST_TIMEOUT }, async () => {
    assertRefusal(await preflight('/api/auth/login', 'https://evil.example'), 'forbidden_origin', /not in ws\.allowed-origins.*list the origin itself/);
    assertRefusal(await preflight('/api/auth/login', 'null'), 'forbidden_origin', /opaque origin/);
    assertRefusal(await preflight('/api/auth/login', 'https://PAGES.example'), 'forbidden_origin', /as browsers send it/);
    assertRefusal(await preflight('/api/auth/login', `${PAGES}/`), 'forbidden_origin', /as browsers send it/);
    assertRefusal(await preflight('/api/auth/login', `${PAGES}:8443`), 'forbidden_origin', /not in ws\.allowed-origins/);
    assertRefusal(await preflight('/api/auth/login', `${PAGES}.evil.example`), 'forbidden_origin', /not in ws\.allowed-origins/);
    assertRefusal(await preflight('/api/auth/login', 'https://pages.exampl'), 'forbidden_origin', /not in ws\.allowed-origins/);
    assertRefusal(await preflight('/api/consult/current', PAGES), 'cors_refused', /only on/);
    assertRefusal(await preflight('/api/bot/webhook', PAGES), 'cors_refused', /only on/);
    assertRefusal(await preflight('/api/auth/login', PAGES, { method: 'DELETE' }), 'cors_refused', /only POST/);
    assertRefusal(await preflight('/api/auth/login', PAGES, { headers: 'content-type, x-custom' }), 'cors_refused', /x-custom/);
    // Two Origin headers, each allowed alone.
    const raw = `OPTIONS /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nOrigin: ${PAGES}\r\n`
      + `Origin: ${PAGES}\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n`;
    assertRefusal(await rawHttpRequest(server.port, '/api/auth/login', { raw }), 'forbidden_origin', /one Origin header/);
    await server.waitForLog(/CORS preflight refused \/api\/auth\/login origin="https:\/\/evil\.example"/);
  });

  it('leaves an OPTIONS that is no preflight to the routes, as before', { timeout: TEST_TIMEOUT }, async () => {
    const answer = await rawHttpRequest(server.port, '/api/auth/login', { method: 'OPTIONS' });
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.allow, 'POST');
  });
});

describe('CORS on the answers', () => {
  it('a page of the listed origin signs in, refreshes and logs out with the token in the body', { timeout: TEST_TIMEOUT }, async () => {
    const headers = { origin: PAGES, 'sec-fetch-site': 'cross-site' };
    // It does not ask for the body mode: a cross-origin page gets it anyway, as it gets no cookie.
    const signedIn = await apiRequest(server, '/api/auth/login', { json: { username: 'corsuser', password: PASSWORD }, headers });
    assert.equal(signedIn.status, 200, signedIn.text);
    assert.equal(signedIn.headers.get('access-control-allow-origin'), PAGES);
    assert.equal(signedIn.headers.get('vary'), 'Origin');
    assert.match(signedIn.headers.get('access-control-expose-headers'), /X-Request-Id/);
    assert.equal(signedIn.headers.get('access-control-allow-credentials'), null);
    assert.deepEqual(signedIn.setCookies, [], 'no cookie for a cross-origin page');
    assert.match(signedIn.json.refreshToken, /^[0-9a-f]{64}$/);

    const refreshed = await apiRequest(server, '/api/auth/refresh', { json: { refreshToken: signedIn.json.refreshToken }, headers });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(refreshed.headers.get('access-control-allow-origin'), PAGES);
    assert.deepEqual(refreshed.setCookies, []);
    assert.notEqual(refreshed.json.refreshToken, signedIn.json.refreshToken, 'rotated');

    const ticket = await apiRequest(server, '/api/auth/ws-ticket', { bearer: refreshed.json.accessToken, headers });
    assert.equal(ticket.status, 200, ticket.text);
    assert.equal(ticket.headers.get('access-control-allow-origin'), PAGES);

    const loggedOut = await apiRequest(server, '/api/auth/logout', {
      bearer: refreshed.json.accessToken, json: { refreshToken: refreshed.json.refreshToken }, headers,
    });
    assert.equal(loggedOut.status, 204, loggedOut.text);
    assert.equal(loggedOut.headers.get('access-control-allow-origin'), PAGES);
    assert.deepEqual(loggedOut.setCookies, [], 'a cross-origin logout touches no cookie');
    const afterLogout = await apiRequest(server, '/api/auth/refresh', { json: { refreshToken: refreshed.json.refreshToken }, headers });
    assert.equal(afterLogout.status, 401, 'the login ended with the logout');
    // Refusals carry the header too, so the page can read why.
    assert.equal(afterLogout.headers.get('access-control-allow-origin'), PAGES);
    assert.equal(afterLogout.json.error, 'invalid_token');
  });

  it('a cross-origin guest posts to the bot over HTTP and gets its answer on STOMP', { timeout: TEST_TIMEOUT }, async (t) => {
    const headers = { origin: OTHER_PAGES };
    const guest = await apiRequest(server, '/api/auth/guest', { json: {}, headers });
    assert.equal(guest.status, 200, guest.text);
    assert.equal(guest.headers.get('access-control-allow-origin'), OTHER_PAGES);
    assert.match(guest.json.refreshToken, /^[0-9a-f]{64}$/);
    const { answers } = await connectCustomer(t, server, guest.json.accessToken);
    const posted = await apiRequest(server, '/api/bot/message', { bearer: guest.json.accessToken, json: { message: '환불 문의' }, headers });
    assert.equal(posted.status, 202, posted.text);
    assert.equal(posted.headers.get('access-control-allow-origin'), OTHER_PAGES);
    assert.match(posted.headers.get('access-control-expose-headers'), /X-Request-Id/);
    const answer = await answers.next(() => true, 5000);
    assert.equal(typeof answer.json.botMessage, 'string');
    // A refusal of the bot entry carries it too.
    const refused = await apiRequest(server, '/api/bot/message', { json: { message: 'x' }, headers });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), OTHER_PAGES);
  });

  it('gives no CORS header to other origins, to other routes, nor to the server\'s own pages', { timeout: TEST_TIMEOUT }, async () => {
    const guest = await apiRequest(server, '/api/auth/guest', { json: {} });
    assert.equal(guest.headers.get('access-control-allow-origin'), null, 'no Origin: no CORS');
    assert.equal(guest.setCookies.length, 1, 'no Origin: the cookie as before');

    const own = await apiRequest(server, '/api/auth/guest', { json: {}, headers: { origin: server.httpUrl } });
    assert.equal(own.status, 200, own.text);
    assert.equal(own.headers.get('access-control-allow-origin'), null, 'the own origin needs none');
    assert.equal(own.setCookies.length, 1, 'the own pages keep the cookie');

    const foreign = await apiRequest(server, '/api/auth/login', {
      json: { username: 'corsuser', password: PASSWORD }, headers: { origin: 'https://evil.example' },
    });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    assert.equal(foreign.headers.get('vary'), null);

    const view = await apiRequest(server, '/api/consult/current', { method: 'GET', bearer: guest.json.accessToken, headers: { origin: PAGES } });
    assert.equal(view.status, 200, view.text);
    assert.equal(view.headers.get('access-control-allow-origin'), null, 'views are not opened cross-origin');

    const forged = await apiRequest(server, '/api/auth/guest', { json: {}, headers: { origin: 'https://evil.example', 'x-aicc-cors-origin': 'https://evil.example' } });
    assert.equal(forged.headers.get('access-control-allow-origin'), null, 'the internal mark cannot be sent');
  });

  it('keeps the cookie routes shut to origins that are not listed (the wildcard counts for WebSockets only)', { timeout: TEST_TIMEOUT }, async () => {
    for (const path of ['/api/auth/refresh', '/api/auth/guest']) {
      const answer = await apiRequest(server, path, { json: {}, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
      assert.equal(answer.status, 403, answer.text);
      assert.equal(answer.json.error, 'forbidden_origin');
      assert.equal(answer.headers.get('access-control-allow-origin'), null);
      assert.deepEqual(answer.setCookies, []);
    }
  });
});
