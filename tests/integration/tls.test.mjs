// TLS on the server's own port (server.tls.*): HTTPS, WSS and SockJS on one port with a
// certificate made here; modern versions only; a plain request told to use https://; the refresh
// cookie Secure; a renewed certificate taken on SIGHUP while open connections carry on; a broken
// one refused at start and kept out on reload.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { RawStomp } from './lib/raw-stomp.mjs';
import { createServerDir, removeServerDir, runCommand, startServer } from './lib/server.mjs';

const TEST_TIMEOUT = 40000;

// A self-signed certificate for 127.0.0.1 and its key, written as `<name>.crt` / `<name>.key`.
function makeCertificate(dir, name, commonName, { days = 30 } = {}) {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', String(days), '-subj', `/CN=${commonName}`,
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  chmodSync(key, 0o600);
  return { cert, key, pem: readFileSync(cert) };
}

async function startTlsServer(t, dir, files, settings = {}) {
  const server = await startServer({
    dir,
    settings: { 'server.tls.cert-file': files.cert, 'server.tls.key-file': files.key, ...settings },
  });
  t.after(() => server.stop());
  return server;
}

// One HTTPS request trusting `ca`; resolves with { status, headers, text, json, certificate }.
function httpsCall(server, path, { ca, method = 'GET', json, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const body = json === undefined ? undefined : JSON.stringify(json);
    const request = httpsRequest({
      host: '127.0.0.1', port: server.port, path, method, ca, agent: false,
      headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
      timeout: 5000,
    }, (response) => {
      const certificate = response.socket.getPeerX509Certificate();
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => {
        let parsed;
        try { parsed = JSON.parse(text); } catch { parsed = undefined; }
        resolve({ status: response.statusCode, headers: response.headers, text, json: parsed, certificate });
      });
    });
    request.on('timeout', () => request.destroy(new Error('HTTPS request timed out')));
    request.on('error', reject);
    request.end(body);
  });
}

// The TLS version a client limited to [minVersion, maxVersion] gets, or the handshake's error.
function negotiate(server, ca, options) {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: server.port, ca, servername: 'localhost', ...options }, () => {
      const version = socket.getProtocol();
      socket.destroy();
      resolve({ version });
    });
    socket.on('error', (error) => resolve({ error }));
  });
}

function plainRequest(port, text) {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => { answer += chunk; });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer to a plain request')));
  });
}

async function openWss(server, ca, token) {
  const client = await RawStomp.open(`wss://127.0.0.1:${server.port}/ws`, { tls: { ca } });
  await client.connect(token);
  return client;
}

// A lobby message sent by `client` comes back to its own subscription: the connection works.
async function roundTrip(client, content) {
  await client.send('SEND', { destination: '/app/chat.send', 'content-type': 'application/json' }, JSON.stringify({ content }));
  const frame = await client.frames.next((f) => f.command === 'MESSAGE' && f.body.toString().includes(content), 5000);
  assert.ok(frame);
}

