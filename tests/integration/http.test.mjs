// The HTTP side of the server: WebSocket handshake checks (Origin, subprotocol, per-IP rate limit),
// operational endpoints (/health, /metrics), static files and path traversal, and SockJS /info.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { rawHttpRequest } from './lib/http.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';
import { INDEX_MARKER, SECRET_FILE_CONTENT, startServer } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';
import { parseMetrics, waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 15000;

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

async function expectHandshakeRefused(url, options, status, errorCode) {
  await assert.rejects(RawStomp.open(url, options), (error) => {
    assert.equal(error.statusCode, status, error.message);
    if (errorCode) assert.equal(JSON.parse(error.body).error, errorCode);
    return true;
  });
}

describe('WebSocket handshake', () => {
  it('refuses a foreign Origin on /ws with 403', { timeout: TEST_TIMEOUT }, async () => {
    await expectHandshakeRefused(server.wsUrl, { origin: 'http://evil.example' }, 403, 'origin_not_allowed');
    await expectHandshakeRefused(server.wsUrl, { origin: 'https://localhost.evil.example' }, 403);
    await expectHandshakeRefused(server.wsUrl, { origin: 'null' }, 403);
  });

  it('refuses a foreign Origin on the SockJS endpoints with 403', { timeout: TEST_TIMEOUT }, async () => {
    const ws = `ws://127.0.0.1:${server.port}`;
    await expectHandshakeRefused(`${ws}/ws-chat/websocket`, { origin: 'http://evil.example' }, 403);
    await expectHandshakeRefused(`${ws}/ws-stomp/123/abcdefgh/websocket`, { origin: 'http://evil.example' }, 403);
    const response = await fetch(`${server.httpUrl}/ws-chat/123/evilsess/xhr_streaming`, {
      method: 'POST',
      headers: { Origin: 'http://evil.example' },
    });
    assert.equal(response.status, 403);
    await response.arrayBuffer();
  });

  it('accepts the same origin, localhost and a client without Origin', { timeout: TEST_TIMEOUT }, async () => {
    for (const origin of [`http://127.0.0.1:${server.port}`, 'http://localhost:3000', undefined]) {
      const client = await RawStomp.open(server.wsUrl, { origin });
      try {
        await client.connect(mintToken({ secret: server.secret }));
      } finally {
        await client.close();
      }
    }
  });

  it('answers v12.stomp when it is offered, else the best one offered', { timeout: TEST_TIMEOUT }, async () => {
    for (const [offered, expected] of [
      [['v10.stomp', 'v11.stomp', 'v12.stomp'], 'v12.stomp'],
      [['v12.stomp'], 'v12.stomp'],
      [['v10.stomp', 'v11.stomp'], 'v11.stomp'],
      [['v10.stomp'], 'v10.stomp'],
    ]) {
      const client = await RawStomp.open(server.wsUrl, { protocols: offered });
      assert.equal(client.protocol, expected, `offered ${offered}`);
      await client.close();
    }
  });

  it('answers 404 to a WebSocket upgrade on an unknown path', { timeout: TEST_TIMEOUT }, async () => {
    await expectHandshakeRefused(`ws://127.0.0.1:${server.port}/not-a-socket`, {}, 404);
  });
});

describe('WebSocket handshake rate limit', () => {
  it('answers 429 once an address used up its handshake burst', { timeout: TEST_TIMEOUT }, async () => {
    const limited = await startServer({
      settings: { 'ws.handshake-rate-per-ip': '0.001', 'ws.handshake-burst-per-ip': '3' },
    });
    try {
      for (let i = 0; i < 3; i += 1) await (await RawStomp.open(limited.wsUrl)).close();
      await assert.rejects(RawStomp.open(limited.wsUrl), (error) => {
        assert.equal(error.statusCode, 429);
        assert.equal(JSON.parse(error.body).error, 'rate_limited');
        return true;
      });
      // Plain HTTP is not a handshake and is not limited.
      assert.equal((await fetch(`${limited.httpUrl}/health`)).status, 200);
    } finally {
      const result = await limited.stop();
      assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
    }
  });
});

describe('operational endpoints', () => {
  it('GET /health answers 200 {"status":"ok"}', { timeout: TEST_TIMEOUT }, async () => {
    const response = await fetch(`${server.httpUrl}/health`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /application\/json/);
    const body = await response.json();
    assert.equal(body.status, 'ok');
  });

  it('GET /health/ready answers 200 {"status":"ready"} once the store answered its check', { timeout: TEST_TIMEOUT }, async () => {
    let ready;
    await waitUntil(async () => {
      ready = await fetch(`${server.httpUrl}/health/ready`);
      return ready.status === 200;
    }, { timeoutMs: 5000, what: '/health/ready to say 200' });
    assert.match(ready.headers.get('content-type'), /application\/json/);
    assert.deepEqual(await ready.json(), { status: 'ready', problems: [] });
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /^aicc_ready 1$/m);
    // One node on SQLite: no bus and no pool figures.
    assert.doesNotMatch(metrics, /aicc_bus_|aicc_store_pool/);
  });

  it('GET /metrics is Prometheus text with connection and frame counters', { timeout: TEST_TIMEOUT }, async () => {
    // One STOMP exchange, so the frame counters have something to count.
    const client = await RawStomp.open(server.wsUrl);
    try {
      await client.connect(mintToken({ secret: server.secret }));
      await client.subscribe('/topic/chat');
      const response = await fetch(`${server.httpUrl}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type'), /^text\/plain/);
      const text = await response.text();
      assert.match(text, /^# TYPE aicc_connections gauge$/m);
      assert.match(text, /^# TYPE aicc_frames_in_total counter$/m);
      const values = parseMetrics(text);
      assert.ok(values['aicc_connections{transport="websocket"}'] >= 1, 'the open connection is counted');
      assert.ok(values['aicc_frames_in_total{command="CONNECT"}'] >= 1, 'CONNECT is counted');
      assert.ok(values['aicc_frames_in_total{command="SUBSCRIBE"}'] >= 1, 'SUBSCRIBE is counted');
    } finally {
      await client.close();
    }
  });

  it('answers 405 with Allow to a method a path does not take', { timeout: TEST_TIMEOUT }, async () => {
    const response = await fetch(`${server.httpUrl}/health`, { method: 'POST' });
    assert.equal(response.status, 405);
    assert.match(response.headers.get('allow'), /GET/);
    assert.equal((await response.json()).error, 'method_not_allowed');
  });

  it('answers 400 to a malformed request and 413 to oversized headers or bodies', { timeout: TEST_TIMEOUT }, async () => {
    const garbage = await rawHttpRequest(server.port, '', { raw: 'THIS IS NOT HTTP\r\n\r\n' });
    assert.equal(garbage.status, 400);
    const bigHeader = await rawHttpRequest(server.port, '/health', { headers: { 'X-Padding': 'h'.repeat(20 * 1024) } });
    assert.equal(bigHeader.status, 413);
    const bigBody = await rawHttpRequest(server.port, '', {
      raw: `POST /ws-chat/000/bigbody/xhr_send HTTP/1.1\r\nHost: x\r\nContent-Length: ${4 * 1024 * 1024}\r\n\r\n`,
    });
    assert.equal(bigBody.status, 413);
    assert.equal((await fetch(`${server.httpUrl}/health`)).status, 200, 'the server is fine afterwards');
  });

  it('answers a JSON 404 for an unknown API path', { timeout: TEST_TIMEOUT }, async () => {
    const response = await fetch(`${server.httpUrl}/api/no-such-thing`);
    assert.equal(response.status, 404);
    const body = await response.json();
    assert.equal(body.error, 'not_found');
    assert.equal(typeof body.message, 'string');
  });
});

describe('static files', () => {
  it('serves the index page at / and /index.html', { timeout: TEST_TIMEOUT }, async () => {
    for (const path of ['/', '/index.html']) {
      const response = await fetch(`${server.httpUrl}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get('content-type'), /^text\/html/);
      assert.match(await response.text(), new RegExp(INDEX_MARKER));
    }
  });

  it('answers 404 for a missing file', { timeout: TEST_TIMEOUT }, async () => {
    const response = await rawHttpRequest(server.port, '/no-such-file.html');
    assert.equal(response.status, 404);
  });

  for (const target of [
    '/../secret.txt',
    '/../../../../etc/passwd',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..%2fsecret.txt',
    '/..%5csecret.txt',
    '/.%2e/secret.txt',
    '/index.html%00.txt',
    '/%00',
    '/index.html%00/../../secret.txt',
    '//secret.txt',
    '/..\\secret.txt',
    '/%252e%252e/secret.txt',
  ]) {
    it(`refuses the traversal attempt ${target}`, { timeout: TEST_TIMEOUT }, async () => {
      const response = await rawHttpRequest(server.port, target);
      assert.ok([400, 403, 404].includes(response.status), `status ${response.status}`);
      assert.ok(!response.body.includes(SECRET_FILE_CONTENT), 'the secret file must not be served');
      assert.ok(!response.body.includes('root:'), '/etc/passwd must not be served');
    });
  }

  it('serves /agent as agent.html, and every page with a CSP without inline scripts', { timeout: TEST_TIMEOUT }, async () => {
    await writeFile(join(server.dir, 'web', 'agent.html'), '<!doctype html><title>agent page</title>');
    const response = await fetch(`${server.httpUrl}/agent`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /agent page/);
    const csp = response.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /frame-ancestors 'self'(;|$)/, 'ordinary pages may not be framed by other sites');
    assert.equal((await fetch(`${server.httpUrl}/agent.js`)).status, 404, 'only extensionless paths become pages');
    assert.equal((await fetch(`${server.httpUrl}/no-such-page`)).status, 404);
  });

  it('lets the allowed origins frame the widget page only', { timeout: TEST_TIMEOUT }, async () => {
    await writeFile(join(server.dir, 'web', 'widget.html'), '<!doctype html><title>widget frame</title>');
    const csp = (await fetch(`${server.httpUrl}/widget`)).headers.get('content-security-policy');
    assert.match(csp, /frame-ancestors 'self' http:\/\/localhost:\* http:\/\/127\.0\.0\.1:\*/);
    const shop = await startServer({ settings: { 'ws.allowed-origins': 'https://shop.example.com' } });
    try {
      await writeFile(join(shop.dir, 'web', 'widget.html'), '<!doctype html><title>widget frame</title>');
      const shopCsp = (await fetch(`${shop.httpUrl}/widget`)).headers.get('content-security-policy');
      assert.match(shopCsp, /frame-ancestors 'self' https:\/\/shop\.example\.com(;|$)/);
      const index = (await fetch(`${shop.httpUrl}/`)).headers.get('content-security-policy');
      assert.match(index, /frame-ancestors 'self'(;|$)/);
    } finally {
      await shop.stop();
    }
  });

  it('still serves the index after the traversal attempts', { timeout: TEST_TIMEOUT }, async () => {
    const response = await rawHttpRequest(server.port, '/');
    assert.equal(response.status, 200);
    assert.match(response.body, new RegExp(INDEX_MARKER));
  });
});

