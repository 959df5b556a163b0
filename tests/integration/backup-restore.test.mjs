// `aicc-chat backup FILE` while customers write, and `aicc-chat restore FILE` with the server
// stopped: the restored server has exactly one instant of the old one (every conversation a prefix
// of what it became, without a gap), and what would break a live database is refused.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { newGuest, postBotMessage, readHistory } from './lib/bot.mjs';
import { createServerDir, removeServerDir, runCommand, startServer, storeSettingsFor, usesPostgres } from './lib/server.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 60000;

// Every message of a conversation, page by page.
async function wholeConversation(server, token, conversationId) {
  const messages = [];
  for (;;) {
    const page = await readHistory(server, token, conversationId, `after=${messages.length}&limit=100`);
    assert.equal(page.status, 200, page.text);
    messages.push(...page.json.messages);
    if (page.json.messages.length === 0) return messages;
  }
}

describe('aicc-chat backup and restore (SQLite)', { skip: usesPostgres ? 'PostgreSQL is backed up with pg_dump' : false }, () => {
  it('a backup taken during writes restores to one instant of them', { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = await createServerDir();
    const elsewhere = await createServerDir();
    t.after(() => Promise.all([removeServerDir(dir), removeServerDir(elsewhere)]));
    const server = await startServer({ dir });
    let running = server;
    t.after(() => running?.stop());

    const customers = [await newGuest(server), await newGuest(server), await newGuest(server)];
    const sent = customers.map(() => 0);
    const conversationIds = [];
    let writing = true;
    const writers = customers.map(async (customer, index) => {
      while (writing) {
        const posted = await postBotMessage(server, customer.token, { message: `line ${sent[index]}`, clientMessageId: `line-${sent[index]}` });
        assert.equal(posted.status, 202, posted.text);
        conversationIds[index] = posted.json.conversationId;
        sent[index] += 1;
      }
    });
    await waitUntil(() => sent.every((n) => n >= 10), { timeoutMs: 20000, what: 'ten lines from each customer' });

    const backupFile = join(dir, 'during-writes.backup');
    const backup = await runCommand(dir, ['backup', backupFile], { settings: storeSettingsFor(dir) });
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /^backup written to .*during-writes\.backup: \d+ bytes, 0 attachment files$/m);
    const sentBefore = [...sent];
    await waitUntil(() => sent.every((n, i) => n >= sentBefore[i] + 10), { timeoutMs: 20000, what: 'ten lines more after the backup' });
    writing = false;
    await Promise.all(writers);

    // A backup never replaces a file, and a restore never runs under a live server.
    const again = await runCommand(dir, ['backup', backupFile], { settings: storeSettingsFor(dir) });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists; a backup never overwrites/);
    const refused = await runCommand(dir, ['restore', backupFile], { settings: storeSettingsFor(dir) });
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /a server is using .*aicc-chat\.sqlite \(process \d+\); stop it before restoring/);
    // Nor does a second server start on the same file.
    await assert.rejects(startServer({ dir, secret: server.secret }), /another aicc-chat process \(\d+\) serves .*aicc-chat\.sqlite/);

    const finalHistories = [];
    for (const [index, customer] of customers.entries()) {
      finalHistories.push(await wholeConversation(server, customer.token, conversationIds[index]));
    }
    await server.stop();
    running = null;

    const restore = await runCommand(elsewhere, ['restore', backupFile], { settings: storeSettingsFor(elsewhere) });
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /^restored .*during-writes\.backup into .*: the backup of .*aicc-chat\.sqlite taken \d{4}-\d\d-\d\d .*, 0 attachment files; start the server$/m);
    running = await startServer({ dir: elsewhere, secret: server.secret });

    for (const [index, customer] of customers.entries()) {
      const restored = await wholeConversation(running, customer.token, conversationIds[index]);
      const final = finalHistories[index];
      assert.deepEqual(restored.map((m) => m.seq), restored.map((_, i) => i + 1), 'no gap');
      assert.deepEqual(restored.map((m) => m.messageId), final.slice(0, restored.length).map((m) => m.messageId), 'a prefix of what it became');
      assert.ok(restored.length < final.length, 'what came after the backup is not in it');
      const lines = restored.filter((m) => m.senderRole === 'CUSTOMER').map((m) => m.text);
      assert.ok(lines.length >= 10, `at least the lines written before the backup: ${lines.length}`);
      assert.deepEqual(lines, lines.map((_, i) => `line ${i}`));
    }
    // The restored server goes on where the backup left off.
    const next = await postBotMessage(running, customers[0].token, { message: 'after the restore' });
    assert.equal(next.status, 202, next.text);
    assert.equal(next.json.conversationId, conversationIds[0]);
  });

  it('says what is wrong with a backup or restore asked for wrongly', { timeout: TEST_TIMEOUT }, async (t) => {
    const dir = await createServerDir();
    t.after(() => removeServerDir(dir));
    const settings = storeSettingsFor(dir);
    const noFile = await runCommand(dir, ['backup'], { settings });
    assert.equal(noFile.code, 2);
    assert.match(noFile.stderr, /usage: aicc-chat .*backup BACKUP_FILE/);
    const nothing = await runCommand(dir, ['backup', join(dir, 'b.backup')], { settings });
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /there is no database at /);
    const notBackup = await runCommand(dir, ['restore', join(dir, 'missing.backup')], { settings });
    assert.equal(notBackup.code, 1);
    assert.match(notBackup.stderr, /there is no backup at .*missing\.backup/);
    const postgres = await runCommand(dir, ['backup', join(dir, 'b.backup')], {
      settings: { 'store.kind': 'postgres', 'store.postgres.url': 'postgresql://aicc@127.0.0.1:1/aicc' },
    });
    assert.equal(postgres.code, 2);
    assert.match(postgres.stderr, /store\.kind is postgres: back up and restore PostgreSQL with pg_dump/);
  });
});
