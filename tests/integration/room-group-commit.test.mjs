// Room messages are stored in group commits (many rooms' messages in one transaction, each
// RECEIPT after it): what each sender sees must be what a message stored alone would give. Every
// receipted message is stored once, in the order its sender sent it, with its room's seqs whole;
// a refusal inside a batch (a stranger's message) does not take its batch down; and what a client
// sends before another request (a close) is applied before it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  acceptedRoom,
  assertSeqRange,
  fullHistory,
  newAgent,
  newCustomer,
  roomSend,
  startCenter,
} from './lib/contact-center.mjs';
import { encodeFrame, RawStomp } from './lib/raw-stomp.mjs';

const ROOMS = 3;
const PER_ROOM = 60;

describe('room messages in group commits', () => {
  it('stores every receipted message of many rooms at once, in each sender\'s order', { timeout: 60000 }, async (t) => {
    const server = await startCenter(t);
    const rooms = [];
    for (let i = 0; i < ROOMS; i += 1) {
      const agent = await newAgent(t, server, { name: `Agent ${i}` });
      const customer = await newCustomer(t, server);
      const { roomId } = await acceptedRoom(customer, agent);
      rooms.push({ agent, customer, roomId });
    }
    const stranger = rooms[0].customer;
    // Everything at once, nothing awaited before all is sent: the server batches what arrives.
    const answers = [];
    for (let k = 0; k < PER_ROOM; k += 1) {
      for (const { agent, customer, roomId } of rooms) {
        answers.push(roomSend(customer, roomId, `c${k}`, `${roomId}-c${k}`));
        answers.push(roomSend(agent, roomId, `a${k}`, `${roomId}-a${k}`));
      }
      // A stranger's message into another room is refused, alone.
      if (k % 20 === 0) answers.push(roomSend(stranger, rooms[1].roomId, 'not mine', `stranger-${k}`));
      // A retry of a message already sent is acknowledged and stored once.
      if (k % 15 === 14) answers.push(roomSend(rooms[2].customer, rooms[2].roomId, 'retry', `${rooms[2].roomId}-c${k}`));
    }
    const settled = await Promise.all(answers);
    const refused = settled.filter((answer) => answer.refusal);
    assert.equal(refused.length, PER_ROOM / 20, JSON.stringify(refused.slice(0, 2)));
    for (const { refusal } of refused) assert.equal(refusal.json.code, 'not_participant');

    for (const { customer, roomId } of rooms) {
      const history = await fullHistory(server, customer.token, roomId);
      assert.equal(history.length, 2 * PER_ROOM, `room ${roomId}`);
      assertSeqRange(history, 1, 2 * PER_ROOM, `room ${roomId}`);
      for (const side of ['c', 'a']) {
        const texts = history.map((m) => m.text).filter((text) => text.startsWith(side));
        assert.deepEqual(texts, Array.from({ length: PER_ROOM }, (_, k) => `${side}${k}`),
          `the ${side === 'c' ? 'customer' : 'agent'}'s messages in the order sent`);
      }
    }

    // /metrics counts the transactions and what they stored: every message once, retries and
    // refusals not at all.
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const figure = (name) => Number(new RegExp(`^${name} ([0-9.]+)$`, 'm').exec(metrics)?.[1] ?? 'NaN');
    assert.equal(figure('aicc_room_committed_messages_total'), ROOMS * 2 * PER_ROOM, metrics);
    const commits = figure('aicc_room_commits_total');
    assert.ok(commits >= 1 && commits <= ROOMS * 2 * PER_ROOM, `commits: ${commits}`);
    assert.ok(figure('aicc_room_commit_seconds_total') > 0, metrics);
  });

  it('applies a message before the close its sender sent right after it', { timeout: 30000 }, async (t) => {
    const server = await startCenter(t);
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    // Both frames in one WebSocket message: the server reads them in one go, and the close's work
    // is queued while the message still waits for its group commit.
    const raw = await RawStomp.open(server.wsUrl);
    t.after(() => raw.close());
    await raw.connect(customer.token);
    const sendBody = JSON.stringify({ roomId, text: 'thank you, bye', clientMessageId: 'bye-1' });
    const closeBody = JSON.stringify({ roomId });
    raw.sendRaw(Buffer.concat([
      encodeFrame('SEND', { destination: '/app/room.send', receipt: 'r-send', 'content-type': 'application/json' }, sendBody),
      encodeFrame('SEND', { destination: '/app/room.close', receipt: 'r-close', 'content-type': 'application/json' }, closeBody),
    ]).toString('utf8'));
    for (const id of ['r-send', 'r-close']) {
      const frame = await raw.nextFrame((f) => f.command === 'RECEIPT' || f.command === 'ERROR');
      assert.equal(frame.command, 'RECEIPT', JSON.stringify(frame));
      assert.equal(frame.headers['receipt-id'], id, 'the message was answered first, and stored');
    }
    const history = await fullHistory(server, customer.token, roomId);
    assert.deepEqual(history.map((m) => m.clientMessageId), ['bye-1']);
    const after = await roomSend(customer, roomId, 'too late', 'late-1');
    assert.ok(['not_participant', 'room_closed'].includes(after.refusal?.json.code), JSON.stringify(after));
  });
});
