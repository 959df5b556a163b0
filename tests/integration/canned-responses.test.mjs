// GET and PUT /api/agent/canned-responses: each agent's own list, replaced whole, with server-made
// ids, kept across a restart; the limits (100 entries, shortcuts 1-32 characters without
// whitespace and unique, texts 1-1000 bytes, bodies up to 128 KiB) and hostile bodies; agents only.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { apiRequest } from './lib/auth-http.mjs';
import { newGuest } from './lib/bot.mjs';
import { startCenter } from './lib/contact-center.mjs';
import { createServerDir, removeServerDir } from './lib/server.mjs';
import { expiredToken, mintToken } from './lib/tokens.mjs';

const TEST_TIMEOUT = 30000;
const PATH = '/api/agent/canned-responses';

const agentToken = (server, sub = `agent-${randomUUID()}`) => mintToken({ secret: server.secret, sub, role: 'AGENT' });
const read = (server, token) => apiRequest(server, PATH, { method: 'GET', bearer: token });
const put = (server, token, payload) =>
  apiRequest(server, PATH, typeof payload === 'string' || Buffer.isBuffer(payload)
    ? { method: 'PUT', bearer: token, body: payload, headers: { 'content-type': 'application/json' } }
    : { method: 'PUT', bearer: token, json: payload });

function assertError(answer, status, code) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.json?.error, code, answer.text);
  assert.ok(typeof answer.json.message === 'string' && answer.json.message.length > 0);
}

const entries = (count, text = 'a canned text') =>
  Array.from({ length: count }, (_, i) => ({ shortcut: `s${i}`, text: `${text} ${i}` }));

