// web/js/aicc-session.js against the real binary: sign-in over the HTTP API, STOMP over /ws and
// SockJS, a page reload that resumes from the refresh cookie, a server restart on the same port,
// access tokens that expire under a live connection, and a logout from elsewhere.
//
// Node's fetch keeps no cookies, so each "browser" here is a fetch with a tiny cookie jar; a new
// ChatSession sharing that jar is what a reloaded page is.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';

import WebSocket from 'ws';

import { ChatSession } from '../../web/js/aicc-session.js';
import { CookieJar, guest as guestRequest, login as loginRequest, logout as logoutRequest } from './lib/auth-http.mjs';
import { openStompJs, socketFactory } from './lib/clients.mjs';
import { Inbox } from './lib/inbox.mjs';
import { createServerDir, removeServerDir, startServer } from './lib/server.mjs';
import { delay, waitUntil } from './lib/util.mjs';

const require = createRequire(import.meta.url);
const SockJS = require('sockjs-client');

// fetch with a cookie jar, as a browser does it for this server: the cookies set by /api/auth/*
// (Path=/api/auth) go back to /api/auth/* only.
function browserFetch() {
  const jar = new CookieJar();
  const jarFetch = async (url, init = {}) => {
    const headers = new Headers(init.headers);
    const cookie = jar.header();
    if (new URL(url).pathname.startsWith('/api/auth/') && cookie !== undefined) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers });
    const setCookies = response.headers.getSetCookie();
    jar.store(setCookies);
    if (setCookies.length > 0) jarFetch.lastSetCookie = setCookies.at(-1);
    return response;
  };
  jarFetch.jar = jar;
  return jarFetch;
}

// A WebSocket class that counts the sockets a session opens.
function countingWebSocket() {
  const counter = { opened: 0 };
  counter.WebSocketImpl = class extends WebSocket {
    constructor(...args) {
      super(...args);
      counter.opened += 1;
    }
  };
  return counter;
}

const sessions = [];

// A ChatSession as a page would make it, plus what it reported.
function pageSession(server, { fetchImpl = browserFetch(), ...options } = {}) {
  const statuses = [];
  const errors = [];
  const session = new ChatSession({
    baseUrl: server.httpUrl,
    WebSocketImpl: WebSocket,
    SockJS,
    fetchImpl,
    backoff: { initialMs: 100, maxMs: 1000, factor: 2 },
    onStatus: (status, detail) => statuses.push({ status, ...detail }),
    onError: (error) => errors.push(error),
    ...options,
  });
  sessions.push(session);
  return { session, statuses, errors, fetchImpl, names: () => statuses.map((entry) => entry.status) };
}

// Subscribes through the session; returns an Inbox of the parsed bodies.
function inboxOf(session, destination, options) {
  const inbox = new Inbox(`message on ${destination}`);
  inbox.unsubscribe = session.subscribe(destination, (data) => inbox.push(data), options);
  return inbox;
}

function chatFrom(tag) {
  return (message) => message.content === tag;
}

after(async () => {
  for (const session of sessions) await session.disconnect();
});

