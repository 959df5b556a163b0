// Customer presence in the pages: a customer who closes the page while waiting drops out of the
// agents' queue after routing.customer-grace (nobody is handed a chat with a customer who left);
// in a chat, the agent's console says the customer left, marks the tab, and says when they are
// back. Korean at 1280 px, English at 360 px.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, openPage, startWebServer } from './lib/browser.mjs';
import { agentSignIn, assertNoPageProblems, waitForMessage } from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

test('a customer who leaves is dropped from the queue, and announced in a chat', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual', 'routing.customer-grace': '2' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const phoneAgent = await openPage(t, browser, `${server.httpUrl}/agent?lang=en`, { viewport: { width: 360, height: 740 } });
  await agentSignIn(phoneAgent, 'agent2');

  // Waiting, then the page is closed: the request leaves every queue.
  const gone = await openPage(t, browser, `${server.httpUrl}/widget`);
  await gone.locator('body[data-ready=true]').waitFor();
  await gone.locator('#request-agent').click();
  await agent.locator('#queue .request').waitFor();
  await gone.close();
  await agent.locator('#queue .request').waitFor({ state: 'detached', timeout: 15000 });
  await phoneAgent.locator('#queue .request').waitFor({ state: 'detached', timeout: 5000 });

  // In a chat: the page closes (the agent is told and the tab says so), then the customer is back.
  const widget = await openPage(t, browser, `${server.httpUrl}/widget`);
  await widget.locator('body[data-ready=true]').waitFor();
  await widget.locator('#request-agent').click();
  await phoneAgent.locator('#queue .request .accept').first().click();
  await widget.locator('#banner-text', { hasText: 'agent2님과 연결되었습니다' }).waitFor();
  const context = widget.context();
  await widget.close();
  const room = phoneAgent.locator('.room-panel:not([hidden])');
  await waitForMessage(room, 'The customer left the chat window.', { role: 'notice', timeout: 15000 });
  assert.match(await phoneAgent.locator('.room-tab').textContent(), /customer left/);
  const back = await context.newPage();
  await back.goto(`${server.httpUrl}/widget`);
  await back.locator('body[data-ready=true]').waitFor();
  await waitForMessage(room, 'The customer is back.', { role: 'notice', timeout: 10000 });
  assert.doesNotMatch(await phoneAgent.locator('.room-tab').textContent(), /customer left/);
  assertNoPageProblems(agent);
  assertNoPageProblems(phoneAgent);
});
