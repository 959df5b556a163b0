// Unit tests of web/js/aicc-session.js without a server: the backoff arithmetic, the status
// machine driven through a fake @stomp/stompjs Client and a fake HTTP API, and the promise that
// the module keeps its token in memory only (storage and document.cookie are trip-wires here).
//
// These run with the integration tests because they share their runner; they need no binary.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { ChatSession, SessionError, backoffDelay } from '../../web/js/aicc-session.js';
import { delay, waitUntil } from './lib/util.mjs';

const BASE = 'http://chat.test';

// ---- fakes ---------------------------------------------------------------------------------------

// The part of @stomp/stompjs's Client the module uses. Tests play the server with accept(),
// serverError() and serverClose().
function fakeStompLayer() {
  const instances = [];
  class FakeClient {
    constructor(config) {
      Object.assign(this, config);
      this.config = config;
      this.state = 'new';
      this.connected = false;
      this.published = [];
      this.subscriptions = [];
      this.deactivated = 0;
      instances.push(this);
    }

    activate() {
      this.state = 'opening';
    }

    deactivate() {
      this.deactivated += 1;
      if (this.state === 'opening' || this.state === 'connected') this.#close(1000);
      return Promise.resolve();
    }

    forceDisconnect() {
      if (this.state === 'opening' || this.state === 'connected') setTimeout(() => this.#close(1006), 0);
    }

    subscribe(destination, callback, headers) {
      assert.equal(this.connected, true, 'SUBSCRIBE only on a connected client');
      const subscription = { destination, callback, headers, active: true, unsubscribe: () => { subscription.active = false; } };
      this.subscriptions.push(subscription);
      return subscription;
    }

    publish(frame) {
      assert.equal(this.connected, true, 'SEND only on a connected client');
      this.published.push(frame);
    }

    // Server side.
    accept() {
      this.state = 'connected';
      this.connected = true;
      this.onConnect({ headers: { 'user-name': 'u1', server: 'fake' } });
    }

    deliver(destination, body) {
      for (const subscription of this.subscriptions) {
        if (subscription.active && subscription.destination === destination) {
          subscription.callback({ headers: { destination }, body: typeof body === 'string' ? body : JSON.stringify(body) });
        }
      }
    }

    serverError(message) {
      this.onStompError({ command: 'ERROR', headers: { message }, body: '' });
      this.serverClose();
    }

    serverClose() {
      if (this.state === 'opening' || this.state === 'connected') this.#close(1006);
    }

    #close(code) {
      this.state = 'closed';
      this.connected = false;
      this.onWebSocketClose({ code });
    }
  }
  return { FakeClient, instances };
}