describe('session module: sign-in, reload and logout (demo users)', () => {
  let server;

  before(async () => {
    server = await startServer({ settings: { demo: 'true' } });
  });

  after(async () => {
    const { code, stderr } = await server.stop();
    assert.equal(code, 0, stderr);
  });

  it('login, connect over /ws and receive a /topic/chat broadcast', { timeout: 15000 }, async () => {
    const { session, names } = pageSession(server);
    const user = await session.login('user1', '1234');
    assert.equal(user.username, 'user1');
    assert.equal(user.role, 'CUSTOMER');
    const chat = inboxOf(session, '/topic/chat');
    session.connect();
    await session.whenConnected({ timeoutMs: 5000 });
    const tag = `login-${randomUUID()}`;
    assert.equal(session.publish('/app/chat.send', { content: tag }), true);
    const message = await chat.next(chatFrom(tag), 5000);
    assert.equal(message.sender, 'user1');
    assert.deepEqual(names(), ['disconnected', 'connecting', 'connected']);
  });

  it('publishes queued before connect() go out once connected, in order', { timeout: 15000 }, async () => {
    const { session } = pageSession(server);
    await session.login('user1', '1234');
    const tag = `queued-${randomUUID()}`;
    for (let i = 0; i < 5; i += 1) session.publish('/app/chat.send', { content: `${tag}-${i}` });
    const chat = inboxOf(session, '/topic/chat');
    session.connect();
    await chat.waitForCount(5, 5000);
    assert.deepEqual(chat.all.map((message) => message.content), [0, 1, 2, 3, 4].map((i) => `${tag}-${i}`));
  });

  it('guest over SockJS (xhr-streaming) receives broadcasts', { timeout: 15000 }, async () => {
    const { session } = pageSession(server, { useSockJS: true, sockjsOptions: { transports: ['xhr-streaming'] } });
    const user = await session.guest('Sock Guest');
    assert.equal(user.guest, true);
    const chat = inboxOf(session, '/topic/chat');
    session.connect();
    await session.whenConnected({ timeoutMs: 5000 });
    const tag = `sockjs-${randomUUID()}`;
    session.publish('/app/chat.send', { content: tag });
    const message = await chat.next(chatFrom(tag), 5000);
    assert.equal(message.sender, 'Sock Guest');
  });

  it('a reloaded page resumes the same guest from the cookie alone and reconnects', { timeout: 15000 }, async () => {
    const browser = browserFetch();
    const first = pageSession(server, { fetchImpl: browser });
    const guest = await first.session.guest('Kim');
    assert.match(browser.lastSetCookie, /^aicc_refresh=[^;]+;.*HttpOnly/i);
    assert.match(browser.lastSetCookie, /Path=\/api\/auth/);
    first.session.connect();
    await first.session.whenConnected({ timeoutMs: 5000 });
    const cookieBefore = browser.jar.get('aicc_refresh');
    await first.session.disconnect();  // beforeunload

    // The reloaded page: a new module instance, nothing in memory, the same cookie jar.
    const second = pageSession(server, { fetchImpl: browser });
    const resumed = await second.session.resume();
    assert.equal(resumed.id, guest.id);
    assert.equal(resumed.displayName, 'Kim');
    assert.equal(resumed.role, 'CUSTOMER');
    assert.notEqual(browser.jar.get('aicc_refresh'), cookieBefore, 'the refresh token rotates');
    const chat = inboxOf(second.session, '/topic/chat');
    second.session.connect();
    await second.session.whenConnected({ timeoutMs: 5000 });
    const tag = `reload-${randomUUID()}`;
    second.session.publish('/app/chat.send', { content: tag });
    assert.equal((await chat.next(chatFrom(tag), 5000)).sender, 'Kim');

    // A browser without the cookie has nobody to resume.
    const stranger = pageSession(server);
    assert.equal(await stranger.session.resume(), null);
    assert.equal(stranger.session.status, 'signed-out');
  });

  it('apiFetch calls the HTTP API with the bearer token', { timeout: 10000 }, async () => {
    const { session } = pageSession(server);
    await session.guest('Ticket');
    const response = await session.apiFetch('/api/auth/ws-ticket', { method: 'POST' });
    assert.equal(response.status, 200);
    assert.equal(typeof (await response.json()).ticket, 'string');
  });

  it('logout() ends the session here and on the server: a reload finds nobody', { timeout: 15000 }, async () => {
    const browser = browserFetch();
    const { session, names } = pageSession(server, { fetchImpl: browser });
    await session.login('user1', '1234');
    session.connect();
    await session.whenConnected({ timeoutMs: 5000 });
    await session.logout();
    assert.equal(session.status, 'signed-out');
    assert.equal(session.user, null);
    assert.equal(browser.jar.get('aicc_refresh'), undefined, 'the server cleared the cookie');
    assert.deepEqual(names(), ['disconnected', 'connecting', 'connected', 'signed-out']);
    const reloaded = pageSession(server, { fetchImpl: browser });
    assert.equal(await reloaded.session.resume(), null);
  });

  it('a logout in another tab of the same browser signs the page out without a reconnect loop', { timeout: 15000 }, async () => {
    const sockets = countingWebSocket();
    const browser = browserFetch();
    const { session, statuses } = pageSession(server, { WebSocketImpl: sockets.WebSocketImpl, fetchImpl: browser });
    const user = await session.login('agent1', '1234');
    assert.equal(user.role, 'AGENT');
    session.connect();
    await session.whenConnected({ timeoutMs: 5000 });
    assert.equal(sockets.opened, 1);

    // A second tab shares the cookie, so it resumes the same login, then logs out.
    const tab = pageSession(server, { fetchImpl: browser });
    assert.equal((await tab.session.resume()).id, user.id);
    await tab.session.logout();

    await waitUntil(() => session.status === 'signed-out', { timeoutMs: 5000, what: 'signed-out' });
    assert.equal(statuses.at(-1).reason, 'token revoked');
    await delay(1500);
    assert.equal(sockets.opened, 1, 'no reconnect after the revocation');
    assert.equal(statuses.at(-1).status, 'signed-out');
    assert.equal(session.publish('/app/chat.send', { content: 'after logout' }), false);
  });

  it('a logout on another device leaves this page connected', { timeout: 15000 }, async () => {
    const { session } = pageSession(server);
    await session.login('agent2', '1234');
    session.connect();
    await session.whenConnected({ timeoutMs: 5000 });
    const inbox = inboxOf(session, '/topic/chat');

    const other = await loginRequest(server, 'agent2', '1234');
    assert.equal((await logoutRequest(server, other.json.accessToken)).status, 204);

    await delay(500);
    assert.equal(session.status, 'connected');
    const tag = `still here ${Date.now()}`;
    session.publish('/app/chat.send', { content: tag });
    await inbox.next(chatFrom(tag), 5000);
  });
});

