// The agent console in Chromium: auto-assignment with its notification, canned responses stored
// per agent and inserted with "/", a reload that restores the open chats, transfer to another
// agent, away status, the English texts and a phone-sized screen; chats that end are let go (a
// reconnect stays connected) and come back live; messages survive a dying connection and a
// reload; away survives reconnects and reloads; the queue in the server's order; what a screen
// reader is told.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { apiRequest, login } from '../integration/lib/auth-http.mjs';
import {
  acceptedRoom, newAgent, newCustomer, nextJson, nextStatus, received, requestConsult, roomTopic, send,
} from '../integration/lib/contact-center.mjs';
import { delay, waitUntil } from '../integration/lib/util.mjs';
import { launchBrowser, openPage, screenshot, startWebServer } from './lib/browser.mjs';
import {
  activeRoom, agentSays, agentSignIn, assertNoPageProblems, closeActiveRoom, transferActiveRoom, waitForMessage,
} from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

test('a request nobody accepts is assigned automatically, with a notification', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '2' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const customer = await newCustomer(t, server, { displayName: '김고객' });
  assert.equal((await requestConsult(customer, { category: 'refund', reason: '환불 문의' })).status, 'waiting');
  await agent.locator('#queue .request', { hasText: '김고객' }).waitFor();

  // Nobody clicks: the server assigns it, the console opens the chat and says so.
  const assigned = await nextStatus(customer, { status: 'auto_assigned' }, 15000);
  await agent.locator('.room-tab', { hasText: '김고객' }).waitFor();
  await agent.locator('.toast', { hasText: '자동으로 배정' }).waitFor();
  assert.match(await agent.title(), /^\(1\) 상담원 콘솔$/, 'the title counts the new chat');
  await agent.locator('#queue .request').waitFor({ state: 'detached' });

  const room = await customer.session.subscribe(roomTopic(assigned.roomId), { headers: { 'since-seq': '0' } });
  await agentSays(agent, '자동 배정된 상담원입니다.');
  const message = await room.next((m) => m.json?.text === '자동 배정된 상담원입니다.', 5000);
  assert.equal(message.json.senderRole.toLowerCase(), 'agent');
  await send(customer, '/app/room.send', { roomId: assigned.roomId, text: '네 안녕하세요', clientMessageId: 'c-1' });
  await waitForMessage(activeRoom(agent), '네 안녕하세요', { role: 'customer' });
  await screenshot(agent, 'agent-1280');
  assertNoPageProblems(agent);
});

test('canned responses are stored per agent and inserted with a slash', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '1' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');

  await agent.locator('#settings-open').click();
  await agent.locator('#canned-shortcut').fill('인사');
  await agent.locator('#canned-text').fill('안녕하세요 고객님, 무엇을 도와드릴까요?');
  await agent.locator('#canned-form button[type=submit]').click();
  await agent.locator('#canned-list .canned-item', { hasText: '/인사' }).waitFor();
  await agent.locator('#canned-shortcut').fill('bye');
  await agent.locator('#canned-text').fill('이용해 주셔서 감사합니다.');
  await agent.locator('#canned-form button[type=submit]').click();
  await agent.locator('#canned-list .canned-item', { hasText: '/bye' }).waitFor();
  await agent.keyboard.press('Escape');

  // Stored on the server for this agent only.
  const agent1 = await login(server, 'agent1', '1234');
  const stored = await apiRequest(server, '/api/agent/canned-responses', { method: 'GET', bearer: agent1.json.accessToken });
  assert.deepEqual(stored.json.responses.map((r) => r.shortcut).sort(), ['bye', '인사']);
  const agent2 = await login(server, 'agent2', '1234');
  const others = await apiRequest(server, '/api/agent/canned-responses', { method: 'GET', bearer: agent2.json.accessToken });
  assert.deepEqual(others.json.responses, []);

  const customer = await newCustomer(t, server, { displayName: '박고객' });
  const waiting = await requestConsult(customer);
  const assigned = await nextStatus(customer, { status: 'auto_assigned' }, 15000);
  assert.equal(assigned.requestId, waiting.requestId);
  await agent.locator('.room-tab', { hasText: '박고객' }).waitFor();
  const room = await customer.session.subscribe(roomTopic(assigned.roomId), { headers: { 'since-seq': '0' } });

  // "/인" pops up the matching response; Enter inserts it, a second Enter sends.
  const input = activeRoom(agent).locator('textarea');
  await input.pressSequentially('/인');
  await activeRoom(agent).locator('.canned-option', { hasText: '/인사' }).waitFor();
  await input.press('Enter');
  assert.equal(await input.inputValue(), '안녕하세요 고객님, 무엇을 도와드릴까요?');
  await input.press('Enter');
  await room.next((m) => m.json?.text === '안녕하세요 고객님, 무엇을 도와드릴까요?', 5000);

  // A reload restores the open chat with its history, and the canned responses.
  await agent.reload();
  await agent.locator('body[data-ready=true]').waitFor();
  await agent.locator('.room-tab', { hasText: '박고객' }).click();
  await waitForMessage(activeRoom(agent), '무엇을 도와드릴까요?', { role: 'agent' });
  assert.equal(await activeRoom(agent).locator('.msg--agent').count(), 1, 'history shown once');
  await activeRoom(agent).locator('textarea').pressSequentially('/b');
  await activeRoom(agent).locator('.canned-option', { hasText: '/bye' }).waitFor();
  assertNoPageProblems(agent);
});

