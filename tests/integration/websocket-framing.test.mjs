// The server's own RFC 6455 framing (src/net/ws_frame.* and ws_transport.*), byte by byte: the
// opening handshake and its refusals, frames split across TCP writes or sharing one, control
// frames, the close handshake, hostile frames and their close codes, STOMP and SockJS traffic on
// top. Client libraries would not send most of these bytes, so the client here is a plain TCP
// socket that writes the upgrade request and masked frames by hand and parses every byte back.

import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { Inbox } from './lib/inbox.mjs';
import { FrameParser, encodeFrame } from './lib/raw-stomp.mjs';
import { startServer } from './lib/server.mjs';
import { mintToken, wrongKeyToken } from './lib/tokens.mjs';
import { delay, withTimeout } from './lib/util.mjs';

const TEST_TIMEOUT = 15000;
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa };

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

function acceptFor(key) {
  return createHash('sha1').update(key + WS_GUID).digest('base64');
}

// One client frame. `length` overrides the announced payload length (the payload is still what
// is given, possibly nothing); `mask: false` leaves it unmasked (which clients must not do).
function clientFrame(opcode, payload = Buffer.alloc(0), { fin = true, mask = true, rsv = 0, length } = {}) {
  const body = Buffer.from(payload);
  const announced = BigInt(length ?? body.length);
  const head = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (announced < 126n) {
    head.push(maskBit | Number(announced));
  } else if (announced < 65536n) {
    head.push(maskBit | 126, Number(announced >> 8n), Number(announced & 0xffn));
  } else {
    head.push(maskBit | 127);
    for (let i = 7; i >= 0; i -= 1) head.push(Number((announced >> BigInt(8 * i)) & 0xffn));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), body]);
  const key = randomBytes(4);
  const masked = Buffer.alloc(body.length);
  for (let i = 0; i < body.length; i += 1) masked[i] = body[i] ^ key[i & 3];
  return Buffer.concat([Buffer.from(head), key, masked]);
}

function closePayload(code, reason = '') {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  return Buffer.concat([payload, Buffer.from(reason)]);
}

function stompText(command, headers = {}, body = '') {
  return clientFrame(OP.text, encodeFrame(command, headers, body));
}

function connectHeaders(token) {
  return { 'accept-version': '1.2', host: '127.0.0.1', 'heart-beat': '0,0', Authorization: `Bearer ${token}` };
}