describe('session module: a server restart on the same port', () => {
  let dataDir;
  let first;
  let second;

  before(async () => {
    dataDir = await createServerDir();
  });

  after(async () => {
    await first?.stop();
    if (second) {
      const { code, stderr } = await second.stop();
      assert.equal(code, 0, stderr);
    }
    await removeServerDir(dataDir);
  });

  it('reconnects with backoff after "server shutting down" and resubscribes', { timeout: 30000 }, async () => {
    // Both servers share the folder (database) and the key, as one deployment restarted would.
    first = await startServer({ dir: dataDir });
    const sockets = countingWebSocket();
    const { session, statuses, errors, names } = pageSession(first, { WebSocketImpl: sockets.WebSocketImpl });
    const guest = await session.guest('Restart');
    const chat = inboxOf(session, '/topic/chat');
    session.connect();
    await session.whenConnected({ timeoutMs: 5000 });

    const { code } = await first.stop();
    assert.equal(code, 0);
    await waitUntil(() => session.status === 'reconnecting', { what: 'reconnecting' });
    assert.ok(errors.some((error) => error.code === 'stomp_error' && /server shutting down/.test(error.message)),
      errors.map((error) => error.message).join('; '));
    await delay(600);  // some refused attempts while nothing listens
    const refusedAttempts = sockets.opened - 1;

    second = await startServer({ dir: dataDir, secret: first.secret, settings: { 'server.port': String(first.port) } });
    await session.whenConnected({ timeoutMs: 10000 });
    assert.equal(session.user.id, guest.id);

    const tag = `restart-${randomUUID()}`;
    session.publish('/app/chat.send', { content: tag });
    await chat.next(chatFrom(tag), 5000);
    await delay(300);
    assert.equal(chat.all.filter(chatFrom(tag)).length, 1, 'one subscription after the reconnect, not two');

    const retries = statuses.filter((entry) => entry.status === 'reconnecting');
    assert.ok(refusedAttempts >= 1, `attempts while the server was down: ${refusedAttempts}`);
    for (const [index, entry] of retries.entries()) {
      assert.equal(entry.attempt, index + 1);
      assert.ok(entry.delayMs >= 0 && entry.delayMs < Math.min(1000, 100 * 2 ** index), JSON.stringify(entry));
    }
    assert.deepEqual([...new Set(names())], ['disconnected', 'connecting', 'connected', 'reconnecting']);
  });
});

