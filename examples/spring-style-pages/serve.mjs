// Serves the Spring-style example pages from an origin of their own, as a team's site would, with
// a Content-Security-Policy that allows scripts from this origin only and connections to the chat
// server only. Node's standard library alone; no build step.
//
//   node serve.mjs --port 8090 --chat http://localhost:8080
//
// The chat server must list this origin (http://localhost:8090) in ws.allowed-origins.
//
// The two client libraries of the original pages (SockJS 1.6.1 and stomp.js 2.3.3, which the
// original loaded from a CDN) are served as /vendor/sockjs.min.js and /vendor/stomp.min.js: from a
// `vendor/` folder beside this file when you copied them there, else from the npm packages
// `sockjs-client` and `stompjs` installed in this folder or above it (npm install sockjs-client@1.6.1
// stompjs@2.3.3). /config.js tells the pages where the chat server is (--chat).

import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// The only files served: nothing else in the folder (this script, the README) is reachable.
const PAGES = new Map([
  ['/', 'index.html'],
  ['/index.html', 'index.html'],
  ['/events.html', 'events.html'],
  ['/bot-agent.html', 'bot-agent.html'],
  ['/external-bot.html', 'external-bot.html'],
  ['/style.css', 'style.css'],
  ['/auth.js', 'auth.js'],
  ['/room-chat.js', 'room-chat.js'],
  ['/agent-panel.js', 'agent-panel.js'],
  ['/events.js', 'events.js'],
  ['/bot-agent.js', 'bot-agent.js'],
  ['/external-bot.js', 'external-bot.js'],
]);
const VENDOR = new Map([
  ['/vendor/sockjs.min.js', 'sockjs-client/dist/sockjs.min.js'],
  ['/vendor/stomp.min.js', 'stompjs/lib/stomp.min.js'],
]);
const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

// The chat server's origin and its WebSocket twin, for connect-src ("http://h:p" -> "ws://h:p").
function connectSources(chatOrigin) {
  const url = new URL(chatOrigin);
  const ws = `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`;
  return `${url.origin} ${ws}`;
}

function contentSecurityPolicy(chatOrigin) {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self' ${connectSources(chatOrigin)}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

async function vendorFile(path) {
  const name = path.slice('/vendor/'.length);
  try {
    return await readFile(join(here, 'vendor', name));
  } catch {
    return readFile(require.resolve(VENDOR.get(path)));
  }
}

// Starts the server; resolves with { url, port, setChatOrigin(), close() }. `chatOrigin`: where the
// chat server is (setChatOrigin changes it, for a chat server started after the pages).
export async function startPagesServer({ port = 8090, host = '127.0.0.1', chatOrigin = 'http://localhost:8080' } = {}) {
  let origin = new URL(chatOrigin).origin;
  const configScript = () => `// Written by serve.mjs: where the chat server is.\nwindow.CHAT_SERVER = ${JSON.stringify(origin)};\n`;
  const server = createServer(async (request, response) => {
    const path = new URL(request.url, 'http://pages').pathname;
    const headers = {
      'Content-Security-Policy': contentSecurityPolicy(origin),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
      response.end('GET and HEAD only\n');
      return;
    }
    try {
      let body;
      let type = TYPES['.js'];
      if (path === '/config.js') {
        body = configScript();
      } else if (VENDOR.has(path)) {
        body = await vendorFile(path);
      } else if (PAGES.has(path)) {
        const file = PAGES.get(path);
        body = await readFile(join(here, file));
        type = TYPES[file.slice(file.lastIndexOf('.'))];
      } else {
        response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
        response.end('not found\n');
        return;
      }
      response.writeHead(200, { ...headers, 'Content-Type': type });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      response.writeHead(500, { ...headers, 'Content-Type': 'text/plain' });
      response.end(`cannot read ${path}: ${error.message}\n`);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const shownHost = host === '127.0.0.1' || host === '::1' || host === '0.0.0.0' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    setChatOrigin: (url) => {
      origin = new URL(url).origin;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const pages = await startPagesServer({
    port: Number.parseInt(option('port', '8090'), 10),
    host: option('host', '127.0.0.1'),
    chatOrigin: option('chat', 'http://localhost:8080'),
  });
  console.log(`Spring-style pages on ${pages.url} (chat server ${new URL(option('chat', 'http://localhost:8080')).origin});`);
  console.log(`allow this origin on the chat server: ws.allowed-origins: [${pages.url}]`);
}