// A WebSocket client on a bare socket. Everything the server sends after its 101 is parsed into
// frames (`frames`); STOMP frames inside text messages go to `stomp` (raw /ws framing).
class WsPeer {
  constructor(socket) {
    this.socket = socket;
    this.frames = new Inbox('WebSocket frame');
    this.stomp = new Inbox('STOMP frame');
    this.buffer = Buffer.alloc(0);
    this.violations = [];       // what the server sent that RFC 6455 forbids
    this.http = null;           // { status, headers, body } once the answer's head is read
    this.stompParser = new FrameParser((frame) => this.stomp.push(frame), () => {});
    this.closed = new Promise((resolve) => socket.once('close', resolve));
    this.isClosed = false;
    this.closed.then(() => {
      this.isClosed = true;
      this.frames.fail(new Error('TCP connection closed before the frame arrived'));
      this.stomp.fail(new Error('TCP connection closed before the STOMP frame arrived'));
    });
    this.socketErrors = [];     // errors of the TCP connection (a reset: ECONNRESET)
    socket.on('error', (error) => this.socketErrors.push(error.code ?? error.message));
    this.ended = new Promise((resolve) => socket.once('end', resolve));  // the server's FIN
    socket.on('data', (chunk) => this.#receive(chunk));
    this.headRead = new Promise((resolve) => {
      this.resolveHead = resolve;
    });
    this.closed.then(() => this.resolveHead?.(null));
  }

  // Opens a TCP connection and sends the upgrade request (and `after`, in the same write).
  // Resolves once the server's answer head is read (or the connection closed without one).
  static async open({
    path = '/ws',
    method = 'GET',
    httpVersion = '1.1',
    key = randomBytes(16).toString('base64'),
    version = '13',
    protocols = 'v10.stomp, v11.stomp, v12.stomp',
    headers = {},
    after: afterBytes = Buffer.alloc(0),
    stomp = true,
    allowHalfOpen = false,  // true: the server's FIN leaves this side open to write on
  } = {}) {
    const socket = connect({ port: server.port, host: '127.0.0.1', allowHalfOpen });
    socket.setNoDelay(true);
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const peer = new WsPeer(socket);
    peer.key = key;
    peer.parseStomp = stomp;
    const lines = [`${method} ${path} HTTP/${httpVersion}`, `Host: 127.0.0.1:${server.port}`,
      'Upgrade: websocket', 'Connection: Upgrade'];
    if (key !== null) lines.push(`Sec-WebSocket-Key: ${key}`);
    if (version !== null) lines.push(`Sec-WebSocket-Version: ${version}`);
    if (protocols) lines.push(`Sec-WebSocket-Protocol: ${protocols}`);
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(afterBytes)]));
    await withTimeout(peer.headRead, 5000, 'the answer to the upgrade request');
    return peer;
  }

  // Opens and expects 101 with the right accept key.
  static async upgrade(options = {}) {
    const peer = await WsPeer.open(options);
    assert.ok(peer.http, 'the server answered the upgrade request');
    assert.equal(peer.http.status, 101, `upgrade refused: ${peer.http.status} ${peer.http.body}`);
    assert.equal(peer.http.headers['sec-websocket-accept'], acceptFor(peer.key));
    return peer;
  }

  #receive(chunk) {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (!this.http) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      const headers = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      this.http = { status: Number.parseInt(statusLine.split(' ')[1], 10), headers, body: '' };
      this.buffer = this.buffer.subarray(end + 4);
      if (this.http.status !== 101) {
        // A refusal: the rest is the body; resolve once Content-Length bytes are in.
        this.refusalBody = true;
      } else {
        this.resolveHead(this.http);
        this.resolveHead = null;
      }
    }
    if (this.refusalBody) {
      const length = Number.parseInt(this.http.headers['content-length'] ?? '0', 10);
      if (this.buffer.length >= length) {
        this.http.body = this.buffer.subarray(0, length).toString('utf8');
        this.resolveHead?.(this.http);
        this.resolveHead = null;
      }
      return;
    }
    this.#parseFrames();
  }

  #parseFrames() {
    while (this.buffer.length >= 2) {
      const b0 = this.buffer[0];
      const b1 = this.buffer[1];
      let length = b1 & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (b1 & 0x80) this.violations.push('a server frame was masked');
      if (b0 & 0x70) this.violations.push('a server frame had reserved bits set');
      if (!(b0 & 0x80)) this.violations.push('a server frame was fragmented');
      if (![OP.text, OP.binary, OP.close, OP.ping, OP.pong].includes(b0 & 0x0f)) {
        this.violations.push(`a server frame had opcode ${b0 & 0x0f}`);
      }
      if (this.buffer.length < offset + length) return;
      const frame = {
        fin: (b0 & 0x80) !== 0,
        opcode: b0 & 0x0f,
        payload: Buffer.from(this.buffer.subarray(offset, offset + length)),
      };
      this.buffer = this.buffer.subarray(offset + length);
      if (this.sawClose) this.violations.push('a frame after the close frame');
      if (frame.opcode === OP.close) {
        this.sawClose = true;
        frame.code = length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        frame.reason = frame.payload.subarray(2).toString('utf8');
      }
      if (frame.opcode === OP.text && this.stompFraming) {
        try {
          this.stompParser.push(frame.payload);
        } catch (error) {
          this.violations.push(`unparsable STOMP: ${error.message}`);
        }
      }
      this.frames.push(frame);
    }
  }

  get stompFraming() {
    return this.parseStomp !== false;
  }

  write(bytes) {
    this.socket.write(bytes);
  }

  // Writes `bytes` in pieces of `size` bytes, each its own TCP write, `pauseMs` apart.
  async writeInPieces(bytes, size = 1, pauseMs = 1) {
    for (let at = 0; at < bytes.length; at += size) {
      this.socket.write(bytes.subarray(at, at + size));
      await delay(pauseMs);
    }
  }

  nextFrame(opcode, timeoutMs = 5000) {
    return this.frames.next((f) => opcode === undefined || f.opcode === opcode, timeoutMs,
      opcode === undefined ? 'a WebSocket frame' : `a frame with opcode ${opcode}`);
  }

  nextStomp(match, timeoutMs = 5000) {
    const predicate = typeof match === 'string' ? (f) => f.command === match : match;
    return this.stomp.next(predicate, timeoutMs, typeof match === 'string' ? `a ${match} frame` : 'a STOMP frame');
  }

  // CONNECT (as one frame) and wait for CONNECTED.
  async connectStomp(token = mintToken({ secret: server.secret })) {
    this.write(stompText('CONNECT', connectHeaders(token)));
    return this.nextStomp('CONNECTED');
  }

  async subscribe(destination, id = 'sub-0') {
    const receipt = `r-${randomUUID()}`;
    this.write(stompText('SUBSCRIBE', { id, destination, receipt }));
    await this.nextStomp((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === receipt);
  }

  waitClosed(timeoutMs = 5000) {
    return withTimeout(this.closed, timeoutMs, 'the server to close the TCP connection');
  }

  destroy() {
    this.socket.destroy();
  }
}

