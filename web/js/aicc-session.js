// The browser side of an aicc-chat sign-in: access token, STOMP connection and subscriptions.
//
// - The access token and its expiry live only in private fields of a ChatSession. Nothing is
//   written to localStorage, sessionStorage or document.cookie; the refresh token is the server's
//   HttpOnly `aicc_refresh` cookie, which scripts cannot read. A reloaded page calls resume(),
//   which trades that cookie for a new access token (POST /api/auth/refresh).
// - connect() opens STOMP over WebSocket (or SockJS) with `Authorization: Bearer <token>` in the
//   CONNECT frame, refreshing the token first when it expires within a minute. Lost connections
//   are retried with exponential backoff and full jitter (the retry loop of @stomp/stompjs is
//   switched off so that it is this module's), and not at all while the browser says it is offline.
// - A timer refreshes the token at 80 % of its lifetime and hands the new one to the live
//   connection on /app/auth.refresh, so a long chat is not cut when the old token expires.
// - Subscriptions are re-created after every reconnect; messages published while disconnected wait
//   in a bounded queue and go out, in order, once connected again.
//
// The wire contract is docs/PROTOCOL.md; the API is described in web/js/README.md.

import { Client } from '@stomp/stompjs';

const STOMP_SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];
const DEFAULT_BACKOFF = Object.freeze({ initialMs: 1000, maxMs: 30000, factor: 2 });
const MAX_TIMER_MS = 2 ** 31 - 1;
const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json' });

// An error with a machine-readable `code` ('network', 'invalid_credentials', 'signed_out',
// 'queue_full', 'stomp_error', 'handler', the server's `error` field, or `http_<status>`) and,
// for HTTP answers, the `status` (and `retryAfter`, seconds, when the server named a wait).
export class SessionError extends Error {
  constructor(message, { code = 'error', status, cause, frame, destination } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SessionError';
    this.code = code;
    if (status !== undefined) this.status = status;
    if (frame !== undefined) this.frame = frame;
    if (destination !== undefined) this.destination = destination;
  }
}

// Delay before retry number `attempt` (0 for the first retry): "full jitter", a uniformly random
// value in [0, min(maxMs, initialMs * factor^attempt)), so clients cut off together do not come
// back together.
export function backoffDelay(attempt, { initialMs = DEFAULT_BACKOFF.initialMs, maxMs = DEFAULT_BACKOFF.maxMs,
  factor = DEFAULT_BACKOFF.factor } = {}, random = Math.random) {
  const step = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  const ceiling = Math.min(maxMs, initialMs * factor ** step);
  let r = Number(random());
  if (!(r >= 0)) r = 0;
  if (r >= 1) r = 1 - Number.EPSILON;
  return Math.floor(r * ceiling);
}

