// A raw HTTP/1.1 request over a plain socket, for request targets that fetch() would normalise
// ("/../x", "%2e%2e") before they reach the server.

import { connect } from 'node:net';

// Sends `GET target` (or the whole `raw` request) and resolves with { status, headers, body } once
// the server closes the connection.
export function rawHttpRequest(port, target, { method = 'GET', headers = {}, raw, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete HTTP answer to ${target} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => {
      if (raw !== undefined) {
        socket.write(raw);
        return;
      }
      let request = `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n`;
      for (const [name, value] of Object.entries(headers)) request += `${name}: ${value}\r\n`;
      socket.write(`${request}\r\n`);
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    // A server that answers before reading everything (413) may reset the connection: what it
    // sent before still counts. The close that follows every error decides.
    let failure = null;
    socket.on('error', (error) => {
      failure = error;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd < 0) {
        reject(failure ?? new Error(`malformed HTTP answer to ${target}: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const [statusLine, ...headerLines] = text.slice(0, headEnd).split('\r\n');
      const parsedHeaders = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        parsedHeaders[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const answer = {
        status: Number.parseInt(statusLine.split(' ')[1], 10),
        headers: parsedHeaders,
        body: text.slice(headEnd + 4),
      };
      // Seen by the API document check when make test records answers (lib/record-api.mjs).
      if (raw === undefined) globalThis.__aiccRecordHttpAnswer?.({ method, path: target, ...answer });
      resolve(answer);
    });
  });
}