async function peerFor(t, options) {
  const peer = await WsPeer.upgrade(options);
  t.after(() => peer.destroy());
  return peer;
}

// The server sends a close frame with `code`, then closes TCP (after which nothing else came).
async function expectClosedWith(peer, code, timeoutMs = 5000) {
  const close = await peer.nextFrame(OP.close, timeoutMs);
  assert.equal(close.code, code, `close code (reason "${close.reason}")`);
  await peer.waitClosed(timeoutMs);
  assert.deepEqual(peer.violations, []);
  return close;
}

describe('WebSocket opening handshake', () => {
  it('answers 101 with the accept key of RFC 6455 and the v12.stomp subprotocol', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t, { key: 'dGhlIHNhbXBsZSBub25jZQ==' });
    assert.equal(peer.http.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    assert.equal(peer.http.headers.upgrade.toLowerCase(), 'websocket');
    assert.equal(peer.http.headers.connection.toLowerCase(), 'upgrade');
    assert.equal(peer.http.headers['sec-websocket-protocol'], 'v12.stomp');
    assert.equal(peer.http.headers['sec-websocket-extensions'], undefined);
    // Nothing is sent before the client speaks.
    await delay(100);
    assert.equal(peer.frames.all.length, 0);
    assert.equal(peer.buffer.length, 0);
  });

  it('names the subprotocol the client offered, or none', { timeout: TEST_TIMEOUT }, async (t) => {
    const v11 = await peerFor(t, { protocols: 'v10.stomp, v11.stomp' });
    assert.equal(v11.http.headers['sec-websocket-protocol'], 'v11.stomp');
    const none = await peerFor(t, { protocols: '' });
    assert.equal(none.http.headers['sec-websocket-protocol'], undefined);
    await none.connectStomp();
  });

  it('refuses a Sec-WebSocket-Key that is not the base64 of 16 bytes with 400 and a JSON error', { timeout: TEST_TIMEOUT }, async () => {
    for (const key of ['short', 'dGhlIHNhbXBsZSBub25jZSE=', 'dGhlIHNhbXBsZSBub25jZ!==', null]) {
      const peer = await WsPeer.open({ key });
      try {
        assert.equal(peer.http?.status, 400, `key ${key}`);
        assert.match(peer.http.headers['content-type'], /application\/json/);
        const body = JSON.parse(peer.http.body);
        assert.equal(body.error, 'bad_request');
        assert.match(body.message, /Sec-WebSocket-Key/);
        await peer.waitClosed();
      } finally {
        peer.destroy();
      }
    }
  });

  it('refuses WebSocket versions other than 13 with 426 and Sec-WebSocket-Version: 13', { timeout: TEST_TIMEOUT }, async () => {
    for (const version of ['8', '12', '14', null]) {
      const peer = await WsPeer.open({ version });
      try {
        assert.equal(peer.http?.status, 426, `version ${version}`);
        assert.equal(peer.http.headers['sec-websocket-version'], '13');
        const body = JSON.parse(peer.http.body);
        assert.match(body.message, /version/);
        await peer.waitClosed();
      } finally {
        peer.destroy();
      }
    }
  });

  it('refuses an upgrade by POST with 405 and Allow: GET', { timeout: TEST_TIMEOUT }, async () => {
    const peer = await WsPeer.open({ method: 'POST', headers: { 'Content-Length': '0' } });
    try {
      assert.equal(peer.http?.status, 405, `answer: ${JSON.stringify(peer.http)}`);
      assert.equal(peer.http.headers.allow, 'GET');
      await peer.waitClosed();
    } finally {
      peer.destroy();
    }
  });

  it('refuses an upgrade over HTTP/1.0 with 400', { timeout: TEST_TIMEOUT }, async () => {
    const peer = await WsPeer.open({ httpVersion: '1.0' });
    try {
      assert.equal(peer.http?.status, 400, `answer: ${JSON.stringify(peer.http)}`);
      await peer.waitClosed();
    } finally {
      peer.destroy();
    }
  });

  it('reads a CONNECT sent in the same TCP write as the upgrade request', { timeout: TEST_TIMEOUT }, async (t) => {
    const token = mintToken({ secret: server.secret, name: 'Eager' });
    const peer = await peerFor(t, { after: stompText('CONNECT', connectHeaders(token)) });
    const connected = await peer.nextStomp('CONNECTED');
    assert.equal(connected.headers.version, '1.2');
  });

  it('completes a frame begun in the same TCP write as the upgrade request', { timeout: TEST_TIMEOUT }, async (t) => {
    const frame = stompText('CONNECT', connectHeaders(mintToken({ secret: server.secret })));
    const peer = await peerFor(t, { after: frame.subarray(0, 9) });
    await delay(50);
    assert.equal(peer.stomp.all.length, 0);
    peer.write(frame.subarray(9));
    await peer.nextStomp('CONNECTED');
  });

  it('reads several frames sent in the same TCP write as the upgrade request', { timeout: TEST_TIMEOUT }, async (t) => {
    const token = mintToken({ secret: server.secret });
    const early = Buffer.concat([
      stompText('CONNECT', connectHeaders(token)),
      clientFrame(OP.ping, 'early ping'),
      stompText('SUBSCRIBE', { id: 's', destination: '/topic/chat', receipt: 'early' }),
    ]);
    const peer = await peerFor(t, { after: early });
    await peer.nextStomp('CONNECTED');
    const pong = await peer.nextFrame(OP.pong);
    assert.equal(pong.payload.toString(), 'early ping');
    await peer.nextStomp((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'early');
  });
});