function parseBody(body) {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

export class ChatSession {
  // Configuration.
  #baseUrl;
  #endpoint;
  #useSockJS;
  #SockJS;
  #sockjsOptions;
  #WebSocketImpl;
  #fetch;
  #credentials;
  #StompClient;
  #onStatus;
  #onError;
  #debug;
  #backoff;
  #random;
  #now;
  #navigator;
  #events;
  #heartbeatIncoming;
  #heartbeatOutgoing;
  #connectTimeoutMs;
  #requestTimeoutMs;
  #refreshAt;
  #refreshMarginMs;
  #stableMs;
  #maxQueue;
  #refreshStore;

  // Sign-in.
  #status = 'signed-out';
  #user = null;
  #token = null;
  #expiresAt = 0;       // local clock (now()), ms
  #lifetimeMs = 0;
  #epoch = 0;           // bumped by every sign-out: late answers of an older sign-in are dropped
  #refreshing = null;   // the one refresh in flight
  #refreshTimer = null;

  // Connection.
  #wantConnected = false;
  #everConnected = false;
  #opening = false;
  #socketUrl = '';
  #client = null;
  #connectedAt = null;
  #clientToken = null;      // the token the server holds for the current connection
  #clientExpiresAt = 0;
  #attempt = 0;
  #retryTimer = null;
  #forceRefresh = false;
  #listening = false;
  #subscriptions = new Map();
  #nextSubscription = 1;
  #queue = [];
  #nextReceipt = 1;
  #waiters = [];

  #onlineListener = () => this.#wentOnline();
  #offlineListener = () => this.#wentOffline();

  constructor(options = {}) {
    const {
      baseUrl = '',
      useSockJS = false,
      endpoint = useSockJS ? '/ws-chat' : '/ws',
      SockJS = globalThis.SockJS,
      sockjsOptions,
      WebSocketImpl = globalThis.WebSocket,
      fetchImpl,
      credentials = baseUrl ? 'include' : 'same-origin',
      StompClient = Client,
      onStatus = () => {},
      onError = () => {},
      debug = () => {},
      backoff = {},
      random = Math.random,
      now = Date.now,
      navigator = globalThis.navigator,
      events = typeof globalThis.addEventListener === 'function' ? globalThis : null,
      heartbeatIncoming = 10000,
      heartbeatOutgoing = 10000,
      connectTimeoutMs = 10000,
      requestTimeoutMs = 15000,
      refreshAt = 0.8,
      refreshBeforeConnectMs = 60000,
      stableMs = 5000,
      maxQueue = 100,
      refreshTokenStore = null,
    } = options;
    this.#baseUrl = String(baseUrl).replace(/\/+$/, '');
    this.#endpoint = endpoint;
    this.#useSockJS = Boolean(useSockJS);
    this.#SockJS = SockJS;
    this.#sockjsOptions = sockjsOptions;
    this.#WebSocketImpl = WebSocketImpl;
    // A page's fetch must be called unbound from window ("Illegal invocation" otherwise).
    this.#fetch = fetchImpl ?? ((...args) => globalThis.fetch(...args));
    this.#credentials = credentials;
    this.#StompClient = StompClient;
    this.#onStatus = onStatus;
    this.#onError = onError;
    this.#debug = debug;
    this.#backoff = { ...DEFAULT_BACKOFF, ...backoff };
    for (const key of ['initialMs', 'maxMs', 'factor']) {
      if (!(Number.isFinite(this.#backoff[key]) && this.#backoff[key] > 0)) {
        throw new RangeError(`backoff.${key} must be a positive number`);
      }
    }
    this.#random = random;
    this.#now = now;
    this.#navigator = navigator;
    this.#events = events;
    this.#heartbeatIncoming = heartbeatIncoming;
    this.#heartbeatOutgoing = heartbeatOutgoing;
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#requestTimeoutMs = requestTimeoutMs;
    this.#refreshAt = refreshAt;
    this.#refreshMarginMs = refreshBeforeConnectMs;
    this.#stableMs = stableMs;
    this.#maxQueue = maxQueue;
    // { get(): string|null, set(token|null) }: keep the refresh token there instead of in the
    // HttpOnly cookie. Only for a page in a cross-site iframe, which never gets the cookie.
    this.#refreshStore = refreshTokenStore;
  }

  // 'signed-out' | 'disconnected' (signed in, no connection wanted) | 'connecting' | 'connected' |
  // 'reconnecting' | 'offline'.
  get status() {
    return this.#status;
  }

  // { id, username, displayName, role, guest } of the signed-in user, or null.
  get user() {
    return this.#user ? { ...this.#user } : null;
  }

  get signedIn() {
    return this.#token !== null;
  }

  get connected() {
    return this.#status === 'connected';
  }

  // ---- sign-in -------------------------------------------------------------------------------

  // POST /api/auth/login. Rejects with a SessionError (code 'invalid_credentials', 'rate_limited',
  // 'network', ...) and leaves the current state alone when it fails.
  async login(username, password) {
    const requestedAt = this.#now();
    const data = await this.#post('/api/auth/login', this.#withRefreshMode({ username, password }));
    return this.#adopt(data, requestedAt);
  }

  // POST /api/auth/guest: with a valid refresh cookie the same customer comes back, else the server
  // creates one.
  async guest(displayName) {
    const requestedAt = this.#now();
    const body = this.#withRefreshMode(displayName ? { displayName } : {});
    const stored = this.#refreshStore?.get();
    if (stored) body.refreshToken = stored;
    let data;
    try {
      data = await this.#post('/api/auth/guest', body);
    } catch (error) {
      // A refused resume (a reused or disabled token) clears the cookie on the server; the stored
      // token is as dead, and sending it again would refuse every later guest() too.
      if (stored && (error.status === 401 || error.status === 403) && this.#refreshStore.get() === stored) {
        this.#refreshStore.set(null);
      }
      throw error;
    }
    return this.#adopt(data, requestedAt);
  }

  // What a (re)loaded page calls first: trades the refresh cookie for an access token. Resolves
  // with the user, or null when there is no valid cookie (show the sign-in form). Rejects only when
  // the server could not answer (network, 5xx): the user may well still be signed in.
  async resume() {
    try {
      await this.#refreshToken();
      return this.user;
    } catch (error) {
      if (error.status === 401 || error.status === 403) return null;
      throw error;
    }
  }

  // Closes the connection, revokes the token and the refresh cookie on the server, forgets
  // everything. The local sign-out happens even when the server cannot be reached; the error is
  // then rethrown, since the cookie may still be valid there.
  async logout() {
    this.#wantConnected = false;
    const closing = this.#detachClient();
    let failure = null;
    if (this.#token) {
      try {
        // The server needs a valid bearer to find and revoke the refresh family.
        if (this.#expiresWithin(5000)) await this.#refreshToken();
        // Without the cookie the server learns the refresh family from the body.
        const stored = this.#refreshStore?.get();
        if (this.#token) await this.#post('/api/auth/logout', stored ? { refreshToken: stored } : {}, this.#token);
      } catch (error) {
        if (error.status !== 401) failure = error;
      }
    }
    this.#signOut('logout');
    await closing;
    if (failure) throw failure;
  }

  // fetch() of the aicc-chat HTTP API with the bearer token; refreshes the token when it is about
  // to expire, and once more on a 401.
  async apiFetch(path, init = {}) {
    if (!this.#token) throw new SessionError('not signed in', { code: 'signed_out' });
    if (this.#expiresWithin(this.#refreshMarginMs)) await this.#refreshToken();
    const send = () => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${this.#token}`);
      return this.#fetch(this.#httpUrl(path), { credentials: this.#credentials, ...init, headers });
    };
    let response = await send();
    if (response.status === 401 && this.#token) {
      await this.#refreshToken();
      response = await send();
    }
    return response;
  }

  // ---- connection ----------------------------------------------------------------------------

  // Starts connecting and keeps the connection up until disconnect(), logout() or a sign-out by
  // the server. Needs a signed-in session. Follow it with onStatus or whenConnected().
  connect() {
    if (!this.#token) throw new SessionError('sign in first (login, guest or resume)', { code: 'signed_out' });
    if (this.#wantConnected) return;
    this.#socketUrl = this.#resolveSocketUrl();
    this.#wantConnected = true;
    this.#everConnected = false;
    this.#attempt = 0;
    this.#listen(true);
    this.#armRefreshTimer();
    this.#open();
  }

  // Resolves once connected (at once when already connected); rejects on a sign-out, on
  // disconnect(), or after `timeoutMs` when given.
  whenConnected({ timeoutMs } = {}) {
    if (this.#status === 'connected') return Promise.resolve();
    if (!this.#token) return Promise.reject(new SessionError('not signed in', { code: 'signed_out' }));
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject, timer: null };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((other) => other !== waiter);
          reject(new SessionError(`not connected within ${timeoutMs} ms`, { code: 'timeout' }));
        }, timeoutMs);
      }
      this.#waiters.push(waiter);
    });
  }

  // Closes the connection (for `beforeunload`, or to pause) and stops every timer. The user stays
  // signed in in memory, subscriptions and queued messages are kept: connect() resumes. Resolves
  // once the socket is closed (bounded).
  disconnect() {
    this.#wantConnected = false;
    this.#everConnected = false;
    this.#clearTimers();
    this.#listen(false);
    const closing = this.#detachClient();
    this.#rejectWaiters(new SessionError('disconnected', { code: 'disconnected' }));
    if (this.#status !== 'signed-out') this.#setStatus('disconnected');
    return closing;
  }

  // Registers a subscription that lives across reconnects. `handler(data, message)` gets the body
  // parsed as JSON (the raw string when it is not JSON) and the STOMP message. `headers` is an
  // object or a function called at every (re)subscribe, e.g. () => ({ 'since-seq': String(lastSeq) }).
  // When the server refuses it (ERROR "forbidden destination ...") the subscription is dropped and
  // `onRefused(message)` is called. Returns the function that ends the subscription.
  subscribe(destination, handler, { headers = {}, onRefused } = {}) {
    const id = `sub-${this.#nextSubscription++}`;
    const entry = { id, destination, handler, headers, onRefused, live: null, liveClient: null };
    this.#subscriptions.set(id, entry);
    if (this.#client && this.#connectedAt !== null) this.#subscribeLive(this.#client, entry);
    return () => {
      if (!this.#subscriptions.delete(id)) return;
      if (entry.live && entry.liveClient === this.#client && this.#connectedAt !== null) {
        try {
          entry.live.unsubscribe();
        } catch {
          // The connection is going away; nothing to undo.
        }
      }
      entry.live = null;
      entry.liveClient = null;
    };
  }

  // SENDs `body` as JSON. When not connected the frame waits in a queue (at most `maxQueue`) and
  // goes out after the next CONNECTED, in order. Returns true when sent or queued, false when
  // refused (nobody signed in, or the queue is full; onError says which).
  // With `onReceipt`, the frame asks for a RECEIPT (header `receipt`, made up when not given) and
  // onReceipt() runs when the server has it; a frame lost with its connection gets none.
  publish(destination, body, headers = {}, { onReceipt } = {}) {
    if (!this.#token) {
      this.#reportError(new SessionError(`not signed in: ${destination} not sent`, { code: 'signed_out' }));
      return false;
    }
    const frame = { destination, body: JSON.stringify(body), headers: { ...JSON_HEADERS, ...headers } };
    if (onReceipt) {
      frame.headers.receipt ??= `rcpt-${this.#nextReceipt++}`;
      frame.onReceipt = onReceipt;
    }
    if (this.#client && this.#connectedAt !== null) {
      if (this.#now() < this.#clientExpiresAt - this.#expiryMarginMs()) {
        this.#send(this.#client, frame);
        return true;
      }
      // The server would refuse this frame with "token expired" and close (the refresh timer was
      // late, e.g. a sleeping laptop): queue it and reconnect with a fresh token.
      this.#reconnectNow();
    }
    if (this.#queue.length >= this.#maxQueue) {
      this.#reportError(new SessionError(`send queue full (${this.#maxQueue}): ${destination} dropped`,
        { code: 'queue_full' }));
      return false;
    }
    this.#queue.push(frame);
    return true;
  }

  #send(client, frame) {
    const { onReceipt, ...stompFrame } = frame;
    if (onReceipt) client.watchForReceipt(frame.headers.receipt, () => onReceipt());
    client.publish(stompFrame);
  }

  // ---- internals: HTTP -----------------------------------------------------------------------

  #httpUrl(path) {
    return `${this.#baseUrl}${path}`;
  }

  async #post(path, body, bearer) {
    const headers = { ...JSON_HEADERS, accept: 'application/json' };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(), this.#requestTimeoutMs) : null;
    let response;
    let data = null;
    try {
      response = await this.#fetch(this.#httpUrl(path), {
        method: 'POST',
        headers,
        body: JSON.stringify(body ?? {}),
        // With the refresh token in a store, a cookie of this site (maybe another user's) must
        // not take part: the server would rotate the cookie's token instead.
        credentials: this.#refreshStore ? 'omit' : this.#credentials,
        signal: controller?.signal,
      });
      if (response.status !== 204) {
        const text = await response.text();
        if (text) data = parseBody(text);
      }
    } catch (error) {
      throw new SessionError(`${path}: the server could not be reached`, { code: 'network', cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      const detail = data && typeof data === 'object' ? data : {};
      const error = new SessionError(detail.message || `${path} answered ${response.status}`,
        { code: detail.error || `http_${response.status}`, status: response.status });
      // How long to wait (seconds) when the server says: a page can tell the user in words.
      const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
      if (Number.isFinite(retryAfter) && retryAfter >= 0) error.retryAfter = retryAfter;
      throw error;
    }
    return data;
  }

  // Takes the answer of login/guest/refresh. `requestedAt` (before the request) makes the local
  // expiry a little early rather than late, whatever the clocks of client and server say.
  #adopt(data, requestedAt) {
    if (!data || typeof data.accessToken !== 'string' || !data.user) {
      throw new SessionError('unexpected answer from the server', { code: 'bad_response' });
    }
    const previous = this.#user;
    if (this.#refreshStore && typeof data.refreshToken === 'string') this.#refreshStore.set(data.refreshToken);
    this.#token = data.accessToken;
    // The server counts whole seconds (exp = its time, rounded down, + expiresIn): the token may
    // end up to a second sooner than expiresIn says.
    this.#lifetimeMs = Math.max(0, (Number(data.expiresIn) || 0) - 1) * 1000;
    this.#expiresAt = requestedAt + this.#lifetimeMs;
    this.#user = Object.freeze({ ...data.user });
    if (this.#status === 'signed-out') this.#setStatus('disconnected');
    if (previous && previous.id !== this.#user.id) {
      // Another user signed in on this session: the connection must carry the new identity.
      this.#queue.length = 0;
      if (this.#client) this.#reconnectNow();
    } else {
      this.#handTokenToServer();
    }
    this.#armRefreshTimer();
    return this.user;
  }

  // How close to its expiry a connection's token is too close to send on: the frame must reach
  // the server before the token ends, or the server closes the connection and the frame is lost.
  #expiryMarginMs() {
    return Math.min(1000, this.#lifetimeMs * 0.1);
  }

  #expiresWithin(ms) {
    return this.#now() >= this.#expiresAt - ms;
  }

  // Asks for the refresh token in the answer's body when it is kept in a refreshTokenStore.
  #withRefreshMode(body) {
    return this.#refreshStore ? { ...body, refreshTokenIn: 'body' } : body;
  }

  // POST /api/auth/refresh with the cookie; one at a time. A 401/403 answer signs out.
  #refreshToken() {
    if (!this.#refreshing) {
      const epoch = this.#epoch;
      const requestedAt = this.#now();
      const body = this.#withRefreshMode({});
      const stored = this.#refreshStore?.get();
      if (stored) body.refreshToken = stored;
      // Nothing stored is what a missing cookie is: a 401, which signs out like one.
      const request = this.#refreshStore && !stored
        ? Promise.reject(new SessionError('no refresh token: sign in again', { code: 'invalid_token', status: 401 }))
        : this.#post('/api/auth/refresh', body);
      this.#refreshing = request
        .then((data) => {
          if (epoch !== this.#epoch) throw new SessionError('signed out meanwhile', { code: 'signed_out' });
          // Another page of this site signed someone else in on the shared cookie: this page's
          // subscriptions and state belong to the old user, so it signs out instead of switching.
          if (this.#user && data?.user?.id && data.user.id !== this.#user.id) {
            this.#signOut('another user signed in');
            throw new SessionError('another user signed in on this browser', { code: 'signed_out', status: 401 });
          }
          return this.#adopt(data, requestedAt);
        }, (error) => {
          if ((error.status === 401 || error.status === 403) && epoch === this.#epoch) {
            this.#signOut('refresh refused', error);
          }
          throw error;
        })
        .finally(() => {
          this.#refreshing = null;
        });
    }
    return this.#refreshing;
  }

  #armRefreshTimer() {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = null;
    if (!this.#wantConnected || !this.#token) return;
    const at = this.#expiresAt - this.#lifetimeMs * (1 - this.#refreshAt);
    this.#refreshTimer = this.#timer(() => this.#proactiveRefresh(), at - this.#now(), { minMs: 250, unref: true });
  }

  async #proactiveRefresh() {
    this.#refreshTimer = null;
    const epoch = this.#epoch;
    try {
      await this.#refreshToken();  // #adopt re-arms the timer and hands the token to the server
    } catch (error) {
      if (epoch !== this.#epoch || !this.#token || !this.#wantConnected) return;
      this.#reportError(error);
      // Try again well before the expiry, with jitter; past it, a reconnect will refresh anyway.
      const left = this.#expiresAt - this.#now();
      const retryMs = Math.min(30000, Math.max(1000, left / 4)) * (0.5 + this.#random() / 2);
      this.#refreshTimer = this.#timer(() => this.#proactiveRefresh(), retryMs, { unref: true });
    }
  }

  // Sends the current token on /app/auth.refresh when the live connection holds an older one.
  #handTokenToServer() {
    const client = this.#client;
    if (!client || this.#connectedAt === null || this.#clientToken === this.#token) return;
    if (this.#now() >= this.#clientExpiresAt - this.#expiryMarginMs()) {
      // Too late: the server refuses every frame of an expired connection, this one included.
      this.#reconnectNow();
      return;
    }
    client.publish({
      destination: '/app/auth.refresh',
      headers: { ...JSON_HEADERS },
      body: JSON.stringify({ accessToken: this.#token }),
    });
    this.#clientToken = this.#token;
    this.#clientExpiresAt = this.#expiresAt;
  }

  // ---- internals: connection -----------------------------------------------------------------

  #resolveSocketUrl() {
    const endpoint = String(this.#endpoint);
    if (this.#useSockJS) {
      if (typeof this.#SockJS !== 'function') {
        throw new SessionError('useSockJS needs the SockJS constructor (options.SockJS)', { code: 'config' });
      }
      if (/^https?:\/\//i.test(endpoint) || !this.#baseUrl) return endpoint;
      return new URL(endpoint, `${this.#baseUrl}/`).href;
    }
    if (typeof this.#WebSocketImpl !== 'function') {
      throw new SessionError('no WebSocket implementation (options.WebSocketImpl)', { code: 'config' });
    }
    if (/^wss?:\/\//i.test(endpoint)) return endpoint;
    const base = this.#baseUrl || globalThis.location?.origin;
    if (!base) throw new SessionError('baseUrl is required outside a browser page', { code: 'config' });
    return new URL(endpoint, `${base}/`).href.replace(/^http/i, 'ws');
  }

  #createSocket() {
    try {
      if (this.#useSockJS) return new this.#SockJS(this.#socketUrl, null, this.#sockjsOptions);
      const socket = new this.#WebSocketImpl(this.#socketUrl, STOMP_SUBPROTOCOLS);
      // A frame sent while the socket closes (a heart-beat, a DISCONNECT racing a dying
      // connection) is lost either way, and what matters is sent again after the reconnect; handed
      // to a closing browser WebSocket it would also log an error in the page's console.
      if (typeof socket.send === 'function') {
        const send = socket.send.bind(socket);
        socket.send = (data) => {
          if (socket.readyState === 1) send(data);
        };
      }
      return socket;
    } catch (error) {
      // The constructor refused (a bad URL, a page policy): report it and hand @stomp/stompjs a
      // socket that closes at once, so the usual retry path runs instead of an unhandled rejection.
      this.#reportError(new SessionError(`cannot open ${this.#socketUrl}: ${error?.message ?? error}`,
        { code: 'network', cause: error }));
      const failed = { readyState: 3, binaryType: 'arraybuffer', url: this.#socketUrl, send() {}, close() {} };
      setTimeout(() => failed.onclose?.({ code: 1006, reason: 'socket constructor failed', wasClean: false }), 0);
      return failed;
    }
  }

  #isOffline() {
    return this.#navigator?.onLine === false;
  }

  async #open() {
    if (!this.#wantConnected || this.#client || this.#opening) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (this.#isOffline()) {
      this.#setStatus('offline');
      return;
    }
    this.#setStatus(this.#everConnected || this.#status === 'reconnecting' ? 'reconnecting' : 'connecting');
    const epoch = this.#epoch;
    this.#opening = true;
    try {
      if (this.#forceRefresh || this.#expiresWithin(this.#refreshMarginMs)) await this.#refreshToken();
    } catch (error) {
      this.#opening = false;
      if (epoch !== this.#epoch || !this.#wantConnected) return;  // signed out: #signOut said so
      this.#reportError(error);
      this.#scheduleRetry('refresh failed');
      return;
    }
    this.#opening = false;
    if (epoch !== this.#epoch || !this.#wantConnected || this.#client) return;
    if (this.#isOffline()) {
      this.#setStatus('offline');
      return;
    }
    this.#forceRefresh = false;
    const token = this.#token;
    const expiresAt = this.#expiresAt;
    const client = new this.#StompClient({
      webSocketFactory: () => this.#createSocket(),
      connectHeaders: { Authorization: `Bearer ${token}` },
      reconnectDelay: 0,  // retries are ours (backoff with jitter, token refresh first)
      heartbeatIncoming: this.#heartbeatIncoming,
      heartbeatOutgoing: this.#heartbeatOutgoing,
      connectionTimeout: this.#connectTimeoutMs,
      discardWebsocketOnCommFailure: true,
      debug: this.#debug,
    });
    client.onConnect = (frame) => this.#connected(client, frame);
    client.onStompError = (frame) => this.#stompError(client, frame);
    client.onWebSocketClose = (event) => this.#socketClosed(client, event);
    client.onWebSocketError = () => {};  // a close follows
    this.#client = client;
    this.#clientToken = token;
    this.#clientExpiresAt = expiresAt;
    client.activate();
  }

  #connected(client, frame) {
    if (client !== this.#client) return;
    this.#connectedAt = this.#now();
    this.#everConnected = true;
    // A refresh that finished during the handshake gave a token the server does not hold yet.
    this.#handTokenToServer();
    if (client !== this.#client) return;
    for (const entry of this.#subscriptions.values()) this.#subscribeLive(client, entry);
    while (this.#queue.length > 0 && client === this.#client && client.connected !== false) {
      this.#send(client, this.#queue.shift());
    }
    this.#setStatus('connected', { server: frame?.headers?.server });
    const waiters = this.#waiters.splice(0);
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }

  #subscribeLive(client, entry) {
    let headers = entry.headers;
    if (typeof headers === 'function') {
      try {
        headers = headers();
      } catch (error) {
        this.#reportError(new SessionError(`subscription headers of ${entry.destination} failed`,
          { code: 'handler', cause: error }));
        headers = {};
      }
    }
    entry.live = client.subscribe(entry.destination, (message) => this.#deliver(entry, message),
      { ...(headers ?? {}), id: entry.id });
    entry.liveClient = client;
  }

  #deliver(entry, message) {
    if (!this.#subscriptions.has(entry.id)) return;
    try {
      entry.handler(parseBody(message.body), message);
    } catch (error) {
      this.#reportError(new SessionError(`handler of ${entry.destination} threw`, { code: 'handler', cause: error }));
    }
  }

  #stompError(client, frame) {
    if (client !== this.#client) return;
    const message = String(frame?.headers?.message ?? '');
    if (message.startsWith('authentication failed: token revoked')) {
      // Logged out (here or elsewhere): reconnecting would only be refused again.
      this.#signOut('token revoked');
      return;
    }
    if (message.startsWith('authentication failed')) {
      // "token expired", or a token the server no longer accepts (a restart with another key):
      // a fresh one from the refresh cookie, then reconnect. A refused refresh signs out.
      this.#forceRefresh = true;
    } else if (message.startsWith('forbidden destination') && this.#dropRefusedSubscription(frame)) {
      // Reported by #dropRefusedSubscription; subscribing again would only be refused again.
    } else {
      this.#reportError(new SessionError(`server error: ${message || 'ERROR frame'}`, { code: 'stomp_error', frame }));
    }
    // The server closes after ERROR; do not wait for it.
    client.forceDisconnect();
  }

  // A SUBSCRIBE the server refuses (e.g. a room that closed while we were away) names its
  // destination at the end of the ERROR body: forget that subscription, so the reconnect that
  // follows does not ask again and loop. True when one was dropped.
  #dropRefusedSubscription(frame) {
    const body = String(frame?.body ?? '');
    for (const [id, entry] of this.#subscriptions) {
      if (!body.endsWith(`: ${entry.destination}`)) continue;
      this.#subscriptions.delete(id);
      entry.live = null;
      entry.liveClient = null;
      this.#reportError(new SessionError(`subscription refused: ${entry.destination}`,
        { code: 'subscription_refused', frame, destination: entry.destination }));
      entry.onRefused?.(frame?.headers?.message ?? '');
      return true;
    }
    return false;
  }

  #socketClosed(client, event) {
    if (client !== this.#client) return;
    this.#client = null;
    if (this.#connectedAt !== null && this.#now() - this.#connectedAt >= this.#stableMs) this.#attempt = 0;
    this.#connectedAt = null;
    client.deactivate().catch(() => {});
    if (!this.#wantConnected) return;
    if (this.#isOffline()) {
      this.#setStatus('offline');
      return;
    }
    this.#scheduleRetry(this.#forceRefresh ? 'token refresh' : `connection closed (${event?.code ?? 'no code'})`);
  }

  #scheduleRetry(reason) {
    clearTimeout(this.#retryTimer);
    // A token refresh after a long-lived connection goes at once; anything else waits its turn.
    const delayMs = this.#forceRefresh && this.#attempt === 0
      ? 0
      : backoffDelay(this.#attempt, this.#backoff, this.#random);
    this.#attempt += 1;
    this.#setStatus('reconnecting', { reason, attempt: this.#attempt, delayMs }, true);
    this.#retryTimer = this.#timer(() => {
      this.#retryTimer = null;
      this.#open();
    }, delayMs);
  }

  // Drops the live connection now; the close starts a retry with a fresh token.
  #reconnectNow() {
    this.#forceRefresh = true;
    const client = this.#client;
    if (client) client.forceDisconnect();
  }

  // Forgets the current client (its late callbacks are ignored) and closes it: DISCONNECT when
  // connected, bounded by 2 s, then the socket is dropped.
  #detachClient() {
    const client = this.#client;
    this.#client = null;
    this.#connectedAt = null;
    this.#opening = false;
    if (!client) return Promise.resolve();
    let timer;
    const bound = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), 2000);
    });
    return Promise.race([client.deactivate().catch(() => {}), bound]).then((outcome) => {
      clearTimeout(timer);
      if (outcome === 'timeout') return client.deactivate({ force: true }).catch(() => {});
      return undefined;
    });
  }

  #wentOffline() {
    if (!this.#wantConnected) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#setStatus('offline');
    // The socket is dead or soon will be; do not wait for the heart-beats to notice.
    if (this.#client) this.#client.forceDisconnect();
  }

  #wentOnline() {
    if (!this.#wantConnected || this.#client || this.#opening) return;
    this.#attempt = 0;
    this.#open();
  }

  #listen(on) {
    const events = this.#events;
    if (!events || on === this.#listening) return;
    this.#listening = on;
    const method = on ? 'addEventListener' : 'removeEventListener';
    events[method]('online', this.#onlineListener);
    events[method]('offline', this.#offlineListener);
  }

  // ---- internals: state ----------------------------------------------------------------------

  #signOut(reason, error) {
    const wasSignedIn = this.#token !== null;
    this.#epoch += 1;
    this.#wantConnected = false;
    this.#everConnected = false;
    this.#token = null;
    this.#expiresAt = 0;
    this.#lifetimeMs = 0;
    this.#user = null;
    this.#refreshStore?.set(null);
    this.#clientToken = null;
    this.#forceRefresh = false;
    this.#clearTimers();
    this.#listen(false);
    if (wasSignedIn) {
      // The next sign-in may be another user, with other rights: the page subscribes again.
      this.#queue.length = 0;
      this.#subscriptions.clear();
    }
    this.#detachClient();
    this.#rejectWaiters(new SessionError(`signed out: ${reason}`, { code: 'signed_out' }));
    this.#setStatus('signed-out', error ? { reason, error } : { reason });
  }

  #clearTimers() {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#refreshTimer);
    this.#retryTimer = null;
    this.#refreshTimer = null;
  }

  #rejectWaiters(error) {
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  #setStatus(status, detail = {}, always = false) {
    if (status === this.#status && !always) return;
    this.#status = status;
    try {
      this.#onStatus(status, detail);
    } catch (error) {
      this.#reportError(new SessionError('onStatus threw', { code: 'handler', cause: error }));
    }
  }

  #reportError(error) {
    try {
      this.#onError(error);
    } catch {
      // A failing error handler has nowhere left to report to.
    }
  }

  // setTimeout bounded to what timers accept; `unref` keeps a background refresh from holding a
  // Node process open (browsers have no such thing).
  #timer(callback, ms, { minMs = 0, unref = false } = {}) {
    const delay = Math.min(MAX_TIMER_MS, Math.max(minMs, Number.isFinite(ms) ? ms : 0));
    const handle = setTimeout(callback, delay);
    if (unref) handle?.unref?.();
    return handle;
  }
}
