// The client libraries real users run, wired for Node:
// - @stomp/stompjs 7 over the `ws` package (raw WebSocket /ws) or over sockjs-client 1.6.1 with one
//   forced transport (Node has no global WebSocket, hence webSocketFactory);
// - stompjs 2.3.3 over sockjs-client 1.6.1, the combination of the original browser page.
//
// sockjs-client in Node has drivers for websocket (faye-websocket), xhr-streaming and xhr-polling
// (node:http) and eventsource (the `eventsource` package); the iframe, htmlfile, jsonp and xdr
// transports need a browser.

import { createRequire } from 'node:module';

import { Client } from '@stomp/stompjs';
import WebSocket from 'ws';

import { Inbox } from './inbox.mjs';
import { STOMP_SUBPROTOCOLS } from './raw-stomp.mjs';

const require = createRequire(import.meta.url);
const SockJS = require('sockjs-client');
const LegacyStomp = require('stompjs');

// The transports sockjs-client 1.6.1 can use in Node, by its own names.
export const SOCKJS_NODE_TRANSPORTS = ['websocket', 'xhr-streaming', 'xhr-polling', 'eventsource'];

// How a test reaches the server: 'ws' is a raw WebSocket on /ws; anything else is a SockJS
// transport name used alone on `sockjsPath`. A `server` with onWebSocket (a load balancer in front
// of nodes, lib/services.mjs) sees each raw WebSocket opened, to note where it landed.
export function socketFactory(server, transport, { sockjsPath = '/ws-chat', protocols = STOMP_SUBPROTOCOLS } = {}) {
  if (transport === 'ws') {
    return () => {
      const ws = new WebSocket(server.wsUrl, protocols);
      server.onWebSocket?.(ws);
      return ws;
    };
  }
  return () => new SockJS(`${server.httpUrl}${sockjsPath}`, null, { transports: [transport] });
}

let receiptCounter = 0;
function nextReceiptId(prefix) {
  receiptCounter += 1;
  return `${prefix}-${process.pid}-${receiptCounter}`;
}

