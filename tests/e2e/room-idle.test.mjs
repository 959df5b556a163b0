// Inactivity in the pages: a chat nobody writes in for routing.room-idle-close is closed by the
// server, and the widget (Korean) and the console (English, 360 px) say why.

import { after, before, test } from 'node:test';

import { launchBrowser, openPage, startWebServer } from './lib/browser.mjs';
import { agentSignIn, assertNoPageProblems, waitForMessage } from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

test('an idle chat is closed, and both sides are told why', { timeout: 60000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual', 'routing.room-idle-close': '2' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent?lang=en`, { viewport: { width: 360, height: 740 } });
  await agentSignIn(agent, 'agent1');
  const widget = await openPage(t, browser, `${server.httpUrl}/widget`);
  await widget.locator('body[data-ready=true]').waitFor();
  await widget.locator('#request-agent').click();
  await agent.locator('#queue .request .accept').first().click();
  await waitForMessage(widget, '한동안 대화가 없어 상담이 종료되었습니다', { role: 'notice', timeout: 20000 });
  await waitForMessage(agent.locator('.room-panel:not([hidden])'), 'The chat was closed after a while without messages.', { role: 'notice' });
  await agent.locator('.dismiss-room').waitFor();
  await widget.locator('#request-agent').waitFor();  // the customer may ask again
  assertNoPageProblems(agent);
  assertNoPageProblems(widget);
});
