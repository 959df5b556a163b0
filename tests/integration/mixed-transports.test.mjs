// Every transport at once: clients on raw WebSocket and on each SockJS transport all chat at the
// same time, and every client receives every message exactly once, each sender's messages in the
// order that sender sent them (the server runs several I/O threads; order per sender must survive
// the hops between them).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { SOCKJS_NODE_TRANSPORTS, openStompJs, socketFactory } from './lib/clients.mjs';
import { startServer } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';
import { waitUntil } from './lib/util.mjs';

const CLIENTS_PER_TRANSPORT = 3;
const MESSAGES_PER_CLIENT = 40;

let server;

before(async () => {
  server = await startServer({ settings: { 'server.threads': '4' } });
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

describe('mixed transports', () => {
  it('delivers everybody\'s messages to everybody, in order per sender', { timeout: 60000 }, async (t) => {
    const transports = ['ws', ...SOCKJS_NODE_TRANSPORTS];
    const run = randomUUID();
    const clients = [];
    for (const transport of transports) {
      for (let i = 0; i < CLIENTS_PER_TRANSPORT; i += 1) {
        const name = `${transport}-${i}`;
        const session = await openStompJs({
          factory: socketFactory(server, transport, { sockjsPath: i % 2 === 0 ? '/ws-chat' : '/ws-stomp' }),
          connectHeaders: { Authorization: `Bearer ${mintToken({ secret: server.secret, name })}` },
        });
        t.after(() => session.close());
        clients.push({ name, session, inbox: await session.subscribe('/topic/chat') });
      }
    }

    // Everybody sends at once.
    for (let n = 0; n < MESSAGES_PER_CLIENT; n += 1) {
      for (const { session } of clients) session.publish('/app/chat.send', { content: `${run} ${n}` });
    }

    const total = clients.length * MESSAGES_PER_CLIENT;
    const ours = (inbox) => inbox.all.filter((m) => m.json?.content?.startsWith(run));
    await waitUntil(() => clients.every(({ inbox }) => ours(inbox).length >= total), {
      timeoutMs: 40000,
      what: `${total} messages at each of ${clients.length} clients`,
    });
    for (const { name, inbox } of clients) {
      const received = ours(inbox);
      assert.equal(received.length, total, `${name} got each message once`);
      const next = new Map();
      for (const message of received) {
        const sequence = Number(message.json.content.split(' ')[1]);
        const expected = next.get(message.json.sender) ?? 0;
        assert.equal(sequence, expected, `${name}: message ${sequence} of ${message.json.sender} out of order`);
        next.set(message.json.sender, expected + 1);
      }
      assert.equal(next.size, clients.length, `${name} heard every sender`);
    }
  });
});