// One @stomp/stompjs connection and what it received.
export class StompJsSession {
  constructor(client, connected) {
    this.client = client;
    this.connected = connected;
    this.errors = new Inbox('ERROR frame');
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  // SUBSCRIBE (waiting for its RECEIPT); returns an Inbox of { headers, body, json } messages.
  async subscribe(destination, { headers = {}, timeoutMs = 5000 } = {}) {
    const inbox = new Inbox(`message on ${destination}`);
    const receipt = nextReceiptId('sub');
    const done = this.receipt(receipt, timeoutMs);
    const subscription = this.client.subscribe(destination, (message) => {
      let json;
      try {
        json = JSON.parse(message.body);
      } catch {
        json = undefined;
      }
      inbox.push({ headers: message.headers, body: message.body, json });
    }, { ...headers, receipt });
    await done;
    inbox.subscription = subscription;
    return inbox;
  }

  // Resolves with the RECEIPT frame `receiptId` (register before sending the frame that asks for it).
  receipt(receiptId, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no RECEIPT ${receiptId} within ${timeoutMs} ms`)), timeoutMs);
      this.client.watchForReceipt(receiptId, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  publish(destination, body, headers = {}) {
    this.client.publish({ destination, body: typeof body === 'string' ? body : JSON.stringify(body), headers });
  }

  // SEND with a receipt header; resolves with the RECEIPT.
  async publishWithReceipt(destination, body, headers = {}, timeoutMs = 5000) {
    const receipt = nextReceiptId('send');
    const done = this.receipt(receipt, timeoutMs);
    this.publish(destination, body, { ...headers, receipt });
    return done;
  }

  // SEND with a receipt header; resolves once the server answered it: { receipt } when it was
  // done (stored), or { refusal } when `errors` (the Inbox of /user/queue/errors) got a refusal
  // carrying its receipt id. The refusal is not claimed: later next() calls still see it.
  async publishAnswered(destination, body, errors, { headers = {}, timeoutMs = 5000 } = {}) {
    const receipt = nextReceiptId('send');
    const answered = new Promise((resolve, reject) => {
      const refusal = () => errors?.find((m) => m.json?.receiptId === receipt);
      const poll = setInterval(() => {
        const found = refusal();
        if (found) finish({ refusal: found });
      }, 10);
      const timer = setTimeout(() => {
        clearInterval(poll);
        reject(new Error(`SEND ${receipt} to ${destination}: no RECEIPT and no refusal within ${timeoutMs} ms`));
      }, timeoutMs);
      let done = false;
      function finish(outcome) {
        if (done) return;
        done = true;
        clearInterval(poll);
        clearTimeout(timer);
        resolve(outcome);
      }
      this.client.watchForReceipt(receipt, (frame) => finish({ receipt: frame }));
    });
    this.publish(destination, body, { ...headers, receipt });
    return answered;
  }

  // SEND that the server must refuse: resolves with the refusal on `errors` that carries the
  // SEND's receipt id; fails when a RECEIPT comes instead.
  async publishRefused(destination, body, errors, options = {}) {
    const outcome = await this.publishAnswered(destination, body, errors, options);
    if (!outcome.refusal) throw new Error(`SEND to ${destination} was receipted, not refused`);
    return outcome.refusal;
  }

  // DISCONNECT and close, bounded; a connection the server already closed is fine.
  async close(timeoutMs = 3000) {
    const client = this.client;
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([client.deactivate().catch(() => {}), timeout]);
    clearTimeout(timer);
    // The server did not answer DISCONNECT in time: drop the socket.
    if (outcome === 'timeout') client.forceDisconnect();
  }
}

// Tries to open a STOMP connection. Resolves with { session } on CONNECTED, or with
// { error, closed } when the server answered ERROR (then waits for the close, up to
// `closeTimeoutMs`), or { closed, closeEvent } when the socket closed without a STOMP answer.
export function attemptStompJs({
  factory,
  connectHeaders = {},
  heartbeatIncoming = 10000,
  heartbeatOutgoing = 10000,
  timeoutMs = 8000,
  closeTimeoutMs = 5000,
} = {}) {
  return new Promise((resolve, reject) => {
    let session = null;
    let errorFrame = null;
    let settled = false;
    let closeTimer;
    const finish = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(closeTimer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      client.deactivate({ force: true }).catch(() => {});
      reject(new Error(`no STOMP answer within ${timeoutMs} ms`));
    }, timeoutMs);

    const client = new Client({
      webSocketFactory: factory,
      connectHeaders,
      reconnectDelay: 0,
      heartbeatIncoming,
      heartbeatOutgoing,
      debug: () => {},
    });
    client.onConnect = (frame) => {
      session = new StompJsSession(client, frame);
      finish({ session });
    };
    client.onStompError = (frame) => {
      if (session) {
        session.errors.push(frame);
        return;
      }
      errorFrame = frame;
      // The server closes after an ERROR; report once that happened (or did not, in time).
      closeTimer = setTimeout(() => finish({ error: errorFrame, closed: false }), closeTimeoutMs);
    };
    client.onWebSocketClose = (event) => {
      if (session) {
        session.resolveClosed(event);
        session.errors.fail(new Error('connection closed'));
        return;
      }
      finish(errorFrame ? { error: errorFrame, closed: true, closeEvent: event } : { closed: true, closeEvent: event });
    };
    client.activate();
  });
}

// Opens a STOMP connection that must succeed.
export async function openStompJs(options) {
  const outcome = await attemptStompJs(options);
  if (!outcome.session) {
    const why = outcome.error ? `ERROR ${outcome.error.headers.message}` : `socket closed (${outcome.closeEvent?.code})`;
    throw new Error(`STOMP connection refused: ${why}`);
  }
  return outcome.session;
}

// stompjs 2.3.3 over sockjs-client 1.6.1 as the original page used it. Resolves with
// { client, connected } or rejects with the ERROR frame or close message the library reported.
export function openLegacyStomp(url, headers, { timeoutMs = 8000, sockjsOptions } = {}) {
  return new Promise((resolve, reject) => {
    const client = LegacyStomp.over(new SockJS(url, null, sockjsOptions));
    client.debug = null;
    const timer = setTimeout(() => {
      try {
        client.ws.close();
      } catch {
        // Already closed.
      }
      reject(new Error(`stompjs 2.3.3: no CONNECTED within ${timeoutMs} ms`));
    }, timeoutMs);
    client.connect(
      headers,
      (frame) => {
        clearTimeout(timer);
        resolve({ client, connected: frame });
      },
      (failure) => {
        clearTimeout(timer);
        const error = new Error(`stompjs 2.3.3 connection failed: ${typeof failure === 'string' ? failure : failure.headers?.message}`);
        error.failure = failure;
        reject(error);
      },
    );
  });
}

// Ends a stompjs 2.3.3 connection politely; bounded.
export function closeLegacyStomp(client, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    try {
      client.disconnect(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}
