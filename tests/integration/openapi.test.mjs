// The API documented: GET /api/openapi.json serves docs/openapi.json (with the STOMP destinations
// of the code as x-stomp-destinations), valid against the official OpenAPI 3.1 schema; every
// documented route answers, as documented, and the server has no route the document lacks (it
// refuses to start then, naming the route: http/api_document.hpp); the operations the other
// suites may not reach are exercised here with the roles they are for, and each answer is checked
// against the document; docs/PROTOCOL.md's destination tables are the code's list.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { apiRequest, login } from './lib/auth-http.mjs';
import {
  ApiModel,
  kTablesBegin,
  kTablesEnd,
  officialSchemaProblems,
  protocolPath,
  protocolTables,
  readDocument,
  renderStompTables,
} from './lib/openapi.mjs';
import { startServer } from './lib/server.mjs';

const TEST_TIMEOUT = 30000;

// An answer as ApiModel.check takes it.
async function answerOf(server, method, path, { json, bearer, headers = {} } = {}) {
  const requestHeaders = { ...headers };
  if (json !== undefined) requestHeaders['content-type'] = 'application/json';
  if (bearer) requestHeaders.authorization = `Bearer ${bearer}`;
  const response = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: requestHeaders,
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(5000),
  });
  const body = await response.text();
  const headerObject = {};
  response.headers.forEach((value, name) => {
    headerObject[name] = value;
  });
  return { method, path, status: response.status, headers: headerObject, body, suite: 'openapi.test.mjs' };
}

