// Hostile and broken input over the raw WebSocket endpoint: each case is answered with an ERROR
// frame naming the fault and a close, and afterwards the server still serves everybody else (a
// witness connection that stays open the whole time, and fresh connections).

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { openStompJs, socketFactory } from './lib/clients.mjs';
import { RawStomp, encodeFrame } from './lib/raw-stomp.mjs';
import { startServer } from './lib/server.mjs';
import { algNoneToken, expiredToken, mintToken, wrongKeyToken } from './lib/tokens.mjs';

const TEST_TIMEOUT = 15000;

let server;
let witness;
let witnessInbox;

before(async () => {
  server = await startServer();
  witness = await openStompJs({
    factory: socketFactory(server, 'ws'),
    connectHeaders: { Authorization: `Bearer ${mintToken({ secret: server.secret, name: 'Witness' })}` },
  });
  witnessInbox = await witness.subscribe('/topic/chat');
});

after(async () => {
  if (witness) await witness.close();
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

// A raw client, connected unless `connect` is false.
async function attacker(t, { connect = true } = {}) {
  const client = await RawStomp.open(server.wsUrl);
  t.after(() => client.close());
  if (connect) await client.connect(mintToken({ secret: server.secret, name: 'Mallory' }));
  return client;
}

// The fault is answered with ERROR (its message matching `message`) and a close.
async function expectError(client, message) {
  const frame = await client.nextFrame('ERROR', 5000);
  assert.match(frame.headers.message, message);
  await client.waitClosed(5000);
  return frame;
}

// The witness still chats, and a new connection still works.
async function serverStillServes() {
  const content = `still here ${randomUUID()}`;
  await witness.publishWithReceipt('/app/chat.send', { content });
  const message = await witnessInbox.next((m) => m.json?.content === content, 5000);
  assert.equal(message.json.sender, 'Witness');
  const fresh = await RawStomp.open(server.wsUrl);
  try {
    await fresh.connect(mintToken({ secret: server.secret }));
    await fresh.subscribe('/topic/chat');
  } finally {
    await fresh.close();
  }
}

describe('hostile input over /ws', () => {
  it('refuses a frame over 64 KiB with ERROR "frame too large"', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t);
    client.send('SEND', { destination: '/app/chat.send' }, 'z'.repeat(70 * 1024));
    await expectError(client, /^frame too large/);
    await serverStillServes();
  });

  it('refuses a frame over 64 KiB that declares its content-length', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t);
    const body = 'z'.repeat(66 * 1024);
    client.send('SEND', { destination: '/app/chat.send', 'content-length': body.length }, body);
    await expectError(client, /^frame too large/);
    await serverStillServes();
  });

  it('refuses a frame too large even before CONNECT', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t, { connect: false });
    client.send('CONNECT', { 'accept-version': '1.2', padding: 'p'.repeat(70 * 1024) });
    const frame = await client.nextFrame('ERROR', 5000);
    assert.match(frame.headers.message, /too large|too long/);
    await client.waitClosed(5000);
    await serverStillServes();
  });

  it('refuses an unknown command', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t);
    client.sendRaw('FROBNICATE\nfoo:bar\n\n\0');
    await expectError(client, /^unknown command/);
    await serverStillServes();
  });

  it('refuses a SEND to /topic/x: clients may only send to /app', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t);
    client.send('SEND', { destination: '/topic/x' }, '{"content":"spoofed"}');
    const frame = await expectError(client, /invalid destination/);
    assert.match(frame.body, /\/app\//);
    await serverStillServes();
  });

  it('refuses a SEND to a destination outside the known prefixes', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t);
    client.send('SEND', { destination: '/exchange/amq.direct/x' }, '{}');
    await expectError(client, /invalid destination/);
    await serverStillServes();
  });

  it('refuses a SUBSCRIBE to /app/x', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t);
    client.send('SUBSCRIBE', { id: 'a', destination: '/app/x' });
    await expectError(client, /invalid destination/);
    await serverStillServes();
  });

  it('refuses a SUBSCRIBE with a dot segment or a wildcard', { timeout: TEST_TIMEOUT }, async (t) => {
    for (const destination of ['/topic/../app/x', '/topic/*', '/user/queue/../../topic/chat']) {
      const client = await attacker(t);
      client.send('SUBSCRIBE', { id: 'a', destination });
      await expectError(client, /invalid destination/);
    }
    await serverStillServes();
  });

  it('refuses a SEND without a destination', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t);
    client.send('SEND', {}, '{"content":"where to?"}');
    await expectError(client, /missing destination/);
    await serverStillServes();
  });

  it('refuses garbage bytes before CONNECT', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t, { connect: false });
    client.sendRaw(randomBytes(4096));
    // Random bytes may fail as a bad command, bad UTF-8 or an unterminated header block; either
    // the server names the fault or, for a binary message it cannot read at all, it just closes.
    const closed = await Promise.race([
      client.nextFrame('ERROR', 5000).then((frame) => ({ frame })),
      client.closed.then(() => ({ frame: null })),
    ]);
    if (closed.frame) assert.ok(closed.frame.headers.message, 'the ERROR names the fault');
    await client.waitClosed(5000);
    await serverStillServes();
  });

  it('refuses text garbage after CONNECT', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t);
    client.sendRaw('\u0000\u0000this is not STOMP at all\n\n\u0000');
    await expectError(client, /./);
    await serverStillServes();
  });

  it('refuses invalid UTF-8 in a header', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t);
    const frame = Buffer.concat([Buffer.from('SEND\ndestination:/app/chat.send\nx-bad:'), Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('\n\n{}\0')]);
    client.sendRaw(frame);
    await expectError(client, /UTF-8|malformed/);
    await serverStillServes();
  });

  it('refuses a frame before CONNECT as unauthenticated use', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t, { connect: false });
    client.send('SUBSCRIBE', { id: 'a', destination: '/topic/chat' });
    await expectError(client, /^authentication failed/);
    await serverStillServes();
  });

  it('refuses a second CONNECT', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t);
    client.send('CONNECT', { 'accept-version': '1.2', Authorization: `Bearer ${mintToken({ secret: server.secret })}` });
    await expectError(client, /already connected/);
    await serverStillServes();
  });

  it('refuses a bad content-length', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t);
    client.sendRaw('SEND\ndestination:/app/chat.send\ncontent-length:-5\n\n{}\0');
    await expectError(client, /content-length/);
    await serverStillServes();
  });

  it('closes a WebSocket message far over the frame limit', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t);
    client.sendRaw(encodeFrame('SEND', { destination: '/app/chat.send' }, 'w'.repeat(1024 * 1024)));
    const { code } = await client.waitClosed(5000);
    // 1009 (message too big) from the WebSocket layer, or the STOMP ERROR and a normal close.
    assert.ok([1000, 1006, 1009].includes(code), `close code ${code}`);
    await serverStillServes();
  });

  it('survives a flood of tiny frames split across messages', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t);
    await client.subscribe('/topic/chat', 'chat');
    const frame = encodeFrame('SEND', { destination: '/app/chat.send', receipt: 'split' }, '{"content":"split"}');
    // One byte per WebSocket message: the decoder must carry partial frames across messages.
    for (const byte of frame) client.sendRaw(Buffer.from([byte]).toString('latin1'));
    const receipt = await client.nextFrame('RECEIPT', 5000);
    assert.equal(receipt.headers['receipt-id'], 'split');
    const message = await client.nextFrame('MESSAGE', 5000);
    assert.equal(JSON.parse(message.body).content, 'split');
    await serverStillServes();
  });
});

