// The customer widget in Chromium: text from users and the bot is shown as text and never run,
// the widget embedded by a page of another origin (refresh token kept in the frame, since the
// cross-site frame gets no cookie), the Korean and English texts, and a phone-sized screen.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { newCustomer, requestConsult } from '../integration/lib/contact-center.mjs';
import { launchBrowser, openPage, screenshot, startWebServer } from './lib/browser.mjs';
import {
  activeRoom, agentSays, agentSignIn, assertNoPageProblems, closeActiveRoom, count, customerSays, messageTexts, openWidget,
  waitForMessage, WIDGET_FRAME,
} from './lib/pages.mjs';

const XSS = '<img src=x onerror=alert(1)>';
const XSS_AGENT = '<script>alert(2)</script><b>bold</b>';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

// A shop's page on another origin (127.0.0.1 on its own port) embedding the widget from
// `widgetOrigin` with the one documented <script> tag.
async function startShop(t, widgetOrigin) {
  const shop = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>Another shop</title>
<script src="${widgetOrigin}/widget.js" data-lang="ko" async></script></head>
<body><h1>Another shop</h1><p>Embeds the aicc-chat widget.</p></body></html>`);
  });
  await new Promise((resolve) => shop.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => shop.close(resolve)));
  return `http://127.0.0.1:${shop.address().port}`;
}

test('text from customers, agents and the bot shows as text and runs nothing', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '600' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');

  // A customer whose display name is markup waits in the queue: the console shows the name as text.
  const hostile = await newCustomer(t, server, { displayName: '<img src=x onerror=alert(3)>' });
  await requestConsult(hostile, { category: '<b>cat</b>', reason: XSS });
  const card = agent.locator('#queue .request', { hasText: '<img src=x onerror=alert(3)>' });
  await card.waitFor();
  assert.equal(await card.locator('.customer-name').textContent(), '<img src=x onerror=alert(3)>');
  assert.match(await card.innerText(), /<b>cat<\/b>/);
  await card.locator('.reject').click();

  // The customer widget opened directly, over SockJS.
  const page = await openPage(t, browser, `${server.httpUrl}/widget?transport=sockjs`);
  await page.locator('body[data-ready=true]').waitFor();
  await customerSays(page, XSS);
  await page.locator('.msg--bot').first().waitFor();
  await page.locator('#request-agent').click();
  await agent.locator('#queue .request .accept').first().click();
  await page.locator('#end-chat').waitFor();
  await customerSays(page, XSS);
  await waitForMessage(activeRoom(agent), XSS, { role: 'customer' });
  await agentSays(agent, XSS_AGENT);
  await waitForMessage(page, XSS_AGENT, { role: 'agent' });

  const customerTexts = await messageTexts(page.locator('#messages'));
  assert.equal(count(customerTexts, XSS), 2, 'the customer sees their markup twice, as text');
  assert.equal(count(customerTexts, XSS_AGENT), 1);

  // Web addresses become safe links (http and https only), line breaks stay, markup stays text.
  const LINKS = 'see https://example.com/a?b=1&c=<x>. and\njavascript:alert(4) or <a href="https://evil.test">x</a> (http://example.org/p)';
  const input = activeRoom(agent).locator('.room-input');
  await input.fill(LINKS);
  await input.press('Enter');
  await waitForMessage(page, 'javascript:alert(4)', { role: 'agent' });
  for (const p of [page, agent]) {
    const message = p.locator('.msg-text', { hasText: 'javascript:alert(4)' }).last();
    const links = await message.locator('a').evaluateAll((nodes) => nodes.map((a) => [a.getAttribute('href'), a.textContent, a.target, a.rel]));
    assert.deepEqual(links, [
      ['https://example.com/a?b=1&c=', 'https://example.com/a?b=1&c=', '_blank', 'noopener noreferrer'],
      ['https://evil.test/', 'https://evil.test', '_blank', 'noopener noreferrer'],
      ['http://example.org/p', 'http://example.org/p', '_blank', 'noopener noreferrer'],
    ]);
    assert.equal(await message.textContent(), LINKS, 'the text as written');
    assert.equal(await message.evaluate((node) => node.innerText.split('\n').length), 2, 'the line break kept');
  }
  for (const p of [page, agent]) {
    assert.equal(await p.locator('.messages img, .messages script, .messages b, .queue img').count(), 0, 'no element made from text');
    assertNoPageProblems(p);
  }
});