describe('WebSocket frames', () => {
  it('reassembles a frame split over many TCP writes', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    const frame = stompText('CONNECT', connectHeaders(mintToken({ secret: server.secret })));
    // Header bytes one write each, then the rest in 7-byte pieces.
    await peer.writeInPieces(frame.subarray(0, 8), 1, 5);
    await peer.writeInPieces(frame.subarray(8), 7, 1);
    await peer.nextStomp('CONNECTED');
  });

  it('reads many frames sharing one TCP write', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    const token = mintToken({ secret: server.secret });
    const receipts = Array.from({ length: 20 }, (_, i) => `many-${i}`);
    peer.write(Buffer.concat([
      stompText('CONNECT', connectHeaders(token)),
      ...receipts.map((receipt, i) => stompText('SUBSCRIBE', { id: `s${i}`, destination: '/topic/chat', receipt })),
    ]));
    await peer.nextStomp('CONNECTED');
    for (const receipt of receipts) {
      await peer.nextStomp((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === receipt);
    }
  });

  it('answers a ping with a pong carrying the same payload', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    const payload = randomBytes(125);
    peer.write(clientFrame(OP.ping, payload));
    const pong = await peer.nextFrame(OP.pong);
    assert.ok(pong.fin);
    assert.deepEqual(pong.payload, payload);
    peer.write(clientFrame(OP.ping));
    const empty = await peer.nextFrame(OP.pong);
    assert.equal(empty.payload.length, 0);
    // Still serving STOMP afterwards; an unsolicited pong is ignored.
    peer.write(clientFrame(OP.pong, 'unsolicited'));
    await peer.connectStomp();
    assert.deepEqual(peer.violations, []);
  });

  it('answers a ping that arrives between the fragments of a message', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    const connect = encodeFrame('CONNECT', connectHeaders(mintToken({ secret: server.secret })));
    const half = Math.floor(connect.length / 2);
    peer.write(clientFrame(OP.text, connect.subarray(0, half), { fin: false }));
    peer.write(clientFrame(OP.ping, 'in between'));
    const pong = await peer.nextFrame(OP.pong);
    assert.equal(pong.payload.toString(), 'in between');
    peer.write(clientFrame(OP.continuation, connect.subarray(half)));
    await peer.nextStomp('CONNECTED');
  });

  it('echoes a client close and closes the TCP connection', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    await peer.connectStomp();
    peer.write(clientFrame(OP.close, closePayload(1000, 'bye')));
    const close = await expectClosedWith(peer, 1000);
    assert.equal(close.payload.length >= 2, true);
  });

  it('answers a close frame without a code with 1000', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    peer.write(clientFrame(OP.close));
    await expectClosedWith(peer, 1000);
  });

  it('echoes the code of a client close 4000', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    peer.write(clientFrame(OP.close, closePayload(4000, 'going')));
    await expectClosedWith(peer, 4000);
  });

  it('ignores whatever follows a client close frame', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    peer.write(Buffer.concat([clientFrame(OP.close, closePayload(1000)),
      stompText('CONNECT', connectHeaders(mintToken({ secret: server.secret }))), clientFrame(OP.ping, 'late')]));
    await expectClosedWith(peer, 1000);
    assert.equal(peer.stomp.all.length, 0);
    assert.equal(peer.frames.all.filter((f) => f.opcode === OP.pong).length, 0);
  });
});