// Forged and broken credentials over /ws, beyond the expired / wrong-key / alg:none cases every
// transport runs.
describe('hostile credentials over /ws', () => {
  const forged = () => {
    const token = mintToken({ secret: server.secret, sub: 'customer-1', role: 'CUSTOMER' });
    const [header, , signature] = token.split('.');
    const payload = Buffer.from(JSON.stringify({
      sub: 'admin-1', role: 'ADMIN', name: 'Admin', iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 3600, jti: randomUUID(), iss: 'aicc-chat',
    })).toString('base64url');
    return `${header}.${payload}.${signature}`;
  };
  const now = () => Math.floor(Date.now() / 1000);
  const cases = [
    ['a payload swapped under a valid signature', () => forged(), /signature/],
    ['alg HS512 in the header', () => mintToken({ secret: server.secret, header: { alg: 'HS512' } }), /algorithm/],
    ['alg none with a stolen signature', () => `${algNoneToken().slice(0, -1)}.${mintToken({ secret: server.secret }).split('.')[2]}`, /algorithm/],
    ['another issuer', () => mintToken({ secret: server.secret, issuer: 'someone-else' }), /issuer/],
    ['no exp claim', () => mintToken({ secret: server.secret, claims: { exp: undefined } }), /claim/],
    ['an iat an hour ahead', () => mintToken({ secret: server.secret, issuedAt: now() + 3600 }), /not yet valid/],
    ['two dots and nothing else', () => '..', /malformed/],
    ['a Basic Authorization header', () => null, /Bearer|credentials/],
    ['an expired token', () => expiredToken(server.secret), /expired/],
    ['a token signed with another key', () => wrongKeyToken(), /signature/],
  ];
  for (const [title, makeToken, reason] of cases) {
    it(`refuses ${title}`, { timeout: TEST_TIMEOUT }, async (t) => {
      const client = await attacker(t, { connect: false });
      const token = makeToken();
      const headers = token === null
        ? { 'accept-version': '1.2', Authorization: 'Basic dXNlcjE6MTIzNA==' }
        : { 'accept-version': '1.2', Authorization: `Bearer ${token}` };
      client.send('CONNECT', headers);
      const frame = await client.nextFrame('ERROR', 5000);
      assert.match(frame.headers.message, /^authentication failed/);
      assert.match(frame.headers.message, reason);
      await client.waitClosed(5000);
    });
  }

  it('refuses a 20 KiB token as a header block over the limit', { timeout: TEST_TIMEOUT }, async (t) => {
    const client = await attacker(t, { connect: false });
    const token = mintToken({ secret: server.secret, claims: { pad: 'p'.repeat(20000) } });
    client.send('CONNECT', { 'accept-version': '1.2', Authorization: `Bearer ${token}` });
    await expectError(client, /^header too long/);
  });

  it('still serves everybody after the refusals', { timeout: TEST_TIMEOUT }, async () => {
    await serverStillServes();
  });
});