test('transfer to another agent, away status, English texts and a 360 px screen', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '1' } });
  const agent1 = await openPage(t, browser, `${server.httpUrl}/agent?lang=en`);
  assert.equal(await agent1.locator('#login-form h2').textContent(), 'Sign in');
  assert.equal(await agent1.locator('label[for=login-username]').textContent(), 'Username');
  await agentSignIn(agent1, 'agent1');
  assert.equal(await agent1.locator('#queue-title').innerText(), 'Waiting requests\n0');
  const agent2 = await openPage(t, browser, `${server.httpUrl}/agent`, { viewport: { width: 360, height: 740 } });
  await agentSignIn(agent2, 'agent2');

  // agent2 steps away: the request goes to agent1 automatically.
  await agent2.locator('#status-away').click();
  assert.equal(await agent2.locator('#status-away').getAttribute('aria-pressed'), 'true');
  const customer = await newCustomer(t, server, { displayName: 'Lee' });
  await requestConsult(customer);
  const assigned = await nextStatus(customer, { status: 'auto_assigned' }, 15000);
  assert.equal(assigned.agentId, (await login(server, 'agent1', '1234')).json.user.id);
  await agent1.locator('.room-tab', { hasText: 'Lee' }).waitFor();
  assert.equal(await activeRoom(agent1).locator('.close-room').textContent(), 'End chat');

  // agent1 hands the chat to agent2, who is back.
  await agent2.locator('#status-available').click();
  const agent2Id = (await login(server, 'agent2', '1234')).json.user.id;
  await transferActiveRoom(agent1, agent2Id);
  await agent2.locator('.room-tab', { hasText: 'Lee' }).waitFor();
  await activeRoom(agent1).locator('.dismiss-room').waitFor();
  const room = await customer.session.subscribe(roomTopic(assigned.roomId), { headers: { 'since-seq': '0' } });
  await agentSays(agent2, '이관받은 상담원입니다.');
  const message = await room.next((m) => m.json?.text === '이관받은 상담원입니다.', 5000);
  assert.equal(message.json.senderId, agent2Id);
  await screenshot(agent2, 'agent-chat-360');
  assertNoPageProblems(agent1);
  assertNoPageProblems(agent2);
});

// ---- connection helpers -------------------------------------------------------------------------

// From now on, every connection state the console shows is kept in window.__states, and every
// "aicc-chat: stomp_error" warning (an ERROR frame from the server) in page.stompErrors.
async function recordConnection(page) {
  page.stompErrors ??= [];
  if (!page.recording) {
    page.recording = true;
    page.on('console', (message) => {
      if (message.text().includes('stomp_error')) page.stompErrors.push(message.text());
    });
  }
  await page.evaluate(() => {
    const node = document.getElementById('connection');
    window.__states = [node.dataset.state];
    window.__stateObserver?.disconnect();
    window.__stateObserver = new MutationObserver(() => window.__states.push(node.dataset.state));
    window.__stateObserver.observe(node, { attributes: true, attributeFilter: ['data-state'] });
  });
}

