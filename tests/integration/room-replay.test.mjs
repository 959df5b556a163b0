// SUBSCRIBE with since-seq in a room far longer than the outbound queue: the replay is read from
// the store in pages as the client reads, on /ws and on the SockJS transports, so a reload catches
// up with every message once, in order, and the live messages sent meanwhile follow, also once.
// A store that fails during a replay ends the connection with ERROR `replay failed` (never a gap),
// and the client's resubscription after a reconnect catches up.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { openStompJs, socketFactory } from './lib/clients.mjs';
import {
  acceptedRoom,
  assertSeqRange,
  chatMessages,
  newAgent,
  newCustomer,
  roomSend,
  roomTopic,
  startCenter,
} from './lib/contact-center.mjs';
import { readHistory } from './lib/bot.mjs';
import { runStoreSql } from './lib/server.mjs';
import { TcpStomp, freeTcpPort } from './lib/tcp-stomp.mjs';
import { delay } from './lib/util.mjs';

const TEST_TIMEOUT = 120000;
const STORED = 2000;        // messages in the room before the reload
const LIVE = 50;            // sent while the reloaded page catches up
const QUEUE_BYTES = 64 * 1024;
// About 300 bytes per MESSAGE frame: the whole replay is some ten times the outbound queue.
const PADDING = 'x'.repeat(120);

// Sends `count` messages to the room without waiting for each (numbered from `from`), then waits
// until the last of them is stored.
async function fillRoom(server, customer, roomId, count) {
  for (let i = 1; i <= count; i += 1) {
    customer.session.publish('/app/room.send', { roomId, text: `line ${i} ${PADDING}`, clientMessageId: `fill-${i}` });
  }
  const deadline = Date.now() + 60000;
  while (true) {
    const page = await readHistory(server, customer.token, roomId, `after=${count - 1}&limit=1`);
    assert.equal(page.status, 200, page.text);
    if (page.json.messages.length === 1) return;
    assert.ok(Date.now() < deadline, `the room did not reach ${count} stored messages`);
    await delay(50);
  }
}

// Waits until the room inbox holds seq `seq`, failing at once if the session got an ERROR frame
// (a replay that overflowed the queue ends the connection as a slow consumer).
async function caughtUp(session, room, seq, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while ((chatMessages(room).at(-1)?.seq ?? 0) < seq) {
    if (session.errors.all.length > 0) {
      const frame = session.errors.all[0];
      assert.fail(`ERROR ${frame.headers?.message} after ${chatMessages(room).length} messages`);
    }
    assert.ok(Date.now() < deadline, `seq ${seq} not reached; last ${chatMessages(room).at(-1)?.seq}`);
    await delay(20);
  }
}

describe('since-seq replay of a long room', () => {
  for (const transport of ['ws', 'xhr-streaming', 'xhr-polling']) {
    it(`over ${transport}: ${STORED} stored messages with a ${QUEUE_BYTES / 1024} KiB outbound queue, then the live ones, each once and in order`, { timeout: TEST_TIMEOUT }, async (t) => {
      const server = await startCenter(t, {
        settings: { 'stomp.outbound-queue-bytes': String(QUEUE_BYTES), 'routing.auto-assign-after': '30' },
      });
      const agent = await newAgent(t, server, { name: 'Reloading agent' });
      const customer = await newCustomer(t, server);
      const { roomId } = await acceptedRoom(customer, agent);
      await fillRoom(server, customer, roomId, STORED);

      // The agent's console reloads: a new connection that catches up from the start.
      const reloaded = await openStompJs({
        factory: socketFactory(server, transport),
        connectHeaders: { Authorization: `Bearer ${agent.token}` },
      });
      t.after(() => reloaded.close());
      const room = await reloaded.subscribe(roomTopic(roomId), { headers: { 'since-seq': '0' }, timeoutMs: 10000 });
      // The customer keeps writing while the replay runs.
      for (let i = 1; i <= LIVE; i += 1) {
        customer.session.publish('/app/room.send', { roomId, text: `live ${i}`, clientMessageId: `live-${i}` });
      }
      await caughtUp(reloaded, room, STORED + LIVE, 60000);
      // One more, confirmed: everything sent before it has reached the reloaded console by the
      // time it arrives, so a late repeat would show in the range check.
      await roomSend(customer, roomId, 'after the catch-up', 'after');
      await caughtUp(reloaded, room, STORED + LIVE + 1, 5000);

      assertSeqRange(chatMessages(room), 1, STORED + LIVE + 1, 'the reloaded console');
      const texts = chatMessages(room).map((m) => m.text);
      assert.equal(texts[0], `line 1 ${PADDING}`);
      assert.equal(texts[STORED], 'live 1');
      assert.equal(reloaded.errors.all.length, 0, `ERROR frames: ${JSON.stringify(reloaded.errors.all)}`);
    });
  }
});

