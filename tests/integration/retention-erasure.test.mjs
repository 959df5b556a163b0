// Personal data kept only as long as allowed: a customer's data erased everywhere on request (the
// admin API and `aicc-chat customer erase`), audited without the content, and the daily retention
// job deleting what is past its age (the data moved back in time, as a fake clock would).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { apiRequest } from './lib/auth-http.mjs';
import { postBotMessage } from './lib/bot.mjs';
import {
  acceptedRoom,
  newAgent,
  newCustomer,
  nextStatus,
  roomSend,
  send,
  startCenter,
} from './lib/contact-center.mjs';
import { createServerDir, removeServerDir, runCommand, runStoreSql, storeSettingsFor, usesPostgres } from './lib/server.mjs';
import { mintToken } from './lib/tokens.mjs';

const TEST_TIMEOUT = 60000;
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201ffa9b6e6a90000000049454e44ae426082', 'hex');
const DAY_MS = 24 * 3600 * 1000;

const get = (server, path, token) => apiRequest(server, path, { method: 'GET', bearer: token });
// An erasure waits auth.revocation-sync-interval and a second for the customer's sessions to end.
const erase = (server, id, token) => apiRequest(server, `/api/admin/customers/${encodeURIComponent(id)}`, { method: 'DELETE', bearer: token, timeoutMs: 20000 });
const adminToken = (server) => mintToken({ secret: server.secret, sub: 'admin-erasing', role: 'ADMIN', name: 'Supervisor' });

