// Files in chats, in a real browser against the real server: a customer on a phone (English,
// 360 px) sends a picture, which the agent's console (Korean, 1280 px) shows as a preview; the agent
// sends a PDF, which the customer saves; a file that is not what it says is refused with the reason
// in the page's language; the closed chat's transcript in the history still has both files.
//
//   node web/build.mjs --out build/web && node --test tests/e2e/attachments.test.mjs
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';

import { launchBrowser, openPage, screenshot, startWebServer } from './lib/browser.mjs';
import { activeRoom, agentSignIn, assertNoPageProblems, closeActiveRoom, openWidget } from './lib/pages.mjs';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

// The page's problems but the refusal this test causes on purpose.
function assertOnlyExpectedProblems(page) {
  page.problems = page.problems.filter((p) => !/^HTTP 415 \/api\/rooms\/[^/]+\/attachments$/.test(p));
  assertNoPageProblems(page);
}

async function loadedImage(locator) {
  await locator.waitFor();
  await locator.page().waitForFunction((node) => node.complete && node.naturalWidth > 0, await locator.elementHandle());
  return locator.evaluate((node) => ({ src: node.src, width: node.naturalWidth, alt: node.alt }));
}

test('pictures and documents go both ways, previewed, saved, kept in the history', { timeout: 150000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const picture = await agent.screenshot({ clip: { x: 0, y: 0, width: 360, height: 200 } });  // a real PNG

  const shop = await openPage(t, browser, `${server.httpUrl}/?lang=en`, { viewport: { width: 360, height: 740 } });
  const widget = await openWidget(shop);
  await widget.locator('#request-agent').click();
  await agent.locator('#queue .request .accept').first().click();
  await widget.locator('#attach:not([hidden])').waitFor();

  // The customer sends a picture with a line of text.
  await widget.locator('#input').fill('Here is the receipt');
  await widget.locator('#attach-input').setInputFiles({ name: 'receipt.png', mimeType: 'image/png', buffer: picture });
  const sent = widget.locator('.msg--mine', { hasText: 'Here is the receipt' });
  const ownPreview = await loadedImage(sent.locator('.msg-file-preview'));
  assert.match(ownPreview.src, /^blob:/);
  await widget.locator('.msg--mine[data-pending=false]', { hasText: 'Here is the receipt' }).waitFor();  // confirmed

  const room = activeRoom(agent);
  const received = room.locator('.msg', { hasText: 'Here is the receipt' });
  const preview = await loadedImage(received.locator('.msg-file-preview'));
  assert.equal(preview.width, 360);
  assert.equal(preview.alt, 'receipt.png');

  // The agent sends a PDF alone; the customer saves it.
  await room.locator('.attach').waitFor();
  await room.locator('input[type=file]').setInputFiles({ name: '환불 안내.pdf', mimeType: 'application/pdf', buffer: PDF });
  const file = widget.locator('.msg--agent .msg-file', { hasText: '환불 안내.pdf' });
  await file.waitFor();
  assert.match(await file.innerText(), /PDF/);
  const [download] = await Promise.all([shop.waitForEvent('download'), file.click()]);
  assert.equal(download.suggestedFilename(), '환불 안내.pdf');
  assert.deepEqual(await readFile(await download.path()), PDF);
  // A private note's box has no paperclip: files go to the customer.
  await room.locator('.note-toggle').click();
  assert.ok(await room.locator('.attach').isHidden());
  await room.locator('.note-toggle').click();
  assert.ok(await room.locator('.attach').isVisible());
  await screenshot(shop, 'widget-attachment-360');
  await received.scrollIntoViewIfNeeded();
  await screenshot(agent, 'agent-attachment-1280');

  // A program named like a picture is refused, saying why, in each page's language.
  await widget.locator('#attach-input').setInputFiles({ name: 'cat.png', mimeType: 'image/png', buffer: Buffer.from('MZ\x90\x00\x03\x00', 'binary') });
  await widget.locator('.msg--notice', { hasText: 'cat.png: This file cannot be sent.' }).waitFor();
  await room.locator('input[type=file]').setInputFiles({ name: 'x.pdf', mimeType: 'application/pdf', buffer: picture });
  await agent.locator('.toast', { hasText: 'x.pdf: 파일 형식이 이름과 맞지 않습니다' }).waitFor();

  // Closed, the chat's transcript in the history still shows both files.
  await closeActiveRoom(agent);
  await agent.locator('#history-open').click();
  const dialog = agent.locator('#history');
  await dialog.locator('.history-item').first().click();
  await loadedImage(dialog.locator('.transcript .msg-file-preview'));
  await dialog.locator('.transcript .msg-file', { hasText: '환불 안내.pdf' }).waitFor();
  await dialog.locator('.settings-head button[type=submit]').click();

  assertOnlyExpectedProblems(shop);
  assertOnlyExpectedProblems(agent);
});