test('the widget embedded by a page of another origin keeps its guest across reloads', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t);
  // The widget comes from "localhost", the shop is 127.0.0.1: another site, so no cookie.
  const widgetOrigin = `http://localhost:${server.port}`;
  const shopUrl = await startShop(t, widgetOrigin);
  const page = await openPage(t, browser, shopUrl);
  let widget = await openWidget(page);
  await customerSays(widget, '환불하고 싶어요');
  await waitForMessage(widget, '마이페이지', { role: 'bot' });
  const firstUser = await page.frameLocator(WIDGET_FRAME).locator('body').getAttribute('data-user-id');
  assert.ok(firstUser);
  await screenshot(page, 'widget-embedded-1280');

  await page.reload();
  widget = await openWidget(page);
  await waitForMessage(widget, '환불하고 싶어요', { role: 'customer' });
  const texts = await messageTexts(widget.locator('#messages'));
  assert.equal(count(texts, '환불하고 싶어요'), 1, `history once after the reload: ${JSON.stringify(texts)}`);
  assert.equal(await page.frameLocator(WIDGET_FRAME).locator('body').getAttribute('data-user-id'), firstUser,
    'the same guest came back');
  assertNoPageProblems(page);
});

test('only the allowed origins may frame the widget', { timeout: 60000 }, async (t) => {
  const allowedShop = await startShop(t, 'http://placeholder');  // its own origin only matters
  const server = await startWebServer(t, { settings: { 'ws.allowed-origins': allowedShop } });
  const blockedShop = await startShop(t, `http://localhost:${server.port}`);
  const page = await openPage(t, browser, blockedShop);
  const frameElement = await page.waitForSelector(WIDGET_FRAME, { state: 'attached' });
  const frame = await frameElement.contentFrame();
  await frame.waitForLoadState('load').catch(() => {});
  await page.waitForTimeout(500);
  assert.equal(await frame.locator('#bubble').count(), 0, 'the browser refused to show the widget in a foreign page');
});

test('Korean by default, English on request, and the choice is kept', { timeout: 60000 }, async (t) => {
  const server = await startWebServer(t);
  const page = await openPage(t, browser, `${server.httpUrl}/widget`);
  await page.locator('body[data-ready=true]').waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'ko');
  assert.equal(await page.locator('#panel-title').textContent(), '고객 상담');
  assert.equal(await page.locator('#send').textContent(), '보내기');
  assert.equal(await page.locator('#request-agent').textContent(), '상담원 연결');
  assert.equal(await page.locator('#input').getAttribute('placeholder'), '메시지를 입력하세요');
  await page.locator('#connection-text', { hasText: '연결됨' }).waitFor();

  await page.locator('#lang-toggle').click();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal(await page.locator('#panel-title').textContent(), 'Customer support');
  assert.equal(await page.locator('#send').textContent(), 'Send');
  assert.equal(await page.locator('#request-agent').textContent(), 'Talk to an agent');
  assert.equal(await page.locator('#input').getAttribute('placeholder'), 'Type a message');
  assert.equal(await page.locator('#connection-text').textContent(), 'Connected');
  assert.equal(await page.locator('#lang-toggle').textContent(), '한국어');

  await page.reload();
  await page.locator('body[data-ready=true]').waitFor();
  assert.equal(await page.locator('#panel-title').textContent(), 'Customer support', 'English is remembered');
  await customerSays(page, 'hello');
  await page.locator('.msg--bot').first().waitFor();
  assert.equal(await page.locator('.msg--bot .msg-sender').first().textContent(), 'Bot');

  // ?lang= wins over the remembered choice.
  await page.goto(`${server.httpUrl}/widget?lang=ko`);
  await page.locator('body[data-ready=true]').waitFor();
  assert.equal(await page.locator('#panel-title').textContent(), '고객 상담');
  assertNoPageProblems(page);
});

test('on a 360 px phone the open widget fills the screen and works with the keyboard', { timeout: 60000 }, async (t) => {
  const server = await startWebServer(t);
  const page = await openPage(t, browser, `${server.httpUrl}/`, { viewport: { width: 360, height: 740 } });
  await screenshot(page, 'widget-closed-360');
  const frame = page.frameLocator(WIDGET_FRAME);
  await frame.locator('#bubble').focus();
  await page.keyboard.press('Enter');
  await frame.locator('body[data-ready=true]').waitFor();
  const box = await page.locator(WIDGET_FRAME).boundingBox();
  assert.equal(Math.round(box.width), 360);
  assert.equal(Math.round(box.height), 740);
  // The message box has the focus; Enter sends.
  await page.keyboard.type('결제 오류가 났어요');
  await page.keyboard.press('Enter');
  await waitForMessage(frame, '결제', { role: 'bot' });
  await screenshot(page, 'widget-chat-360');
  // Escape closes the panel back to the bubble.
  await page.keyboard.press('Escape');
  await frame.locator('#bubble').waitFor();
  assertNoPageProblems(page);
});

