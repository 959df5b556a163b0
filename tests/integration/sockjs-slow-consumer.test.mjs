// Back-pressure on the SockJS HTTP transports: a session whose client stops polling keeps its
// output in the STOMP connection's bounded queue, so it is cut as a slow consumer exactly like a
// WebSocket that stops reading, and the next poll still tells the client why.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { RawStomp } from './lib/raw-stomp.mjs';
import { startServer } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';
import { parseMetrics } from './lib/util.mjs';

let server;
let publisher;

before(async () => {
  server = await startServer({
    settings: {
      'stomp.outbound-queue-bytes': '65536',
      // Long enough that the idle session is not simply expired while the queue fills.
      'sockjs.disconnect-delay-ms': '60000',
    },
  });
});

after(async () => {
  if (publisher) await publisher.close();
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

async function post(path, body) {
  const response = await fetch(`${server.httpUrl}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'text/plain' },
    signal: AbortSignal.timeout(10000),
  });
  return { status: response.status, text: await response.text() };
}

async function slowConsumerCount() {
  const metrics = parseMetrics(await (await fetch(`${server.httpUrl}/metrics`)).text());
  return metrics['aicc_errors_total{kind="slow_consumer"}'] ?? 0;
}

describe('SockJS slow consumer', () => {
  it('cuts an xhr-polling session that stops polling, and its next poll says why', { timeout: 60000 }, async () => {
    const base = `/ws-chat/000/${randomUUID().slice(0, 8)}`;
    assert.equal((await post(`${base}/xhr`)).text, 'o\n');
    const token = mintToken({ secret: server.secret, name: 'Idle' });
    const frames = [
      `CONNECT\naccept-version:1.2\nhost:localhost\nAuthorization:Bearer ${token}\n\n\0`,
      'SUBSCRIBE\nid:s1\ndestination:/topic/chat\nreceipt:sub\n\n\0',
    ];
    assert.equal((await post(`${base}/xhr_send`, JSON.stringify(frames))).status, 204);
    const first = await post(`${base}/xhr`);
    assert.match(first.text, /CONNECTED/);
    if (!first.text.includes('receipt-id:sub')) assert.match((await post(`${base}/xhr`)).text, /receipt-id:sub/);

    // The session now polls no more, while the lobby gets busy.
    publisher = await RawStomp.open(server.wsUrl);
    await publisher.connect(mintToken({ secret: server.secret, name: 'Publisher' }));
    const padding = 'x'.repeat(3800);
    let sent = 0;
    while ((await slowConsumerCount()) < 1 && sent < 2000) {
      for (let i = 0; i < 10; i += 1, sent += 1) {
        publisher.send('SEND', { destination: '/app/chat.send', 'content-type': 'application/json' },
          JSON.stringify({ content: `#${sent} ${padding}` }));
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok((await slowConsumerCount()) >= 1, `the idle session was not cut after ${sent} messages`);

    // The next poll carries the ERROR; then the session is closed.
    const poll = await post(`${base}/xhr`);
    assert.match(poll.text, /^a\[/);
    assert.match(poll.text, /message:slow consumer/);
    const closing = await post(`${base}/xhr`);
    assert.match(closing.text, /^c\[3000,"Go away!"\]/);
    assert.ok(publisher.isOpen, 'the publisher is not affected');
  });
});