describe('since-seq replay of a long room over STOMP/TCP', () => {
  it(`a raw client gets ${STORED} stored messages, then the live ones, each once and in order`, { timeout: TEST_TIMEOUT }, async (t) => {
    const tcpPort = await freeTcpPort();
    const server = await startCenter(t, {
      settings: {
        'stomp.outbound-queue-bytes': String(QUEUE_BYTES),
        'routing.auto-assign-after': '30',
        'stomp.tcp-port': String(tcpPort),
      },
    });
    const agent = await newAgent(t, server, { name: 'Back-end reader' });
    const customer = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    await fillRoom(server, customer, roomId, STORED);

    const client = await TcpStomp.open(tcpPort);
    t.after(() => client.close());
    await client.connect(agent.token);
    await client.subscribe(roomTopic(roomId), 'room', { headers: { 'since-seq': '0' } });
    for (let i = 1; i <= LIVE; i += 1) {
      customer.session.publish('/app/room.send', { roomId, text: `live ${i}`, clientMessageId: `live-${i}` });
    }
    const messages = () => client.frames.all.filter((f) => f.command === 'MESSAGE').map((f) => JSON.parse(f.body));
    const reached = async (seq, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while ((messages().at(-1)?.seq ?? 0) < seq) {
        const error = client.frames.all.find((f) => f.command === 'ERROR');
        if (error) assert.fail(`ERROR ${error.headers.message} after ${messages().length} messages`);
        assert.ok(Date.now() < deadline, `seq ${seq} not reached; last ${messages().at(-1)?.seq}`);
        await delay(20);
      }
    };
    await reached(STORED + LIVE, 60000);
    await roomSend(customer, roomId, 'after the catch-up', 'after');
    await reached(STORED + LIVE + 1, 5000);
    assertSeqRange(messages(), 1, STORED + LIVE + 1, 'the TCP client');
  });
});

describe('since-seq replay when the store fails', () => {
  it('ERROR `replay failed` and a close instead of a gap; after a reconnect the replay catches up', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, {
      settings: { 'stomp.outbound-queue-bytes': String(QUEUE_BYTES), 'routing.auto-assign-after': '30' },
    });
    const agent = await newAgent(t, server, { name: 'Reloading agent' });
    const customer = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    await fillRoom(server, customer, roomId, 300);
    const open = async () => {
      const session = await openStompJs({
        factory: socketFactory(server, 'ws'),
        connectHeaders: { Authorization: `Bearer ${agent.token}` },
      });
      t.after(() => session.close());
      return session;
    };

    // The messages can no longer be read.
    runStoreSql(server.dir, 'ALTER TABLE messages RENAME TO messages_unreadable');
    const broken = await open();
    const room = await broken.subscribe(roomTopic(roomId), { headers: { 'since-seq': '0' } });
    const error = await broken.errors.next(() => true, 5000, 'ERROR frame');
    assert.equal(error.headers.message, 'replay failed');
    await broken.closed;
    assert.equal(chatMessages(room).length, 0, 'messages were delivered after a failed replay');
    await server.waitForLog(new RegExp(`room replay: reading room=${roomId} after seq 0 failed`));

    // The store is back: the client reconnects and subscribes again.
    runStoreSql(server.dir, 'ALTER TABLE messages_unreadable RENAME TO messages');
    const again = await open();
    const caught = await again.subscribe(roomTopic(roomId), { headers: { 'since-seq': '0' } });
    await caughtUp(again, caught, 300, 30000);
    assertSeqRange(chatMessages(caught), 1, 300, 'the reconnected console');
  });
});
