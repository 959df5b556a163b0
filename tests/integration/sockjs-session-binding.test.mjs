// Who may use a SockJS session. A session is bound to the client address that opened it and,
// once the client has shown it, to the aicc_sockjs cookie set on the opening response: another
// client that knows the session id (it is in every URL) can neither send as the owner nor read the
// owner's frames, gets a 403 that says why, and the owner's session goes on undisturbed.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { startServer } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';
import { waitUntil } from './lib/util.mjs';
import {
  httpRequest, newSessionPath, openLobbySession, poll, pollStomp, stompText, xhrSend,
} from './lib/sockjs-http.mjs';

const TEST_TIMEOUT = 20000;

let server;

before(async () => {
  // A long heartbeat: nothing but the test's own messages may wake a waiting receiver.
  server = await startServer({ settings: { 'sockjs.heartbeat-ms': '60000', 'stomp.heartbeat-send-ms': '0' } });
});

after(async () => {
  if (!server) return;
  const result = await server.stop();
  assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
});

describe('a SockJS session belongs to the client that opened it', () => {
  it('refuses xhr_send and polls from another address, and the owner carries on', { timeout: TEST_TIMEOUT }, async () => {
    const { path } = await openLobbySession(server, 'Victim');
    const stranger = { localAddress: '127.0.0.2' };

    const forged = await xhrSend(server, path, [stompText('SEND', { destination: '/app/chat.send' }, '{"content":"forged"}')], stranger);
    assert.equal(forged.status, 403);
    assert.equal(JSON.parse(forged.text).error, 'sockjs_session_not_yours');
    assert.match(JSON.parse(forged.text).message, /belongs to another client address/);

    for (const transport of ['xhr', 'xhr_streaming']) {
      const stolen = await httpRequest(server, `${path}/${transport}`, stranger);
      assert.equal(stolen.status, 403, transport);
      assert.match(JSON.parse(stolen.text).message, /belongs to another client/);
    }
    for (const transport of ['eventsource', 'htmlfile?c=cb', 'jsonp?c=cb']) {
      const stolen = await httpRequest(server, `${path}/${transport}`, { ...stranger, method: 'GET' });
      assert.equal(stolen.status, 403, transport);
    }

    // The owner's session is undisturbed: no 2010, no close, and no forged message went out.
    const mine = `mine ${randomUUID()}`;
    await xhrSend(server, path, [stompText('SEND', { destination: '/app/chat.send' }, JSON.stringify({ content: mine }))]);
    const message = await pollStomp(server, path, (f) => f.command === 'MESSAGE');
    assert.deepEqual([JSON.parse(message.body).content, JSON.parse(message.body).sender], [mine, 'Victim']);
  });

  it('requires the aicc_sockjs cookie once the owner has shown it', { timeout: TEST_TIMEOUT }, async () => {
    const path = newSessionPath();
    const open = await poll(server, path);
    assert.equal(open.frame, 'o');
    const setCookie = open.headers['set-cookie']?.find((c) => c.startsWith('aicc_sockjs='));
    assert.ok(setCookie, `a binding cookie: ${open.headers['set-cookie']}`);
    assert.match(setCookie, new RegExp(`; Path=${path}; HttpOnly; SameSite=Strict`));
    const cookie = setCookie.split(';')[0];

    const token = mintToken({ secret: server.secret, name: 'Owner' });
    const connect = await xhrSend(server, path, [stompText('CONNECT', { 'accept-version': '1.2', 'heart-beat': '0,0', Authorization: `Bearer ${token}` })], { headers: { Cookie: cookie } });
    assert.equal(connect.status, 204);

    // Same address, a guessed cookie: refused at once.
    const guessed = await poll(server, path, { headers: { Cookie: 'aicc_sockjs=0123456789abcdef0123456789abcdef' } });
    assert.equal(guessed.status, 403);
    assert.match(JSON.parse(guessed.text).message, /aicc_sockjs cookie differs/);

    // No cookie: let through for a short grace (a browser sends a request or two before it has
    // stored the cookie); an empty batch shows when that is over, then a forged SEND is refused.
    await waitUntil(async () => (await xhrSend(server, path, [])).status === 403, {
      timeoutMs: 10000, intervalMs: 200, what: 'requests without the cookie refused',
    });
    const bare = await xhrSend(server, path, [stompText('SEND', { destination: '/app/chat.send' }, '{"content":"forged"}')]);
    assert.equal(bare.status, 403);
    assert.match(JSON.parse(bare.text).message, /lacks its aicc_sockjs cookie/);

    const connected = await pollStomp(server, path, (f) => f.command === 'CONNECTED', { headers: { Cookie: cookie } });
    assert.equal(connected.headers.version, '1.2');
  });

  it('answers 404 to a session id nobody opened, as before', { timeout: TEST_TIMEOUT }, async () => {
    const unknown = await xhrSend(server, newSessionPath(), ['x'], { localAddress: '127.0.0.2' });
    assert.equal(unknown.status, 404);
  });
});