test('a member signs in from the widget, keeps the history, and signs out to a new guest', { timeout: 60000 }, async (t) => {
  const server = await startWebServer(t);
  const page = await openPage(t, browser, `${server.httpUrl}/widget`);
  await page.locator('body[data-ready=true]').waitFor();
  const guestId = await page.locator('body').getAttribute('data-user-id');
  await page.locator('#account').click();
  await page.locator('#signin-username').fill('user1');
  await page.locator('#signin-password').fill('wrong');
  await page.keyboard.press('Enter');
  await page.locator('.signin-form .form-error').waitFor();
  await page.locator('#signin-password').fill('1234');
  // Signed in, the widget starts again as the member.
  const reloaded = page.waitForEvent('load');
  await page.keyboard.press('Enter');
  await reloaded;
  await page.locator('body[data-ready=true]').waitFor();
  const memberId = await page.locator('body').getAttribute('data-user-id');
  assert.notEqual(memberId, guestId);
  assert.equal(await page.locator('#account').textContent(), '로그아웃');
  await customerSays(page, '환불하고 싶어요');
  await waitForMessage(page, '마이페이지', { role: 'bot' });

  await page.reload();
  await page.locator('body[data-ready=true]').waitFor();
  assert.equal(await page.locator('body').getAttribute('data-user-id'), memberId, 'still the member');
  await waitForMessage(page, '환불하고 싶어요', { role: 'customer' });

  await page.locator('#account').click();
  await page.waitForFunction((id) => document.body.dataset.ready === 'true' && document.body.dataset.userId !== id, memberId);
  assert.equal(await page.locator('#account').textContent(), '로그인');
  assert.equal(await page.locator('.msg--customer').count(), 0, 'the new guest sees nothing of the member');
  const problems = page.problems.filter((p) => p !== 'HTTP 401 /api/auth/login');
  assert.deepEqual(problems, []);
});

test('what happens while the customer is offline is shown after the reconnect', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '600' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const page = await openPage(t, browser, `${server.httpUrl}/widget`);
  await page.locator('body[data-ready=true]').waitFor();
  await page.locator('#request-agent').click();
  await page.locator('#banner-text', { hasText: '대기 순서: 1번' }).waitFor();

  // Offline while the agent accepts and writes: the statuses were not queued for us.
  await page.context().setOffline(true);
  await page.locator('#connection[data-state=offline]').waitFor();
  await agent.locator('#queue .accept').click();
  await agentSays(agent, '오프라인 중에 보낸 인사');
  await page.context().setOffline(false);
  await page.locator('#banner-text', { hasText: 'agent1님과 연결되었습니다' }).waitFor({ timeout: 30000 });
  await waitForMessage(page, '오프라인 중에 보낸 인사', { role: 'agent', timeout: 30000 });

  // Offline again while the agent closes the room: back online, the chat is over, the rating is
  // offered, and the connection stays up (the closed room is not asked for again and again).
  // Meanwhile the banner never says "connected" over a connection that is down.
  await page.context().setOffline(true);
  await page.locator('#connection[data-state=offline]').waitFor();
  assert.equal(await page.locator('#banner-text').textContent(), '상담원 agent1님과 상담 중입니다. 인터넷 연결을 다시 잇는 중…');
  await closeActiveRoom(agent);
  await activeRoom(agent).locator('.dismiss-room').waitFor();
  await page.context().setOffline(false);
  await waitForMessage(page, '상담이 종료되었습니다', { timeout: 30000 });
  await page.locator('.rating-form').waitFor();
  await page.waitForTimeout(1500);
  assert.equal(await page.locator('#connection').getAttribute('data-state'), 'connected');
  assert.equal(await page.locator('#request-agent').isVisible(), true, 'the customer may ask again');
  await customerSays(page, '환불하고 싶어요');
  await waitForMessage(page, '마이페이지', { role: 'bot' });
  assertNoPageProblems(page);
});
