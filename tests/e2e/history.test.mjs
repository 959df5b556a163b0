// The history of chats and the supervisor's hand, in a real browser against the real server: an
// agent finds their closed chat by a word of it (Korean at 1280 px, English at 360 px) and reads
// its transcript with safe links; a supervisor lists every chat, filters it, follows an open room
// live (read-only), exports the CSV, opens an agent's chats from the agents' table and puts the
// agent away and out of the queue, which the agent's console shows at once.
//
//   node web/build.mjs --out build/web && node --test tests/e2e/history.test.mjs
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';

import { launchBrowser, openPage, screenshot, startWebServer } from './lib/browser.mjs';
import {
  activeRoom, agentSays, agentSignIn, assertNoPageProblems, closeActiveRoom, customerSays, openWidget, waitForMessage,
} from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

async function adminSignIn(page) {
  await page.locator('#sign-in:not([hidden])').waitFor();
  await page.locator('#username').fill('admin');
  await page.locator('#password').fill('1234');
  await page.locator('#password').press('Enter');
  await page.locator('#dashboard:not([hidden])').waitFor();
}

test('agents find their chats and supervisors read, follow and export every chat', { timeout: 180000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');

  // A first chat: the customer sends a link, the agent answers, closes; the customer rates it.
  const shop = await openPage(t, browser, `${server.httpUrl}/`);
  const widget = await openWidget(shop);
  await widget.locator('#request-agent').click();
  await agent.locator('#queue .request .accept').first().click();
  await customerSays(widget, '환불 영수증을 보냈어요 https://example.com/r/1');
  await waitForMessage(agent, '환불 영수증을 보냈어요');
  await agentSays(agent, '확인했습니다. 환불해 드릴게요.');
  await waitForMessage(widget, '확인했습니다', { role: 'agent' });
  await closeActiveRoom(agent);
  await widget.locator('label[for=rating-4]').click();
  await widget.locator('.rating-form button[type=submit]').click();

  await t.test('an agent finds a closed chat by a word of it and reads it (Korean, 1280 px)', async () => {
    await agent.locator('#history-open').click();
    const dialog = agent.locator('#history');
    await dialog.locator('.history-item').first().waitFor();
    assert.equal(await dialog.locator('.history-item').count(), 1);
    assert.match(await dialog.locator('.history-item').innerText(), /★4/);
    assert.match(await dialog.locator('.history-item').innerText(), /종료/);
    await dialog.locator('#history-q').fill('없는단어');
    await dialog.locator('#history-q').press('Enter');
    await dialog.locator('.history-status', { hasText: '조건에 맞는 상담이 없습니다.' }).waitFor();
    await dialog.locator('#history-q').fill('영수증');  // part of a word ("영수증을")
    await dialog.locator('#history-q').press('Enter');
    await dialog.locator('.history-item').waitFor();
    await dialog.locator('.history-item').click();
    const transcript = dialog.locator('.history-detail .transcript');
    await transcript.locator('.transcript-line', { hasText: '확인했습니다' }).waitFor();
    const link = transcript.locator('a', { hasText: 'https://example.com/r/1' });
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.match(await dialog.locator('.history-detail-title').innerText(), /agent1|상담원/);
    await screenshot(agent, 'agent-history-1280');
    await dialog.locator('.history-back').click();
    assert.equal(await agent.evaluate(() => document.activeElement?.classList.contains('history-item')), true);
    await dialog.locator('.settings-head button[type=submit]').click();
  });

  // A second chat, still open.
  await widget.locator('#request-agent').click();
  await agent.locator('#queue .request .accept').first().click();
  await customerSays(widget, '두 번째 상담입니다');
  await waitForMessage(activeRoom(agent), '두 번째 상담입니다');

  await t.test('an agent on a phone sees both chats in English', async (t) => {
    const phone = await openPage(t, browser, `${server.httpUrl}/agent?lang=en`, { viewport: { width: 360, height: 740 } });
    await agentSignIn(phone, 'agent1');
    await phone.locator('#history-open').click();
    const dialog = phone.locator('#history');
    await dialog.locator('select[name=state]').selectOption('');
    await dialog.locator('button[type=submit]', { hasText: 'Search' }).click();
    await dialog.locator('.history-status', { hasText: 'Chats 1–2' }).waitFor();
    assert.match(await dialog.locator('.history-item').first().innerText(), /Open/);
    assert.match(await dialog.locator('.history-item').nth(1).innerText(), /Closed/);
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `no sideways scroll at 360 px (${width})`);
    await screenshot(phone, 'agent-history-360');
    assertNoPageProblems(phone);
  });

  await t.test('a supervisor follows the open chat live and exports every chat (English, 360 px)', async (t) => {
    const admin = await openPage(t, browser, `${server.httpUrl}/admin?lang=en`, { viewport: { width: 360, height: 740 } });
    await adminSignIn(admin);
    const records = admin.locator('#records');
    await records.locator('.history-status', { hasText: 'Chats 1–2' }).waitFor();
    const open = records.locator('.history-item', { hasText: 'Open' });
    assert.match(await open.innerText(), /agent1/);
    await open.click();
    await records.locator('.history-live').waitFor();
    await records.locator('.transcript-line', { hasText: '두 번째 상담입니다' }).waitFor();
    await customerSays(widget, '지금 보이나요?');
    await records.locator('.transcript-line', { hasText: '지금 보이나요?' }).waitFor({ timeout: 10000 });
    await records.locator('.transcript-line', { hasText: '지금 보이나요?' }).scrollIntoViewIfNeeded();
    await screenshot(admin, 'admin-live-room-360');
    await records.locator('.history-back').click();

    // Filters: a rating, then words.
    await records.locator('#records-rating').selectOption('4');
    await records.locator('button[type=submit]').click();
    await records.locator('.history-status', { hasText: 'Chats 1–1' }).waitFor();
    assert.match(await records.locator('.history-item').innerText(), /★4/);

    const [download] = await Promise.all([admin.waitForEvent('download'), records.locator('#records-export').click()]);
    const csv = (await readFile(await download.path(), 'utf8')).replace(/^\uFEFF/, '').trim().split('\r\n');
    assert.equal(csv.length, 2, csv.join('\n'));
    assert.match(csv[0], /^"room_id","created_at"/);
    assert.match(csv[1], /"agent1","[^"]*","\d+","4"/);
    assertNoPageProblems(admin);
  });

  await t.test("a supervisor opens an agent's chats and takes the agent out of the queue (Korean, 1280 px)", async (t) => {
    const admin = await openPage(t, browser, `${server.httpUrl}/admin`);
    await adminSignIn(admin);
    const row = admin.locator('#agents-body tr', { hasText: 'agent1' });
    await row.locator('[data-action=chats]').click();
    const records = admin.locator('#records');
    await records.locator('.history-status', { hasText: '1–1번째 상담' }).waitFor();
    assert.match(await records.locator('.history-item').innerText(), /진행 중/);
    await screenshot(admin, 'admin-history-1280');

    await row.locator('[data-action=away]').click();
    await agent.locator('.toast', { hasText: '자리 비움으로 바꿨습니다' }).waitFor();
    assert.equal(await agent.locator('#status-away').getAttribute('aria-pressed'), 'true');
    await admin.locator('#agents-body tr[data-state=away]', { hasText: 'agent1' }).waitFor();

    await row.locator('[data-action=offline]').click();
    await agent.locator('.toast', { hasText: '내보냈습니다' }).waitFor();
    assert.equal(await agent.locator('#status-available').getAttribute('aria-pressed'), 'false');
    assert.equal(await agent.locator('#status-away').getAttribute('aria-pressed'), 'false');
    await admin.locator('#agents-body tr[data-state=offline]', { hasText: 'agent1' }).waitFor();

    // The agent comes back by choosing a status.
    await agent.locator('#status-available').click();
    await admin.locator('#agents-body tr', { hasText: 'agent1' }).and(admin.locator(':not([data-state=offline])')).waitFor();
    assertNoPageProblems(admin);
  });

  for (const page of [agent, shop]) assertNoPageProblems(page);
});
