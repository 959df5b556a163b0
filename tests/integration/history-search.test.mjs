// The history of rooms against the binary: GET /api/history/rooms filters by time, agent (also the
// agent who handed a room over), customer, category, state, rating and words of the messages
// (Korean included, %-encoded as browsers send them), newest first and paged by cursor without a
// room twice; an agent sees only the rooms they had; GET /api/history/rooms.csv exports the same
// rooms for a spreadsheet (UTF-8 with its mark, formulas neutralised); GET /api/history/rooms/{id}
// gives a room's record with its private notes. Every refusal says why.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { apiRequest } from './lib/auth-http.mjs';
import {
  acceptedRoom,
  newAgent,
  newCustomer,
  nextJson,
  nextStatus,
  roomSend,
  send,
  startCenter,
} from './lib/contact-center.mjs';
import { expiredToken, mintToken } from './lib/tokens.mjs';

const TEST_TIMEOUT = 30000;
const get = (server, path, token) => apiRequest(server, path, { method: 'GET', bearer: token });

function adminToken(server) {
  return mintToken({ secret: server.secret, sub: `admin-${randomUUID()}`, role: 'ADMIN', name: 'Supervisor' });
}

function assertError(answer, status, code) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.json?.error, code, answer.text);
  assert.ok(answer.json.message.length > 0);
}