describe('hostile WebSocket frames', () => {
  it('closes with 1002 on an unmasked frame', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    peer.write(clientFrame(OP.text, encodeFrame('CONNECT', connectHeaders('x')), { mask: false }));
    const close = await expectClosedWith(peer, 1002);
    assert.match(close.reason, /mask/);
    assert.equal(peer.stomp.all.length, 0, 'the unmasked CONNECT was not read');
  });

  it('lets a client that broke the protocol read the close frame: what it still sends is dropped, never reset', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t, { allowHalfOpen: true });
    await peer.connectStomp();
    peer.write(clientFrame(OP.text, encodeFrame('SEND', { destination: '/topic/x' }), { mask: false }));
    const close = await peer.nextFrame(OP.close);
    assert.equal(close.code, 1002);
    await withTimeout(peer.ended, 5000, 'the server to shut its side of TCP');
    // The client, unaware, goes on sending (its own close frame among the rest) before it ends:
    // the server reads it all away and closes, with no reset.
    peer.write(Buffer.concat([randomBytes(256 * 1024), clientFrame(OP.close, closePayload(1000))]));
    await delay(100);
    peer.socket.end();
    await peer.waitClosed();
    assert.deepEqual(peer.socketErrors, []);
    assert.deepEqual(peer.violations, []);
  });

  it('closes with 1002 on reserved bits, unknown opcodes, and bad control frames', { timeout: TEST_TIMEOUT }, async () => {
    const cases = [
      clientFrame(OP.text, 'x', { rsv: 4 }),
      clientFrame(0x3, 'x'),
      clientFrame(0xb, ''),
      clientFrame(OP.ping, 'x', { fin: false }),
      clientFrame(OP.ping, Buffer.alloc(126)),
      clientFrame(OP.continuation, 'orphan'),
      Buffer.concat([clientFrame(OP.text, 'a', { fin: false }), clientFrame(OP.text, 'b')]),
      clientFrame(OP.close, Buffer.from([0x03])),
      clientFrame(OP.close, closePayload(1005)),
    ];
    for (const [i, bytes] of cases.entries()) {
      const peer = await WsPeer.upgrade();
      try {
        peer.write(bytes);
        const close = await peer.nextFrame(OP.close);
        assert.equal(close.code, 1002, `case ${i}: reason "${close.reason}"`);
        await peer.waitClosed();
      } finally {
        peer.destroy();
      }
    }
  });

  it('closes with 1009 on a header announcing too big a message, before any payload', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    await peer.connectStomp();
    // A 64-bit length of 1 GiB, its masking key, and no payload at all.
    peer.write(clientFrame(OP.text, Buffer.alloc(0), { length: 1024 * 1024 * 1024 }));
    const close = await expectClosedWith(peer, 1009);
    assert.match(close.reason, /too big/);
  });

  it('closes with 1009 on fragments adding up to too big a message', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    const piece = Buffer.alloc(100 * 1024, 'a');
    peer.write(clientFrame(OP.text, piece, { fin: false }));
    peer.write(clientFrame(OP.continuation, piece, { fin: false }));
    // The third announces another 100 KiB (300 KiB in all, over the 260 KiB limit) but sends none.
    peer.write(clientFrame(OP.continuation, Buffer.alloc(0), { fin: false, length: piece.length }));
    await expectClosedWith(peer, 1009);
  });

  it('closes with 1007 on a text message that is not UTF-8', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    await peer.connectStomp();
    peer.write(clientFrame(OP.text, Buffer.from([0x53, 0x45, 0x4e, 0x44, 0x0a, 0xc3, 0x28, 0x0a, 0x0a, 0x00])));
    await expectClosedWith(peer, 1007);
  });

  it('closes with 1007 on invalid UTF-8 split across fragments', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    peer.write(clientFrame(OP.text, Buffer.from([0x61, 0xe2, 0x82]), { fin: false }));
    peer.write(clientFrame(OP.continuation, Buffer.from([0x28])));
    await expectClosedWith(peer, 1007);
  });

  it('still serves everybody after the hostile frames', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    await peer.connectStomp();
    await peer.subscribe('/topic/chat');
  });
});

