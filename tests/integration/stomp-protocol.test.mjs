// STOMP 1.0-1.2 details over the raw WebSocket endpoint, frame by frame: version negotiation,
// STOMP 1.0 subscriptions without ids, header escaping, transactions, acknowledgements,
// DISCONNECT receipts and the connect timeout.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { RawStomp } from './lib/raw-stomp.mjs';
import { startServer } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';
import { delay } from './lib/util.mjs';

const TEST_TIMEOUT = 15000;
const CONNECT_TIMEOUT_MS = 1000;

let server;

before(async () => {
  server = await startServer({ settings: { 'stomp.connect-timeout-ms': String(CONNECT_TIMEOUT_MS) } });
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

async function client(t, options) {
  const raw = await RawStomp.open(server.wsUrl, options);
  t.after(() => raw.close());
  return raw;
}

function chat(raw, content, headers = {}) {
  raw.send('SEND', { destination: '/app/chat.send', 'content-type': 'application/json', ...headers },
    JSON.stringify({ content }));
}

function isMessageWith(content) {
  return (frame) => frame.command === 'MESSAGE' && JSON.parse(frame.body).content === content;
}

describe('STOMP protocol over /ws', () => {
  it('speaks STOMP 1.0 to a client that names no version, with subscriptions keyed by destination', { timeout: TEST_TIMEOUT }, async (t) => {
    const raw = await client(t, { protocols: ['v10.stomp'] });
    raw.send('CONNECT', { passcode: mintToken({ secret: server.secret }) });
    const connected = await raw.nextFrame('CONNECTED');
    assert.equal(connected.headers.version, '1.0');
    raw.send('SUBSCRIBE', { destination: '/topic/chat', receipt: 'r1' });
    await raw.nextFrame((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'r1');
    const content = randomUUID();
    chat(raw, content);
    const message = await raw.nextFrame(isMessageWith(content));
    assert.equal(message.headers.subscription, '/topic/chat');
    raw.send('UNSUBSCRIBE', { destination: '/topic/chat', receipt: 'r2' });
    await raw.nextFrame((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'r2');
  });

  it('accepts the STOMP command as CONNECT and picks the newest common version', { timeout: TEST_TIMEOUT }, async (t) => {
    const raw = await client(t);
    raw.send('STOMP', { 'accept-version': '1.0,1.1,1.2', host: 'localhost', Authorization: `Bearer ${mintToken({ secret: server.secret })}` });
    const connected = await raw.nextFrame('CONNECTED');
    assert.equal(connected.headers.version, '1.2');
  });

  it('refuses a CONNECT that offers no supported version', { timeout: TEST_TIMEOUT }, async (t) => {
    const raw = await client(t);
    raw.send('CONNECT', { 'accept-version': '2.0,3.1', passcode: mintToken({ secret: server.secret }) });
    const error = await raw.nextFrame('ERROR');
    assert.match(error.headers.message, /version/);
    assert.equal(error.headers.version, '1.0,1.1,1.2');
    await raw.waitClosed();
  });

  it('refuses a malformed heart-beat header', { timeout: TEST_TIMEOUT }, async (t) => {
    const raw = await client(t);
    raw.send('CONNECT', { 'accept-version': '1.2', 'heart-beat': 'soon', passcode: mintToken({ secret: server.secret }) });
    const error = await raw.nextFrame('ERROR');
    assert.match(error.headers.message, /heart-beat/);
    await raw.waitClosed();
  });

  it('escapes header values in 1.2 both ways', { timeout: TEST_TIMEOUT }, async (t) => {
    const raw = await client(t);
    await raw.connect(mintToken({ secret: server.secret }));
    // "a:b\c" sent escaped as a\cb\\c must come back as the same value.
    raw.send('SUBSCRIBE', { id: 'sub\\cone', destination: '/topic/chat', receipt: 'a\\cb\\\\c' });
    const receipt = await raw.nextFrame('RECEIPT');
    assert.equal(receipt.headers['receipt-id'], 'a:b\\c');
    const content = randomUUID();
    chat(raw, content);
    const message = await raw.nextFrame(isMessageWith(content));
    assert.equal(message.headers.subscription, 'sub:one');
  });

  it('refuses a subscription id already in use', { timeout: TEST_TIMEOUT }, async (t) => {
    const raw = await client(t);
    await raw.connect(mintToken({ secret: server.secret }));
    await raw.subscribe('/topic/chat', 'same');
    raw.send('SUBSCRIBE', { id: 'same', destination: '/topic/other' });
    const error = await raw.nextFrame('ERROR');
    assert.match(error.headers.message, /already in use/);
    await raw.waitClosed();
  });

  it('applies a transaction at COMMIT and drops it at ABORT', { timeout: TEST_TIMEOUT }, async (t) => {
    const raw = await client(t);
    await raw.connect(mintToken({ secret: server.secret }));
    await raw.subscribe('/topic/chat', 'chat');
    const committed = `committed ${randomUUID()}`;
    const aborted = `aborted ${randomUUID()}`;

    raw.send('BEGIN', { transaction: 'tx1', receipt: 'begin-1' });
    await raw.nextFrame((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'begin-1');
    chat(raw, committed, { transaction: 'tx1' });
    await delay(200);
    assert.equal(raw.frames.all.filter(isMessageWith(committed)).length, 0, 'nothing before COMMIT');
    raw.send('COMMIT', { transaction: 'tx1', receipt: 'commit-1' });
    await raw.nextFrame((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'commit-1');
    await raw.nextFrame(isMessageWith(committed));

    raw.send('BEGIN', { transaction: 'tx2' });
    chat(raw, aborted, { transaction: 'tx2' });
    raw.send('ABORT', { transaction: 'tx2', receipt: 'abort-2' });
    await raw.nextFrame((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'abort-2');
    await delay(200);
    assert.equal(raw.frames.all.filter(isMessageWith(aborted)).length, 0, 'an aborted SEND is never applied');

    raw.send('COMMIT', { transaction: 'tx2' });
    const error = await raw.nextFrame('ERROR');
    assert.match(error.headers.message, /unknown transaction/);
  });

  it('gives client-individual messages an ack header and accepts the ACK', { timeout: TEST_TIMEOUT }, async (t) => {
    const raw = await client(t);
    await raw.connect(mintToken({ secret: server.secret }));
    await raw.subscribe('/topic/chat', 'acked', { headers: { ack: 'client-individual' } });
    const content = randomUUID();
    chat(raw, content);
    const message = await raw.nextFrame(isMessageWith(content));
    assert.ok(message.headers.ack, 'a 1.2 MESSAGE in a client ack mode carries ack');
    raw.send('ACK', { id: message.headers.ack, receipt: 'acked-1' });
    await raw.nextFrame((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'acked-1');
  });

  it('answers DISCONNECT with its receipt, then closes', { timeout: TEST_TIMEOUT }, async (t) => {
    const raw = await client(t);
    await raw.connect(mintToken({ secret: server.secret }));
    raw.send('DISCONNECT', { receipt: 'bye' });
    const receipt = await raw.nextFrame('RECEIPT');
    assert.equal(receipt.headers['receipt-id'], 'bye');
    const { code } = await raw.waitClosed();
    assert.equal(code, 1000);
  });

  it('closes a connection that sends no CONNECT within stomp.connect-timeout-ms', { timeout: TEST_TIMEOUT }, async (t) => {
    const raw = await client(t);
    const started = Date.now();
    const error = await raw.nextFrame('ERROR', CONNECT_TIMEOUT_MS + 4000);
    assert.match(error.headers.message, /connect timeout/);
    await raw.waitClosed();
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= CONNECT_TIMEOUT_MS - 100 && elapsed < CONNECT_TIMEOUT_MS + 3000, `after ${elapsed} ms`);
  });

  it('delivers frames that arrive several to one WebSocket message, in order', { timeout: TEST_TIMEOUT }, async (t) => {
    const raw = await client(t);
    await raw.connect(mintToken({ secret: server.secret }));
    await raw.subscribe('/topic/chat', 'chat');
    const run = randomUUID();
    let batch = '';
    for (let i = 0; i < 20; i += 1) {
      batch += `SEND\ndestination:/app/chat.send\n\n${JSON.stringify({ content: `${run} ${i}` })}\0\n`;
    }
    raw.sendRaw(batch);
    for (let i = 0; i < 20; i += 1) await raw.nextFrame(isMessageWith(`${run} ${i}`));
    const order = raw.frames.all.filter((f) => f.command === 'MESSAGE').map((f) => JSON.parse(f.body).content)
      .filter((c) => c.startsWith(run));
    assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => `${run} ${i}`));
  });

  it('carries a frame split byte by byte over binary WebSocket messages, multi-byte UTF-8 included', { timeout: TEST_TIMEOUT }, async (t) => {
    const raw = await client(t);
    await raw.connect(mintToken({ secret: server.secret, name: '김민수' }));
    await raw.subscribe('/topic/chat', 'chat');
    const content = `쪼개진 프레임 ${randomUUID()} 🙂`;
    const bytes = Buffer.from(`SEND\ndestination:/app/chat.send\nreceipt:split\n\n${JSON.stringify({ content })}\0`);
    for (const byte of bytes) raw.sendRaw(Buffer.from([byte]));
    await raw.nextFrame('RECEIPT');
    const message = await raw.nextFrame(isMessageWith(content));
    assert.equal(JSON.parse(message.body).sender, '김민수');
  });
});