describe('the API document', () => {
  let server;
  let served;
  let model;

  before(async () => {
    // Demo mode: the demo users sign in for real, so each role's views are reached.
    server = await startServer({ args: ['--demo'], settings: { 'jwt.secret': '' } });
    const answer = await answerOf(server, 'GET', '/api/openapi.json');
    assert.equal(answer.status, 200, answer.body);
    served = JSON.parse(answer.body);
    model = new ApiModel(served);
  });

  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0, server.stderr);
  });

  it('is served at /api/openapi.json as docs/openapi.json with the STOMP destinations, with a validator', { timeout: TEST_TIMEOUT }, async () => {
    const answer = await answerOf(server, 'GET', '/api/openapi.json');
    assert.equal(answer.headers['content-type'], 'application/json');
    assert.equal(answer.headers['cache-control'], 'no-cache');
    assert.match(answer.headers.etag, /^"[0-9a-f]{16}"$/);
    assert.ok(answer.headers['x-request-id']);
    const { 'x-stomp-destinations': destinations, ...rest } = JSON.parse(answer.body);
    assert.deepEqual(rest, readDocument(), 'the served document is docs/openapi.json as built in');
    assert.ok(destinations.length > 20);

    // Unchanged: 304 without a body; HEAD: the headers alone.
    const again = await answerOf(server, 'GET', '/api/openapi.json', { headers: { 'if-none-match': answer.headers.etag } });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    assert.equal(again.headers.etag, answer.headers.etag);
    const stale = await answerOf(server, 'GET', '/api/openapi.json', { headers: { 'if-none-match': '"0000000000000000"' } });
    assert.equal(stale.status, 200);
    const head = await answerOf(server, 'HEAD', '/api/openapi.json');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    for (const each of [answer, again, head]) assert.deepEqual(model.check(each).problems, []);
  });

  it('is valid OpenAPI 3.1, and each of its schemas valid JSON Schema 2020-12', () => {
    assert.deepEqual(officialSchemaProblems(served), []);
    model.compileAll();
    // The checks can fail: a broken document is refused.
    const broken = structuredClone(served);
    broken.paths['/api/agents'].get.responses = { 200: { content: {} } };
    assert.notDeepEqual(officialSchemaProblems(broken), []);
  });

  it('has every route answer as documented, none of them the answer to a path nobody serves', { timeout: TEST_TIMEOUT }, async () => {
    // The server started, so its routes and the document agree both ways (it refuses to start
    // otherwise). Each documented operation is probed without credentials: the route is there
    // (not the router's "no such API endpoint") and its refusal, or its public answer, is one the
    // document lists.
    const operations = model.operations();
    assert.ok(operations.length >= 30, operations.join('\n'));
    for (const operation of operations) {
      const [method, template] = operation.split(' ');
      const path = template.replace(/\{[^}]+\}/g, 'probe1');
      const json = method === 'POST' || method === 'PUT' ? {} : undefined;
      const answer = await answerOf(server, method, path, { json });
      assert.ok(!(answer.status === 404 && answer.body.includes('no such API endpoint')), `${operation}: not served`);
      const { operation: matched, problems } = model.check(answer);
      assert.equal(matched, operation);
      assert.deepEqual(problems, [], `${operation}: ${answer.status} ${answer.body}`);
    }
    // A path the router does not have gets the error body, which the check knows as such.
    const unknown = await answerOf(server, 'GET', '/api/no-such-thing');
    assert.equal(unknown.status, 404);
    assert.deepEqual(model.check(unknown), { operation: '(no such /api path)', problems: [] });
    // And an answer the document does not list is caught, with the operation and the pointer.
    const wrong = { ...unknown, path: '/api/agents', status: 200, body: '{"agents":[{"id":1}]}' };
    const { problems } = model.check(wrong);
    assert.ok(problems.some((p) => p.startsWith('GET /api/agents') && p.includes('/agents/0/id must be string')), problems.join('\n'));
  });

  it('answers every view, upload and command as documented for the roles they are for', { timeout: TEST_TIMEOUT }, async () => {
    const token = async (username) => {
      const answer = await login(server, username, '1234');
      assert.equal(answer.status, 200, answer.text);
      return answer.json.accessToken;
    };
    const admin = await token('admin');
    const agent = await token('agent1');
    const customer = await token('user1');
    const agentId = JSON.parse(Buffer.from(agent.split('.')[1], 'base64url')).sub;
    const customerId = JSON.parse(Buffer.from(customer.split('.')[1], 'base64url')).sub;

    const calls = [
      ['GET', '/api/consult/hours', {}],
      ['GET', '/api/consult/current', { bearer: customer }],
      ['GET', '/api/consult/history', { bearer: customer }],
      ['GET', '/api/consult/current', { bearer: agent }],
      ['POST', '/api/bot/message', { bearer: customer, json: { message: '안녕하세요', clientMessageId: 'openapi-1' } }],
      ['POST', '/api/bot/message', { bearer: customer, json: { message: '' } }],
      ['GET', '/api/consult/queue', { bearer: agent }],
      ['GET', '/api/consult/offline?all=1', { bearer: admin }],
      ['GET', '/api/agent/rooms', { bearer: agent }],
      ['GET', '/api/agents', { bearer: admin }],
      ['GET', '/api/admin/stats', { bearer: admin }],
      ['GET', '/api/admin/stats', { bearer: customer }],
      ['GET', '/api/admin/audit?limit=5&order=desc', { bearer: admin }],
      ['GET', '/api/admin/audit?limit=0', { bearer: admin }],
      ['PUT', '/api/agent/canned-responses', { bearer: agent, json: { responses: [{ shortcut: 'hi', text: '안녕하세요' }] } }],
      ['PUT', '/api/agent/canned-responses', { bearer: agent, json: { responses: [{ shortcut: 'a b', text: 'x' }] } }],
      ['GET', '/api/agent/canned-responses', { bearer: agent }],
      ['GET', `/api/customers/${customerId}/context`, { bearer: agent }],
      ['GET', '/api/history/rooms?limit=5&state=closed', { bearer: admin }],
      ['GET', '/api/history/rooms?limit=500', { bearer: admin }],
      ['GET', '/api/history/rooms.csv', { bearer: admin }],
      ['GET', '/api/history/rooms/r_unknown', { bearer: admin }],
      ['GET', '/api/conversations/c_unknown/messages?after=0&limit=10', { bearer: agent }],
      ['GET', '/api/attachments/a_unknown', { bearer: agent }],
      ['POST', `/api/admin/agents/${agentId}/status`, { bearer: admin, json: { status: 'sideways' } }],
      ['POST', '/api/admin/agents/u_nobody/status', { bearer: admin, json: { status: 'away' } }],
      ['POST', '/api/auth/ws-ticket', { bearer: customer }],
      ['POST', '/api/auth/refresh', { json: { refreshToken: 'not-a-token' } }],
      ['POST', '/api/auth/login', { json: { username: 'admin', password: 'wrong' } }],
      ['POST', '/api/auth/login', { headers: { 'content-type': 'text/plain' } }],
      ['GET', '/health', {}],
      ['GET', '/health/ready', {}],
      ['GET', '/metrics', {}],
      ['POST', '/api/auth/logout', { bearer: customer }],
    ];
    const statuses = [];
    for (const [method, path, options] of calls) {
      const answer = await answerOf(server, method, path, options);
      statuses.push(`${method} ${path} ${answer.status}`);
      assert.deepEqual(model.check(answer).problems, [], `${method} ${path}: ${answer.status} ${answer.body.slice(0, 300)}`);
    }
    // The calls reached what they were meant to: answers, not only refusals.
    for (const expected of ['GET /api/admin/stats 200', 'POST /api/bot/message 202', 'GET /api/history/rooms.csv 200',
      'GET /api/agent/canned-responses 200', 'POST /api/auth/ws-ticket 200', 'POST /api/auth/logout 204',
      'GET /api/admin/stats 403', 'POST /api/admin/agents/u_nobody/status 404']) {
      assert.ok(statuses.includes(expected), `${expected} not among\n${statuses.join('\n')}`);
    }
  });

  it('lists the STOMP destinations of the code, which docs/PROTOCOL.md shows as they are', () => {
    const destinations = served['x-stomp-destinations'];
    const names = destinations.map((entry) => `${entry.direction} ${entry.destination}`);
    for (const expected of ['send /app/room.send', 'send /app/auth.refresh', 'subscribe /topic/room/{roomId}', 'subscribe /user/queue/errors']) {
      assert.ok(names.includes(expected), expected);
    }
    const expected = renderStompTables(destinations);
    const documented = protocolTables(readFileSync(protocolPath, 'utf8'));
    assert.ok(documented !== null, `docs/PROTOCOL.md lacks the markers ${kTablesBegin} ... ${kTablesEnd}`);
    // Not a diff of two long texts: the tables to put there, whole.
    assert.ok(documented === expected,
      `docs/PROTOCOL.md's destination tables differ from the code's list (src/broker/destination_catalog.cpp); ` +
      `put this between its markers:\n${expected}`);
  });
});
