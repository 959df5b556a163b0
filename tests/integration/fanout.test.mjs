// One broadcast reaches 1 000 subscribers, each on its own connection (not a few connections with
// many subscriptions: the point is 1 000 sockets, sessions and write queues).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { openStompJs, socketFactory } from './lib/clients.mjs';
import { startServer } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';
import { mapLimit, waitUntil } from './lib/util.mjs';

const SUBSCRIBERS = 1000;

let server;
const sessions = [];

before(async () => {
  // 1 000 handshakes from one address in a few seconds: far over the default per-IP limit.
  server = await startServer({
    settings: { 'ws.handshake-rate-per-ip': '100000', 'ws.handshake-burst-per-ip': '100000' },
  });
});

after(async () => {
  await mapLimit(sessions, 100, (session) => session.close(2000));
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr.slice(-4000)}`);
});

describe('fan-out', () => {
  it(`delivers one broadcast to ${SUBSCRIBERS} subscribers on ${SUBSCRIBERS} connections`, { timeout: 90000 }, async () => {
    const factory = socketFactory(server, 'ws');
    const inboxes = await mapLimit(Array.from({ length: SUBSCRIBERS }, (_, i) => i), 50, async (i) => {
      const session = await openStompJs({
        factory,
        connectHeaders: { Authorization: `Bearer ${mintToken({ secret: server.secret, name: `listener ${i}` })}` },
        // No heart-beat timers for a thousand idle clients.
        heartbeatIncoming: 0,
        heartbeatOutgoing: 0,
      });
      sessions.push(session);
      return session.subscribe('/topic/chat');
    });

    const health = await (await fetch(`${server.httpUrl}/health`)).json();
    assert.ok(health.connections >= SUBSCRIBERS, `health reports ${health.connections} connections`);

    const publisher = await openStompJs({
      factory,
      connectHeaders: { Authorization: `Bearer ${mintToken({ secret: server.secret, name: 'Announcer' })}` },
    });
    sessions.push(publisher);
    const content = `to everyone ${randomUUID()}`;
    await publisher.publishWithReceipt('/app/chat.send', { content });

    const reached = () => inboxes.filter((inbox) => inbox.all.some((m) => m.json?.content === content)).length;
    await waitUntil(() => reached() === SUBSCRIBERS, {
      timeoutMs: 20000,
      what: `the broadcast at every subscriber (${reached()} of ${SUBSCRIBERS} so far)`,
    });
    for (const inbox of inboxes) {
      const copies = inbox.all.filter((m) => m.json?.content === content);
      assert.equal(copies.length, 1, 'exactly one copy per subscriber');
      assert.equal(copies[0].json.sender, 'Announcer');
    }
  });
});
