// The Spring Boot original's three client pages, as rewritten in examples/spring-style-pages/,
// served by that folder's serve.mjs from another origin (localhost on its own port, while the
// chat server is 127.0.0.1: another site) with a CSP that allows scripts from that origin only.
// They sign in across origins (CORS, the refresh token in the body), connect with SockJS and
// stomp.js 2.3.3, and run the original's journeys: the lobby events page sees its events, a
// customer talks to the bot over HTTP and asks for an agent, an agent accepts on the other bot
// page, and the two chat 1:1. Text that looks like HTML shows as typed and runs nothing.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startPagesServer } from '../../examples/spring-style-pages/serve.mjs';
import { launchBrowser, openPage, startWebServer } from './lib/browser.mjs';

const XSS_CUSTOMER = '<img src=x onerror="window.__xss=1"><b>결제</b> 문의';
const XSS_AGENT = '<script>window.__xss=2</script>네, 확인해 드릴게요';
const XSS_LOBBY = '<img src=x onerror="window.__xss=3">안녕하세요';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

// The pages' own origin first (its port), then the chat server allowing it.
async function startBoth(t) {
  const pages = await startPagesServer({ port: 0, host: '127.0.0.1' });
  t.after(() => pages.close());
  const pagesOrigin = `http://localhost:${pages.port}`;
  const server = await startWebServer(t, {
    settings: { 'ws.allowed-origins': pagesOrigin, 'routing.auto-assign-after': '600' },
  });
  pages.setChatOrigin(server.httpUrl);
  return { server, pagesOrigin };
}

async function signIn(page, username) {
  await page.locator('#username').fill(username);
  await page.locator('#password').fill('1234');
  await page.locator('#loginBtn').click();
  await page.locator('#connectionStatus', { hasText: '연결됨' }).waitFor();
}

// Nothing went wrong on the page: no script error, no CSP refusal, no failed load.
function assertCleanPage(page) {
  const problems = page.problems.filter((p) => !p.endsWith(' /favicon.ico'));
  assert.deepEqual(problems, [], 'no script errors, CSP refusals or failed loads');
  assert.deepEqual(page.dialogs, []);
}

test('the three original pages run from another origin', { timeout: 90000 }, async (t) => {
  const { pagesOrigin } = await startBoth(t);

  // The lobby events page: sign in, connect, see the events and the lobby's messages.
  const lobby = await openPage(t, browser, `${pagesOrigin}/events.html`);
  const csp = (await lobby.reload()).headers()['content-security-policy'];
  assert.match(csp, /script-src 'self'/);
  await lobby.locator('#username').fill('agent2');
  await lobby.locator('#password').fill('1234');
  await lobby.locator('#connectBtn').click();
  await lobby.locator('#status.connected').waitFor();
  await lobby.locator('#events', { hasText: 'STOMP 연결 성공' }).waitFor();
  await lobby.locator('#messages', { hasText: '입장' }).waitFor();
  await lobby.evaluate((content) => {
    // The page's own client, as a user typing in a console would.
    // eslint-disable-next-line no-undef
    stompClient.send('/app/chat.send', {}, JSON.stringify({ content }));
  }, XSS_LOBBY);
  await lobby.locator('#messages div', { hasText: XSS_LOBBY }).waitFor();
  assert.equal(await lobby.locator('#messages img').count(), 0, 'the lobby message is text');
  await lobby.locator('#simulateBtn').click();
  await lobby.locator('#events .event.error', { hasText: 'unknown_destination' }).waitFor();
  await lobby.locator('#status.connected').waitFor();  // a refusal, not the end of the connection

  // The agent on the STOMP bot page, the customer on the external-bot (HTTP) page.
  const agent = await openPage(t, browser, `${pagesOrigin}/bot-agent.html`);
  await signIn(agent, 'agent1');
  assert.equal(await agent.locator('#agentPanel').isVisible(), true, 'an agent account opens the agent mode');

  const customer = await openPage(t, browser, `${pagesOrigin}/external-bot.html`);
  const botPosts = [];
  customer.on('response', (response) => {
    if (new URL(response.url()).pathname === '/api/bot/message') botPosts.push(response);
  });
  await signIn(customer, 'user1');
  await customer.locator('#customerMsg').fill('환불은 어떻게 하나요?');
  await customer.locator('#sendBtn').click();
  await customer.locator('#chatArea div', { hasText: '봇:' }).waitFor();
  const posted = botPosts.find((r) => r.request().method() === 'POST');
  assert.equal(posted?.status(), 202, 'the bot message went over HTTP, across origins');
  assert.equal(posted.headers()['access-control-allow-origin'], pagesOrigin);
  await customer.locator('#humanBtn').click();
  await customer.locator('#consultStatus', { hasText: '대기중' }).waitFor();

  // The agent sees the request and accepts it; the room opens on both sides.
  const card = agent.locator('#pendingRequests .request-card', { hasText: '봇 응답 불만족' });
  await card.waitFor();
  await card.locator('.accept-btn').click();
  await card.waitFor({ state: 'detached' });
  await agent.locator('#roomSection').waitFor();
  await customer.locator('#consultStatus', { hasText: '연결됨' }).waitFor();
  await customer.locator('#roomSection').waitFor();

  // 1:1, both ways, text as typed.
  await customer.locator('#roomInput').fill(XSS_CUSTOMER);
  await customer.locator('#roomSend').click();
  await agent.locator('#roomMessages div', { hasText: XSS_CUSTOMER }).waitFor();
  await customer.locator('#roomMessages div', { hasText: `나: ${XSS_CUSTOMER}` }).waitFor();
  await agent.locator('#roomInput').fill(XSS_AGENT);
  await agent.locator('#roomInput').press('Enter');
  await customer.locator('#roomMessages div', { hasText: XSS_AGENT }).waitFor();
  for (const page of [agent, customer]) {
    assert.equal(await page.locator('#roomMessages img, #roomMessages b, #roomMessages script').count(), 0);
  }

  // The customer ends the chat; both sides are told.
  await customer.locator('#roomClose').click();
  await agent.locator('#roomMessages', { hasText: '상담이 종료되었습니다' }).waitFor();
  await customer.locator('#roomMessages', { hasText: '상담이 종료되었습니다' }).waitFor();

  for (const page of [lobby, agent, customer]) {
    assert.equal(await page.evaluate(() => globalThis.__xss), undefined, 'no markup ran');
    assertCleanPage(page);
  }
});

test('a page of an origin the server does not list cannot sign in, and says why', { timeout: 60000 }, async (t) => {
  const pages = await startPagesServer({ port: 0, host: '127.0.0.1' });
  t.after(() => pages.close());
  const server = await startWebServer(t, { settings: { 'ws.allowed-origins': 'https://elsewhere.example' } });
  pages.setChatOrigin(server.httpUrl);
  const page = await openPage(t, browser, `http://localhost:${pages.port}/bot-agent.html`);
  await page.locator('#username').fill('user1');
  await page.locator('#password').fill('1234');
  await page.locator('#loginBtn').click();
  await page.locator('#connectionStatus', { hasText: '로그인 실패' }).waitFor();
  await server.waitForLog(/CORS preflight refused \/api\/auth\/login origin="http:\/\/localhost:\d+".*not in ws\.allowed-origins/);
});
