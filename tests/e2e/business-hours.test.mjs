// Business hours in the widget: outside them the widget says so as it opens, with when agents are
// back in the customer's own time, and asking for an agent offers at once to leave a message with
// a way to reply, which the agents get. Korean at 1280 px, English at 360 px.
//
//   node web/build.mjs --out build/web && node --test tests/e2e/business-hours.test.mjs
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, openPage, screenshot, startWebServer } from './lib/browser.mjs';
import { agentSignIn, assertNoPageProblems, openWidget } from './lib/pages.mjs';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

test('outside business hours the widget says so and takes a message', { timeout: 120000 }, async (t) => {
  // Open only on the day after tomorrow (UTC), all day: closed now.
  const now = new Date();
  const opens = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 2);
  const day = DAYS[new Date(opens).getUTCDay()];
  const server = await startWebServer(t, { settings: { 'hours.weekly': `${day} 00:00-24:00`, 'hours.timezone': 'UTC' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');

  await t.test('Korean, 1280 px', async (t) => {
    const shop = await openPage(t, browser, `${server.httpUrl}/`);
    const widget = await openWidget(shop);
    const note = widget.locator('#hours-note');
    await note.waitFor();
    // In the browser's own time zone (the test's is the server's: UTC).
    const date = new Date(opens);
    assert.match(await note.textContent(), new RegExp(`^지금은 상담 시간이 아닙니다\\. 다음 상담: ${date.getMonth() + 1}월 ${date.getDate()}일 \\(.\\) 오전 12:00$`));
    await widget.locator('#request-agent').click();
    const form = widget.locator('.leave-form');
    await form.waitFor();
    assert.match(await form.locator('[role=status]').textContent(), /^지금은 상담 시간이 아닙니다\. 다음 상담은 .+부터입니다\./);
    assert.ok(await note.isHidden(), 'the note gives way to the form while a request is open');
    await form.locator('#leave-text').fill('영업시간 외 문의입니다');
    await form.locator('#leave-contact').fill('kim@example.com');
    await form.locator('button[type=submit]').click();
    await agent.locator('#left-messages li', { hasText: '영업시간 외 문의입니다' }).waitFor();
    assertNoPageProblems(shop);
  });

  await t.test('English, 360 px', async (t) => {
    const shop = await openPage(t, browser, `${server.httpUrl}/?lang=en`, { viewport: { width: 360, height: 740 } });
    const widget = await openWidget(shop);
    const note = widget.locator('#hours-note');
    await note.waitFor();
    assert.match(await note.textContent(), /^We are closed right now\. Agents are back .+\.$/);
    await widget.locator('#request-agent').click();
    await widget.locator('.leave-form [role=status]', { hasText: 'We are closed right now; agents are back' }).waitFor();
    await screenshot(shop, 'widget-closed-360');
    assertNoPageProblems(shop);
  });
  assertNoPageProblems(agent);
});