describe('the history of rooms', () => {
  // One server for the file: three rooms, written once, read many ways.
  let server;
  let admin;
  let kim;
  let lee;
  let refund;
  let delivery;
  let open;
  let first;

  // What the helpers would clean up after one test, cleaned up after the whole file.
  const cleanups = [];
  const context = { after: (fn) => cleanups.push(fn) };
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  before(async () => {
    server = await startCenter(context, { settings: { 'routing.mode': 'manual', 'bot.need-human': 'offer' } });
    admin = adminToken(server);
    kim = await newAgent(context, server, { name: 'Kim' });
    lee = await newAgent(context, server, { name: 'Lee' });
    first = await newCustomer(context, server, { displayName: '=SUM(1,2)' });
    const second = await newCustomer(context, server, { displayName: '박고객' });

    // A refund, handed over from Kim to Lee, closed and rated 2.
    refund = (await acceptedRoom(first, kim, { category: 'refund', reason: 'asked' })).roomId;
    await roomSend(first, refund, '환불을 요청합니다. Order 1234');
    await send(kim, '/app/room.transfer', { roomId: refund, toAgentId: lee.id, note: '영수증 확인' });
    await nextJson(lee.assignments, { roomId: refund });
    await roomSend(lee, refund, '네, 확인하겠습니다');
    await send(lee, '/app/room.close', { roomId: refund });
    await send(first, '/app/room.rate', { roomId: refund, score: 2, comment: '느려요' });
    await nextStatus(first, { roomId: refund, status: 'closed' });
    first.status.unclaimed.length = 0;  // the statuses of the first chat are read

    // A delivery question to Lee, closed, unrated.
    delivery = (await acceptedRoom(second, lee, { category: 'delivery', reason: 'asked' })).roomId;
    await roomSend(second, delivery, '배송 조회 부탁해요');
    await send(lee, '/app/room.close', { roomId: delivery });

    // The first customer again, with Kim, still open.
    open = (await acceptedRoom(first, kim, { category: 'refund', reason: 'again' })).roomId;
    await roomSend(first, open, 'hello again');
  });

  const ids = (answer) => answer.json.rooms.map((room) => room.roomId);
  const list = async (query, token = admin) => {
    const answer = await get(server, `/api/history/rooms${query ? `?${query}` : ''}`, token);
    assert.equal(answer.status, 200, answer.text);
    return answer;
  };

  it('lists every room newest first with who, when, category, rating and size', { timeout: TEST_TIMEOUT }, async () => {
    const answer = await list('');
    assert.deepEqual(ids(answer), [open, delivery, refund]);
    assert.equal(answer.json.next, null);
    const room = answer.json.rooms[2];
    assert.equal(room.customerId, first.id);
    assert.equal(room.customerName, '=SUM(1,2)');
    assert.equal(room.agentId, lee.id);
    assert.equal(room.agentName, 'Lee');
    assert.equal(room.category, 'refund');
    assert.equal(room.rating.score, 2);
    assert.equal(room.rating.comment, '느려요');
    assert.equal(room.closedBy, lee.id);
    assert.match(room.createdAt, /^\d{4}-\d\d-\d\dT/);
    assert.match(room.closedAt, /^\d{4}-\d\d-\d\dT/);
    assert.ok(room.lastSeq >= 2);
    assert.equal(answer.json.rooms[0].closedAt, undefined);
    assert.equal(answer.json.rooms[0].rating, undefined);
  });

  it('filters by words, agent, customer, category, state, rating and time', { timeout: TEST_TIMEOUT }, async () => {
    assert.deepEqual(ids(await list(`q=${encodeURIComponent('환불')}`)), [refund]);
    assert.deepEqual(ids(await list(`q=${encodeURIComponent('order 1234')}`)), [refund]);
    assert.deepEqual(ids(await list('q=ORDER+1234')), [refund]);
    assert.deepEqual(ids(await list(`q=${encodeURIComponent('배송 조회')}`)), [delivery]);
    assert.deepEqual(ids(await list('q=nowhere')), []);
    assert.deepEqual(ids(await list(`agentId=${kim.id}`)), [open, refund]);  // refund: handed over
    assert.deepEqual(ids(await list(`agentId=${lee.id}`)), [delivery, refund]);
    assert.deepEqual(ids(await list(`customerId=${first.id}`)), [open, refund]);
    assert.deepEqual(ids(await list('category=delivery')), [delivery]);
    assert.deepEqual(ids(await list('state=open')), [open]);
    assert.deepEqual(ids(await list('state=closed')), [delivery, refund]);
    assert.deepEqual(ids(await list('maxRating=2')), [refund]);
    assert.deepEqual(ids(await list('minRating=3')), []);
    assert.deepEqual(ids(await list('unrated=1')), [open, delivery]);
    assert.deepEqual(ids(await list(`from=${Date.now() + 60000}`)), []);
    assert.deepEqual(ids(await list(`to=${Date.now() + 60000}&category=refund&state=closed`)), [refund]);
  });

  it('pages with the next cursor, never giving a room twice', { timeout: TEST_TIMEOUT }, async () => {
    const seen = [];
    let query = 'limit=1';
    for (let page = 0; page < 5; page += 1) {
      const answer = await list(query);
      seen.push(...ids(answer));
      if (answer.json.next === null) break;
      query = `limit=1&before=${encodeURIComponent(answer.json.next)}`;
    }
    assert.deepEqual(seen, [open, delivery, refund]);
  });

  it('shows an agent only the rooms they had, and refuses others', { timeout: TEST_TIMEOUT }, async () => {
    assert.deepEqual(ids(await list('', kim.token)), [open, refund]);
    assert.deepEqual(ids(await list(`agentId=${kim.id}&state=closed`, kim.token)), [refund]);
    assertError(await get(server, `/api/history/rooms?agentId=${lee.id}`, kim.token), 403, 'forbidden');
    assertError(await get(server, '/api/history/rooms', first.token), 403, 'forbidden');
    assertError(await get(server, '/api/history/rooms.csv', first.token), 403, 'forbidden');
    assertError(await get(server, `/api/history/rooms/${refund}`, first.token), 403, 'forbidden');
    assertError(await apiRequest(server, '/api/history/rooms', { method: 'GET' }), 401, 'unauthorized');
    assertError(await get(server, '/api/history/rooms', expiredToken(server.secret)), 401, 'invalid_token');
  });

  it('refuses malformed and hostile filters, saying which', { timeout: TEST_TIMEOUT }, async () => {
    for (const [query, name] of [
      ['from=yesterday', 'from'],
      ['limit=1000', 'limit'],
      ['minRating=9', 'minRating'],
      ['before=garbage', 'before'],
      [`q=${'a'.repeat(201)}`, 'q'],
      ['q=%00', 'q'],
      ['q=%FF%FE', 'q'],
      [`category=${'c'.repeat(129)}`, 'category'],
      ['agentId=%0Aadmin', 'agentId'],
    ]) {
      const answer = await get(server, `/api/history/rooms?${query}`, admin);
      assertError(answer, 400, 'bad_request');
      assert.match(answer.json.message, new RegExp(name), query);
    }
    // Words that would be syntax to a search engine or SQL are plain text here.
    for (const q of ['"', 'a" OR "b', 'NEAR(x y)', '*', "' OR 1=1 --", '%', '_']) {
      assert.deepEqual(ids(await list(`q=${encodeURIComponent(q)}`)), [], q);
    }
  });

  it('exports the rooms as CSV a spreadsheet opens safely', { timeout: TEST_TIMEOUT }, async () => {
    const answer = await fetch(`${server.httpUrl}/api/history/rooms.csv?category=refund`, { headers: { Authorization: `Bearer ${admin}` } });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type'), /^text\/csv; charset=utf-8/);
    assert.match(answer.headers.get('content-disposition'), /^attachment; filename="conversations\.csv"; filename\*=UTF-8''conversations\.csv$/);
    const bytes = Buffer.from(await answer.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n').filter(Boolean);
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^"room_id","created_at","closed_at","customer_id","customer_name","agent_id","agent_name","category","messages","rating","rating_comment","closed_by"$/);
    assert.ok(lines[1].startsWith(`"${open}",`));
    assert.ok(lines[2].startsWith(`"${refund}",`));
    assert.ok(lines[2].includes('"\'=SUM(1,2)"'), lines[2]);  // never a formula
    assert.ok(lines[2].includes('"2","느려요"'), lines[2]);
  });

  it('gives a room\'s record with its private notes to staff', { timeout: TEST_TIMEOUT }, async () => {
    for (const token of [admin, kim.token, lee.token]) {
      const answer = await get(server, `/api/history/rooms/${refund}`, token);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.json.room.roomId, refund);
      assert.equal(answer.json.room.rating.score, 2);
      const transfer = answer.json.notes.find((note) => note.kind === 'transfer');
      assert.equal(transfer.text, '영수증 확인');
      assert.equal(transfer.authorId, kim.id);
      assert.equal(transfer.toAgentId, lee.id);
    }
    assertError(await get(server, '/api/history/rooms/r_nothing', admin), 404, 'not_found');
  });

  it('binds a room to the agents who had it or serve its customer now: anyone else finds nothing', { timeout: TEST_TIMEOUT }, async () => {
    const park = await newAgent(context, server, { name: 'Park' });
    for (const [agent, room] of [[park, refund], [park, delivery], [kim, delivery], [lee, open]]) {
      assertError(await get(server, `/api/history/rooms/${room}`, agent.token), 404, 'not_found');
      assertError(await get(server, `/api/conversations/${room}/messages`, agent.token), 404, 'not_found');
    }
    // Kim serves the first customer now: their earlier chat (Lee's at the end) reads beside it.
    for (const [agent, room] of [[kim, refund], [lee, refund], [lee, delivery], [kim, open]]) {
      assert.equal((await get(server, `/api/history/rooms/${room}`, agent.token)).status, 200);
      assert.equal((await get(server, `/api/conversations/${room}/messages`, agent.token)).status, 200);
    }
    assertError(await get(server, `/api/history/rooms/${refund}/x`, admin), 404, 'not_found');
  });
});
