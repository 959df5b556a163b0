// The whole journey in a real browser: one customer on the demo shop page (widget in its iframe)
// and two agents on /agent. Bot answer, needHuman, queue position, the race to accept, chat both
// ways with typing and read indicators, a network drop, a reload mid-chat that shows the history
// once, the agent closing and the customer's rating being stored.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { apiRequest, CookieJar, login } from '../integration/lib/auth-http.mjs';
import { openStompJs, socketFactory } from '../integration/lib/clients.mjs';
import { launchBrowser, openPage, screenshot, startWebServer } from './lib/browser.mjs';
import {
  activeRoom, agentSays, agentSignIn, assertNoPageProblems, closeActiveRoom, count, customerSays, messageTexts, openWidget,
  waitForMessage,
  WIDGET_FRAME,
} from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

// The widget's guest, signed in from node with the browser's refresh cookie.
async function customerTokenFrom(context, server) {
  const cookie = (await context.cookies()).find((c) => c.name === 'aicc_refresh');
  assert.ok(cookie, 'the widget holds a refresh cookie');
  const jar = new CookieJar();
  jar.set('aicc_refresh', cookie.value);
  const answer = await apiRequest(server, '/api/auth/refresh', { json: {}, jar });
  assert.equal(answer.status, 200, answer.text);
  return answer.json.accessToken;
}