describe('STOMP over the WebSocket framing', () => {
  it('carries a SEND fragmented in four frames to a subscriber', { timeout: TEST_TIMEOUT }, async (t) => {
    const listener = await peerFor(t);
    await listener.connectStomp(mintToken({ secret: server.secret, name: 'Listener' }));
    await listener.subscribe('/topic/chat');
    const sender = await peerFor(t);
    await sender.connectStomp(mintToken({ secret: server.secret, name: 'Fragmenter' }));
    await sender.subscribe('/topic/chat');

    const content = `fragmented ${randomUUID()} — café ☕`;
    const send = encodeFrame('SEND', { destination: '/app/chat.send', 'content-type': 'application/json', receipt: 'frag' },
      JSON.stringify({ content }));
    // Cut into four, one cut inside the multi-byte "☕" so that no fragment is valid UTF-8 alone.
    const cupAt = send.indexOf(Buffer.from('☕'));
    const cuts = [0, 10, Math.floor(cupAt / 2), cupAt + 1, send.length];
    const fragments = [];
    for (let i = 0; i < 4; i += 1) {
      const opcode = i === 0 ? OP.text : OP.continuation;
      fragments.push(clientFrame(opcode, send.subarray(cuts[i], cuts[i + 1]), { fin: i === 3 }));
    }
    // Each fragment its own TCP write, the last split further.
    for (const fragment of fragments.slice(0, 3)) {
      sender.write(fragment);
      await delay(5);
    }
    await sender.writeInPieces(fragments[3], 3, 1);

    await sender.nextStomp((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'frag');
    for (const peer of [listener, sender]) {
      const message = await peer.nextStomp((f) => f.command === 'MESSAGE' && JSON.parse(f.body).content === content);
      assert.equal(JSON.parse(message.body).sender, 'Fragmenter');
    }
    assert.deepEqual(listener.violations, []);
    assert.deepEqual(sender.violations, []);
  });

  it('sends a large MESSAGE with a 16- or 64-bit length the client can read', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    await peer.connectStomp();
    await peer.subscribe('/topic/chat');
    const content = `${randomUUID()} ${'x'.repeat(3000)}`;
    peer.write(stompText('SEND', { destination: '/app/chat.send', 'content-type': 'application/json' },
      JSON.stringify({ content })));
    const message = await peer.nextStomp((f) => f.command === 'MESSAGE' && JSON.parse(f.body).content === content);
    assert.ok(message);
    const frame = peer.frames.all.find((f) => f.opcode === OP.text && f.payload.length > 3000);
    assert.ok(frame, 'the MESSAGE came in one text frame of over 3000 bytes');
    assert.ok(frame.fin);
    assert.deepEqual(peer.violations, []);
  });

  it('delivers a STOMP ERROR, then a close frame, then closes TCP once the client answers', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    peer.write(stompText('CONNECT', connectHeaders(wrongKeyToken())));
    const error = await peer.nextStomp('ERROR');
    assert.ok(error.headers.message);
    const close = await peer.nextFrame(OP.close);
    assert.equal(close.code, 1000);
    const errorIndex = peer.frames.all.findIndex((f) => f.opcode === OP.text && f.payload.includes('ERROR'));
    assert.ok(errorIndex >= 0 && errorIndex < peer.frames.all.indexOf(close), 'ERROR before the close frame');
    assert.equal(peer.isClosed, false, 'the server waits for the close handshake');
    peer.write(clientFrame(OP.close, closePayload(1000)));
    await peer.waitClosed(2000);
    assert.deepEqual(peer.violations, []);
  });

  it('closes TCP after its close frame even when the client never answers', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await peerFor(t);
    peer.write(stompText('CONNECT', connectHeaders(wrongKeyToken())));
    await peer.nextStomp('ERROR');
    await peer.nextFrame(OP.close);
    await peer.waitClosed(8000);
  });
});