function jsonResponse(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

// /api/auth/* as the server answers it; `refreshStatus` and `down` change the answers.
function fakeAuthApi({ expiresIn = 3600, user = { id: 'u1', username: 'user1', displayName: 'User 1', role: 'CUSTOMER', guest: false } } = {}) {
  const api = { calls: [], issued: 0, refreshStatus: 200, down: false, expiresIn };
  api.fetch = async (url, init = {}) => {
    const { pathname } = new URL(url);
    api.calls.push({ path: pathname, init });
    if (api.down) throw new TypeError('fetch failed');
    if (pathname === '/api/auth/logout') return new Response(null, { status: 204 });
    if (pathname === '/api/auth/login' && JSON.parse(init.body).password !== '1234') {
      return jsonResponse(401, { error: 'invalid_credentials', message: 'wrong username or password' });
    }
    if (pathname === '/api/auth/refresh' && api.refreshStatus !== 200) {
      return jsonResponse(api.refreshStatus, { error: 'invalid_token', message: 'no refresh token: sign in again' });
    }
    if (pathname === '/api/auth/ws-ticket') return jsonResponse(200, { ticket: 't', expiresIn: 30, auth: init.headers.get('authorization') });
    api.issued += 1;
    return jsonResponse(200, { accessToken: `token-${api.issued}`, tokenType: 'Bearer', expiresIn: api.expiresIn, user });
  };
  api.count = (path) => api.calls.filter((call) => call.path === path).length;
  return api;
}

// A session wired to the fakes; `statuses` records every onStatus call, `errors` every onError.
function makeSession(options = {}) {
  const stomp = fakeStompLayer();
  const api = fakeAuthApi(options.api);
  const statuses = [];
  const errors = [];
  const session = new ChatSession({
    baseUrl: BASE,
    WebSocketImpl: class {},
    fetchImpl: api.fetch,
    StompClient: stomp.FakeClient,
    random: () => 0,
    backoff: { initialMs: 20, maxMs: 200, factor: 2 },
    onStatus: (status, detail) => statuses.push({ status, ...detail }),
    onError: (error) => errors.push(error),
    ...options.session,
  });
  return { session, stomp, api, statuses, errors, names: () => statuses.map((entry) => entry.status) };
}

const open = [];
afterEach(async () => {
  for (const session of open.splice(0)) await session.disconnect();
});
function track(setup) {
  open.push(setup.session);
  return setup;
}

// ---- backoffDelay --------------------------------------------------------------------------------

describe('backoffDelay', () => {
  const policy = { initialMs: 1000, maxMs: 30000, factor: 2 };

  it('doubles the ceiling per attempt up to maxMs (fixed random 0.5)', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 10].map((attempt) => backoffDelay(attempt, policy, () => 0.5));
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });

  it('stays in [0, ceiling) for the extreme random values', () => {
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const ceiling = Math.min(30000, 1000 * 2 ** attempt);
      assert.equal(backoffDelay(attempt, policy, () => 0), 0);
      const high = backoffDelay(attempt, policy, () => 0.999999);
      assert.ok(high < ceiling && high >= ceiling * 0.999, `attempt ${attempt}: ${high}`);
      assert.ok(backoffDelay(attempt, policy, () => 1) < ceiling);
      assert.ok(backoffDelay(attempt, policy, () => 7) < ceiling);
      assert.equal(backoffDelay(attempt, policy, () => Number.NaN), 0);
    }
  });

  it('never exceeds maxMs, even for huge attempt numbers, and treats bad attempts as the first', () => {
    assert.ok(backoffDelay(10000, policy, () => 0.999) < 30000);
    assert.equal(backoffDelay(-3, policy, () => 0.5), 500);
    assert.equal(backoffDelay(Number.NaN, policy, () => 0.5), 500);
  });

  it('uses the defaults (1 s, 30 s, x2) and Math.random when given nothing', () => {
    assert.equal(backoffDelay(2, {}, () => 0.5), 2000);
    for (let i = 0; i < 200; i += 1) {
      const value = backoffDelay(3);
      assert.ok(Number.isInteger(value) && value >= 0 && value < 8000);
    }
  });

  it('rejects a backoff policy that would never grow', () => {
    assert.throws(() => new ChatSession({ backoff: { initialMs: 0 } }), RangeError);
    assert.throws(() => new ChatSession({ backoff: { factor: Number.NaN } }), RangeError);
  });
});

// ---- sign-in -------------------------------------------------------------------------------------

describe('ChatSession sign-in (fake HTTP API)', () => {
  it('login posts the credentials, keeps the user and goes from signed-out to disconnected', async () => {
    const { session, api, names } = makeSession();
    assert.equal(session.status, 'signed-out');
    const user = await session.login('user1', '1234');
    assert.equal(user.id, 'u1');
    assert.equal(session.user.username, 'user1');
    assert.equal(session.signedIn, true);
    assert.deepEqual(names(), ['disconnected']);
    const call = api.calls[0];
    assert.equal(call.path, '/api/auth/login');
    assert.equal(call.init.method, 'POST');
    assert.deepEqual(JSON.parse(call.init.body), { username: 'user1', password: '1234' });
    assert.equal(call.init.credentials, 'include');  // another origin given as baseUrl
  });

  it('a refused login rejects with the server code and leaves the session signed out', async () => {
    const { session } = makeSession();
    await assert.rejects(session.login('user1', 'nope'), (error) => {
      assert.ok(error instanceof SessionError);
      assert.equal(error.code, 'invalid_credentials');
      assert.equal(error.status, 401);
      return true;
    });
    assert.equal(session.status, 'signed-out');
    assert.equal(session.user, null);
  });

  it('resume() gives the user for a valid cookie, null for a 401, and rejects when unreachable', async () => {
    const ok = makeSession();
    assert.equal((await ok.session.resume()).id, 'u1');
    assert.equal(ok.api.count('/api/auth/refresh'), 1);

    const none = makeSession();
    none.api.refreshStatus = 401;
    assert.equal(await none.session.resume(), null);
    assert.equal(none.session.status, 'signed-out');

    const down = makeSession();
    down.api.down = true;
    await assert.rejects(down.session.resume(), (error) => error.code === 'network');
  });

  it('concurrent refreshes share one request (a rotated cookie must not be presented twice)', async () => {
    const { session, api } = makeSession();
    const users = await Promise.all([session.resume(), session.resume(), session.resume()]);
    assert.equal(api.count('/api/auth/refresh'), 1);
    assert.ok(users.every((user) => user.id === 'u1'));
  });

  it('apiFetch adds the bearer token', async () => {
    const { session } = makeSession();
    await session.login('user1', '1234');
    const response = await session.apiFetch('/api/auth/ws-ticket', { method: 'POST' });
    assert.equal((await response.json()).auth, 'Bearer token-1');
  });

  it('logout revokes on the server with the bearer token and signs out', async () => {
    const { session, api, names } = makeSession();
    await session.login('user1', '1234');
    await session.logout();
    const call = api.calls.find((entry) => entry.path === '/api/auth/logout');
    assert.equal(call.init.headers.authorization, 'Bearer token-1');
    assert.equal(session.status, 'signed-out');
    assert.deepEqual(names(), ['disconnected', 'signed-out']);
    assert.equal(session.publish('/app/chat.send', { content: 'x' }), false);
  });
});

