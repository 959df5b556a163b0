// The agent console is an application that fits its window, for a whole shift of long chats: the
// page itself never scrolls (top bar, queue, chat header and composer stay in view, at 1280 px and
// on a 360 px phone), the message list scrolls on its own and follows new messages, and a reader
// who scrolled up stays there with a "new messages" button counting what came meanwhile.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { newCustomer, nextStatus, requestConsult, send } from '../integration/lib/contact-center.mjs';
import { waitUntil } from '../integration/lib/util.mjs';
import { launchBrowser, openPage, screenshot, startWebServer } from './lib/browser.mjs';
import { activeRoom, agentSays, agentSignIn, assertNoPageProblems, waitForMessage } from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

// Where the page and the active chat's message list stand.
function layoutOf(page) {
  return page.evaluate(() => {
    const list = document.querySelector('.room-panel:not([hidden]) .messages');
    const box = (selector) => {
      const node = document.querySelector(selector);
      if (!node) return null;
      const rect = node.getBoundingClientRect();
      return { top: rect.top, bottom: rect.bottom };
    };
    return {
      viewportHeight: window.innerHeight,
      pageScrollHeight: document.scrollingElement.scrollHeight,
      pageScrollY: window.scrollY,
      topbar: box('.topbar'),
      queueTitle: box('#queue-title'),
      composer: box('.room-panel:not([hidden]) .composer'),
      listFromEnd: list ? list.scrollHeight - list.scrollTop - list.clientHeight : null,
      listScrollTop: list ? list.scrollTop : null,
      listOverflows: list ? list.scrollHeight > list.clientHeight : null,
    };
  });
}

function assertFits(layout, what) {
  assert.ok(layout.pageScrollHeight <= layout.viewportHeight + 1,
    `${what}: the page does not scroll (${layout.pageScrollHeight} px in a ${layout.viewportHeight} px window)`);
  assert.equal(layout.pageScrollY, 0, `${what}: the page stays at its top`);
  assert.ok(layout.topbar.top >= 0, `${what}: the top bar is in view`);
  assert.ok(layout.queueTitle.top >= 0 && layout.queueTitle.bottom <= layout.viewportHeight, `${what}: the queue is in view`);
  assert.ok(layout.composer.bottom <= layout.viewportHeight + 1, `${what}: the composer is in view (bottom ${layout.composer.bottom})`);
}

test('the console fits its window in a long chat; the list follows new messages and counts those that came while scrolled up', { timeout: 120000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '1' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const customer = await newCustomer(t, server, { displayName: '긴대화고객' });
  assert.equal((await requestConsult(customer, { category: 'refund', reason: '긴 상담' })).status, 'waiting');
  const assigned = await nextStatus(customer, { status: 'auto_assigned' }, 15000);
  await agent.locator('.room-tab', { hasText: '긴대화고객' }).waitFor();
  // The category as agents say it, not the bot's code.
  assert.equal(await activeRoom(agent).locator('.room-header .chip').textContent(), '환불');

  const say = (i) => send(customer, '/app/room.send', { roomId: assigned.roomId, text: `고객 메시지 ${i}`, clientMessageId: `c-${i}` });
  for (let i = 1; i <= 30; i += 1) await say(i);
  await waitForMessage(activeRoom(agent), '고객 메시지 30', { role: 'customer' });
  for (let i = 1; i <= 5; i += 1) await agentSays(agent, `상담원 답변 ${i}`);
  await waitForMessage(activeRoom(agent), '상담원 답변 5', { role: 'agent' });

  let layout = await layoutOf(agent);
  assert.ok(layout.listOverflows, 'the chat is longer than its list');
  assertFits(layout, 'a long chat');
  assert.ok(layout.listFromEnd < 80, `the list shows the newest message (${layout.listFromEnd} px from its end)`);

  // Clicking into the composer scrolls nothing away.
  await activeRoom(agent).locator('textarea').click();
  assertFits(await layoutOf(agent), 'after a click into the composer');

  // A new message follows at the end; a reader scrolled up stays there and is told.
  await say(31);
  await waitForMessage(activeRoom(agent), '고객 메시지 31', { role: 'customer' });
  await waitUntil(async () => (await layoutOf(agent)).listFromEnd < 80, { timeoutMs: 5000, what: 'the list to follow the new message' });
  await activeRoom(agent).locator('.messages').evaluate((list) => { list.scrollTop = 0; });
  await say(32);
  await say(33);
  const marker = activeRoom(agent).locator('.new-messages');
  await marker.filter({ hasText: '2' }).waitFor();
  layout = await layoutOf(agent);
  assert.equal(layout.listScrollTop, 0, 'the reader stays where they scrolled to');
  assert.match(await marker.textContent(), /새 메시지 2개/);
  await marker.click();
  await waitUntil(async () => (await layoutOf(agent)).listFromEnd < 80, { timeoutMs: 5000, what: 'the list to go to its end' });
  await marker.waitFor({ state: 'hidden' });
  await screenshot(agent, 'agent-long-chat-1280');

  // A phone: the list above, the chat below, and still nothing of the page scrolls.
  await agent.setViewportSize({ width: 360, height: 740 });
  await say(34);
  await waitForMessage(activeRoom(agent), '고객 메시지 34', { role: 'customer' });
  layout = await layoutOf(agent);
  assertFits(layout, 'a 360 px phone');
  assert.ok(layout.listFromEnd < 80, `the smaller list still shows the newest message (${layout.listFromEnd} px from its end)`);
  // Korean words are not cut at a line's end, and the empty pane does not say "on the left".
  assert.equal(await activeRoom(agent).locator('.msg-text').first().evaluate((node) => getComputedStyle(node).wordBreak), 'keep-all');
  assert.doesNotMatch(await agent.locator('#no-room').textContent(), /왼쪽/);
  await screenshot(agent, 'agent-long-chat-360');
  assertNoPageProblems(agent);
});

test('the widget\'s message list keeps a reader who scrolled up where they are, and counts the new messages', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '1' } });
  const agentPage = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agentPage, 'agent1');
  const widget = await openPage(t, browser, `${server.httpUrl}/widget`, { viewport: { width: 400, height: 640 } });
  await widget.locator('body[data-ready=true]').waitFor();
  await widget.locator('#request-agent').click();
  await agentPage.locator('.room-tab').first().waitFor({ timeout: 20000 });
  await widget.locator('#end-chat').waitFor();
  for (let i = 1; i <= 25; i += 1) await agentSays(agentPage, `상담원 줄 ${i}`);
  await waitForMessage(widget, '상담원 줄 25', { role: 'agent' });
  const list = widget.locator('#messages');
  await waitUntil(() => list.evaluate((node) => node.scrollHeight - node.scrollTop - node.clientHeight < 80),
    { timeoutMs: 5000, what: 'the widget to follow the agent\'s messages' });
  await list.evaluate((node) => { node.scrollTop = 0; });
  await agentSays(agentPage, '상담원 줄 26');
  const marker = widget.locator('.new-messages');
  await marker.filter({ hasText: '새 메시지 1개' }).waitFor();
  assert.equal(await list.evaluate((node) => node.scrollTop), 0, 'the reader stays where they scrolled to');
  await marker.click();
  await marker.waitFor({ state: 'hidden' });
  assertNoPageProblems(widget);
});
