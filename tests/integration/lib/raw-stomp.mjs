// A raw STOMP-over-WebSocket client on the `ws` package, for what well-behaved client libraries
// will not do: hostile frames, heart-beats that stop, a reader that stops reading. It writes
// exactly the bytes it is given and parses every frame the server sends (several frames may share
// one WebSocket message; a lone EOL is a heart-beat).

import WebSocket from 'ws';

import { Inbox } from './inbox.mjs';

export const STOMP_SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;

function unescapeHeader(text) {
  return text.replace(/\\([\\nrc])/g, (_, c) => ({ '\\': '\\', n: '\n', r: '\r', c: ':' })[c]);
}

// Incremental parser of the server's byte stream.
export class FrameParser {
  constructor(onFrame, onHeartbeat) {
    this.onFrame = onFrame;
    this.onHeartbeat = onHeartbeat;
    this.buffer = Buffer.alloc(0);
  }

  push(chunk) {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    while (this.#parseOne()) {
      // Keep going while whole frames are buffered.
    }
  }

  #parseOne() {
    const buffer = this.buffer;
    if (buffer.length === 0) return false;
    if (buffer[0] === LF) {
      this.buffer = buffer.subarray(1);
      this.onHeartbeat();
      return true;
    }
    if (buffer[0] === CR && buffer.length > 1 && buffer[1] === LF) {
      this.buffer = buffer.subarray(2);
      this.onHeartbeat();
      return true;
    }
    const headEnd = buffer.indexOf('\n\n');
    if (headEnd < 0) return false;
    const lines = buffer.subarray(0, headEnd).toString('utf8').split('\n').map((line) => line.replace(/\r$/, ''));
    const command = lines[0];
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = unescapeHeader(line.slice(0, colon));
      // STOMP: the first occurrence of a repeated header wins.
      if (!(name in headers)) headers[name] = unescapeHeader(line.slice(colon + 1));
    }
    const bodyStart = headEnd + 2;
    let bodyEnd;
    if (headers['content-length'] !== undefined) {
      bodyEnd = bodyStart + Number.parseInt(headers['content-length'], 10);
      if (buffer.length < bodyEnd + 1) return false;
    } else {
      bodyEnd = buffer.indexOf(NUL, bodyStart);
      if (bodyEnd < 0) return false;
    }
    if (buffer[bodyEnd] !== NUL) throw new Error(`frame ${command} is not terminated by NUL`);
    const body = buffer.subarray(bodyStart, bodyEnd).toString('utf8');
    this.buffer = buffer.subarray(bodyEnd + 1);
    this.onFrame({ command, headers, body });
    return true;
  }
}

// Encodes one frame; `body` may be a string or a Buffer. Headers are written as given (no
// escaping), so tests control every byte.
export function encodeFrame(command, headers = {}, body = '') {
  let head = `${command}\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}:${value}\n`;
  head += '\n';
  return Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(body), Buffer.from([NUL])]);
}

// What a raw STOMP test client does whatever carries its bytes (WebSocket here, TCP in
// tcp-stomp.mjs): parse frames into an inbox, count MESSAGEs, CONNECT, SUBSCRIBE. Subclasses
// provide send(), sendRaw() and `closed`, and hand what arrives to receive().
export class StompClient {
  constructor() {
    this.frames = new Inbox('STOMP frame');
    this.heartbeats = 0;
    this.lastHeartbeatAt = 0;
    this.parseError = null;
    this.messageCount = 0;     // MESSAGE frames received
    this.countWaiters = [];    // { count, resolve } for waitForMessages()
    this.parser = new FrameParser(
      (frame) => {
        if (frame.command === 'MESSAGE') this.#countMessage();
        this.frames.push(frame);
      },
      () => {
        this.heartbeats += 1;
        this.lastHeartbeatAt = Date.now();
      },
    );
  }

  receive(chunk) {
    try {
      this.parser.push(chunk);
    } catch (error) {
      this.parseError = error;
    }
  }

