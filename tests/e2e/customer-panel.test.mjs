// The customer beside the chat: the console shows who the customer is (guest or member), the page
// their widget is on and where they came from, their language and browser, and their earlier chats
// (date, agent, rating), each opened in place. Korean console at 1280 px, English at 360 px.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, openPage, screenshot, startWebServer } from './lib/browser.mjs';
import {
  activeRoom, agentSays, agentSignIn, assertNoPageProblems, closeActiveRoom, openWidget, waitForMessage,
} from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

test('the console shows where the customer is and their earlier chats', { timeout: 120000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const phone = await openPage(t, browser, `${server.httpUrl}/agent?lang=en`, { viewport: { width: 360, height: 740 } });
  await agentSignIn(phone, 'agent2');

  // The customer on the demo shop (the widget embedded), in English: a first chat, rated.
  const shop = await openPage(t, browser, `${server.httpUrl}/?lang=en`);
  const shopTitle = await shop.title();
  let widget = await openWidget(shop);
  await widget.locator('#request-agent').click();
  await agent.locator('#queue .request .accept').first().click();
  await agentSays(agent, '첫 상담의 답변입니다.');
  await waitForMessage(widget, '첫 상담의 답변입니다.', { role: 'agent' });
  const panel = activeRoom(agent).locator('.customer-panel');
  await panel.locator('summary').click();
  await panel.locator('dd', { hasText: shopTitle }).waitFor();
  const facts = await panel.locator('.customer-facts').innerText();
  assert.match(facts, /비회원/);
  assert.match(facts, new RegExp(`${shopTitle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(${server.httpUrl}/\\?lang=en\\)`));
  assert.match(facts, /English/);
  assert.match(facts, /Chrome · Linux/);
  assert.equal(await panel.locator('.customer-earlier-title').textContent(), '이전 상담 0건');
  await closeActiveRoom(agent);
  await widget.locator('label[for=rating-5]').click();
  await widget.locator('.rating-form button[type=submit]').click();

  // A second chat, taken by the other agent: the first one is listed, and opens in place.
  await widget.locator('#request-agent').click();
  await phone.locator('#queue .request .accept').first().click();
  const phonePanel = activeRoom(phone).locator('.customer-panel');
  await phonePanel.locator('summary', { hasText: 'Customer' }).click();
  await phonePanel.locator('.customer-earlier-title', { hasText: 'Earlier chats: 1' }).waitFor();
  const earlier = phonePanel.locator('.customer-earlier-room');
  assert.match(await earlier.textContent(), /agent1 · ★5/);
  await earlier.locator('button', { hasText: 'Show' }).click();
  const line = earlier.locator('.transcript-line', { hasText: '첫 상담의 답변입니다.' });
  await line.waitFor();
  assert.equal(await line.locator('.transcript-who').textContent(), 'agent1');
  assert.doesNotMatch(await activeRoom(phone).locator('.customer-panel').innerText(), /null/);
  await screenshot(phone, 'agent-customer-panel-360');
  for (const page of [agent, phone, shop]) assertNoPageProblems(page);
});
