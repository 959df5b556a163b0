// The widget's attention: the expected wait beside the queue position (from the recent pace of
// assignments), the agent's initial and name in the header, and a tone with the unread badge for
// an agent's message while the widget is closed, which the customer may switch off. English on a
// 360 px phone (the Korean texts are checked by the other widget tests).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { acceptedRoom, newAgent, newCustomer, nextJson, roomSend, send } from '../integration/lib/contact-center.mjs';
import { launchBrowser, openPage, screenshot, startWebServer } from './lib/browser.mjs';
import { assertNoPageProblems, openWidget, waitForMessage } from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

// Web Audio that counts the tones it is asked to play (in every frame of the page).
function countTones() {
  window.__tones = 0;
  window.AudioContext = class {
    constructor() {
      this.state = 'running';
      this.currentTime = 0;
      this.destination = {};
    }

    resume() {
      return Promise.resolve();
    }

    createGain() {
      return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect() {} };
    }

    createOscillator() {
      return { frequency: {}, connect() {}, start() { window.__tones += 1; }, stop() {} };
    }
  };
}

test('expected wait, the agent in the header, and a switchable tone for unseen agent messages', { timeout: 90000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual' } });
  // Two chats taken already: the pace is one every 15 minutes.
  const helper = await newAgent(t, server, { name: 'Helper' });
  for (let i = 0; i < 2; i += 1) await acceptedRoom(await newCustomer(t, server), helper);

  const shop = await openPage(t, browser, null, { viewport: { width: 360, height: 740 } });
  await shop.context().addInitScript(countTones);
  await shop.goto(`${server.httpUrl}/?lang=en`);
  const widget = await openWidget(shop);
  await widget.locator('#request-agent').click();
  await widget.locator('#banner-text', { hasText: 'You are number 1 in the queue (about 15 min).' }).waitFor();
  assert.equal(await widget.locator('#agent-line').isHidden(), true);

  const queue = await fetch(`${server.httpUrl}/api/consult/queue`, { headers: { Authorization: `Bearer ${helper.token}` } });
  const [request] = (await queue.json()).requests;
  await send(helper, '/app/agent.accept', { requestId: request.requestId });
  const { roomId } = await nextJson(helper.assignments, { requestId: request.requestId });
  await widget.locator('#agent-line:not([hidden])').waitFor();
  assert.equal(await widget.locator('#agent-avatar').textContent(), 'H');
  assert.equal(await widget.locator('#agent-name').textContent(), 'Agent Helper');
  await screenshot(shop, 'widget-agent-header-360');

  // Closed: the agent's message rings and counts; with the sound off it only counts.
  await widget.locator('#minimize').click();
  const frame = shop.frames().find((f) => f.url().includes('/widget'));
  const tones = () => frame.evaluate(() => window.__tones);
  await roomSend(helper, roomId, 'Are you still there?');
  await widget.locator('#bubble-badge', { hasText: '1' }).waitFor();
  assert.equal(await tones(), 2, 'one tone of two notes');
  await widget.locator('#bubble').click();
  await waitForMessage(widget, 'Are you still there?', { role: 'agent' });
  assert.equal(await widget.locator('#sound-toggle').getAttribute('aria-pressed'), 'true');
  await widget.locator('#sound-toggle').click();
  assert.equal(await widget.locator('#sound-toggle').getAttribute('aria-pressed'), 'false');
  await widget.locator('#minimize').click();
  await roomSend(helper, roomId, 'I will wait.');
  await widget.locator('#bubble-badge', { hasText: '1' }).waitFor();
  assert.equal(await tones(), 2, 'no tone with the sound off');
  assertNoPageProblems(shop);
});