  #countMessage() {
    this.messageCount += 1;
    while (this.countWaiters.length > 0 && this.countWaiters[0].count <= this.messageCount) {
      this.countWaiters.shift().resolve();
    }
  }

  // Resolves once `count` MESSAGE frames have arrived in total.
  waitForMessages(count, timeoutMs = 5000) {
    if (this.messageCount >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { count, resolve: null };
      const timer = setTimeout(() => {
        this.countWaiters.splice(this.countWaiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms: ${this.messageCount} of ${count} messages arrived`));
      }, timeoutMs);
      waiter.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
      // Kept sorted by count so the loop in #countMessage can stop at the first unmet one.
      const at = this.countWaiters.findIndex((w) => w.count > count);
      this.countWaiters.splice(at < 0 ? this.countWaiters.length : at, 0, waiter);
    });
  }

  // The next frame matching `command` (a string) or `predicate` (a function).
  nextFrame(match = () => true, timeoutMs = 5000) {
    const predicate = typeof match === 'string' ? (frame) => frame.command === match : match;
    const what = typeof match === 'string' ? `a ${match} frame` : 'a matching frame';
    return this.frames.next(predicate, timeoutMs, what);
  }

  // CONNECT with a bearer token; resolves with CONNECTED, throws (with `.frame`) on ERROR.
  async connect(token, { heartBeat = '0,0', acceptVersion = '1.2', headers = {}, timeoutMs = 5000 } = {}) {
    const connectHeaders = { 'accept-version': acceptVersion, host: '127.0.0.1', 'heart-beat': heartBeat, ...headers };
    if (token) connectHeaders.Authorization = `Bearer ${token}`;
    await this.send('CONNECT', connectHeaders);
    const frame = await this.nextFrame((f) => f.command === 'CONNECTED' || f.command === 'ERROR', timeoutMs);
    if (frame.command === 'ERROR') {
      const error = new Error(`CONNECT refused: ${frame.headers.message}`);
      error.frame = frame;
      throw error;
    }
    return frame;
  }

  // SUBSCRIBE and wait for its RECEIPT.
  async subscribe(destination, id = destination, { timeoutMs = 5000, headers = {} } = {}) {
    const receipt = `sub-${id}-${Math.random().toString(36).slice(2)}`;
    await this.send('SUBSCRIBE', { id, destination, receipt, ...headers });
    await this.nextFrame((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === receipt, timeoutMs);
  }

  waitClosed(timeoutMs = 5000) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([this.closed, timeout]).finally(() => clearTimeout(timer));
  }
}

export class RawStomp extends StompClient {
  // Opens the WebSocket; rejects with `.statusCode` set when the server refuses the handshake.
  // `tls`: options for a wss:// URL (e.g. { ca } to trust a test certificate).
  static open(url, { protocols = STOMP_SUBPROTOCOLS, origin, timeoutMs = 5000, headers, tls = {} } = {}) {
    return new Promise((resolve, reject) => {
      const options = { handshakeTimeout: timeoutMs, headers, ...tls };
      if (origin) options.origin = origin;
      const ws = new WebSocket(url, protocols, options);
      const client = new RawStomp(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (request, response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => {
          const error = new Error(`WebSocket handshake refused with HTTP ${response.statusCode}`);
          error.statusCode = response.statusCode;
          error.body = body;
          error.headers = response.headers;
          request.destroy();
          reject(error);
        });
      });
      ws.once('error', (error) => reject(error));
    });
  }

  constructor(ws) {
    super();
    this.ws = ws;
    this.closeInfo = null;
    ws.on('message', (data) => this.receive(Buffer.isBuffer(data) ? data : Buffer.from(data)));
    // Errors after open (a reset socket) show up as the close that follows.
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        this.frames.fail(new Error(`connection closed (code ${code}) before the frame arrived`));
        resolve(this.closeInfo);
      });
    });
  }

  get protocol() {
    return this.ws.protocol;
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  sendRaw(data) {
    this.ws.send(data);
  }

  send(command, headers = {}, body = '') {
    this.ws.send(encodeFrame(command, headers, body).toString('utf8'));
  }

  // Stop reading from the socket: the server's writes pile up in the kernel, then in its queue.
  pause() {
    this.ws.pause();
  }

  resume() {
    this.ws.resume();
  }

  close() {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    return this.closed;
  }
}