test('customer, bot, two agents racing, chat, reload, close and rating', { timeout: 120000 }, async (t) => {
  // Nobody is auto-assigned during this test: the agents race by hand.
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '600' } });
  const agent1 = await openPage(t, browser, `${server.httpUrl}/agent`);
  const agent2 = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent1, 'agent1');
  await agentSignIn(agent2, 'agent2');

  const customer = await openPage(t, browser, `${server.httpUrl}/`);
  let widget = await openWidget(customer);
  await customerSays(widget, '결제 오류가 났어요');
  await waitForMessage(widget, '결제', { role: 'bot' });
  // The bot needs a human: the customer is queued at once, with no button left to press.
  await widget.locator('#banner-text', { hasText: '대기 순서: 1번' }).waitFor();
  assert.equal(await widget.locator('.msg--bot .msg-action button').count(), 0, 'no "talk to an agent" button once queued');

  // Both consoles show the request with the customer's category and the bot's answer.
  for (const agent of [agent1, agent2]) {
    const card = agent.locator('#queue .request');
    await card.waitFor();
    assert.match(await card.innerText(), /결제/);
  }
  await screenshot(agent1, 'agent-queue-1280');

  // The race: both click accept at once; exactly one gets the room, the other sees it vanish.
  // (A card may vanish before its click lands: the other agent's accept already won.)
  const accept = (page) => page.locator('#queue .accept').click({ force: true, timeout: 5000 }).catch(() => {});
  await Promise.all([accept(agent1), accept(agent2)]);
  const winner = await Promise.race([
    agent1.locator('.room-tab').waitFor().then(() => 'agent1'),
    agent2.locator('.room-tab').waitFor().then(() => 'agent2'),
  ]);
  const [agent, loser] = winner === 'agent1' ? [agent1, agent2] : [agent2, agent1];
  await loser.locator('#queue .request').waitFor({ state: 'detached' });
  assert.equal(await loser.locator('.room-tab').count(), 0, 'the other agent got no room');
  await widget.locator('#banner-text', { hasText: `${winner}님과 연결되었습니다` }).waitFor();
  // The agent sees the bot conversation the customer had.
  await waitForMessage(activeRoom(agent), '결제 오류가 났어요', { role: 'customer' });

  // Chat both ways, with typing and read indicators.
  await agentSays(agent, '안녕하세요, 상담원입니다. 무엇을 도와드릴까요?');
  await waitForMessage(widget, '상담원입니다', { role: 'agent' });
  await widget.locator('#input').pressSequentially('카드 결제가', { delay: 20 });
  await activeRoom(agent).locator('.typing', { hasText: '고객이 입력하고 있습니다' }).waitFor();
  await widget.locator('#input').fill('');
  await customerSays(widget, '카드 결제가 두 번 되었어요');
  await waitForMessage(activeRoom(agent), '두 번 되었어요', { role: 'customer' });
  // The agent's tab is open and visible: the customer sees "read" under their message.
  await widget.locator('.msg--mine .msg-state--read').first().waitFor();
  await activeRoom(agent).locator('textarea').pressSequentially('확인해', { delay: 20 });
  await widget.locator('#typing', { hasText: '상담원이 입력하고 있습니다' }).waitFor();
  await agentSays(agent, '확인해 보겠습니다. 잠시만 기다려 주세요.');
  await waitForMessage(widget, '잠시만 기다려 주세요', { role: 'agent' });

  // A network drop: the message written offline goes out once the network is back, once.
  await customer.context().setOffline(true);
  await widget.locator('#connection[data-state=offline]').waitFor();
  await customerSays(widget, '오프라인에서 보낸 메시지');
  await widget.locator('.msg--mine[data-pending=true]').waitFor();
  await customer.context().setOffline(false);
  await widget.locator('#connection[data-state=connected]').waitFor({ timeout: 30000 });
  await waitForMessage(activeRoom(agent), '오프라인에서 보낸 메시지', { role: 'customer', timeout: 30000 });
  await screenshot(customer, 'widget-chat-1280');
  await screenshot(agent, 'agent-chat-1280');

  // A reload mid-chat: the same guest, the whole conversation, each message once.
  await customer.reload();
  widget = await openWidget(customer);
  await waitForMessage(widget, '오프라인에서 보낸 메시지', { role: 'customer' });
  await widget.locator('#banner-text', { hasText: `${winner}님과 연결되었습니다` }).waitFor();
  const texts = await messageTexts(widget.locator('#messages'));
  for (const text of ['결제 오류가 났어요', '안녕하세요, 상담원입니다. 무엇을 도와드릴까요?', '카드 결제가 두 번 되었어요',
    '확인해 보겠습니다. 잠시만 기다려 주세요.', '오프라인에서 보낸 메시지']) {
    assert.equal(count(texts, text), 1, `"${text}" shown once after the reload; all: ${JSON.stringify(texts)}`);
  }
  const agentTexts = await messageTexts(activeRoom(agent));
  assert.equal(count(agentTexts, '오프라인에서 보낸 메시지'), 1, 'the agent got the offline message once');
  // Still live after the reload.
  await agentSays(agent, '환불 처리해 드렸습니다.');
  await waitForMessage(widget, '환불 처리해 드렸습니다', { role: 'agent' });

  // The agent closes; the customer rates the chat.
  await closeActiveRoom(agent);
  await waitForMessage(widget, '상담이 종료되었습니다');
  await activeRoom(agent).locator('.dismiss-room').waitFor();
  await widget.locator('label[for=rating-4]').click();
  await widget.locator('#rating-comment').fill('친절했어요');
  await screenshot(customer, 'widget-rating-1280');
  await widget.locator('.rating-form button[type=submit]').click();
  await waitForMessage(widget, '소중한 의견 감사합니다');

  // Stored: rating the same room again is refused as already rated.
  const roomId = await activeRoom(agent).getAttribute('data-room-id');
  const token = await customerTokenFrom(customer.context(), server);
  const stomp = await openStompJs({ factory: socketFactory(server, 'ws'), connectHeaders: { Authorization: `Bearer ${token}` } });
  t.after(() => stomp.close());
  const errors = await stomp.subscribe('/user/queue/errors');
  stomp.publish('/app/room.rate', { roomId, score: 5, comment: 'again' });
  const refusal = await errors.next();
  assert.equal(refusal.json.code, 'already_rated', JSON.stringify(refusal.json));

  // And the supervisor's satisfaction figure counts it.
  const admin = await login(server, 'admin', '1234');
  const stats = await apiRequest(server, '/api/admin/stats', { method: 'GET', bearer: admin.json.accessToken });
  assert.deepEqual(stats.json.satisfaction, { count: 1, windowHours: 24, average: 4 });

  for (const page of [customer, agent1, agent2]) assertNoPageProblems(page);
  assert.equal(await customer.locator(WIDGET_FRAME).count(), 1);
});