describe('TLS on the server\'s own port', () => {
  it('serves HTTPS, WSS and SockJS on one port, modern versions only', { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = await createServerDir();
    t.after(() => removeServerDir(dir));
    const files = makeCertificate(dir, 'server', 'chat.test');
    const server = await startTlsServer(t, dir, files);
    await server.waitForLog(/TLS: CN=chat\.test, expires \d{4}-\d{2}-\d{2}/);
    await server.waitForLog(/listening on https:\/\/127\.0\.0\.1:/);

    const health = await httpsCall(server, '/health', { ca: files.pem });
    assert.equal(health.status, 200, health.text);
    assert.match(health.headers['x-request-id'], /^r[0-9a-f]{16}$/);
    assert.equal(new X509Certificate(health.certificate.raw).subject, 'CN=chat.test');
    const page = await httpsCall(server, '/', { ca: files.pem });
    assert.equal(page.status, 200);

    // The refresh cookie is Secure because the request came over TLS (auth.cookie-secure unset).
    const guest = await httpsCall(server, '/api/auth/guest', { ca: files.pem, method: 'POST', json: {} });
    assert.equal(guest.status, 200, guest.text);
    const cookie = (guest.headers['set-cookie'] ?? []).find((line) => line.startsWith('aicc_refresh='));
    assert.ok(cookie, 'a refresh cookie is set');
    assert.match(cookie, /; Secure/);

    // Versions: TLS 1.3 by default, 1.2 still spoken, nothing older offered by the server.
    assert.equal((await negotiate(server, files.pem, {})).version, 'TLSv1.3');
    assert.equal((await negotiate(server, files.pem, { maxVersion: 'TLSv1.2' })).version, 'TLSv1.2');

    // A plain HTTP request on the TLS port is told why, in plain HTTP.
    const plain = await plainRequest(server.port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(plain, /^HTTP\/1\.1 400 /);
    assert.match(plain, /"error":"tls_required"/);
    assert.match(plain, /use https:\/\//);

    // STOMP over WSS.
    const token = guest.json.accessToken;
    const client = await openWss(server, files.pem, token);
    t.after(() => client.close());
    await client.subscribe('/topic/chat');
    await roundTrip(client, 'over wss');

    // SockJS over HTTPS: its info, an xhr-polling session opening, and its WebSocket transport.
    const info = await httpsCall(server, '/ws-chat/info', { ca: files.pem });
    assert.equal(info.status, 200);
    assert.equal(info.json.websocket, true);
    const opened = await httpsCall(server, '/ws-chat/000/tlssession/xhr', { ca: files.pem, method: 'POST', headers: { origin: `https://127.0.0.1:${server.port}` } });
    assert.equal(opened.status, 200, opened.text);
    assert.equal(opened.text, 'o\n');
    const sockjsSocket = await RawStomp.open(`wss://127.0.0.1:${server.port}/ws-chat/websocket`, { tls: { ca: files.pem } });
    await sockjsSocket.connect(token);
    sockjsSocket.close();
  });

  it('takes a renewed certificate on SIGHUP without dropping open connections', { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = await createServerDir();
    t.after(() => removeServerDir(dir));
    const first = makeCertificate(dir, 'server', 'first.test');
    const server = await startTlsServer(t, dir, first);
    const guest = await httpsCall(server, '/api/auth/guest', { ca: first.pem, method: 'POST', json: {} });
    const open = await openWss(server, first.pem, guest.json.accessToken);
    t.after(() => open.close());
    await open.subscribe('/topic/chat');

    // The renewal is written beside the files and renamed over them, as certbot-like tools do.
    const renewed = makeCertificate(dir, 'renewed', 'renewed.test');
    renameSync(renewed.cert, first.cert);
    renameSync(renewed.key, first.key);
    server.child.kill('SIGHUP');
    await server.waitForLog(/SIGHUP: TLS certificate reloaded: CN=renewed\.test/);
    const after = await httpsCall(server, '/health', { ca: renewed.pem });
    assert.equal(new X509Certificate(after.certificate.raw).subject, 'CN=renewed.test');
    await roundTrip(open, 'still open after the reload');

    // A broken file is refused and the renewed pair stays.
    writeFileSync(first.cert, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
    server.child.kill('SIGHUP');
    await server.waitForLog(/SIGHUP: TLS certificate not reloaded, the previous one stays: server\.tls\.cert-file/);
    const still = await httpsCall(server, '/health', { ca: renewed.pem });
    assert.equal(new X509Certificate(still.certificate.raw).subject, 'CN=renewed.test');
    assert.ok(server.running);
  });

  it('refuses to start with files that do not make a pair, and check-config says so', { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = await createServerDir();
    t.after(() => removeServerDir(dir));
    const one = makeCertificate(dir, 'one', 'one.test');
    const other = makeCertificate(dir, 'other', 'other.test', { days: 10 });

    await assert.rejects(
      startServer({ dir, settings: { 'server.tls.cert-file': one.cert, 'server.tls.key-file': other.key } }),
      /server\.tls\.key-file ".*other\.key" is not the key of server\.tls\.cert-file/);
    await assert.rejects(
      startServer({ dir, settings: { 'server.tls.cert-file': one.cert } }),
      /server\.tls\.cert-file and server\.tls\.key-file go together/);
    await assert.rejects(
      startServer({ dir, settings: { 'server.tls.cert-file': join(dir, 'missing.crt'), 'server.tls.key-file': one.key } }),
      /server\.tls\.cert-file ".*missing\.crt" cannot be used/);

    const secret = 'Zk3q9VbX2mLp7RtY4wNc8HsJ6dFg1QaE';
    const mismatched = await runCommand(dir, ['check-config'], {
      settings: { 'jwt.secret': secret, 'server.tls.cert-file': one.cert, 'server.tls.key-file': other.key },
    });
    assert.equal(mismatched.code, 2, mismatched.stdout + mismatched.stderr);
    assert.match(mismatched.stderr, /is not the key of server\.tls\.cert-file/);

    chmodSync(other.key, 0o644);
    const checked = await runCommand(dir, ['check-config'], {
      settings: { 'jwt.secret': secret, 'server.tls.cert-file': other.cert, 'server.tls.key-file': other.key, 'server.host': '0.0.0.0' },
    });
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /# TLS certificate: CN=other\.test, expires /);
    assert.match(checked.stdout, /warning: server\.tls\.cert-file expires within 30 days/);
    assert.match(checked.stdout, /warning: server\.tls\.key-file .* is readable by every user/);
    assert.doesNotMatch(checked.stdout, /auth\.cookie-secure is false/, 'TLS makes the cookie Secure');
  });
});