describe('canned responses', () => {
  it('start empty, are replaced whole, keep their order, get server-made ids and survive a restart', { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = await createServerDir();
    t.after(() => removeServerDir(dir));
    const server = await startCenter(t, { dir });
    const agent = agentToken(server);
    const colleague = agentToken(server);

    const empty = await read(server, agent);
    assert.equal(empty.status, 200, empty.text);
    assert.match(empty.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(empty.json, { responses: [] });

    const list = [
      { shortcut: 'refund', text: 'Refunds reach your card within 3 working days.' },
      { shortcut: '/인사', text: '안녕하세요! 무엇을 도와드릴까요?\n(Hello!)', id: 'cr_made_up_by_the_client' },
      { shortcut: 'bye', text: 'Thanks for contacting us 🙂' },
    ];
    const saved = await put(server, agent, { responses: list });
    assert.equal(saved.status, 200, saved.text);
    assert.deepEqual(saved.json.responses.map(({ shortcut, text }) => ({ shortcut, text })),
      list.map(({ shortcut, text }) => ({ shortcut, text })));
    const ids = saved.json.responses.map((r) => r.id);
    assert.ok(ids.every((id) => typeof id === 'string' && /^cr_/.test(id)), ids.join());
    assert.equal(new Set(ids).size, 3);
    assert.ok(!ids.includes('cr_made_up_by_the_client'), 'ids are made by the server');
    assert.deepEqual((await read(server, agent)).json, saved.json);
    // Another agent's list is their own.
    assert.deepEqual((await read(server, colleague)).json, { responses: [] });
    await put(server, colleague, { responses: [{ shortcut: 'refund', text: 'my own words' }] });

    // Replaced whole: what is not sent is gone.
    const replaced = await put(server, agent, { responses: [list[2], list[0]] });
    assert.equal(replaced.status, 200, replaced.text);
    assert.deepEqual(replaced.json.responses.map((r) => r.shortcut), ['bye', 'refund']);
    assert.deepEqual((await read(server, agent)).json, replaced.json);

    // A restart on the same file keeps both lists.
    const stopped = await server.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
    const again = await startCenter(t, { dir, secret: server.secret });
    assert.deepEqual((await read(again, agent)).json, replaced.json);
    assert.deepEqual((await read(again, colleague)).json.responses.map((r) => r.text), ['my own words']);
    // An empty list clears it.
    assert.deepEqual((await put(again, agent, { responses: [] })).json, { responses: [] });
    assert.deepEqual((await read(again, agent)).json, { responses: [] });
  });

  it('enforce their limits: 100 entries, shortcuts of 1-32 characters without whitespace and unique, texts of 1-1000 bytes, bodies of 128 KiB', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const agent = agentToken(server);
    const kept = await put(server, agent, { responses: entries(2) });
    assert.equal(kept.status, 200, kept.text);

    // At the limits: accepted.
    const hangul32 = '가'.repeat(32);
    const atLimits = [
      ...entries(98),
      { shortcut: hangul32, text: 'x'.repeat(1000) },
      { shortcut: 'a'.repeat(32), text: '가'.repeat(333) },  // 999 bytes
    ];
    const full = await put(server, agent, { responses: atLimits });
    assert.equal(full.status, 200, full.text);
    assert.equal(full.json.responses.length, 100);

    // Past them: 400, and nothing changes.
    const refusals = [
      { responses: entries(101) },
      { responses: [{ shortcut: '', text: 'x' }] },
      { responses: [{ shortcut: 'a'.repeat(33), text: 'x' }] },
      { responses: [{ shortcut: `${hangul32}가`, text: 'x' }] },
      { responses: [{ shortcut: 'two words', text: 'x' }] },
      { responses: [{ shortcut: 'tab\there', text: 'x' }] },
      { responses: [{ shortcut: 'nbsp\u00a0here', text: 'x' }] },
      { responses: [{ shortcut: 'ideographic\u3000space', text: 'x' }] },
      { responses: [{ shortcut: 'nul\u0000', text: 'x' }] },
      { responses: [{ shortcut: 'a', text: '' }] },
      { responses: [{ shortcut: 'a', text: 'x'.repeat(1001) }] },
      { responses: [{ shortcut: 'a', text: '가'.repeat(334) }] },  // 1002 bytes
      { responses: [{ shortcut: 'dup', text: '1' }, { shortcut: 'dup', text: '2' }] },
    ];
    for (const body of refusals) {
      const answer = await put(server, agent, body);
      assertError(answer, 400, 'bad_request');
    }
    const dup = await put(server, agent, { responses: [{ shortcut: 'dup', text: '1' }, { shortcut: 'dup', text: '2' }] });
    assert.match(dup.json.message, /responses\[1\]/);

    // A body over 128 KiB: 413, even when it would be valid JSON.
    const padded = JSON.stringify({ responses: entries(1), padding: 'p'.repeat(128 * 1024) });
    assertError(await put(server, agent, padded), 413, 'too_large');
    assert.equal((await read(server, agent)).json.responses.length, 100, 'nothing changed');
  });

  it('refuse hostile bodies with 400 and keep serving', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const agent = agentToken(server);
    const hostile = [
      '',
      'null',
      '[]',
      '{',
      'not json at all',
      '{"responses":null}',
      '{"responses":{}}',
      '{"responses":"s"}',
      '{"responses":[1,2,3]}',
      '{"responses":[null]}',
      '{"responses":[{}]}',
      '{"responses":[{"shortcut":1,"text":"x"}]}',
      '{"responses":[{"shortcut":"a","text":["x"]}]}',
      '{"responses":[{"shortcut":"a","text":"\\ud800"}]}',
      '{"responses":[]} {"responses":[]}',
      Buffer.from([0x7b, 0x22, 0x72, 0xff, 0xfe, 0x22, 0x3a, 0x5b, 0x5d, 0x7d]),  // {"r\xff\xfe":[]}
      '['.repeat(10000) + ']'.repeat(10000),
      `{"responses":[{"shortcut":"a","text":"x","deep":${'['.repeat(100)}${']'.repeat(100)}}]}`,
    ];
    for (const body of hostile) {
      const answer = await put(server, agent, body);
      assertError(answer, 400, 'bad_request');
    }
    // Just under the server's own 1 MiB request limit: read whole, refused as too large.
    const big = await put(server, agent, 'x'.repeat(1000 * 1024));
    assertError(big, 413, 'too_large');
    assert.deepEqual((await read(server, agent)).json, { responses: [] });
  });

  it('are for agents only: 401 without a valid token, 403 for customers and admins, 405 for other methods', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    const customer = await newGuest(server);
    const admin = mintToken({ secret: server.secret, role: 'ADMIN' });
    for (const token of [customer.token, admin]) {
      assertError(await read(server, token), 403, 'forbidden');
      assertError(await put(server, token, { responses: entries(1) }), 403, 'forbidden');
    }
    assertError(await apiRequest(server, PATH, { method: 'GET' }), 401, 'unauthorized');
    assertError(await apiRequest(server, PATH, { method: 'PUT', json: { responses: [] } }), 401, 'unauthorized');
    assertError(await read(server, expiredToken(server.secret, { role: 'AGENT' })), 401, 'invalid_token');
    const post = await apiRequest(server, PATH, { method: 'POST', bearer: agentToken(server), json: { responses: [] } });
    assert.equal(post.status, 405, post.text);
    assert.match(post.headers.get('allow'), /GET/);
    assert.match(post.headers.get('allow'), /PUT/);
  });
});
