// The pages' language: a language named in the address is kept (the console opened again without
// it stays English), the demo shop's /?lang=en reaches its embedded widget, and a widget switched
// to English mid-chat relabels what is already shown.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, openPage, startWebServer } from './lib/browser.mjs';
import { assertNoPageProblems, customerSays, openWidget, waitForMessage } from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

test('a language named in the address is kept, reaches the embedded widget, and relabels a chat in place', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t);

  // The console asked for in English stays English when opened again without ?lang.
  const agent = await openPage(t, browser, `${server.httpUrl}/agent?lang=en`);
  await agent.locator('#login-view').waitFor();
  assert.equal(await agent.locator('html').getAttribute('lang'), 'en');
  await agent.goto(`${server.httpUrl}/agent`);
  await agent.locator('#login-view').waitFor();
  assert.equal(await agent.locator('html').getAttribute('lang'), 'en', 'the language named once is kept');
  assert.equal(await agent.locator('#login-title').textContent(), 'Sign in');
  assertNoPageProblems(agent);

  // The demo shop in English: its widget is English too.
  const shop = await openPage(t, browser, `${server.httpUrl}/?lang=en`);
  const widget = await openWidget(shop);
  assert.equal(await widget.locator('#panel-title').textContent(), 'Customer support');

  // A Korean widget switched to English mid-chat: the senders shown so far say so in English.
  const korean = await openPage(t, browser, `${server.httpUrl}/widget`);
  await korean.locator('body[data-ready=true]').waitFor();
  await customerSays(korean, '환불하고 싶어요');
  await waitForMessage(korean, '마이페이지', { role: 'bot' });
  assert.equal(await korean.locator('.msg--bot .msg-sender').last().textContent(), '챗봇');
  await korean.locator('#lang-toggle').click();
  assert.equal(await korean.locator('html').getAttribute('lang'), 'en');
  assert.equal(await korean.locator('.msg--bot .msg-sender').last().textContent(), 'Bot');
  assert.equal(await korean.locator('.msg--customer .msg-sender').last().textContent(), 'Me');
  // From now on the bot answers in English too.
  await customerSays(korean, 'and the delivery?');
  await waitForMessage(korean, 'You can follow your delivery', { role: 'bot' });
  assertNoPageProblems(korean);
});