// The browser goes offline (the console drops its connection at once) and online again; resolves
// once the console says it is connected again.
async function dropConnection(page) {
  await page.context().setOffline(true);
  await page.locator('#connection[data-state=offline]').waitFor();
  await page.context().setOffline(false);
  await page.locator('#connection[data-state=connected]').waitFor({ timeout: 15000 });
}

// After a drop: connected once, and still connected `quietMs` later (no ERROR, no reconnect loop).
async function assertStaysConnected(page, quietMs = 3000) {
  await delay(quietMs);
  const states = await page.evaluate(() => window.__states);
  const since = states.slice(states.lastIndexOf('offline') + 1);
  assert.equal(since.filter((state) => state === 'connected').length, 1, `states after going offline: ${since}`);
  assert.equal(since.at(-1), 'connected', `states after going offline: ${since}`);
  assert.deepEqual(page.stompErrors, [], 'the server sent no ERROR frame');
}

async function userId(page) {
  return page.evaluate(() => document.body.dataset.userId);
}

function roomPanel(page, roomId) {
  return page.locator(`.room-panel[data-room-id="${roomId}"]`);
}

// ---- 1. rooms that end are let go ---------------------------------------------------------------

test('a closed or transferred chat is unsubscribed: reconnects stay connected; a chat transferred back is live again', { timeout: 120000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '1', 'routing.agent-grace': '30' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const agent1Id = await userId(agent);
  // A second agent, away: nothing is auto-assigned to it, but it may take a transfer.
  const other = await newAgent(t, server, { name: 'Agent Two', loginNow: false });
  await send(other, '/app/agent.login', { status: 'away' });

  const closing = await newCustomer(t, server, { displayName: '닫을고객' });
  await requestConsult(closing);
  const closed = await nextStatus(closing, { status: 'auto_assigned' }, 15000);
  await agent.locator('.room-tab', { hasText: '닫을고객' }).waitFor();
  const moving = await newCustomer(t, server, { displayName: '넘길고객' });
  await requestConsult(moving);
  const moved = await nextStatus(moving, { status: 'auto_assigned' }, 15000);
  assert.equal(moved.agentId, agent1Id);
  await agent.locator('.room-tab', { hasText: '넘길고객' }).waitFor();

  // agent1 ends one chat and hands the other to Agent Two.
  await agent.locator('.room-tab', { hasText: '닫을고객' }).click();
  await closeActiveRoom(agent);
  await roomPanel(agent, closed.roomId).locator('.dismiss-room').waitFor();
  await agent.locator('.room-tab', { hasText: '넘길고객' }).click();
  await transferActiveRoom(agent, other.id);
  await nextJson(other.assignments, { roomId: moved.roomId }, 5000);
  await roomPanel(agent, moved.roomId).locator('.dismiss-room').waitFor();
  assert.equal(await agent.locator('#rooms-count').textContent(), '0');

  // A reconnect subscribes neither again: no ERROR from the server, no reconnect loop.
  await recordConnection(agent);
  await dropConnection(agent);
  await assertStaysConnected(agent);

  // Agent Two writes, then hands the chat back: it is agent1's again, live, with what was said.
  await send(other, '/app/room.send', { roomId: moved.roomId, text: '두 번째 상담원입니다.', clientMessageId: 'two-1' });
  await send(other, '/app/room.transfer', { roomId: moved.roomId, toAgentId: agent1Id });
  const panel = roomPanel(agent, moved.roomId);
  await panel.locator('.dismiss-room').waitFor({ state: 'hidden' });
  await agent.locator('.room-tab', { hasText: '넘길고객' }).click();
  assert.equal(await panel.locator('.room-input').isEnabled(), true);
  await waitForMessage(panel, '두 번째 상담원입니다.', { role: 'agent' });
  await waitForMessage(panel, '상담이 다시 배정되었습니다.');
  const room = await moving.session.subscribe(roomTopic(moved.roomId), { headers: { 'since-seq': '0' } });
  await send(moving, '/app/room.send', { roomId: moved.roomId, text: '다시 오셨네요', clientMessageId: 'moving-1' });
  await waitForMessage(panel, '다시 오셨네요', { role: 'customer' });
  await agentSays(agent, '네, 제가 다시 맡았습니다.');
  await room.next((m) => m.json?.text === '네, 제가 다시 맡았습니다.', 5000);
  assert.equal(await panel.locator('.msg-text', { hasText: '두 번째 상담원입니다.' }).count(), 1, 'shown once');
  assert.equal(await agent.locator('#rooms-count').textContent(), '1');

  // Another reconnect: the chat that came back is subscribed again, the closed one is not.
  await recordConnection(agent);
  await dropConnection(agent);
  await assertStaysConnected(agent);
  await send(moving, '/app/room.send', { roomId: moved.roomId, text: '재연결 뒤의 메시지', clientMessageId: 'moving-2' });
  await waitForMessage(panel, '재연결 뒤의 메시지', { role: 'customer' });
  assert.equal(await roomPanel(agent, closed.roomId).locator('.dismiss-room').evaluate((node) => node.hidden), false,
    'the closed chat stays ended');

  // Back from the back/forward cache (pagehide, then pageshow with persisted): connected again.
  await agent.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true })));
  await agent.locator('#connection[data-state=disconnected]').waitFor();
  await agent.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
  await agent.locator('#connection[data-state=connected]').waitFor({ timeout: 10000 });
  await send(moving, '/app/room.send', { roomId: moved.roomId, text: '돌아온 페이지로', clientMessageId: 'moving-3' });
  await waitForMessage(panel, '돌아온 페이지로', { role: 'customer' });
  assertNoPageProblems(agent);
});

