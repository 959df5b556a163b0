// Transfer and private notes in the pages: the transfer form chooses nothing by itself and asks
// before it acts (no browser dialog), the first agent's tab says the chat was handed over (not
// that it ended), the second agent is told by whom and why, every line keeps its real sender's
// name for both agents and for the customer (also after a reload), a private note is seen by
// agents only, and ending a chat asks first. Korean console at 1280 px, English at 360 px.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { login } from '../integration/lib/auth-http.mjs';
import { delay } from '../integration/lib/util.mjs';
import { launchBrowser, openPage, screenshot, startWebServer } from './lib/browser.mjs';
import {
  activeRoom, agentSays, agentSignIn, assertNoPageProblems, customerSays, messageTexts, transferActiveRoom, waitForMessage,
} from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

// The sender label shown above the message whose text contains `text`.
async function senderOf(container, text) {
  return container.locator('.msg', { hasText: text }).first().locator('.msg-sender').textContent();
}

test('a transfer asks first, says who handed the chat over and why, keeps every sender\'s name, and notes stay with the agents', { timeout: 120000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual', 'bot.need-human': 'queue' } });
  const agent1 = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent1, 'agent1');
  const agent2 = await openPage(t, browser, `${server.httpUrl}/agent?lang=en`, { viewport: { width: 360, height: 740 } });
  await agentSignIn(agent2, 'agent2');
  const agent2Id = (await login(server, 'agent2', '1234')).json.user.id;

  const widget = await openPage(t, browser, `${server.httpUrl}/widget`);
  await widget.locator('body[data-ready=true]').waitFor();
  await customerSays(widget, '상담원 연결해 주세요');
  await agent1.locator('#queue .request .accept').first().waitFor();
  await agent1.locator('#queue .request .accept').first().click();
  await agentSays(agent1, '첫 번째 상담원입니다.');
  await waitForMessage(widget, '첫 번째 상담원입니다.', { role: 'agent' });

  // A private note: shown as a note to the agent, never to the customer.
  const room1 = activeRoom(agent1);
  await room1.locator('.note-toggle').click();
  assert.equal(await room1.locator('.note-toggle').getAttribute('aria-pressed'), 'true');
  await agentSays(agent1, 'VIP 고객, 정중하게');
  await room1.locator('.msg--note:not([data-pending=true]) .msg-text', { hasText: 'VIP 고객' }).waitFor();
  await room1.locator('.note-toggle').click();  // back to replying

  // The transfer form: nothing chosen, nothing to confirm yet; then to agent2 with a note.
  await room1.locator('.open-transfer').click();
  assert.equal(await room1.locator('.transfer-target').inputValue(), '');
  assert.equal(await room1.locator('.confirm-transfer').isDisabled(), true);
  await room1.locator('.open-transfer').click();  // and closed again: nothing happened
  assert.equal(await room1.locator('.room-confirm').isHidden(), true);
  await transferActiveRoom(agent1, agent2Id, '환불 요청, 영수증 확인 필요');

  // The first agent: handed over, to whom; the tab says transferred, not ended.
  await waitForMessage(room1, 'agent2 상담원에게 상담을 넘겼습니다.', { role: 'notice' });
  assert.equal(await agent1.locator('.room-tab .chip').textContent(), '이관됨');
  assert.equal(await room1.locator('.msg--notice .msg-text', { hasText: '상담이 종료되었습니다' }).count(), 0);

  // The second agent: told by whom and why; the room shows the note, the first agent's note and
  // the first agent's line under their name.
  await agent2.locator('.toast', { hasText: 'agent1 handed you the chat' }).waitFor();
  assert.match(await agent2.locator('.toast').last().textContent(), /환불 요청, 영수증 확인 필요/);
  const room2 = activeRoom(agent2);
  await waitForMessage(room2, '첫 번째 상담원입니다.', { role: 'agent' });
  assert.equal(await senderOf(room2, '첫 번째 상담원입니다.'), 'agent1');
  assert.equal(await senderOf(room2, 'VIP 고객'), 'Note · agent1');
  assert.equal(await senderOf(room2, '환불 요청'), 'Transfer · agent1 → Me');
  await agentSays(agent2, 'I will take it from here.');

  // The customer: told who takes over, each agent's line under their own name, also after a
  // reload; no note anywhere.
  await waitForMessage(widget, '이어서 상담합니다', { role: 'notice' });
  await waitForMessage(widget, 'I will take it from here.', { role: 'agent' });
  const checkNames = async () => {
    assert.equal(await senderOf(widget, '첫 번째 상담원입니다.'), '상담원 agent1');
    assert.equal(await senderOf(widget, 'I will take it from here.'), '상담원 agent2');
    const texts = await messageTexts(widget);
    assert.ok(!texts.some((text) => /VIP|환불 요청/.test(text)), `the customer saw a note: ${texts}`);
  };
  await checkNames();
  await widget.reload();
  await widget.locator('body[data-ready=true]').waitFor();
  await waitForMessage(widget, 'I will take it from here.', { role: 'agent' });
  await checkNames();

  // Ending asks first: cancel keeps the chat; confirm ends it.
  await room2.locator('.close-room').click();
  await room2.locator('.confirm-text', { hasText: 'End this chat?' }).waitFor();
  await room2.locator('.room-confirm button', { hasText: 'Cancel' }).click();
  await delay(300);
  assert.equal(await room2.locator('.room-input').isEnabled(), true);
  await screenshot(agent2, 'agent-transferred-360');
  await room2.locator('.close-room').click();
  await room2.locator('.confirm-close').click();
  await room2.locator('.dismiss-room').waitFor();
  await waitForMessage(widget, '상담이 종료되었습니다');
  assert.equal(await agent2.locator('.room-tab .chip').textContent(), 'ended');

  // The reloaded first console never gets the room back; the second keeps the names.
  for (const page of [agent1, agent2, widget]) assertNoPageProblems(page);
});
