// From the bot to an agent in the pages: the bot's "I need a human" queues the customer at once
// (no button to press), the bot stays silent while the customer waits, and the agent who takes the
// chat sees what the customer wrote meanwhile, marked as written while waiting.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { delay } from '../integration/lib/util.mjs';
import { launchBrowser, openPage, startWebServer } from './lib/browser.mjs';
import { activeRoom, agentSignIn, assertNoPageProblems, customerSays, waitForMessage } from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

test('the bot hands over at once, is silent while the customer waits, and the agent sees the lines written meanwhile', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const widget = await openPage(t, browser, `${server.httpUrl}/widget`);
  await widget.locator('body[data-ready=true]').waitFor();

  await customerSays(widget, '결제 오류가 났어요');
  await waitForMessage(widget, '결제', { role: 'bot' });
  await widget.locator('#banner-text', { hasText: '대기 순서: 1번' }).waitFor();
  assert.equal(await widget.locator('.msg--bot .msg-action button').count(), 0, 'nothing left to press');

  // Waiting: the bot says nothing more, whatever the customer writes.
  await customerSays(widget, '환불하고 싶어요');
  await customerSays(widget, '주문번호는 1234입니다');
  await waitForMessage(widget, '주문번호는 1234입니다', { role: 'customer' });
  await delay(500);
  assert.equal(await widget.locator('.msg--bot').count(), 1, 'one bot answer, from before the hand-over');

  await agent.locator('#queue .request .accept').first().click();
  const room = activeRoom(agent);
  await waitForMessage(room, '주문번호는 1234입니다', { role: 'customer' });
  const lines = room.locator('.msg--customer');
  const noteOf = async (text) => {
    const line = lines.filter({ hasText: text });
    return (await line.locator('.msg-note').count()) > 0 ? await line.locator('.msg-note').textContent() : null;
  };
  assert.equal(await noteOf('결제 오류가 났어요'), null, 'asked before the request: not marked');
  assert.equal(await noteOf('환불하고 싶어요'), '대기 중에 남긴 메시지');
  assert.equal(await noteOf('주문번호는 1234입니다'), '대기 중에 남긴 메시지');
  assertNoPageProblems(agent);
  assertNoPageProblems(widget);
});

test('asking for an agent with the keyboard leaves the focus in the message box, not on the page', { timeout: 60000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual', 'bot.need-human': 'offer' } });
  const widget = await openPage(t, browser, `${server.httpUrl}/widget`);
  await widget.locator('body[data-ready=true]').waitFor();
  // The button at the bottom, and the one the bot offers under its answer.
  await widget.locator('#request-agent').focus();
  await widget.keyboard.press('Enter');
  await widget.locator('#banner-text', { hasText: '대기' }).waitFor();
  assert.equal(await widget.evaluate(() => document.activeElement?.id), 'input');
  await widget.locator('#cancel-request').click();
  await widget.locator('#request-agent').waitFor();

  await customerSays(widget, '결제 오류가 났어요');
  const offer = widget.locator('.msg--bot .msg-action button');
  await offer.waitFor();
  await offer.focus();
  await widget.keyboard.press('Enter');
  await widget.locator('#banner-text', { hasText: '대기' }).waitFor();
  await offer.waitFor({ state: 'detached' });
  assert.equal(await widget.evaluate(() => document.activeElement?.id), 'input');
  assertNoPageProblems(widget);
});
