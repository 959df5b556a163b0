// The embedded widget across reloads: it comes back open or closed as the customer left it, and
// its bubble counts only the agent's and the bot's messages the customer has not seen, never the
// history again after a reload.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { delay } from '../integration/lib/util.mjs';
import { launchBrowser, openPage, startWebServer } from './lib/browser.mjs';
import { agentSays, agentSignIn, assertNoPageProblems, customerSays, openWidget, waitForMessage, WIDGET_FRAME } from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

async function badge(frame) {
  const node = frame.locator('#bubble-badge');
  return (await node.isHidden()) ? 0 : Number(await node.textContent());
}

async function reloadShop(page) {
  await page.reload();
  const frame = page.frameLocator(WIDGET_FRAME);
  await frame.locator('body[data-ready=true]').waitFor();
  return frame;
}

test('a reloaded widget is open or closed as it was left, and counts only unseen messages', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const shop = await openPage(t, browser, `${server.httpUrl}/`);
  let widget = await openWidget(shop);
  await customerSays(widget, '안녕하세요');
  await waitForMessage(widget, '안녕하세요', { role: 'customer' });
  await widget.locator('.msg--bot').first().waitFor();

  // Open when left open: the panel is back after a reload, nothing counted.
  widget = await reloadShop(shop);
  assert.equal(await widget.locator('#panel').isVisible(), true, 'the panel was open');
  await widget.locator('.msg--bot').first().waitFor();
  assert.equal(await badge(widget), 0);

  // An agent's chat; then the customer closes the panel and the agent writes twice.
  await widget.locator('#request-agent').click();
  await agent.locator('#queue .request .accept').first().click();
  await agentSays(agent, '상담원입니다.');
  await waitForMessage(widget, '상담원입니다.', { role: 'agent' });
  await widget.locator('#minimize').click();
  await widget.locator('#bubble').waitFor();
  await agentSays(agent, '확인해 보겠습니다.');
  await agentSays(agent, '잠시만 기다려 주세요.');
  await widget.locator('#bubble-badge', { hasText: '2' }).waitFor();

  // Closed when left closed; still two unread, not the whole history.
  widget = await reloadShop(shop);
  assert.equal(await widget.locator('#panel').isHidden(), true, 'the panel was closed');
  await delay(1000);  // the room's history is replayed meanwhile
  assert.equal(await badge(widget), 2);

  // Opened: read; a reload counts nothing again.
  await widget.locator('#bubble').click();
  await waitForMessage(widget, '잠시만 기다려 주세요.', { role: 'agent' });
  assert.equal(await badge(widget), 0);
  await widget.locator('#minimize').click();
  widget = await reloadShop(shop);
  await delay(1000);
  assert.equal(await badge(widget), 0);
  assertNoPageProblems(agent);
  assertNoPageProblems(shop);
});