describe('SockJS over the WebSocket framing', () => {
  // SockJS frames from the text messages of a /ws-chat/<server>/<session>/websocket connection.
  function sockjsPeer(t) {
    const session = randomUUID().replaceAll('-', '').slice(0, 12);
    return peerFor(t, { path: `/ws-chat/123/${session}/websocket`, protocols: '', stomp: false });
  }

  function sockjsSend(peer, ...stompFrames) {
    peer.write(clientFrame(OP.text, JSON.stringify(stompFrames.map((f) => f.toString('utf8')))));
  }

  // The STOMP frames in the next a[...] frame(s) until one matches.
  async function nextSockjsStomp(peer, predicate, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    peer.sockjsSeen ??= [];
    while (true) {
      const found = peer.sockjsSeen.find(predicate);
      if (found) {
        peer.sockjsSeen.splice(peer.sockjsSeen.indexOf(found), 1);
        return found;
      }
      const frame = await peer.nextFrame(OP.text, Math.max(1, deadline - Date.now()));
      const text = frame.payload.toString('utf8');
      if (!text.startsWith('a')) continue;
      for (const message of JSON.parse(text.slice(1))) {
        new FrameParser((f) => peer.sockjsSeen.push(f), () => {}).push(Buffer.from(message));
      }
    }
  }

  it('opens with "o", carries STOMP in a[...] frames and ends with c[...] and a close frame', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await sockjsPeer(t);
    assert.equal(peer.http.headers['sec-websocket-protocol'], undefined);
    const open = await peer.nextFrame(OP.text);
    assert.equal(open.payload.toString(), 'o');

    sockjsSend(peer, encodeFrame('CONNECT', connectHeaders(mintToken({ secret: server.secret, name: 'SockJs' }))));
    await nextSockjsStomp(peer, (f) => f.command === 'CONNECTED');
    sockjsSend(peer, encodeFrame('SUBSCRIBE', { id: 's', destination: '/topic/chat', receipt: 'sub' }));
    await nextSockjsStomp(peer, (f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'sub');

    // A SockJS message fragmented over two WebSocket frames.
    const content = `sockjs ${randomUUID()}`;
    const payload = Buffer.from(JSON.stringify([
      encodeFrame('SEND', { destination: '/app/chat.send', 'content-type': 'application/json' },
        JSON.stringify({ content })).toString('utf8'),
    ]));
    peer.write(clientFrame(OP.text, payload.subarray(0, 7), { fin: false }));
    peer.write(clientFrame(OP.continuation, payload.subarray(7)));
    const message = await nextSockjsStomp(peer, (f) => f.command === 'MESSAGE' && JSON.parse(f.body).content === content);
    assert.equal(JSON.parse(message.body).sender, 'SockJs');

    sockjsSend(peer, encodeFrame('DISCONNECT', { receipt: 'bye' }));
    await nextSockjsStomp(peer, (f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'bye');
    const closing = await peer.frames.next((f) => f.opcode === OP.text && f.payload.toString().startsWith('c'), 5000, 'c[...]');
    const [code, reason] = JSON.parse(closing.payload.toString().slice(1));
    assert.equal(typeof code, 'number');
    assert.equal(typeof reason, 'string');
    const close = await peer.nextFrame(OP.close);
    assert.equal(close.code, 1000);
    peer.write(clientFrame(OP.close, closePayload(1000)));
    await peer.waitClosed();
    assert.deepEqual(peer.violations, []);
  });

  it('ends a SockJS session with c[...] after a STOMP ERROR', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await sockjsPeer(t);
    assert.equal((await peer.nextFrame(OP.text)).payload.toString(), 'o');
    sockjsSend(peer, encodeFrame('CONNECT', connectHeaders(wrongKeyToken())));
    await nextSockjsStomp(peer, (f) => f.command === 'ERROR');
    const closing = await peer.frames.next((f) => f.opcode === OP.text && f.payload.toString().startsWith('c'), 5000, 'c[...]');
    assert.match(closing.payload.toString(), /^c\[\d+,".*"\]$/);
    await peer.nextFrame(OP.close);
    peer.write(clientFrame(OP.close, closePayload(1000)));
    await peer.waitClosed();
  });

  // "Abruptly terminated", says the SockJS protocol: with a close frame saying why, and a close
  // handshake so that the client's answer does not meet a closed socket (a reset).
  for (const [what, message] of [['that is not SockJS framing', 'CONNECT\n\n\0'], ['of broken JSON', '["a']]) {
    it(`closes with 1002 on a message ${what}, and TCP once the client answers`, { timeout: TEST_TIMEOUT }, async (t) => {
      const peer = await sockjsPeer(t);
      assert.equal((await peer.nextFrame(OP.text)).payload.toString(), 'o');
      peer.write(clientFrame(OP.text, message));
      const close = await peer.nextFrame(OP.close);
      assert.equal(close.code, 1002);
      assert.match(close.reason, /SockJS/);
      peer.write(clientFrame(OP.text, '["CONNECT\\n\\n\\u0000"]'));  // dropped: the server is closing
      await delay(100);
      assert.equal(peer.isClosed, false, 'the server waits for the close handshake');
      peer.write(clientFrame(OP.close, closePayload(1002)));
      await peer.waitClosed(2000);
      assert.deepEqual(peer.socketErrors, []);
      assert.deepEqual(peer.violations, []);
      assert.equal(peer.frames.all.filter((f) => f.opcode === OP.text && f.payload.toString().startsWith('a')).length, 0);
    });
  }

  it('answers pings on the SockJS WebSocket too', { timeout: TEST_TIMEOUT }, async (t) => {
    const peer = await sockjsPeer(t);
    peer.write(clientFrame(OP.ping, 'sockjs ping'));
    const pong = await peer.nextFrame(OP.pong);
    assert.equal(pong.payload.toString(), 'sockjs ping');
  });
});

// What the kernel says about the server's end of a connection from local port `clientPort`:
// { state, txQueue } (state 1 ESTABLISHED, 4 FIN_WAIT1, ...), or null once it is gone. Linux only.
function serverSocketState(clientPort) {
  const lines = readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1);
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    const localPort = Number.parseInt(fields[1].split(':')[1], 16);
    const remotePort = Number.parseInt(fields[2].split(':')[1], 16);
    if (localPort !== server.port || remotePort !== clientPort) continue;
    const [tx] = fields[4].split(':');
    return { state: Number.parseInt(fields[3], 16), txQueue: Number.parseInt(tx, 16) };
  }
  return null;
}

function serverRssKiB() {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  return Number.parseInt(status.match(/VmRSS:\s+(\d+)/)[1], 10);
}

const linuxOnly = existsSync('/proc/net/tcp') ? {} : { skip: 'needs /proc/net/tcp' };
const ESTABLISHED = 1;

