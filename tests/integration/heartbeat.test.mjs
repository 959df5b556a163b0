// STOMP heart-beats against a server configured to want one every second: a peer that promised
// them and goes silent is closed with ERROR "heart-beat timeout"; one that keeps its promise stays;
// the server sends its own heart-beats at the negotiated rate.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { RawStomp } from './lib/raw-stomp.mjs';
import { startServer } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';
import { delay } from './lib/util.mjs';

const TEST_TIMEOUT = 15000;

let server;
const clients = [];

before(async () => {
  server = await startServer({
    settings: {
      'stomp.heartbeat-receive-ms': '1000',
      'stomp.heartbeat-send-ms': '1000',
      'stomp.heartbeat-grace': '1.5',
    },
  });
});

after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

async function connected(heartBeat) {
  const client = await RawStomp.open(server.wsUrl);
  clients.push(client);
  const frame = await client.connect(mintToken({ secret: server.secret }), { heartBeat });
  return { client, frame };
}

// The cases only wait, so they wait side by side.
describe('heart-beats', { concurrency: true }, () => {
  it('closes a peer that negotiated 1000,0 and then went silent with ERROR "heart-beat timeout"', { timeout: TEST_TIMEOUT }, async () => {
    const { client, frame } = await connected('1000,0');
    assert.equal(frame.headers['heart-beat'], '1000,1000', 'the server offers and wants 1000 ms');
    const started = Date.now();
    const error = await client.nextFrame('ERROR', 6000);
    const elapsed = Date.now() - started;
    assert.equal(error.headers.message, 'heart-beat timeout');
    // grace 1.5 x 1000 ms: not before ~1.5 s of silence, and well within a few seconds.
    assert.ok(elapsed >= 1300, `closed after only ${elapsed} ms`);
    assert.ok(elapsed <= 4000, `closed only after ${elapsed} ms`);
    await client.waitClosed(3000);
    await server.waitForLog(/reason="heart-beat timeout"/, 3000);
  });

  it('keeps a peer that sends its heart-beats', { timeout: TEST_TIMEOUT }, async () => {
    const { client } = await connected('1000,0');
    const pinger = setInterval(() => client.sendRaw('\n'), 400);
    try {
      await delay(3500);
      assert.ok(client.isOpen, 'still connected after 3.5 s of heart-beats only');
      await client.subscribe('/topic/chat', 'chat');
    } finally {
      clearInterval(pinger);
    }
  });

  it('keeps a peer that did not offer heart-beats (0,0) however long it is silent', { timeout: TEST_TIMEOUT }, async () => {
    const { client } = await connected('0,0');
    await delay(3000);
    assert.ok(client.isOpen, 'a peer that promised nothing is not timed out');
    await client.subscribe('/topic/chat', 'chat');
  });

  it('sends heart-beats to a peer that asked for them (0,1000)', { timeout: TEST_TIMEOUT }, async () => {
    const { client } = await connected('0,1000');
    await delay(3300);
    assert.ok(client.heartbeats >= 2, `got ${client.heartbeats} heart-beats in 3.3 s`);
    assert.ok(client.heartbeats <= 5, `got ${client.heartbeats} heart-beats in 3.3 s`);
    assert.ok(client.isOpen);
  });
});
