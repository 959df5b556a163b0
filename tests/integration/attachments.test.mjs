// Files in chats against the binary: a room's customer and agent upload pictures, PDF and text
// (their kind read from the bytes, never from the name or the declared type), a message carries
// them, and they are served to the room's customer and to staff only: pictures inline, the rest as
// downloads, never as something a browser would run. Hostile uploads get a clear refusal: the wrong
// kind, a mismatched declaration, too large (refused before the body is held), no token, not a
// member, too many, and messages naming files that are not the sender's.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { describe, it } from 'node:test';

import {
  acceptedRoom,
  fullHistory,
  newAgent,
  newCustomer,
  roomSend,
  send,
  startCenter,
  subscribeRoom,
  waitForSeq,
  chatMessages,
} from './lib/contact-center.mjs';
import { mintToken } from './lib/tokens.mjs';

const TEST_TIMEOUT = 30000;
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201ffa9b6e6a90000000049454e44ae426082', 'hex');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

function upload(server, token, roomId, bytes, { type = 'application/octet-stream', name = 'file' } = {}) {
  return fetch(`${server.httpUrl}/api/rooms/${encodeURIComponent(roomId)}/attachments?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': type },
    body: bytes,
  });
}

async function json(answer) {
  return { status: answer.status, json: await answer.json() };
}

function download(server, token, id) {
  return fetch(`${server.httpUrl}/api/attachments/${encodeURIComponent(id)}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
}

async function assertRefused(answerPromise, status, code, pattern) {
  const { status: got, json: body } = await json(await answerPromise);
  assert.equal(got, status, JSON.stringify(body));
  assert.equal(body.error, code);
  if (pattern) assert.match(body.message, pattern);
}

describe('attachments', () => {
  it('a picture and a PDF go both ways, carried by messages, served to the room and staff only', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.mode': 'manual' } });
    const agent = await newAgent(t, server, { name: 'Kim' });
    const customer = await newCustomer(t, server, { displayName: 'Park' });
    const stranger = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    const agentRoom = await subscribeRoom(agent, roomId);

    const picture = await json(await upload(server, customer.token, roomId, PNG, { type: 'image/png', name: 'C:\\photos\\영수증.png' }));
    assert.equal(picture.status, 201, JSON.stringify(picture.json));
    assert.match(picture.json.attachment.id, /^f_[0-9a-f]+$/);
    assert.deepEqual({ ...picture.json.attachment, id: undefined }, { id: undefined, name: '영수증.png', contentType: 'image/png', size: PNG.length });
    await send(customer, '/app/room.send', { roomId, text: '', clientMessageId: 'c-1', attachments: [picture.json.attachment.id] });
    await waitForSeq(agentRoom, 1);
    const [carried] = chatMessages(agentRoom);
    assert.deepEqual(carried.attachments, [picture.json.attachment]);
    assert.equal(carried.text, '');

    // The agent answers with a PDF and words.
    const pdf = await json(await upload(server, agent.token, roomId, PDF, { type: 'application/pdf', name: 'guide"\r\nX-Evil: 1.pdf' }));
    assert.equal(pdf.status, 201);
    assert.equal(pdf.json.attachment.name, 'guideX-Evil: 1.pdf');
    await send(agent, '/app/room.send', { roomId, text: '안내서입니다', clientMessageId: 'a-1', attachments: [pdf.json.attachment.id] });

    // The stored history keeps them.
    const history = await fullHistory(server, agent.token, roomId);
    assert.deepEqual(history.map((m) => m.attachments?.map((f) => f.contentType)), [['image/png'], ['application/pdf']]);

    // Served: a picture inline, a PDF as a download, nothing ever run.
    for (const token of [agent.token, customer.token, mintToken({ secret: server.secret, sub: 'admin-1', role: 'ADMIN', name: 'Sup' })]) {
      const got = await download(server, token, picture.json.attachment.id);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-type'), 'image/png');
      assert.match(got.headers.get('content-disposition'), /^inline; filename="_+\.png"; filename\*=UTF-8''%EC%98%81%EC%88%98%EC%A6%9D\.png$/);
      assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(got.headers.get('content-security-policy'), "default-src 'none'; sandbox");
      assert.equal(got.headers.get('cache-control'), 'no-store');
      assert.deepEqual(Buffer.from(await got.arrayBuffer()), PNG);
    }
    const file = await download(server, customer.token, pdf.json.attachment.id);
    assert.equal(file.status, 200);
    assert.match(file.headers.get('content-disposition'), /^attachment; filename="guideX-Evil_ 1\.pdf"; filename\*=UTF-8''guideX-Evil%3A%201\.pdf$/);
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), PDF);

    // Anyone else: not found (ids are not to be probed), or not signed in.
    await assertRefused(download(server, stranger.token, picture.json.attachment.id), 404, 'not_found');
    const otherAgent = await newAgent(t, server);  // never had the room
    await assertRefused(download(server, otherAgent.token, picture.json.attachment.id), 404, 'not_found');
    await assertRefused(download(server, customer.token, 'f_0000'), 404, 'not_found');
    await assertRefused(download(server, null, picture.json.attachment.id), 401, 'unauthorized');
  });

  it('refuses hostile uploads and messages, saying why', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.mode': 'manual', 'attachments.max-bytes': '4096', 'attachments.uploads-per-minute': '7' } });
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    const other = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    const { roomId: otherRoom } = await acceptedRoom(other, agent);

    await assertRefused(upload(server, customer.token, roomId, Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'binary')), 415, 'unsupported_type', /PNG, JPEG, GIF, WebP/);
    await assertRefused(upload(server, customer.token, roomId, Buffer.from('PK\x03\x04zip', 'binary'), { name: 'cat.png', type: 'image/png' }), 415, 'unsupported_type');
    await assertRefused(upload(server, customer.token, roomId, PNG, { type: 'application/pdf', name: 'x.pdf' }), 415, 'type_mismatch', /application\/pdf.*image\/png/);
    await assertRefused(upload(server, customer.token, roomId, Buffer.from('<svg onload="alert(1)"/>'), { type: 'image/svg+xml' }), 415, 'type_mismatch');
    await assertRefused(upload(server, customer.token, roomId, Buffer.alloc(0)), 400, 'bad_request', /empty/);
    await assertRefused(upload(server, customer.token, roomId, Buffer.concat([PNG, Buffer.alloc(5000)])), 413, 'too_large', /attachments\.max-bytes/);
    await assertRefused(upload(server, null, roomId, PNG), 401, 'unauthorized');
    await assertRefused(upload(server, 'not-a-token', roomId, Buffer.alloc(3 * 1024 * 1024)), 401, 'unauthorized');
    await assertRefused(upload(server, other.token, roomId, PNG), 403, 'not_participant');
    await assertRefused(upload(server, mintToken({ secret: server.secret, sub: 'admin-1', role: 'ADMIN', name: 'Sup' }), roomId, PNG), 403, 'forbidden');

    // Markup uploaded as text is kept as text: served as text/plain, as a download.
    const text = await json(await upload(server, customer.token, roomId, Buffer.from('<script>alert(1)</script>\n주문번호 1234'), { type: 'text/plain', name: 'note.html' }));
    assert.equal(text.status, 201);
    assert.equal(text.json.attachment.name, 'note.html.txt');
    const served = await download(server, agent.token, text.json.attachment.id);
    assert.equal(served.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.match(served.headers.get('content-disposition'), /^attachment; /);

    // Messages may carry only the sender's own files of this room, each once, at most 5.
    const mine = (await json(await upload(server, customer.token, roomId, PNG))).json.attachment.id;
    const theirs = (await json(await upload(server, agent.token, roomId, PNG))).json.attachment.id;
    const elsewhere = (await json(await upload(server, other.token, otherRoom, PNG))).json.attachment.id;
    for (const [attachments, code] of [
      [[theirs], 'bad_attachment'],
      [[elsewhere], 'bad_attachment'],
      [[mine, mine], 'bad_attachment'],
      [['f_nothing'], 'bad_attachment'],
      [['../../etc'], 'bad_request'],
      [[mine, mine, mine, mine, mine, mine], 'bad_request'],
      ['f_1', 'bad_request'],
      [[7], 'bad_request'],
    ]) {
      const answer = await send(customer, '/app/room.send', { roomId, text: 'x', clientMessageId: randomUUID(), attachments });
      assert.equal(answer.refusal?.json.code, code, JSON.stringify(attachments));
    }
    const empty = await send(customer, '/app/room.send', { roomId, text: '', clientMessageId: randomUUID(), attachments: [] });
    assert.equal(empty.refusal?.json.code, 'bad_request');
    // Control characters are never something a person wrote (and the search reads texts as text).
    for (const text of ['nul\u0000inside', 'escape \u001b[31m', 'bell\u0007']) {
      const refused = await send(customer, '/app/room.send', { roomId, text, clientMessageId: randomUUID() });
      assert.equal(refused.refusal?.json.code, 'bad_request', JSON.stringify(text));
      assert.match(refused.refusal.json.message, /control characters/);
    }
    await roomSend(customer, roomId, 'still fine');

    // Too many in a minute.
    await assertRefused(upload(server, customer.token, roomId, PNG), 429, 'rate_limited', /uploads-per-minute/);
  });

  it('holds at most two uploads of one user in flight: a third is refused before its body', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.mode': 'manual' } });
    const agent = await newAgent(t, server);
    const customer = await newCustomer(t, server);
    const { roomId } = await acceptedRoom(customer, agent);
    // Two uploads whose bodies are still coming (slow phones).
    const slow = [];
    for (let i = 0; i < 2; ++i) {
      const socket = tcpConnect(server.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`POST /api/rooms/${roomId}/attachments?name=slow.png HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Authorization: Bearer ${customer.token}\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n`);
      socket.write(PNG.subarray(0, 16));
      slow.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    await assertRefused(upload(server, customer.token, roomId, PNG), 429, 'rate_limited', /already sending files/);
    // Another user is not held up by them; once they end, the customer may send again.
    assert.equal((await upload(server, agent.token, roomId, PNG)).status, 201);
    for (const socket of slow) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await upload(server, customer.token, roomId, PNG)).status, 201);
  });
});