describe('WebSocket back-pressure', () => {
  // Subscribes a paused `victim` to /topic/chat and publishes ~4 KiB chat messages until the
  // server's socket to it stops taking more (its send queue no longer grows): from then on the
  // server holds the rest of a write and waits for the socket. Returns the contents published.
  async function fillTowards(victim, t) {
    await victim.connectStomp(mintToken({ secret: server.secret, name: 'Victim' }));
    await victim.subscribe('/topic/chat');
    victim.socket.pause();
    const publisher = await peerFor(t);
    await publisher.connectStomp(mintToken({ secret: server.secret, name: 'Flooder' }));
    const run = randomUUID();
    const padding = 'p'.repeat(3800);
    const contents = [];
    let last = -1;
    let still = 0;
    for (let batch = 0; batch < 200 && still < 3; batch += 1) {
      const frames = [];
      const receipt = `batch-${batch}`;
      for (let i = 0; i < 20; i += 1) {
        const content = `${run} #${contents.length} ${padding}`;
        contents.push(content);
        const headers = { destination: '/app/chat.send', 'content-type': 'application/json' };
        if (i === 19) headers.receipt = receipt;
        frames.push(stompText('SEND', headers, JSON.stringify({ content })));
      }
      publisher.write(Buffer.concat(frames));
      await publisher.nextStomp((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === receipt, 10000);
      await delay(30);
      const { txQueue } = serverSocketState(victim.socket.localPort);
      still = txQueue > 0 && txQueue <= last ? still + 1 : 0;
      last = Math.max(last, txQueue);
    }
    assert.ok(still >= 3, `the server's socket to the paused client never filled (send queue ${last} bytes)`);
    t.diagnostic(`send queue full at ${last} bytes after ${contents.length} messages`);
    return contents;
  }

  it('answers a ping queued behind a partial write, keeping every frame whole and in order', { timeout: 60000, ...linuxOnly }, async (t) => {
    const victim = await peerFor(t);
    const contents = await fillTowards(victim, t);
    victim.write(clientFrame(OP.ping, 'behind the backlog'));
    await delay(100);
    victim.socket.resume();
    const pong = await victim.nextFrame(OP.pong, 20000);
    assert.equal(pong.payload.toString(), 'behind the backlog');
    // Every message published arrives whole and in order, before and after the pong.
    let next = 0;
    while (next < contents.length) {
      const message = await victim.nextStomp('MESSAGE', 20000);
      assert.equal(JSON.parse(message.body).content, contents[next], `message #${next}`);
      next += 1;
    }
    assert.deepEqual(victim.violations, []);
  });

  it('ends the close handshake within the close timeout while the client reads nothing', { timeout: 60000, ...linuxOnly }, async (t) => {
    const victim = await peerFor(t);
    await fillTowards(victim, t);
    victim.write(clientFrame(OP.close, closePayload(1000)));
    // The server's close frame cannot go out, but the server must not wait for ever: after
    // its close timeout (5 s) it closes its end (FIN_WAIT1 with data unsent, or gone).
    const port = victim.socket.localPort;
    const deadline = Date.now() + 9000;
    let state = serverSocketState(port);
    while (state?.state === ESTABLISHED && Date.now() < deadline) {
      await delay(100);
      state = serverSocketState(port);
    }
    assert.notEqual(state?.state, ESTABLISHED, 'the server still holds the connection 9 s after the client closed');
    victim.socket.resume();
    await victim.waitClosed(10000);
    assert.deepEqual(victim.violations, []);
  });

  it('does not buffer without bound for a client that sends pings and reads nothing', { timeout: 60000, ...linuxOnly }, async (t) => {
    const victim = await peerFor(t);
    victim.socket.pause();
    const rssBefore = serverRssKiB();
    const ping = Buffer.concat(Array.from({ length: 8000 }, () => clientFrame(OP.ping, randomBytes(125))));
    let sent = 0;
    const stopAt = Date.now() + 6000;
    while (sent < 96 * 1024 * 1024 && Date.now() < stopAt) {
      if (!victim.socket.write(ping)) {
        // The server stopped reading: the kernel buffers fill and writes stall. Good.
        const drained = await Promise.race([new Promise((resolve) => victim.socket.once('drain', () => resolve(true))),
          delay(Math.max(0, stopAt - Date.now())).then(() => false)]);
        if (!drained) break;
      }
      sent += ping.length;
    }
    await delay(200);
    const grownKiB = serverRssKiB() - rssBefore;
    t.diagnostic(`sent ${(sent / 1048576).toFixed(1)} MiB of pings; server RSS grew ${grownKiB} KiB`);
    assert.ok(grownKiB < 24 * 1024, `server RSS grew ${grownKiB} KiB for ${sent} bytes of unread pings`);
    // Reading again, the client gets well-formed pongs, and the connection still works.
    victim.socket.resume();
    await victim.nextFrame(OP.pong, 10000);
    assert.deepEqual(victim.violations, []);
  });
});
