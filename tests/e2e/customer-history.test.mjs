// The customer's history after a chat with an agent ended: a guest who reloads still sees the
// agent's messages and the closing line, and a member who signs in on another device sees the
// whole earlier chat (bot part, agent part, end), each line under its sender's name.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, openPage, startWebServer } from './lib/browser.mjs';
import {
  agentSays, agentSignIn, assertNoPageProblems, closeActiveRoom, customerSays, messageTexts, waitForMessage,
} from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

async function chatThenClose(agent, widget, line) {
  await widget.locator('#request-agent').click();
  await agent.locator('#queue .request .accept').first().click();
  await agentSays(agent, line);
  await waitForMessage(widget, line, { role: 'agent' });
  await closeActiveRoom(agent);
  await waitForMessage(widget, '상담이 종료되었습니다', { role: 'notice' });
}

async function memberSignIn(widget) {
  await widget.locator('#account').click();
  await widget.locator('#signin-username').fill('user1');
  await widget.locator('#signin-password').fill('1234');
  const reloaded = widget.waitForEvent('load');
  await widget.keyboard.press('Enter');
  await reloaded;
  await widget.locator('body[data-ready=true]').waitFor();
}

test('a guest who reloads after the chat ended keeps the agent\'s messages and the end', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const widget = await openPage(t, browser, `${server.httpUrl}/widget`);
  await widget.locator('body[data-ready=true]').waitFor();
  await customerSays(widget, '배송 문의입니다');
  await waitForMessage(widget, '배송', { role: 'bot' });
  await chatThenClose(agent, widget, '내일 도착 예정입니다.');

  await widget.reload();
  await widget.locator('body[data-ready=true]').waitFor();
  await waitForMessage(widget, '내일 도착 예정입니다.', { role: 'agent' });
  const texts = await messageTexts(widget);
  const order = ['배송 문의입니다', '내일 도착 예정입니다.', '상담이 종료되었습니다.'].map((line) => texts.findIndex((text) => text.includes(line)));
  assert.ok(order.every((i) => i >= 0) && order[0] < order[1] && order[1] < order[2], `in order: ${texts.join(' | ')}`);
  assert.equal(texts.filter((text) => text === '상담이 종료되었습니다.').length, 1, 'the end once');
  assert.equal(await widget.locator('.msg--agent .msg-sender').first().textContent(), '상담원 agent1');
  assertNoPageProblems(widget);
  assertNoPageProblems(agent);
});

test('a member on another device sees the earlier chat, in English too', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const laptop = await openPage(t, browser, `${server.httpUrl}/widget`);
  await laptop.locator('body[data-ready=true]').waitFor();
  await memberSignIn(laptop);
  await customerSays(laptop, '환불하고 싶어요');
  await waitForMessage(laptop, '환불', { role: 'bot' });
  await chatThenClose(agent, laptop, '환불을 접수했습니다.');

  // Another device (another browser profile), on a phone, in English.
  const phone = await openPage(t, browser, `${server.httpUrl}/widget?lang=en`, { viewport: { width: 360, height: 740 } });
  await phone.locator('body[data-ready=true]').waitFor();
  await memberSignIn(phone);
  await waitForMessage(phone, '환불을 접수했습니다.', { role: 'agent' });
  await waitForMessage(phone, '환불하고 싶어요', { role: 'customer' });
  await waitForMessage(phone, 'The chat has ended.', { role: 'notice' });
  assert.equal(await phone.locator('.msg--agent .msg-sender').first().textContent(), 'Agent agent1');
  assertNoPageProblems(phone);
  assertNoPageProblems(laptop);
});