describe('SockJS', () => {
  for (const prefix of ['/ws-chat', '/ws-stomp']) {
    it(`GET ${prefix}/info has the SockJS shape`, { timeout: TEST_TIMEOUT }, async () => {
      const response = await fetch(`${server.httpUrl}${prefix}/info`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type'), /^application\/json/);
      assert.match(response.headers.get('cache-control'), /no-cache/);
      const info = await response.json();
      assert.equal(info.websocket, true);
      assert.equal(typeof info.cookie_needed, 'boolean');
      assert.ok(Array.isArray(info.origins));
      assert.deepEqual(info.origins, ['*:*']);
      assert.ok(Number.isInteger(info.entropy), 'entropy is an integer');
      const again = await (await fetch(`${server.httpUrl}${prefix}/info`)).json();
      assert.notEqual(again.entropy, info.entropy, 'entropy is fresh on every call');
    });

    it(`GET ${prefix} greets like every SockJS server`, { timeout: TEST_TIMEOUT }, async () => {
      const response = await fetch(`${server.httpUrl}${prefix}`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'Welcome to SockJS!\n');
    });

    it(`OPTIONS ${prefix}/info answers the CORS preflight`, { timeout: TEST_TIMEOUT }, async () => {
      const response = await fetch(`${server.httpUrl}${prefix}/info`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://localhost:3000', 'Access-Control-Request-Method': 'GET' },
      });
      assert.equal(response.status, 204);
      assert.equal(response.headers.get('access-control-allow-origin'), 'http://localhost:3000');
      assert.match(response.headers.get('access-control-allow-methods'), /GET/);
    });
  }
});
