#!/usr/bin/env node
// Checks that a STOMP server answers: CONNECT -> CONNECTED, and with --roundtrip DEST also
// SUBSCRIBE (with a receipt) -> SEND -> the MESSAGE back on the subscription. Speaks STOMP over
// plain TCP (tcp://HOST:PORT) or over WebSocket (ws://HOST:PORT/PATH, a minimal RFC 6455 client
// written here so that no npm package is needed). Node built-ins only.
//
//   node bench/peers/stomp-check.mjs tcp://127.0.0.1:61614 --login bench --passcode bench
//   node bench/peers/stomp-check.mjs ws://127.0.0.1:15674/ws --login bench --passcode bench --vhost / --roundtrip /topic/check
//   node bench/peers/stomp-check.mjs ws://127.0.0.1:18080/ws --jwt-secret S --roundtrip /topic/chat --send-to /app/chat.send
//
// Exit status 0 when every step answered within --timeout seconds (default 10), 1 otherwise.
import net from 'node:net';
import crypto from 'node:crypto';

function usage(why) {
  console.error(`stomp-check: ${why}\nusage: stomp-check.mjs tcp://HOST:PORT|ws://HOST:PORT/PATH ` +
    '[--login L] [--passcode P] [--vhost H] [--bearer TOKEN | --jwt-secret S [--jwt-issuer I]] [--roundtrip DEST [--send-to DEST2]]\n' +
    '  [--timeout S] [--quiet]');
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length === 0) usage('a URL is required');
const options = { url: args[0], login: '', passcode: '', vhost: '', bearer: '', secret: '', issuer: 'aicc-chat', roundtrip: '', sendTo: '', timeout: 10, quiet: false };
for (let i = 1; i < args.length; i++) {
  const name = args[i];
  if (name === '--quiet') { options.quiet = true; continue; }
  const value = args[++i];
  if (value === undefined) usage(`${name} needs a value`);
  switch (name) {
    case '--login': options.login = value; break;
    case '--passcode': options.passcode = value; break;
    case '--vhost': options.vhost = value; break;
    case '--bearer': options.bearer = value; break;
    case '--jwt-secret': options.secret = value; break;
    case '--jwt-issuer': options.issuer = value; break;
    case '--roundtrip': options.roundtrip = value; break;
    case '--send-to': options.sendTo = value; break;
    case '--timeout': options.timeout = Number(value); break;
    default: usage(`unknown option ${name}`);
  }
}

// aicc-chat: an HS256 access token signed with the server's jwt.secret, as its login would issue.
if (options.secret && !options.bearer) {
  const now = Math.floor(Date.now() / 1000);
  const part = (object) => Buffer.from(JSON.stringify(object)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({
    sub: 'stomp-check', role: 'CUSTOMER', name: 'stomp-check', jti: `check-${crypto.randomUUID()}`,
    iss: options.issuer, iat: now, exp: now + 300,
  })}`;
  options.bearer = `${unsigned}.${crypto.createHmac('sha256', options.secret).update(unsigned).digest('base64url')}`;
}

const url = new URL(options.url);
if (url.protocol !== 'tcp:' && url.protocol !== 'ws:') usage('the URL must be tcp:// or ws://');
const log = (line) => { if (!options.quiet) console.log(`stomp-check: ${line}`); };
const fail = (why) => { console.error(`stomp-check: ${options.url}: ${why}`); process.exit(1); };
setTimeout(() => fail(`no answer within ${options.timeout} s (step: ${step})`), options.timeout * 1000).unref();

let step = 'connect';
const socket = net.connect({ host: url.hostname, port: Number(url.port) });
socket.on('error', (error) => fail(error.message));
socket.on('close', () => {
  if (step === 'DISCONNECT') finish();  // some servers just close after DISCONNECT
  if (step !== 'done') fail(`connection closed (step: ${step})`);
});

// --- transport: raw STOMP bytes over TCP, or STOMP frames in WebSocket text messages ---
let onStompBytes = () => {};
let sendStomp;
if (url.protocol === 'tcp:') {
  sendStomp = (text) => socket.write(text);
  socket.on('connect', () => startStomp());
  socket.on('data', (chunk) => onStompBytes(chunk));
} else {
  const key = crypto.randomBytes(16).toString('base64');
  const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.on('connect', () => {
    step = 'upgrade';
    socket.write(`GET ${url.pathname || '/'} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
      'Sec-WebSocket-Protocol: v12.stomp, v11.stomp, v10.stomp\r\n\r\n');
  });
  let buffer = Buffer.alloc(0);
  let upgraded = false;
  let message = [];  // fragments of the current message
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (!upgraded) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1');
      buffer = buffer.subarray(end + 4);
      const status = head.split('\r\n')[0];
      if (!/^HTTP\/1\.1 101/.test(status)) fail(`no WebSocket upgrade: ${status}`);
      const acceptHeader = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head);
      if (!acceptHeader || acceptHeader[1] !== accept) fail('bad Sec-WebSocket-Accept');
      const protocol = /\r\nsec-websocket-protocol:\s*(\S+)/i.exec(head);
      log(`WebSocket upgrade: ${status}${protocol ? `, subprotocol ${protocol[1]}` : ''}`);
      upgraded = true;
      startStomp();
    }
    // Frames from the server are not masked.
    for (;;) {
      if (buffer.length < 2) return;
      const fin = (buffer[0] & 0x80) !== 0;
      const opcode = buffer[0] & 0x0f;
      let length = buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) { if (buffer.length < 4) return; length = buffer.readUInt16BE(2); offset = 4; }
      else if (length === 127) { if (buffer.length < 10) return; length = Number(buffer.readBigUInt64BE(2)); offset = 10; }
      if (buffer.length < offset + length) return;
      const payload = buffer.subarray(offset, offset + length);
      buffer = buffer.subarray(offset + length);
      if (opcode === 0x8) {
        // After our DISCONNECT, a close instead of (or after) the RECEIPT is a clean end.
        if (step === 'DISCONNECT' || step === 'done') finish();
        fail(`WebSocket closed by the server (${payload.length >= 2 ? payload.readUInt16BE(0) : ''})`);
      }
      if (opcode === 0x9) { writeWs(0xA, payload); continue; }
      if (opcode === 0xA) continue;
      message.push(payload);
      if (fin) { const whole = Buffer.concat(message); message = []; onStompBytes(whole); }
    }
  });
  const writeWs = (opcode, payload) => {
    const mask = crypto.randomBytes(4);
    const head = payload.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | payload.length])
      : payload.length < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff])
        : (() => { const h = Buffer.alloc(10); h[0] = 0x80 | opcode; h[1] = 0x80 | 127; h.writeBigUInt64BE(BigInt(payload.length), 2); return h; })();
    const masked = Buffer.from(payload);
    for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i % 4];
    socket.write(Buffer.concat([head, mask, masked]));
  };
  sendStomp = (text) => writeWs(0x1, Buffer.from(text, 'utf8'));
}