// ---- 2. messages are not lost --------------------------------------------------------------------

test('a message written offline or on a dying connection reaches the customer once, after a reconnect or a reload', { timeout: 120000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '1' } });
  const agent = await openPage(t, browser);
  // Between the page and the server: while `dropping`, what the page sends is lost on the way (a
  // connection that died without the page knowing yet).
  let dropping = false;
  const sockets = [];
  await agent.routeWebSocket(/\/ws$/, (ws) => {
    const upstream = ws.connectToServer();
    sockets.push({ ws, upstream });
    ws.onMessage((message) => {
      if (!dropping) upstream.send(message);
    });
    upstream.onMessage((message) => ws.send(message));
  });
  await agent.goto(`${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const agentId = await userId(agent);
  const customer = await newCustomer(t, server, { displayName: '정고객' });
  await requestConsult(customer);
  const assigned = await nextStatus(customer, { status: 'auto_assigned' }, 15000);
  await agent.locator('.room-tab', { hasText: '정고객' }).waitFor();
  const room = await customer.session.subscribe(roomTopic(assigned.roomId), { headers: { 'since-seq': '0' } });
  const delivered = (text) => room.all.filter((m) => m.json?.text === text).length;
  const pending = activeRoom(agent).locator('.msg--agent .msg-state--pending');

  // Offline: kept as "sending", sent once the browser is online again.
  await agent.context().setOffline(true);
  await agent.locator('#connection[data-state=offline]').waitFor();
  await agentSays(agent, '오프라인에서 쓴 메시지');
  await pending.waitFor();
  await agent.context().setOffline(false);
  await room.next((m) => m.json?.text === '오프라인에서 쓴 메시지', 10000);
  await pending.waitFor({ state: 'detached' });

  // A connection that dies with the message on it: no receipt, so it goes again on the next one.
  dropping = true;
  await agentSays(agent, '끊기는 연결로 보낸 메시지');
  await pending.waitFor();
  await delay(500);
  assert.equal(delivered('끊기는 연결로 보낸 메시지'), 0, 'the message was lost on the way');
  dropping = false;
  for (const { ws, upstream } of sockets.splice(0)) {
    upstream.close();
    ws.close();
  }
  await room.next((m) => m.json?.text === '끊기는 연결로 보낸 메시지', 15000);
  await pending.waitFor({ state: 'detached', timeout: 10000 });

  // Lost again, and the page reloaded before any reconnect: sessionStorage has it, it goes then.
  dropping = true;
  await agentSays(agent, '새로고침 전에 쓴 메시지');
  await pending.waitFor();
  const stored = await agent.evaluate((id) => sessionStorage.getItem(`aicc.agent.outbox.${id}`), agentId);
  assert.match(stored, /새로고침 전에 쓴 메시지/);
  await delay(300);
  dropping = false;
  await agent.reload();
  await agent.locator('body[data-ready=true]').waitFor();
  await agent.locator('.room-tab', { hasText: '정고객' }).click();
  await room.next((m) => m.json?.text === '새로고침 전에 쓴 메시지', 15000);
  await waitForMessage(activeRoom(agent), '새로고침 전에 쓴 메시지', { role: 'agent' });
  await pending.waitFor({ state: 'detached', timeout: 10000 });

  await delay(1500);
  for (const text of ['오프라인에서 쓴 메시지', '끊기는 연결로 보낸 메시지', '새로고침 전에 쓴 메시지']) {
    assert.equal(delivered(text), 1, `${text}: delivered once`);
    assert.equal(await activeRoom(agent).locator('.msg--agent .msg-text', { hasText: text }).count(), 1, `${text}: shown once`);
  }
  assert.equal(await agent.evaluate((id) => sessionStorage.getItem(`aicc.agent.outbox.${id}`), agentId), '[]');

  // A chat that ends with a message still unsent: the message says it was not sent, and nothing
  // is sent later.
  dropping = true;
  await agentSays(agent, '종료 직전의 메시지');
  await pending.waitFor();
  await send(customer, '/app/room.close', { roomId: assigned.roomId });
  dropping = false;
  for (const { ws, upstream } of sockets.splice(0)) {
    upstream.close();
    ws.close();
  }
  await activeRoom(agent).locator('.msg--agent .msg-state--failed').waitFor({ timeout: 15000 });
  assert.equal(await activeRoom(agent).locator('.msg--agent .msg-state--failed').textContent(), '보내지 못함');
  await agent.locator('#connection[data-state=connected]').waitFor();
  await delay(1000);
  assert.equal(delivered('종료 직전의 메시지'), 0);
  assert.equal(await agent.evaluate((id) => sessionStorage.getItem(`aicc.agent.outbox.${id}`), agentId), '[]');
  assertNoPageProblems(agent);
});

// ---- 3. away survives reconnects and reloads ----------------------------------------------------

test('away survives a reconnect and a reload: a due request waits, then goes to an available agent', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '1', 'routing.agent-grace': '30' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const agentId = await userId(agent);
  const bearer = (await login(server, 'agent2', '1234')).json.accessToken;
  const ownEntry = async () => (await apiRequest(server, '/api/agents', { method: 'GET', bearer })).json.agents
    .find((a) => a.id === agentId);

  await agent.locator('#status-away').click();
  await waitUntil(async () => (await ownEntry())?.state === 'away', { what: 'agent1 away on the server' });
  const customer = await newCustomer(t, server, { displayName: '한고객' });
  const waiting = await requestConsult(customer);
  await agent.locator('#queue .request', { hasText: '한고객' }).waitFor();
  await delay(1500);  // due: an available agent would get it at once

  // A reconnect logs in away: the due request is not assigned in between.
  await dropConnection(agent);
  await delay(1500);
  assert.equal(received(customer.status, (s) => s.status === 'auto_assigned').length, 0, 'assigned after the reconnect');
  assert.equal(await agent.locator('#status-away').getAttribute('aria-pressed'), 'true');

  // A reload reads the status back from the server and logs in away too.
  await agent.reload();
  await agent.locator('body[data-ready=true]').waitFor();
  await agent.locator('#connection[data-state=connected]').waitFor();
  assert.equal(await agent.locator('#status-away').getAttribute('aria-pressed'), 'true');
  assert.equal(await agent.locator('#status-available').getAttribute('aria-pressed'), 'false');
  await agent.locator('#queue .request', { hasText: '한고객' }).waitFor();
  await delay(2000);
  assert.equal(received(customer.status, (s) => s.status === 'auto_assigned').length, 0, 'assigned after the reload');
  assert.equal(await agent.locator('.room-tab').count(), 0);
  assert.deepEqual({ state: (await ownEntry()).state, status: (await ownEntry()).status }, { state: 'away', status: 'away' });

  // An available agent logs in: the request is theirs, and it leaves agent1's queue.
  const other = await newAgent(t, server, { name: 'Available Agent' });
  const assigned = await nextStatus(customer, { requestId: waiting.requestId, status: 'auto_assigned' }, 5000);
  assert.equal(assigned.agentId, other.id);
  await agent.locator('#queue .request', { hasText: '한고객' }).waitFor({ state: 'detached' });
  assertNoPageProblems(agent);
});

// ---- 4 and 6. the queue's order, and what a screen reader is told --------------------------------

test('the queue in the server\'s order (requeued first), named buttons, unread counts in words, messages updated in place', { timeout: 120000 }, async (t) => {
  // Nothing is auto-assigned while the test runs.
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '120' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  const helper = await newAgent(t, server, { name: 'Helper' });
  const first = await newCustomer(t, server, { displayName: '첫째' });
  const { roomId: firstRoom } = await acceptedRoom(first, helper);
  const second = await newCustomer(t, server, { displayName: '둘째' });
  await requestConsult(second);
  const third = await newCustomer(t, server, { displayName: '셋째' });
  await requestConsult(third);
  await waitUntil(async () => (await agent.locator('#queue .request').count()) === 2, { what: 'two requests' });
  // The helper puts the first chat back: it waits again, ahead of the two who waited longer.
  await send(helper, '/app/room.transfer', { roomId: firstRoom });
  const names = () => agent.locator('#queue .request .customer-name').allTextContents();
  await waitUntil(async () => (await names()).length === 3, { what: 'three requests' });
  assert.deepEqual(await names(), ['첫째', '둘째', '셋째']);
  assert.equal(await agent.locator('#queue .request').first().locator('.chip--warn').textContent(), '다시 대기');
  const secondCard = agent.locator('#queue .request', { hasText: '둘째' });
  assert.equal(await secondCard.locator('.accept').getAttribute('aria-label'), '수락: 둘째');
  assert.equal(await secondCard.locator('.reject').getAttribute('aria-label'), '거절: 둘째');
  assert.equal(await agent.getByRole('button', { name: '수락: 셋째' }).count(), 1);
  // After a reload the same order, from the queue's positions.
  await agent.reload();
  await agent.locator('body[data-ready=true]').waitFor();
  await waitUntil(async () => (await names()).length === 3, { what: 'three requests after the reload' });
  assert.deepEqual(await names(), ['첫째', '둘째', '셋째']);

  // Two chats: a message in the one not shown is counted, and the count is read out in words.
  await agent.getByRole('button', { name: '수락: 첫째' }).click();
  await agent.locator('.room-tab', { hasText: '첫째' }).waitFor();
  await agent.getByRole('button', { name: '수락: 둘째' }).click();
  const secondStatus = await nextStatus(second, { status: 'connected' });
  await agent.locator('.room-tab[aria-selected=true]', { hasText: '둘째' }).waitFor();
  await send(first, '/app/room.send', { roomId: firstRoom, text: '저 아직 있어요', clientMessageId: 'first-1' });
  const firstTab = agent.locator('.room-tab', { hasText: '첫째' });
  await firstTab.locator('.badge').waitFor();
  assert.equal(await firstTab.locator('.badge').getAttribute('aria-hidden'), 'true');
  assert.equal(await firstTab.locator('.badge').getAttribute('aria-label'), null);
  assert.equal(await firstTab.locator('.sr-only').textContent(), '읽지 않은 메시지 1개');
  assert.equal(await agent.getByRole('tab', { name: /첫째.*읽지 않은 메시지 1개/ }).count(), 1);

  // A message is one <li> from "sending" to confirmed, read and shown in another language.
  const room = await second.session.subscribe(roomTopic(secondStatus.roomId), { headers: { 'since-seq': '0' } });
  await send(second, '/app/room.send', { roomId: secondStatus.roomId, text: '안녕하세요', clientMessageId: 'second-1' });
  await waitForMessage(activeRoom(agent), '안녕하세요', { role: 'customer' });
  await agent.context().setOffline(true);
  await agent.locator('#connection[data-state=offline]').waitFor();
  await agentSays(agent, '잠시만 기다려 주세요');
  const mine = activeRoom(agent).locator('.msg--agent', { hasText: '잠시만 기다려 주세요' });
  await mine.locator('.msg-state--pending').waitFor();
  await mine.evaluate((node) => { node.__tag = 'kept'; node.querySelector('.msg-text').__tag = 'kept'; });
  await agent.context().setOffline(false);
  const echo = await room.next((m) => m.json?.text === '잠시만 기다려 주세요', 10000);
  await mine.locator('.msg-state--pending').waitFor({ state: 'detached' });
  await send(second, '/app/room.read', { roomId: secondStatus.roomId, seq: echo.json.seq });
  await mine.locator('.msg-state--read', { hasText: '읽음' }).waitFor();
  await agent.locator('#lang-toggle').click();
  await mine.locator('.msg-state--read', { hasText: 'Read' }).waitFor();
  const kept = await mine.evaluate((node) => ({
    node: node.__tag, text: node.querySelector('.msg-text').__tag, key: node.dataset.key, pending: node.dataset.pending,
    last: node === node.parentNode.lastElementChild,
  }));
  assert.deepEqual(kept, { node: 'kept', text: 'kept', key: `m:${echo.json.messageId}`, pending: 'false', last: true });
  assert.equal(await activeRoom(agent).locator('.msg--agent').count(), 1);
  assert.equal(await agent.getByRole('tab', { name: /첫째.*1 unread/ }).count(), 1);
  assertNoPageProblems(agent);
});

// ---- 5. sound ---------------------------------------------------------------------------------

test('the notification sound: the audio is started by the first click or key, and woken for every tone', { timeout: 60000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '120' } });
  const agent = await openPage(t, browser);
  // A stand-in for Web Audio that starts "suspended", as a browser makes one before any gesture.
  await agent.addInitScript(() => {
    window.__audio = { made: 0, resumes: 0, tones: 0, context: null };
    window.AudioContext = class {
      constructor() {
        window.__audio.made += 1;
        window.__audio.context = this;
        this.state = 'suspended';
        this.currentTime = 0;
        this.destination = {};
      }

      resume() {
        window.__audio.resumes += 1;
        this.state = 'running';
        return Promise.resolve();
      }

      createGain() {
        return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect() {} };
      }

      createOscillator() {
        return { frequency: {}, connect() {}, start() { window.__audio.tones += 1; }, stop() {} };
      }
    };
  });
  await agent.goto(`${server.httpUrl}/agent`);
  const audio = () => agent.evaluate(() => ({ ...window.__audio, state: window.__audio.context?.state, context: undefined }));
  assert.equal((await audio()).made, 0, 'no audio before a gesture');
  // The console's first look at the queue is over before the request comes (a request it reads
  // there is shown without a sound; only the live offer rings).
  const loaded = agent.waitForResponse((response) => response.url().endsWith('/api/consult/queue'));
  await agentSignIn(agent, 'agent1');  // typing and clicking: gestures
  await loaded;
  assert.deepEqual(await audio(), { made: 1, resumes: 1, tones: 0, state: 'running', context: undefined });

  // The browser suspended it meanwhile (e.g. a long time in the background): the tone wakes it.
  await agent.evaluate(() => { window.__audio.context.state = 'suspended'; });
  const customer = await newCustomer(t, server, { displayName: '소리고객' });
  await requestConsult(customer);
  await agent.locator('#queue .request', { hasText: '소리고객' }).waitFor();
  const after = await audio();
  assert.equal(after.made, 1);
  assert.equal(after.resumes, 2);
  assert.equal(after.state, 'running');
  assert.equal(after.tones, 2, 'two notes of one tone');
  assertNoPageProblems(agent);
});

test('a customer tired of waiting leaves a message; the console shows it until an agent takes it up', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual', 'routing.max-wait': '2' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  assert.equal(await agent.locator('#left-messages .left-message').count(), 0);

  const page = await openPage(t, browser, `${server.httpUrl}/widget`);
  await page.locator('body[data-ready=true]').waitFor();
  await page.locator('#request-agent').click();
  await agent.locator('#queue .request').waitFor();
  // Nobody accepts: after routing.max-wait the widget offers to leave a message (agents are busy).
  await page.locator('.leave-form').waitFor({ timeout: 15000 });
  assert.match(await page.locator('.leave-form p').first().textContent(), /^지금은 상담원이 모두 상담 중입니다/);
  await page.locator('#leave-text').fill('환불 건으로 연락 부탁드립니다 <b>x</b>');
  await page.locator('#leave-contact').fill('010-1234-5678');
  await page.locator('.leave-form button[type=submit]').click();
  await waitForMessage(page, '메시지를 남겼습니다');
  assert.equal(await page.locator('.msg--notice', { hasText: '대기를 취소' }).count(), 0);

  const card = agent.locator('#left-messages .left-message');
  await card.waitFor();
  assert.equal(await card.locator('.left-text').textContent(), '환불 건으로 연락 부탁드립니다 <b>x</b>');
  assert.match(await card.innerText(), /010-1234-5678/);
  await agent.locator('#queue .request').waitFor({ state: 'detached' });
  // Taking it up asks for a reply (a default one is written), which the customer reads at once,
  // and again after a reload.
  await card.locator('.handle').click();
  const reply = card.locator('.left-reply');
  assert.equal(await reply.inputValue(), '남겨 주신 메시지를 확인했습니다. 곧 연락드리겠습니다.');
  await reply.fill('영수증을 확인했습니다. 내일 환불됩니다.');
  await card.locator('.send-reply').click();
  await card.waitFor({ state: 'detached' });
  await agent.locator('.toast', { hasText: '남긴 메시지를 처리했습니다' }).waitFor();
  await waitForMessage(page, '영수증을 확인했습니다. 내일 환불됩니다.', { role: 'agent' });
  await page.reload();
  await page.locator('body[data-ready=true]').waitFor();
  await waitForMessage(page, '영수증을 확인했습니다. 내일 환불됩니다.', { role: 'agent' });
  assert.equal(await page.locator('.msg--agent .msg-sender').last().textContent(), '상담원 agent1');

  // Taken up for good: a reload does not bring it back.
  await agent.reload();
  await agent.locator('#connection[data-state=connected]').waitFor();
  await agent.waitForTimeout(500);
  assert.equal(await agent.locator('#left-messages .left-message').count(), 0);
  assertNoPageProblems(agent);
  assertNoPageProblems(page);
});

test('with no agent signed in, the widget says so at once and offers to leave a message (English, 360 px)', { timeout: 60000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual' } });
  const page = await openPage(t, browser, `${server.httpUrl}/widget?lang=en`, { viewport: { width: 360, height: 740 } });
  await page.locator('body[data-ready=true]').waitFor();
  await page.locator('#request-agent').click();
  await page.locator('.leave-form').waitFor({ timeout: 5000 });
  assert.match(await page.locator('.leave-form p').first().textContent(), /^No agent is available right now\./);
  assertNoPageProblems(page);
});

test('a request offered while the console reads the queue is not dropped by that older answer', { timeout: 60000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.auto-assign-after': '600' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  // The console's queue read is answered by the server at once (empty), but delivered late.
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  await agent.route('**/api/consult/queue', async (route) => {
    const response = await route.fetch();
    await gate;
    await route.fulfill({ response });
  });
  await agentSignIn(agent, 'agent1');
  const customer = await newCustomer(t, server, { displayName: '늦은답고객' });
  await requestConsult(customer);
  const card = agent.locator('#queue .request', { hasText: '늦은답고객' });
  await card.waitFor();
  release();
  await agent.waitForResponse((response) => response.url().endsWith('/api/consult/queue'));
  await agent.waitForTimeout(500);
  assert.equal(await card.count(), 1, 'the live offer stays');
  assertNoPageProblems(agent);
});