describe('session module: access tokens that expire under a live connection', () => {
  let server;

  before(async () => {
    // 3 s tokens and no clock-skew allowance: a connection that kept its first token is refused.
    server = await startServer({ settings: { 'jwt.access-token-validity': '3', 'jwt.clock-skew': '0' } });
  });

  after(async () => {
    const { code, stderr } = await server.stop();
    assert.equal(code, 0, stderr);
  });

  it('the proactive refresh and /app/auth.refresh keep one connection working past expiry', { timeout: 20000 }, async () => {
    const sockets = countingWebSocket();
    const { session, names, fetchImpl } = pageSession(server, { WebSocketImpl: sockets.WebSocketImpl });
    await session.guest('Long Chat');
    const chat = inboxOf(session, '/topic/chat');
    session.connect();
    await session.whenConnected({ timeoutMs: 5000 });

    // The control: a client that never refreshes is cut once its token expires (by the server at
    // the expiry, or at its next frame).
    const { json: other } = await guestRequest(server);
    const stale = await openStompJs({ factory: socketFactory(server, 'ws'), connectHeaders: { Authorization: `Bearer ${other.accessToken}` } });

    await delay(5500);
    if (stale.client.connected) stale.publish('/app/chat.send', { content: 'too late' });
    const refused = await stale.errors.next(() => true, 5000);
    assert.match(refused.headers.message, /^authentication failed: token expired/);
    await stale.close();

    const tag = `expiry-${randomUUID()}`;
    assert.equal(session.publish('/app/chat.send', { content: tag }), true);
    assert.equal((await chat.next(chatFrom(tag), 5000)).sender, 'Long Chat');
    assert.equal(sockets.opened, 1, 'the same connection all along');
    assert.deepEqual(names(), ['disconnected', 'connecting', 'connected']);
    assert.ok(fetchImpl.jar.get('aicc_refresh'));
  });

  it('after the server says "token expired" it refreshes and reconnects', { timeout: 20000 }, async () => {
    // A clock running at a quarter speed and no proactive refresh: the module believes its token
    // is still good, the server ends the session (at the expiry, or when the next frame comes) with
    // ERROR "token expired", and the module recovers.
    const started = Date.now();
    const slowClock = () => started + (Date.now() - started) / 4;
    const sockets = countingWebSocket();
    const { session, statuses, names } = pageSession(server, {
      WebSocketImpl: sockets.WebSocketImpl, now: slowClock, refreshAt: 100,
    });
    await session.guest('Slow Clock');
    const chat = inboxOf(session, '/topic/chat');
    session.connect();
    await session.whenConnected({ timeoutMs: 5000 });
    await delay(4000);
    session.publish('/app/chat.send', { content: 'refused: the token expired' });
    await waitUntil(() => names().includes('reconnecting'), { timeoutMs: 5000, what: 'a reconnect' });
    assert.equal(statuses.find((entry) => entry.status === 'reconnecting').reason, 'token refresh');
    await session.whenConnected({ timeoutMs: 5000 });
    assert.equal(sockets.opened, 2);
    const tag = `recovered-${randomUUID()}`;
    session.publish('/app/chat.send', { content: tag });
    assert.equal((await chat.next(chatFrom(tag), 5000)).sender, 'Slow Clock');
    assert.ok(!names().includes('signed-out'));
  });
});