// --- STOMP frames ---
let pending = Buffer.alloc(0);
const waiters = [];
onStompBytes = (bytes) => {
  pending = Buffer.concat([pending, bytes]);
  for (;;) {
    // Heart-beat EOLs between frames.
    while (pending.length > 0 && (pending[0] === 0x0a || pending[0] === 0x0d)) pending = pending.subarray(1);
    const nul = pending.indexOf(0);
    if (nul < 0) return;
    const text = pending.subarray(0, nul).toString('utf8');
    pending = pending.subarray(nul + 1);
    const split = text.indexOf('\n\n');
    const head = (split < 0 ? text : text.slice(0, split)).split(/\r?\n/);
    const frame = { command: head[0], headers: {}, body: split < 0 ? '' : text.slice(split + 2) };
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0 && !(line.slice(0, colon) in frame.headers)) frame.headers[line.slice(0, colon)] = line.slice(colon + 1);
    }
    if (frame.command === 'ERROR') fail(`ERROR frame: ${frame.headers.message || ''} ${frame.body}`.trim());
    const index = waiters.findIndex((w) => w.match(frame));
    if (index >= 0) waiters.splice(index, 1)[0].resolve(frame);
  }
};
const expect = (match) => new Promise((resolve) => waiters.push({ match, resolve }));
const frame = (command, headers, body = '') =>
  `${command}\n${Object.entries(headers).map(([k, v]) => `${k}:${v}`).join('\n')}\n\n${body}\0`;

async function startStomp() {
  step = 'CONNECT';
  const headers = { 'accept-version': '1.2,1.1,1.0', host: options.vhost || url.hostname, 'heart-beat': '0,0' };
  if (options.login) { headers.login = options.login; headers.passcode = options.passcode; }
  if (options.bearer) headers.Authorization = `Bearer ${options.bearer}`;
  sendStomp(frame('CONNECT', headers));
  const connected = await expect((f) => f.command === 'CONNECTED');
  log(`CONNECTED version ${connected.headers.version || '1.0'}${connected.headers.server ? `, server ${connected.headers.server}` : ''}`);
  if (options.roundtrip) {
    step = 'SUBSCRIBE';
    sendStomp(frame('SUBSCRIBE', { id: 'check-0', destination: options.roundtrip, ack: 'auto', receipt: 'sub-0' }));
    await expect((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'sub-0');
    log(`SUBSCRIBE ${options.roundtrip}: RECEIPT`);
    step = 'SEND/MESSAGE';
    const body = `stomp-check ${crypto.randomBytes(6).toString('hex')}`;
    const started = process.hrtime.bigint();
    // aicc-chat: clients send to /app/chat.send (JSON) and the server publishes on /topic/chat.
    const payload = options.sendTo ? JSON.stringify({ content: body }) : body;
    sendStomp(frame('SEND', {
      destination: options.sendTo || options.roundtrip,
      'content-type': options.sendTo ? 'application/json' : 'text/plain',
      'content-length': Buffer.byteLength(payload),
    }, payload));
    const message = await expect((f) => f.command === 'MESSAGE' && f.body.includes(body));
    log(`MESSAGE back on subscription ${message.headers.subscription} after ${Number(process.hrtime.bigint() - started) / 1e6} ms`);
  }
  step = 'DISCONNECT';
  sendStomp(frame('DISCONNECT', { receipt: 'bye' }));
  await expect((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'bye');
  log('DISCONNECT: RECEIPT');
  finish();
}

function finish() {
  step = 'done';
  socket.end();
  process.exit(0);
}
