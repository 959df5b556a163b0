// Correlation ids: every HTTP answer names its request (X-Request-Id, and requestId in error
// bodies), the log lines about it name the same id, a STOMP session's ERROR names the session, and
// one customer's journey can be followed through the log by their ids alone.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { apiRequest, login } from './lib/auth-http.mjs';
import { acceptedRoom, newAgent, newCustomer, send, startCenter } from './lib/contact-center.mjs';
import { rawHttpRequest } from './lib/http.mjs';
import { RawStomp } from './lib/raw-stomp.mjs';

const TEST_TIMEOUT = 30000;
const REQUEST_ID = /^r[0-9a-f]{16}$/;

describe('correlation ids', () => {
  it('gives every HTTP answer its request id, keeps a proxy\'s, and logs it', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { args: ['--demo'], settings: { 'jwt.secret': '' } });

    const page = await rawHttpRequest(server.port, '/');
    assert.match(page.headers['x-request-id'], REQUEST_ID);
    const health = await apiRequest(server, '/health', { method: 'GET' });
    assert.match(health.headers.get('x-request-id'), REQUEST_ID);
    assert.notEqual(health.headers.get('x-request-id'), page.headers['x-request-id']);

    // An error body carries the id its header has.
    const missing = await apiRequest(server, '/api/conversations/c_unknown/messages', { method: 'GET' });
    assert.equal(missing.status, 401);
    assert.match(missing.json.requestId, REQUEST_ID);
    assert.equal(missing.headers.get('x-request-id'), missing.json.requestId);
    const notFound = await rawHttpRequest(server.port, '/no-such-page.png');
    assert.equal(notFound.status, 404);
    assert.equal(JSON.parse(notFound.body).requestId, notFound.headers['x-request-id']);

    // The id a proxy in front gave is kept, and named in the log line about the request.
    const fromProxy = 'haproxy-7f3a:0001';
    const signedIn = await login(server, 'agent1', '1234', { headers: { 'X-Request-Id': fromProxy } });
    assert.equal(signedIn.status, 200, signedIn.text);
    assert.equal(signedIn.headers.get('x-request-id'), fromProxy);
    await server.waitForLog(new RegExp(`login user=${signedIn.json.user.id} role=AGENT remote=\\S+ request=${fromProxy}`));
    const refused = await login(server, 'agent1', 'wrong', { headers: { 'X-Request-Id': fromProxy } });
    assert.equal(refused.status, 401);
    assert.equal(refused.json.requestId, fromProxy);

    // What is not a plain short token is replaced, never echoed.
    for (const unusable of ['a b', 'x'.repeat(65), '<script>', 'id\u00e9']) {
      const answer = await rawHttpRequest(server.port, '/health', { headers: { 'X-Request-Id': unusable } });
      assert.match(answer.headers['x-request-id'], REQUEST_ID, JSON.stringify(unusable));
    }
  });

  it('names the STOMP session in its ERROR and its log lines', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const client = await RawStomp.open(server.wsUrl);
    t.after(() => client.close());
    const connected = await client.connect('not.a.token').catch((error) => error);
    const frame = connected.frame ?? connected;
    assert.equal(frame.command, 'ERROR');
    assert.ok(frame.headers.session, 'the ERROR names its session');
    await server.waitForLog(new RegExp(`connection opened id=${frame.headers.session} `));
  });

  it('lets one customer\'s journey be followed through the log by their ids', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server, { displayName: 'Traced Customer' });
    const { request, roomId } = await acceptedRoom(customer, agent);
    await send(agent, '/app/room.close', { roomId });

    await server.waitForLog(new RegExp(`guest user=${customer.id} created remote=\\S+ request=r[0-9a-f]{16}`));
    await server.waitForLog(new RegExp(`connection authenticated id=c[0-9a-f]{6}-[0-9a-f]+ user=${customer.id} role=CUSTOMER`));
    await server.waitForLog(new RegExp(`routing queued request=${request.requestId} customer=${customer.id} `));
    await server.waitForLog(new RegExp(`routing assigned request=${request.requestId} room=${roomId} customer=${customer.id} agent=${agent.id} mode=manual`));
    await server.waitForLog(new RegExp(`routing close request=${request.requestId} agent=${agent.id}`));
    // Ids only: the customer's name stays out of the log.
    assert.doesNotMatch(server.stderr, /Traced Customer/);
  });
});