// Every row of the store as text: the sqlite3 shell's dump of the file, or pg_dump of the schema
// with its BYTEA values ('\x...', how that adapter keeps text) decoded, so words can be looked for.
function dumpStore(dir) {
  const settings = storeSettingsFor(dir);
  if (!usesPostgres) return execFileSync('sqlite3', [settings['store.sqlite.path'], '.dump'], { encoding: 'utf8' });
  const url = settings['store.postgres.url'];
  const schema = /search_path%3D([a-z0-9_]+)/.exec(url)[1];
  const base = url.replace(/[?&]options=.*$/, '');
  const dump = execFileSync('pg_dump', ['--data-only', '--inserts', `--schema=${schema}`, base], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return dump.replace(/'\\x([0-9a-f]*)'/g, (_, hex) => JSON.stringify(Buffer.from(hex, 'hex').toString('utf8')));
}

function upload(server, token, roomId, name) {
  return fetch(`${server.httpUrl}/api/rooms/${encodeURIComponent(roomId)}/attachments?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'image/png' },
    body: PNG,
  }).then(async (answer) => ({ status: answer.status, json: await answer.json() }));
}

// One customer's whole day: the bot, where they are, a room with messages, a file, a note, a
// rating; all of it marked with words that appear nowhere else.
async function customerDay(t, server, agent, mark, { displayName = `고객 ${mark}` } = {}) {
  const customer = await newCustomer(t, server, { displayName });
  assert.equal((await postBotMessage(server, customer.token, { message: `bot question ${mark}` })).status, 202);
  await send(customer, '/app/customer.context', { pageUrl: `https://shop.example/${mark}`, pageTitle: `page ${mark}`, referrer: '', lang: 'ko', userAgent: 'Mozilla/5.0', memberId: '' });
  const { roomId } = await acceptedRoom(customer, agent, { category: 'refund', reason: `reason ${mark}` });
  await roomSend(customer, roomId, `room message ${mark}`);
  await roomSend(agent, roomId, `agent answer ${mark}`);
  const file = await upload(server, customer.token, roomId, `receipt-${mark}.png`);
  assert.equal(file.status, 201, JSON.stringify(file.json));
  await send(agent, '/app/room.note', { roomId, text: `private note ${mark}`, clientMessageId: `n-${mark}` });
  await send(agent, '/app/room.close', { roomId });
  await nextStatus(customer, { roomId, status: 'closed' });
  await send(customer, '/app/room.rate', { roomId, score: 4, comment: `comment ${mark}` });
  return { customer, roomId, attachmentId: file.json.attachment.id };
}

describe('erasure of a customer', () => {
  it('removes everything of them from every table, audited without the content', { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = await createServerDir();
    t.after(() => removeServerDir(dir));
    const server = await startCenter(t, { dir, settings: { 'routing.mode': 'manual' } });
    const admin = adminToken(server);
    const agent = await newAgent(t, server, { name: 'Kim' });
    const gone = await customerDay(t, server, agent, 'zqxgone');
    const kept = await customerDay(t, server, agent, 'zqxkept');

    // Only supervisors erase; staff accounts are not customers; unknown ids are said so.
    const refusedAgent = await erase(server, gone.customer.id, agent.token);
    assert.equal(refusedAgent.status, 403, refusedAgent.text);
    assert.equal((await erase(server, gone.customer.id, undefined)).status, 401);
    const unknown = await erase(server, 'u_nobody', admin);
    assert.equal(unknown.status, 404, unknown.text);
    assert.equal(unknown.json.error, 'not_found');

    // While a consult of theirs is open, nothing is erased.
    const again = await acceptedRoom(gone.customer, agent);
    const open = await erase(server, gone.customer.id, admin);
    assert.equal(open.status, 409, open.text);
    assert.equal(open.json.error, 'open_consult');
    await send(agent, '/app/room.close', { roomId: again.roomId });
    await nextStatus(gone.customer, { roomId: again.roomId, status: 'closed' });

    const erased = await erase(server, gone.customer.id, admin);
    assert.equal(erased.status, 200, erased.text);
    assert.equal(erased.json.customerId, gone.customer.id);
    assert.match(erased.json.reference, /^sha256:[0-9a-f]{16}$/);
    assert.equal(erased.json.account, true);
    assert.equal(erased.json.removed.rooms, 2);
    assert.equal(erased.json.removed.conversations, 1);
    assert.equal(erased.json.removed.attachments, 1);
    assert.equal(erased.json.removed.ratings, 1);
    assert.equal(erased.json.removed.notes, 1);
    assert.equal(erased.json.removed.contexts, 1);
    assert.ok(erased.json.removed.messages >= 4, erased.text);

    // Their session ends, their tokens are refused.
    await Promise.race([gone.customer.session.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the erased customer is still connected')), 5000))]);
    assert.equal((await get(server, '/api/consult/history', gone.customer.token)).status, 401);
    const refreshed = await apiRequest(server, '/api/auth/refresh', { json: {}, jar: gone.customer.jar });
    assert.equal(refreshed.status, 401, refreshed.text);

    // Nothing of them in any table: not their id, name, words, file name or page.
    const dump = dumpStore(dir);
    for (const trace of [gone.customer.id, 'zqxgone', gone.roomId]) {
      assert.ok(!dump.includes(trace), `the store still holds ${trace}`);
    }
    for (const trace of [kept.customer.id, 'room message zqxkept', 'comment zqxkept', 'private note zqxkept', 'receipt-zqxkept.png']) {
      assert.ok(dump.includes(trace), `the other customer's ${trace} is gone too`);
    }
    if (!usesPostgres) {
      const files = readdirSync(join(dir, 'attachments'));
      assert.ok(!files.includes(gone.attachmentId), 'the erased file is still on disk');
      assert.ok(files.includes(kept.attachmentId), 'the other file is gone');
    }
    const record = await get(server, `/api/history/rooms/${gone.roomId}`, admin);
    assert.equal(record.status, 404);

    // The audit says who erased how much, and not whom by name.
    const audit = await get(server, '/api/admin/audit?order=desc&limit=5', admin);
    assert.equal(audit.status, 200, audit.text);
    const entry = audit.json.entries.find((e) => e.event === 'erasure');
    assert.ok(entry, audit.text);
    assert.equal(entry.agentId, 'admin-erasing');
    assert.match(entry.reason, new RegExp(`customer ${erased.json.reference} erased by admin-erasing: `));
    assert.ok(!JSON.stringify(entry).includes(gone.customer.id));
    await server.waitForLog(/customer erased reference=sha256:[0-9a-f]{16} by=admin-erasing/);
    assert.ok(!server.stderr.includes('zqxgone'), 'the log names what was erased');

    // The command line does the same, beside the running server.
    const settings = storeSettingsFor(dir);
    const byCli = await runCommand(dir, ['customer', 'erase', kept.customer.id], { settings });
    assert.equal(byCli.code, 0, byCli.stderr);
    assert.match(byCli.stdout, new RegExp(`erased ${kept.customer.id} \\(sha256:[0-9a-f]{16} in the audit log\\): .*2 rooms|1 room`));
    assert.ok(!dumpStore(dir).includes('zqxkept'));
    const staff = await runCommand(dir, ['customer', 'erase', 'u_nobody'], { settings });
    assert.equal(staff.code, 2);
    assert.match(staff.stderr, /nothing is stored under u_nobody/);
    const usage = await runCommand(dir, ['customer', 'forget', 'x'], { settings });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: aicc-chat .*customer erase CUSTOMER_ID/);
  });
});

describe('the retention job', () => {
  it('deletes chats, files and audit entries past their age, and keeps the rest', { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = await createServerDir();
    t.after(() => removeServerDir(dir));
    const settings = { 'routing.mode': 'manual', 'retention.chats-days': '30', 'retention.audit-days': '90' };
    let server = await startCenter(t, { dir, settings });
    const agent = await newAgent(t, server, { name: 'Kim' });
    // Their names stay with their accounts, which retention keeps: not marked.
    const old = await customerDay(t, server, agent, 'zqxold', { displayName: 'First' });
    const recent = await customerDay(t, server, agent, 'zqxrecent', { displayName: 'Second' });
    const secret = server.secret;
    await server.stop();

    // 40 days pass for the first customer's chat (and 100 for the oldest audit entry).
    const text = (column) => (usesPostgres ? `convert_from(${column}, 'UTF8')` : column);
    const id = (value) => (usesPostgres ? `convert_to('${value}', 'UTF8')` : `'${value}'`);
    runStoreSql(dir, `UPDATE rooms SET created_at = created_at - ${40 * DAY_MS}, closed_at = closed_at - ${40 * DAY_MS} WHERE id = ${id(old.roomId)}`);
    runStoreSql(dir, `UPDATE messages SET created_at = created_at - ${40 * DAY_MS} WHERE ${text('text')} LIKE '%zqxold%'`);
    runStoreSql(dir, `UPDATE attachments SET created_at = created_at - ${40 * DAY_MS} WHERE ${text('name')} LIKE '%zqxold%'`);
    runStoreSql(dir, `UPDATE customer_context SET updated_at = updated_at - ${40 * DAY_MS} WHERE ${text('page_url')} LIKE '%zqxold%'`);
    runStoreSql(dir, `UPDATE audit_log SET at = at - ${100 * DAY_MS} WHERE id = (SELECT MIN(id) FROM audit_log)`);

    server = await startCenter(t, { dir, settings, secret });
    await server.waitForLog(/retention: removed 1 room, \d+ messages, 1 file, 1 rating, 1 note, 1 customer context, 1 audit entry in \d+ ms/, 20000);
    const dump = dumpStore(dir);
    assert.ok(!dump.includes('zqxold'), 'the old chat is still stored');
    for (const trace of ['room message zqxrecent', 'comment zqxrecent', 'receipt-zqxrecent.png', 'shop.example/zqxrecent']) {
      assert.ok(dump.includes(trace), `${trace} went too early`);
    }
    // The old customer keeps their account and conversation: they can come back.
    const history = await get(server, '/api/consult/history', old.customer.token);
    assert.equal(history.status, 200, history.text);
    assert.deepEqual(history.json.rooms ?? [], []);
    const admin = adminToken(server);
    assert.equal((await get(server, `/api/history/rooms/${old.roomId}`, admin)).status, 404);
    assert.equal((await get(server, `/api/history/rooms/${recent.roomId}`, admin)).status, 200);
  });
});
