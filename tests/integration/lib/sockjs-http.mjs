// SockJS over plain HTTP requests, for tests that need what client libraries hide: the session
// path, each request's own connection and source address, dropping a waiting request.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';

import { FrameParser, RawStomp, encodeFrame } from './raw-stomp.mjs';
import { mintToken } from './tokens.mjs';
import { waitUntil } from './util.mjs';

export const INTERRUPTED = 'c[1002,"Connection interrupted"]';
export const ANOTHER = 'c[2010,"Another connection still open"]';

export function newSessionPath() {
  return `/ws-chat/000/${randomUUID().replaceAll('-', '')}`;
}

export function stompText(command, headers = {}, body = '') {
  return encodeFrame(command, headers, body).toString('utf8');
}

export function stompFrames(sockjsFrame) {
  const frames = [];
  const parser = new FrameParser((frame) => frames.push(frame), () => {});
  for (const message of JSON.parse(sockjsFrame.slice(1))) parser.push(Buffer.from(message, 'utf8'));
  return frames;
}

// One HTTP request on its own connection, from `localAddress` (any 127.x.y.z reaches the server
// on loopback, and the server sees it as another client address).
export function httpRequest(server, path, { method = 'POST', body, headers = {}, localAddress = '127.0.0.1' } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: server.host, port: server.port, path, method, headers, localAddress, agent: false },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, text }));
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// A receiving request kept open: its body is collected as it comes; drop() destroys the socket;
// `answer` resolves once the response has ended.
export function openReceiver(server, path, method) {
  const receiver = { text: '', status: 0 };
  let req;
  receiver.answer = new Promise((resolve) => {
    req = request({ host: server.host, port: server.port, path, method, agent: false }, (response) => {
      receiver.status = response.statusCode;
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        receiver.text += chunk;
      });
      response.on('end', () => resolve(receiver));
      response.on('error', () => {});
    });
    req.on('error', () => {});
    req.end();
  });
  receiver.drop = () => req.destroy();
  receiver.waitFor = async (pattern) => {
    await waitUntil(() => pattern.test(receiver.text), { timeoutMs: 5000, what: `${pattern} in ${path}` });
  };
  return receiver;
}

// Two polls at once: one is attached and waits, the other is told c[2010]. Returns the waiting one.
export async function attachedPoll(server, path, transport) {
  const a = openReceiver(server, `${path}/${transport.path}`, transport.method);
  const b = openReceiver(server, `${path}/xhr`, 'POST');
  const { answered, waiting } = await Promise.race([
    a.answer.then(() => ({ answered: a, waiting: b })),
    b.answer.then(() => ({ answered: b, waiting: a })),
  ]);
  assert.ok(answered.text.includes('2010,'), `one poll is told another is open: ${answered.text}`);
  return waiting;
}

export async function poll(server, path, options = {}) {
  const answer = await httpRequest(server, `${path}/xhr`, options);
  if (answer.status !== 200) return answer;
  assert.ok(answer.text.endsWith('\n'), JSON.stringify(answer.text));
  return { ...answer, frame: answer.text.slice(0, -1) };
}

export async function pollStomp(server, path, predicate, options = {}) {
  for (let i = 0; i < 30; i += 1) {
    const { frame } = await poll(server, path, options);
    if (frame === 'h') continue;
    assert.equal(frame[0], 'a', `expected a message frame, got ${frame}`);
    const match = stompFrames(frame).find(predicate);
    if (match) return match;
  }
  throw new Error('no matching STOMP frame');
}

export function xhrSend(server, path, messages, options = {}) {
  return httpRequest(server, `${path}/xhr_send`, { body: JSON.stringify(messages), ...options });
}

// Opens a session over xhr polling, connects as `name` and subscribes to the lobby; returns the
// path and the Set-Cookie of the opening answer.
export async function openLobbySession(server, name, options = {}) {
  const path = newSessionPath();
  const open = await poll(server, path, options);
  assert.equal(open.frame, 'o');
  const token = mintToken({ secret: server.secret, name, sub: `${name}-${randomUUID()}` });
  const headers = { ...(options.headers ?? {}) };
  await xhrSend(server, path, [
    stompText('CONNECT', { 'accept-version': '1.2', 'heart-beat': '0,0', Authorization: `Bearer ${token}` }),
    stompText('SUBSCRIBE', { id: 'lobby', destination: '/topic/chat', receipt: 'subscribed' }),
  ], { ...options, headers });
  await pollStomp(server, path, (f) => f.command === 'RECEIPT', { ...options, headers });
  return { path, setCookie: open.headers['set-cookie'] };
}

export async function lobbyPublisher(t, server) {
  const publisher = await RawStomp.open(server.wsUrl);
  t.after(() => publisher.close());
  await publisher.connect(mintToken({ secret: server.secret, name: 'Publisher' }));
  return publisher;
}

export async function publish(publisher, content) {
  const receipt = `r-${randomUUID()}`;
  publisher.send('SEND', { destination: '/app/chat.send', receipt }, JSON.stringify({ content }));
  await publisher.nextFrame((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === receipt);
}

