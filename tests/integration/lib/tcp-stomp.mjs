// A raw STOMP-over-TCP client on node:net, for the stomp.tcp-port listener: exact bytes out (also
// split into many writes), the frame parser of raw-stomp.mjs in, heart-beat counting. Plus
// freeTcpPort() to give the listener a port, since stomp.tcp-port 0 means off.

import { createServer, connect as netConnect } from 'node:net';

import { StompClient, encodeFrame } from './raw-stomp.mjs';
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

export class TcpStomp extends StompClient {
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
    super();
    this.socket = socket;
    this.ended = false;  // the server sent FIN
    socket.on('data', (chunk) => this.receive(chunk));
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

  close() {
    this.socket.destroy();
    return this.closed;
  }
}