// ---- connection ----------------------------------------------------------------------------------

describe('ChatSession connection (fake STOMP client)', () => {
  it('connects with the bearer token, no built-in reconnect, and the WebSocket URL from baseUrl', async () => {
    const { session, stomp, names } = track(makeSession({ session: { WebSocketImpl: class { constructor(url, protocols) { this.url = url; this.protocols = protocols; } } } }));
    await session.login('user1', '1234');
    session.connect();
    await waitUntil(() => stomp.instances.length === 1, { what: 'a STOMP client' });
    const client = stomp.instances[0];
    assert.equal(client.config.connectHeaders.Authorization, 'Bearer token-1');
    assert.equal(client.config.reconnectDelay, 0);
    const socket = client.config.webSocketFactory();
    assert.equal(socket.url, 'ws://chat.test/ws');
    assert.deepEqual(socket.protocols, ['v12.stomp', 'v11.stomp', 'v10.stomp']);
    assert.equal(session.status, 'connecting');
    client.accept();
    await session.whenConnected({ timeoutMs: 1000 });
    assert.deepEqual(names(), ['disconnected', 'connecting', 'connected']);
  });

  it('reconnects after a drop with backoff, resubscribes with fresh headers and delivers JSON', async () => {
    let seq = 0;
    const { session, stomp, statuses, names } = track(makeSession());
    await session.login('user1', '1234');
    const received = [];
    session.subscribe('/topic/room/r1', (data, message) => {
      received.push(data);
      seq = data.seq;
      assert.equal(message.headers.destination, '/topic/room/r1');
    }, { headers: () => ({ 'since-seq': String(seq) }) });
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    const first = stomp.instances[0].subscriptions[0];
    assert.equal(first.headers['since-seq'], '0');
    stomp.instances[0].deliver('/topic/room/r1', { seq: 7, text: 'hi' });
    assert.deepEqual(received, [{ seq: 7, text: 'hi' }]);

    stomp.instances[0].serverClose();
    assert.equal(session.status, 'reconnecting');
    const retry = statuses.at(-1);
    assert.equal(retry.attempt, 1);
    assert.equal(retry.delayMs, 0);  // random() = 0
    await waitUntil(() => stomp.instances.length === 2, { what: 'a second STOMP client' });
    stomp.instances[1].accept();
    assert.equal(session.status, 'connected');
    const again = stomp.instances[1].subscriptions[0];
    assert.equal(again.destination, '/topic/room/r1');
    assert.equal(again.headers['since-seq'], '7');
    assert.equal(again.headers.id, first.headers.id, 'the same subscription id on every connection');
    assert.deepEqual(names(), ['disconnected', 'connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('uses the growing backoff of the policy between failed attempts', async () => {
    const { session, stomp, statuses } = track(makeSession({ session: { random: () => 0.5, backoff: { initialMs: 10, maxMs: 40, factor: 2 } } }));
    await session.login('user1', '1234');
    session.connect();
    for (let i = 1; i <= 5; i += 1) {
      await waitUntil(() => stomp.instances.length === i, { what: `client ${i}` });
      stomp.instances[i - 1].serverClose();  // refused before CONNECTED
    }
    const delays = statuses.filter((entry) => entry.status === 'reconnecting').map((entry) => entry.delayMs);
    assert.deepEqual(delays, [5, 10, 20, 20, 20]);
  });

  it('queues publishes while disconnected (bounded) and sends them in order after CONNECTED', async () => {
    const { session, stomp, errors } = track(makeSession({ session: { maxQueue: 3 } }));
    await session.login('user1', '1234');
    assert.equal(session.publish('/app/chat.send', { content: 'a' }), true);
    assert.equal(session.publish('/app/chat.send', { content: 'b' }), true);
    assert.equal(session.publish('/app/chat.send', { content: 'c' }, { receipt: 'r-c' }), true);
    assert.equal(session.publish('/app/chat.send', { content: 'd' }), false);
    assert.equal(errors.at(-1).code, 'queue_full');
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    session.publish('/app/chat.send', { content: 'e' });
    const sent = stomp.instances[0].published;
    assert.deepEqual(sent.map((frame) => JSON.parse(frame.body).content), ['a', 'b', 'c', 'e']);
    assert.equal(sent[0].headers['content-type'], 'application/json');
    assert.equal(sent[2].headers.receipt, 'r-c');
  });

  it('on "token expired" it refreshes, then reconnects at once with the new token', async () => {
    const { session, stomp, api, names } = track(makeSession({ session: { random: () => 0.99, backoff: { initialMs: 5000 } } }));
    await session.login('user1', '1234');
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    stomp.instances[0].serverError('authentication failed: token expired');
    await waitUntil(() => stomp.instances.length === 2, { timeoutMs: 1000, what: 'an immediate reconnect' });
    assert.equal(api.count('/api/auth/refresh'), 1);
    assert.equal(stomp.instances[1].config.connectHeaders.Authorization, 'Bearer token-2');
    stomp.instances[1].accept();
    assert.ok(!names().includes('signed-out'));
    assert.equal(session.status, 'connected');
  });

  it('on "token revoked" it signs out and never reconnects', async () => {
    const { session, stomp, statuses } = track(makeSession());
    await session.login('user1', '1234');
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    const waiting = session.whenConnected();  // already connected: resolves
    await waiting;
    stomp.instances[0].serverError('authentication failed: token revoked');
    assert.equal(session.status, 'signed-out');
    assert.equal(statuses.at(-1).reason, 'token revoked');
    await assert.rejects(session.whenConnected(), (error) => error.code === 'signed_out');
    await delay(150);
    assert.equal(stomp.instances.length, 1);
    assert.equal(session.user, null);
  });

  it('signs out when the refresh before a reconnect answers 401', async () => {
    const { session, stomp, api, statuses } = track(makeSession());
    await session.login('user1', '1234');
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    api.refreshStatus = 401;
    stomp.instances[0].serverError('authentication failed: token expired');
    await waitUntil(() => session.status === 'signed-out', { what: 'signed-out' });
    assert.equal(statuses.at(-1).reason, 'refresh refused');
    await delay(150);
    assert.equal(stomp.instances.length, 1);
  });

  it('keeps retrying with backoff while the refresh endpoint is unreachable', async () => {
    const { session, stomp, api, errors } = track(makeSession());
    await session.login('user1', '1234');
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    api.down = true;
    stomp.instances[0].serverError('authentication failed: token expired');
    await waitUntil(() => api.count('/api/auth/refresh') >= 3, { what: 'refresh retries' });
    assert.equal(session.status, 'reconnecting');
    assert.ok(errors.some((error) => error.code === 'network'));
    api.down = false;
    await waitUntil(() => stomp.instances.length === 2, { what: 'a reconnect once the API is back' });
    stomp.instances[1].accept();
    assert.equal(session.status, 'connected');
  });

  it('refreshes at 80 % of the lifetime (expiresIn less the second the server rounds off) and hands the token over /app/auth.refresh', async () => {
    const { session, stomp, api } = track(makeSession({ api: { expiresIn: 2 }, session: { refreshBeforeConnectMs: 0 } }));
    await session.login('user1', '1234');
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    await waitUntil(() => stomp.instances[0].published.length >= 1, { timeoutMs: 2000, what: 'the auth.refresh SEND' });
    const frame = stomp.instances[0].published[0];
    assert.equal(frame.destination, '/app/auth.refresh');
    assert.deepEqual(JSON.parse(frame.body), { accessToken: 'token-2' });
    assert.equal(api.count('/api/auth/refresh'), 1);
    assert.equal(stomp.instances.length, 1, 'no reconnect for a refresh');
  });

  it('a publish on a connection whose token has expired is queued and sent after a reconnect', async () => {
    let clock = 1_000_000;
    const { session, stomp } = track(makeSession({ session: { now: () => clock } }));
    await session.login('user1', '1234');
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    clock += 3600 * 1000;  // the refresh timer slept through the expiry (a suspended laptop)
    assert.equal(session.publish('/app/chat.send', { content: 'late' }), true);
    assert.equal(stomp.instances[0].published.length, 0);
    await waitUntil(() => stomp.instances.length === 2, { what: 'a reconnect' });
    assert.equal(stomp.instances[1].config.connectHeaders.Authorization, 'Bearer token-2');
    stomp.instances[1].accept();
    assert.deepEqual(stomp.instances[1].published.map((frame) => JSON.parse(frame.body)), [{ content: 'late' }]);
  });

  it('waits offline while navigator.onLine is false and connects on the online event', async () => {
    const navigator = { onLine: false };
    const events = new EventTarget();
    const { session, stomp, names } = track(makeSession({ session: { navigator, events } }));
    await session.login('user1', '1234');
    session.connect();
    assert.equal(session.status, 'offline');
    await delay(50);
    assert.equal(stomp.instances.length, 0);
    navigator.onLine = true;
    events.dispatchEvent(new Event('online'));
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    navigator.onLine = false;
    events.dispatchEvent(new Event('offline'));
    assert.equal(session.status, 'offline');
    await delay(50);
    assert.equal(stomp.instances.length, 1, 'no attempt while offline');
    navigator.onLine = true;
    events.dispatchEvent(new Event('online'));
    await waitUntil(() => stomp.instances.length === 2);
    stomp.instances[1].accept();
    assert.deepEqual(names(), ['disconnected', 'offline', 'connecting', 'connected', 'offline', 'reconnecting', 'connected']);
  });

  it('unsubscribe ends the live subscription and it is not re-created', async () => {
    const { session, stomp } = track(makeSession());
    await session.login('user1', '1234');
    const seen = [];
    const stop = session.subscribe('/topic/chat', (data) => seen.push(data));
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    stop();
    assert.equal(stomp.instances[0].subscriptions[0].active, false);
    stomp.instances[0].serverClose();
    await waitUntil(() => stomp.instances.length === 2);
    stomp.instances[1].accept();
    assert.equal(stomp.instances[1].subscriptions.length, 0);
  });

  it('a throwing handler is reported, not fatal; a non-JSON body arrives as text', async () => {
    const { session, stomp, errors } = track(makeSession());
    await session.login('user1', '1234');
    const seen = [];
    session.subscribe('/topic/a', () => { throw new Error('page bug'); });
    session.subscribe('/topic/b', (data) => seen.push(data));
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    stomp.instances[0].deliver('/topic/a', { x: 1 });
    stomp.instances[0].deliver('/topic/b', 'plain text');
    assert.equal(errors.at(-1).code, 'handler');
    assert.deepEqual(seen, ['plain text']);
    assert.equal(session.status, 'connected');
  });

  it('disconnect() closes, stops retrying and keeps the user signed in', async () => {
    const { session, stomp, names } = track(makeSession());
    await session.login('user1', '1234');
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    await session.disconnect();
    assert.equal(stomp.instances[0].deactivated >= 1, true);
    assert.equal(session.status, 'disconnected');
    assert.equal(session.signedIn, true);
    await delay(100);
    assert.equal(stomp.instances.length, 1);
    assert.deepEqual(names(), ['disconnected', 'connecting', 'connected', 'disconnected']);
  });
});

// ---- token stays in memory -----------------------------------------------------------------------

describe('ChatSession storage', () => {
  const touched = [];
  const saved = {};
  const names = ['localStorage', 'sessionStorage', 'document', 'indexedDB'];

  beforeEach(() => {
    for (const name of names) {
      saved[name] = Object.getOwnPropertyDescriptor(globalThis, name);
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get() {
          touched.push(name);
          throw new Error(`${name} must not be used`);
        },
      });
    }
  });

  afterEach(() => {
    for (const name of names) {
      if (saved[name]) Object.defineProperty(globalThis, name, saved[name]);
      else delete globalThis[name];
    }
  });

  it('never touches localStorage, sessionStorage, document.cookie or indexedDB, and hides the token', async () => {
    const { session, stomp, api } = track(makeSession({ api: { expiresIn: 2 }, session: { refreshBeforeConnectMs: 0 } }));
    await session.guest('Kim');
    await session.resume();
    session.subscribe('/topic/chat', () => {});
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    session.publish('/app/chat.send', { content: 'hello' });
    await waitUntil(() => api.count('/api/auth/refresh') >= 2, { timeoutMs: 2000, what: 'the proactive refresh' });
    stomp.instances[0].serverError('authentication failed: token expired');
    await waitUntil(() => stomp.instances.length === 2);
    stomp.instances[1].accept();

    // The token is reachable through no property, enumerable or not, and not through JSON.
    const token = `token-${api.issued}`;
    const visible = JSON.stringify(session) + JSON.stringify(Object.getOwnPropertyNames(session).map((key) => session[key]));
    assert.ok(!visible.includes('token-'), visible);
    for (const key of ['token', 'accessToken', '_token']) assert.equal(session[key], undefined);
    assert.ok(!JSON.stringify(session.user).includes(token));

    await session.logout();
    assert.deepEqual(touched, []);
  });
});
