// Back-pressure: a subscriber that stops reading fills the kernel buffers, then its bounded
// outbound queue (stomp.outbound-queue-bytes), and is cut with ERROR "slow consumer", while a
// subscriber that keeps reading gets every message, in order, before and after.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { RawStomp } from './lib/raw-stomp.mjs';
import { startServer } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';
import { parseMetrics } from './lib/util.mjs';

const QUEUE_BYTES = 65536;
// Each chat message is close to the lobby's 4000-byte content limit.
const PADDING = 'x'.repeat(3800);
// The publisher stays at most this many messages ahead of the fast reader, so the fast reader's
// own queue (the same 64 KiB) never fills however the threads are scheduled.
const WINDOW = 8;
// Enough to fill a paused reader's socket buffers (a few MiB on loopback) several times over.
const MAX_MESSAGES = 8000;

let server;
const clients = [];

before(async () => {
  server = await startServer({ settings: { 'stomp.outbound-queue-bytes': String(QUEUE_BYTES) } });
});

after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

async function openClient(name) {
  const client = await RawStomp.open(server.wsUrl);
  clients.push(client);
  await client.connect(mintToken({ secret: server.secret, name }));
  return client;
}

async function slowConsumerCount() {
  const metrics = parseMetrics(await (await fetch(`${server.httpUrl}/metrics`)).text());
  return metrics['aicc_errors_total{kind="slow_consumer"}'] ?? 0;
}

function contentOf(frame) {
  return JSON.parse(frame.body).content;
}

describe('slow consumer', () => {
  it('disconnects a subscriber that stops reading while a fast one gets everything in order', { timeout: 60000 }, async (t) => {
    const fast = await openClient('Fast');
    const slow = await openClient('Slow');
    const publisher = await openClient('Publisher');
    await fast.subscribe('/topic/chat', 'chat');
    await slow.subscribe('/topic/chat', 'chat');
    slow.pause();

    const run = randomUUID();
    let sent = 0;
    const publish = async (count) => {
      for (let i = 0; i < count; i += 1) {
        await fast.waitForMessages(sent - WINDOW + 1, 10000);
        publisher.send('SEND', { destination: '/app/chat.send', 'content-type': 'application/json' },
          JSON.stringify({ content: `${run} #${sent} ${PADDING}` }));
        sent += 1;
      }
    };

    // Publish until the server gives up on the paused reader.
    let cut = false;
    while (!cut && sent < MAX_MESSAGES) {
      await publish(100);
      cut = (await slowConsumerCount()) >= 1;
    }
    assert.ok(cut, `the paused reader was not cut after ${sent} messages of ~4 KiB`);
    t.diagnostic(`paused reader cut after ${sent} messages`);

    // Read again at once: the server flushes what it had in flight, then the ERROR, then closes
    // (it would cut the socket without the ERROR if the reader stayed away past its close timeout).
    slow.resume();
    const error = await slow.nextFrame('ERROR', 10000);
    assert.equal(error.headers.message, 'slow consumer');
    await slow.waitClosed(10000);
    // What the slow reader did get is a gap-free prefix of the stream.
    const gotSlow = slow.frames.all.filter((f) => f.command === 'MESSAGE').map(contentOf);
    assert.ok(gotSlow.length < sent, 'the slow reader missed the tail of the stream');
    t.diagnostic(`paused reader got ${gotSlow.length} messages before the ERROR`);
    gotSlow.forEach((content, i) => assert.ok(content.startsWith(`${run} #${i} `), `slow reader message ${i} in order`));

    // The fast reader is still served after the slow one is gone.
    await publish(200);
    await fast.waitForMessages(sent, 10000);
    const gotFast = fast.frames.all.filter((f) => f.command === 'MESSAGE').map(contentOf);
    assert.equal(gotFast.length, sent);
    gotFast.forEach((content, i) => {
      if (!content.startsWith(`${run} #${i} `)) assert.fail(`fast reader message ${i} out of order: ${content.slice(0, 60)}`);
    });
    assert.ok(fast.isOpen && publisher.isOpen, 'the other connections stay open');
    await server.waitForLog(/reason="slow consumer"/, 3000);
  });
});
