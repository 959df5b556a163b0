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
// serverError(), serverClose() and receipt().
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
      this.receiptWatchers = new Map();  // receipt id -> callback, as the real StompHandler keeps them
      this.watched = [];                 // every receipt id watched, in order
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
      const receipt = frame.headers?.receipt;
      // A RECEIPT may beat the next line of the page: the watcher must be there before the SEND.
      this.published.push({ ...frame, watchedBeforeSend: receipt !== undefined && this.receiptWatchers.has(receipt) });
    }

    // Like Client.watchForReceipt: needs a connection (the real one throws without one).
    watchForReceipt(receiptId, callback) {
      assert.equal(this.connected, true, 'watchForReceipt only on a connected client');
      assert.equal(typeof callback, 'function');
      this.receiptWatchers.set(receiptId, callback);
      this.watched.push(receiptId);
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

    // The server's RECEIPT for `receiptId`: the watcher runs once and is forgotten. Returns
    // whether anyone was watching (the real client hands the rest to onUnhandledReceipt).
    receipt(receiptId) {
      const callback = this.receiptWatchers.get(receiptId);
      if (!callback) return false;
      this.receiptWatchers.delete(receiptId);
      callback({ command: 'RECEIPT', headers: { 'receipt-id': receiptId }, body: '' });
      return true;
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

// /api/auth/* as the server answers it; `refreshStatus`, `guestStatus` and `down` change the
// answers. A body with `refreshTokenIn: "body"` gets `refreshToken` (refresh-1, refresh-2, ...) in
// the answer, as docs/PROTOCOL.md "Refresh token in the body" says; `body` of a call is its parsed JSON.
function fakeAuthApi({ expiresIn = 3600, user = { id: 'u1', username: 'user1', displayName: 'User 1', role: 'CUSTOMER', guest: false } } = {}) {
  const api = { calls: [], issued: 0, refreshStatus: 200, guestStatus: 200, down: false, expiresIn };
  api.fetch = async (url, init = {}) => {
    const { pathname } = new URL(url);
    const body = typeof init.body === 'string' && init.body ? JSON.parse(init.body) : undefined;
    api.calls.push({ path: pathname, init, body });
    if (api.down) throw new TypeError('fetch failed');
    if (pathname === '/api/auth/logout') return new Response(null, { status: 204 });
    if (pathname === '/api/auth/login' && JSON.parse(init.body).password !== '1234') {
      return jsonResponse(401, { error: 'invalid_credentials', message: 'wrong username or password' });
    }
    if (pathname === '/api/auth/refresh' && api.refreshStatus !== 200) {
      return jsonResponse(api.refreshStatus, { error: 'invalid_token', message: 'no refresh token: sign in again' });
    }
    if (pathname === '/api/auth/guest' && api.guestStatus !== 200) {
      return jsonResponse(api.guestStatus, { error: 'token_reused', message: 'refresh token reused: sign in again' });
    }
    if (pathname === '/api/auth/ws-ticket') return jsonResponse(200, { ticket: 't', expiresIn: 30, auth: init.headers.get('authorization') });
    api.issued += 1;
    const answer = { accessToken: `token-${api.issued}`, tokenType: 'Bearer', expiresIn: api.expiresIn, user };
    if (body?.refreshTokenIn === 'body') Object.assign(answer, { refreshToken: `refresh-${api.issued}`, refreshExpiresIn: 2592000 });
    return jsonResponse(200, answer);
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

// ---- refresh token kept by the page (refreshTokenStore) ------------------------------------------

// The caller's { get(), set(token) }: a plain object here; `sets` records every set() call.
function memoryStore(initial = null) {
  const store = {
    token: initial,
    sets: [],
    get() {
      return store.token;
    },
    set(token) {
      store.sets.push(token);
      store.token = token;
    },
  };
  return store;
}

describe('ChatSession refreshTokenStore (refresh token in the body)', () => {
  it('login asks for the refresh token in the body and stores the one returned', async () => {
    const store = memoryStore();
    const { session, api } = makeSession({ session: { refreshTokenStore: store } });
    await session.login('user1', '1234');
    assert.deepEqual(api.calls[0].body, { username: 'user1', password: '1234', refreshTokenIn: 'body' });
    assert.equal(store.token, 'refresh-1');
    assert.deepEqual(store.sets, ['refresh-1']);
  });

  it('guest sends the stored token (resuming that customer) and stores the rotated one', async () => {
    const store = memoryStore('refresh-old');
    const { session, api } = makeSession({ session: { refreshTokenStore: store } });
    await session.guest('Kim');
    assert.equal(api.calls[0].path, '/api/auth/guest');
    assert.deepEqual(api.calls[0].body, { displayName: 'Kim', refreshTokenIn: 'body', refreshToken: 'refresh-old' });
    assert.equal(store.token, 'refresh-1');
  });

  it('guest with nothing stored sends no refreshToken field (a new customer)', async () => {
    const store = memoryStore();
    const { session, api } = makeSession({ session: { refreshTokenStore: store } });
    await session.guest();
    assert.deepEqual(api.calls[0].body, { refreshTokenIn: 'body' });
    assert.equal(store.token, 'refresh-1');
  });

  it('a refused guest resume drops the stored token, so the next guest() starts a new customer', async () => {
    const store = memoryStore('refresh-reused');
    const { session, api } = makeSession({ session: { refreshTokenStore: store } });
    api.guestStatus = 401;
    await assert.rejects(session.guest(), (error) => error.status === 401 && error.code === 'token_reused');
    assert.equal(store.token, null);
    api.guestStatus = 200;
    await session.guest();
    assert.equal('refreshToken' in api.calls[1].body, false);
    assert.equal(store.token, 'refresh-1');
  });

  it('resume() refreshes with the stored token, in the body, and keeps the rotated one', async () => {
    const store = memoryStore('refresh-old');
    const { session, api } = makeSession({ session: { refreshTokenStore: store } });
    assert.equal((await session.resume()).id, 'u1');
    const call = api.calls.find((entry) => entry.path === '/api/auth/refresh');
    assert.deepEqual(call.body, { refreshTokenIn: 'body', refreshToken: 'refresh-old' });
    assert.equal(store.token, 'refresh-1');
    await session.resume();
    assert.equal(api.calls.at(-1).body.refreshToken, 'refresh-1', 'the rotated token is the one presented next');
    assert.equal(store.token, 'refresh-2');
  });

  it('a refresh with nothing stored is a 401 without a request: resume() gives null', async () => {
    const store = memoryStore();
    const { session, api } = makeSession({ session: { refreshTokenStore: store } });
    assert.equal(await session.resume(), null);
    assert.equal(api.count('/api/auth/refresh'), 0);
    assert.equal(session.status, 'signed-out');
  });

  it('a refresh with nothing stored while signed in rejects like a 401 and signs out', async () => {
    const store = memoryStore();
    const { session, api, statuses } = makeSession({ session: { refreshTokenStore: store, refreshBeforeConnectMs: 10 * 3600 * 1000 } });
    await session.login('user1', '1234');
    store.token = null;  // e.g. the page's storage was cleared meanwhile
    // apiFetch refreshes first: the token ends within refreshBeforeConnectMs.
    await assert.rejects(session.apiFetch('/api/consult/current'), (error) => {
      assert.ok(error instanceof SessionError);
      assert.equal(error.status, 401);
      assert.equal(error.code, 'invalid_token');
      return true;
    });
    assert.equal(api.count('/api/auth/refresh'), 0);
    assert.equal(session.status, 'signed-out');
    assert.equal(statuses.at(-1).reason, 'refresh refused');
  });

  it('a refused refresh clears the store', async () => {
    const store = memoryStore('refresh-old');
    const { session, api } = makeSession({ session: { refreshTokenStore: store } });
    api.refreshStatus = 401;
    assert.equal(await session.resume(), null);
    assert.equal(store.token, null);
    assert.deepEqual(store.sets, [null]);
  });

  it('logout names the stored token in its body (so the server revokes that family) and clears the store', async () => {
    const store = memoryStore();
    const { session, api } = makeSession({ session: { refreshTokenStore: store } });
    await session.login('user1', '1234');
    await session.logout();
    const call = api.calls.find((entry) => entry.path === '/api/auth/logout');
    assert.equal(call.init.headers.authorization, 'Bearer token-1');
    assert.deepEqual(call.body, { refreshToken: 'refresh-1' });
    assert.equal(store.token, null);
    assert.deepEqual(store.sets, ['refresh-1', null]);
  });

  it('a token revoked on the STOMP connection signs out and clears the store', async () => {
    const store = memoryStore();
    const { session, stomp } = track(makeSession({ session: { refreshTokenStore: store } }));
    await session.login('user1', '1234');
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    stomp.instances[0].serverError('authentication failed: token revoked');
    assert.equal(session.status, 'signed-out');
    assert.equal(store.token, null);
  });

  it('the reconnect after "token expired" refreshes with the stored token', async () => {
    const store = memoryStore();
    const { session, stomp, api } = track(makeSession({ session: { refreshTokenStore: store } }));
    await session.login('user1', '1234');
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    stomp.instances[0].serverError('authentication failed: token expired');
    await waitUntil(() => stomp.instances.length === 2, { what: 'the reconnect' });
    const call = api.calls.find((entry) => entry.path === '/api/auth/refresh');
    assert.deepEqual(call.body, { refreshTokenIn: 'body', refreshToken: 'refresh-1' });
    assert.equal(store.token, 'refresh-2');
    assert.equal(stomp.instances[1].config.connectHeaders.Authorization, 'Bearer token-2');
  });

  it('without a store nothing changes: no refreshTokenIn, no refreshToken in any body', async () => {
    const { session, api } = makeSession();
    await session.login('user1', '1234');
    await session.guest('Kim');
    await session.resume();
    await session.logout();
    for (const call of api.calls) {
      assert.equal('refreshTokenIn' in (call.body ?? {}), false, call.path);
      assert.equal('refreshToken' in (call.body ?? {}), false, call.path);
    }
  });
});

// ---- publish with onReceipt ---------------------------------------------------------------------

describe('ChatSession publish with onReceipt', () => {
  async function connected(options) {
    const setup = track(makeSession(options));
    await setup.session.login('user1', '1234');
    setup.session.connect();
    await waitUntil(() => setup.stomp.instances.length === 1);
    setup.stomp.instances[0].accept();
    return setup;
  }

  it('asks for a RECEIPT, watches for it before the SEND and calls onReceipt once when it comes', async () => {
    const { session, stomp } = await connected();
    const client = stomp.instances[0];
    let confirmed = 0;
    assert.equal(session.publish('/app/room.send', { roomId: 'r1', text: 'hi', clientMessageId: 'c1' }, {},
      { onReceipt: () => { confirmed += 1; } }), true);
    const [frame] = client.published;
    assert.ok(frame.headers.receipt, 'a receipt header was made up');
    assert.equal(frame.headers['content-type'], 'application/json');
    assert.equal(frame.watchedBeforeSend, true);
    assert.equal('onReceipt' in frame, false, 'the callback is not handed to the STOMP frame');
    assert.deepEqual(client.watched, [frame.headers.receipt]);
    assert.equal(confirmed, 0);
    assert.equal(client.receipt(frame.headers.receipt), true);
    assert.equal(confirmed, 1);
    assert.equal(client.receipt(frame.headers.receipt), false, 'the watcher is gone');
    assert.equal(confirmed, 1);
  });

  it('keeps a receipt header the caller gave and makes up distinct ones otherwise', async () => {
    const { session, stomp } = await connected();
    const client = stomp.instances[0];
    const seen = [];
    session.publish('/app/room.send', { text: 'a' }, { receipt: 'mine-1' }, { onReceipt: () => seen.push('a') });
    session.publish('/app/room.send', { text: 'b' }, {}, { onReceipt: () => seen.push('b') });
    session.publish('/app/room.send', { text: 'c' }, {}, { onReceipt: () => seen.push('c') });
    const receipts = client.published.map((frame) => frame.headers.receipt);
    assert.equal(receipts[0], 'mine-1');
    assert.equal(new Set(receipts).size, 3);
    client.receipt(receipts[2]);
    client.receipt(receipts[0]);
    assert.deepEqual(seen, ['c', 'a'], 'each callback is tied to its own receipt');
  });

  it('without onReceipt no receipt is asked for or watched', async () => {
    const { session, stomp } = await connected();
    const client = stomp.instances[0];
    session.publish('/app/room.typing', { roomId: 'r1', typing: true });
    assert.equal(client.published[0].headers.receipt, undefined);
    assert.deepEqual(client.watched, []);
  });

  it('a frame queued while disconnected is watched on the new connection, before its SEND', async () => {
    const { session, stomp } = track(makeSession());
    await session.login('user1', '1234');
    const seen = [];
    session.publish('/app/room.send', { text: 'a' }, {}, { onReceipt: () => seen.push('a') });
    session.publish('/app/room.typing', { typing: true });
    session.publish('/app/room.send', { text: 'b' }, {}, { onReceipt: () => seen.push('b') });
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    const client = stomp.instances[0];
    client.accept();
    assert.deepEqual(client.published.map((frame) => JSON.parse(frame.body)), [{ text: 'a' }, { typing: true }, { text: 'b' }]);
    const [a, typing, b] = client.published;
    assert.equal(a.watchedBeforeSend, true);
    assert.equal(b.watchedBeforeSend, true);
    assert.equal(typing.headers.receipt, undefined);
    assert.deepEqual(client.watched, [a.headers.receipt, b.headers.receipt]);
    client.receipt(b.headers.receipt);
    client.receipt(a.headers.receipt);
    assert.deepEqual(seen, ['b', 'a']);
  });

  it('a frame queued after the connection dropped goes out with its receipt after the reconnect', async () => {
    const { session, stomp } = await connected();
    stomp.instances[0].serverClose();
    assert.equal(session.status, 'reconnecting');
    let confirmed = 0;
    assert.equal(session.publish('/app/room.send', { text: 'late' }, {}, { onReceipt: () => { confirmed += 1; } }), true);
    await waitUntil(() => stomp.instances.length === 2, { what: 'the reconnect' });
    const client = stomp.instances[1];
    client.accept();
    assert.equal(client.published.length, 1);
    assert.equal(client.published[0].watchedBeforeSend, true);
    client.receipt(client.published[0].headers.receipt);
    assert.equal(confirmed, 1);
  });

  it('a frame lost with its connection gets no receipt and is not sent again by the session', async () => {
    const { session, stomp } = await connected();
    let confirmed = 0;
    session.publish('/app/room.send', { text: 'lost' }, {}, { onReceipt: () => { confirmed += 1; } });
    stomp.instances[0].serverClose();  // before the RECEIPT
    await waitUntil(() => stomp.instances.length === 2, { what: 'the reconnect' });
    stomp.instances[1].accept();
    assert.equal(stomp.instances[1].published.length, 0, 'resending is the caller\'s (Outbox) job');
    assert.equal(confirmed, 0);
  });

  it('a frame queued because the connection\'s token has expired is watched on the next connection', async () => {
    let clock = 1_000_000;
    const { session, stomp } = await connected({ session: { now: () => clock } });
    clock += 3600 * 1000;
    let confirmed = 0;
    session.publish('/app/room.send', { text: 'late' }, {}, { onReceipt: () => { confirmed += 1; } });
    assert.equal(stomp.instances[0].published.length, 0);
    assert.deepEqual(stomp.instances[0].watched, [], 'nothing watched on the connection that was not used');
    await waitUntil(() => stomp.instances.length === 2, { what: 'a reconnect' });
    stomp.instances[1].accept();
    const [frame] = stomp.instances[1].published;
    assert.equal(frame.watchedBeforeSend, true);
    stomp.instances[1].receipt(frame.headers.receipt);
    assert.equal(confirmed, 1);
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

  it('with a refreshTokenStore it still touches no storage: the store is the caller\'s object', async () => {
    let kept = null;
    const store = { get: () => kept, set: (token) => { kept = token; } };
    const { session, stomp, api } = track(makeSession({ api: { expiresIn: 2 }, session: { refreshBeforeConnectMs: 0, refreshTokenStore: store } }));
    await session.guest('Kim');
    assert.equal(kept, 'refresh-1');
    await session.resume();
    assert.equal(kept, 'refresh-2');
    session.connect();
    await waitUntil(() => stomp.instances.length === 1);
    stomp.instances[0].accept();
    session.publish('/app/room.send', { text: 'hello', clientMessageId: 'c1' }, {}, { onReceipt: () => {} });
    await waitUntil(() => api.count('/api/auth/refresh') >= 2, { timeoutMs: 2000, what: 'the proactive refresh' });
    assert.equal(kept, `refresh-${api.issued}`);
    const visible = JSON.stringify(session) + JSON.stringify(Object.getOwnPropertyNames(session).map((key) => session[key]));
    assert.ok(!visible.includes('refresh-'), visible);
    await session.logout();
    assert.equal(kept, null);
    assert.deepEqual(touched, []);
  });
});
