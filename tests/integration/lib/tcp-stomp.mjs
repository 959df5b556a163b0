// A raw STOMP-over-TCP client on node:net, for the stomp.tcp-port listener: exact bytes out (also
// split into many writes), the frame parser of raw-stomp.mjs in, heart-beat counting. Plus
// freeTcpPort() to give the listener a port, since stomp.tcp-port 0 means off.

import { createServer, connect as netConnect } from 'node:net';

import { Inbox } from './inbox.mjs';
import { FrameParser, encodeFrame } from './raw-stomp.mjs';
import { delay } from './util.mjs';

// A port that was free a moment ago on 127.0.0.1 (the OS picked it, then it was released).
export function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export class TcpStomp {
  // Connects; rejects with the socket error (e.g. code ECONNREFUSED).
  static open(port, { host = '127.0.0.1', timeoutMs = 5000 } = {}) {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new TcpStomp(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.frames = new Inbox('STOMP frame');
    this.heartbeats = 0;
    this.parseError = null;
    this.ended = false;  // the server sent FIN
    this.messageCount = 0;   // MESSAGE frames received
    this.countWaiters = [];  // { count, resolve } for waitForMessages()
    this.parser = new FrameParser(
      (frame) => {
        if (frame.command === 'MESSAGE') this.#countMessage();
        this.frames.push(frame);
      },
      () => {
        this.heartbeats += 1;
      },
    );
    socket.on('data', (chunk) => {
      try {
        this.parser.push(chunk);
      } catch (error) {
        this.parseError = error;
      }
    });
    socket.on('end', () => {
      this.ended = true;
    });
    socket.on('error', () => {});  // a reset shows up as the close that follows
    this.closed = new Promise((resolve) => {
      socket.once('close', (hadError) => {
        this.frames.fail(new Error('connection closed before the frame arrived'));
        resolve({ hadError, ended: this.ended });
      });
    });
  }

  #countMessage() {
    this.messageCount += 1;
    this.countWaiters = this.countWaiters.filter((waiter) => {
      if (waiter.count > this.messageCount) return true;
      waiter.resolve();
      return false;
    });
  }

  // Resolves once `count` MESSAGE frames have arrived in total.
  waitForMessages(count, timeoutMs = 5000) {
    if (this.messageCount >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { count, resolve: null };
      const timer = setTimeout(() => {
        this.countWaiters = this.countWaiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms: ${this.messageCount} of ${count} messages arrived`));
      }, timeoutMs);
      waiter.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
      this.countWaiters.push(waiter);
    });
  }

  sendRaw(data) {
    return new Promise((resolve) => {
      this.socket.write(data, () => resolve());
    });
  }

  send(command, headers = {}, body = '') {
    return this.sendRaw(encodeFrame(command, headers, body));
  }

  // Writes `data` in pieces of `size` bytes, waiting `pauseMs` between them so that they leave
  // as separate TCP segments.
  async sendInPieces(data, size = 1, pauseMs = 1) {
    const bytes = Buffer.from(data);
    for (let at = 0; at < bytes.length; at += size) {
      await this.sendRaw(bytes.subarray(at, at + size));
      if (pauseMs > 0) await delay(pauseMs);
    }
  }

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
  async subscribe(destination, id = destination, { timeoutMs = 5000 } = {}) {
    const receipt = `sub-${id}-${Math.random().toString(36).slice(2)}`;
    await this.send('SUBSCRIBE', { id, destination, receipt });
    await this.nextFrame((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === receipt, timeoutMs);
  }

  waitClosed(timeoutMs = 5000) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([this.closed, timeout]).finally(() => clearTimeout(timer));
  }

  close() {
    this.socket.destroy();
    return this.closed;
  }
}
