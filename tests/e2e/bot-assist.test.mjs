// What the built-in demo bot does in the pages, in Korean and in English: its answer grows in the
// widget as it is typed out (each text shown a prefix of the final one, one message in the end and
// once after a reload), its handoff summary shows on the agent's offer card and then in the room's
// header, and the replies it suggests go into the agent's input box on a click or Alt+n, never to
// the customer until the agent sends one.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { apiRequest, login } from '../integration/lib/auth-http.mjs';
import { launchBrowser, openPage, screenshot, startWebServer } from './lib/browser.mjs';
import {
  activeRoom, agentSignIn, assertNoPageProblems, count, customerSays, messageTexts, waitForMessage,
} from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

// The demo bot types a piece of two words every this many ms: slow enough to see the answer grow.
const TYPING_MS = '200';

const LANGUAGES = [
  {
    lang: 'ko',
    query: '',
    shot: '',
    refundQuestion: '환불',
    refundAnswer: '환불은 마이페이지에서 가능합니다. 주문 내역에서 환불 신청을 눌러 주세요.',
    paymentQuestion: '결제오류가 났어요',
    paymentAnswer: '결제 오류는 상담사가 도와드리겠습니다. 잠시만 기다려 주세요.',
    connected: '상담원 agent1님과 연결되었습니다.',
    summaryLabel: 'AI 요약',
    paymentCategory: '결제 오류',
    neutral: '보통',
    roomQuestion: '환불은 언제 되나요?',
    suggestionsLabel: '추천 답변',
    suggestions: [
      '주문번호를 알려 주시면 환불 진행 상황을 확인해 드리겠습니다.',
      '환불은 승인 후 영업일 기준 3~5일 안에 입금됩니다.',
    ],
  },
  {
    lang: 'en',
    query: '?lang=en',
    shot: '-en',
    refundQuestion: 'refund',
    refundAnswer: 'You can ask for a refund in My Page: open your order history and press Request refund.',
    paymentQuestion: 'payment error',
    paymentAnswer: 'An agent will help you with the payment error. Please wait a moment.',
    connected: 'You are now chatting with agent1.',
    summaryLabel: 'AI summary',
    paymentCategory: 'Payment error',
    neutral: 'neutral',
    roomQuestion: 'when is my refund?',
    suggestionsLabel: 'Suggested replies',
    suggestions: [
      'Could you tell me your order number? I will check the refund for you.',
      'Refunds reach your account within 3 to 5 business days once approved.',
    ],
  },
];

// Every step of a page waits at most this long, and then fails naming what it waited for.
const STEP_MS = 10000;

async function open(t, url) {
  const page = await openPage(t, browser);
  page.setDefaultTimeout(STEP_MS);
  await page.goto(url);
  return page;
}

// `promise` (a bounded wait), or a failure that says what never showed, with the server's log.
async function shown(promise, what, server) {
  try {
    return await promise;
  } catch (error) {
    throw new Error(`${what} never showed (${error.message.split('\n')[0]}); server log:\n${server.stderr.slice(-4000)}`);
  }
}

// From now on, every text the newest bot message of the widget shows (a new one: the bot items
// shown so far are left out), in order, each once; and the most bot items ever shown at once.
function recordBotAnswer(page) {
  return page.evaluate(() => {
    const list = document.querySelector('#messages');
    const before = list.querySelectorAll('.msg--bot').length;
    const seen = { before, texts: [], mostItems: before };
    window.botAnswerSeen = seen;
    const record = () => {
      const items = list.querySelectorAll('.msg--bot');
      seen.mostItems = Math.max(seen.mostItems, items.length);
      if (items.length <= before) return;
      const text = items[items.length - 1].querySelector('.msg-text')?.textContent ?? '';
      if (seen.texts.at(-1) !== text) seen.texts.push(text);
    };
    new MutationObserver(record).observe(list, { childList: true, subtree: true, characterData: true });
  });
}

// An available agent on the console and a customer on the widget whose payment error the bot
// hands over (bot.need-human: queue, the default): the request's card is shown. Manual routing:
// the request waits for the agent's accept.
async function customerHandedOver(t, L, settings = {}) {
  const server = await startWebServer(t, {
    settings: { 'routing.mode': 'manual', 'bot.demo-typing-ms': TYPING_MS, ...settings },
  });
  const agent = await open(t, `${server.httpUrl}/agent${L.query}`);
  const news = consultNews(agent);
  await agentSignIn(agent, 'agent1');
  await agent.locator('#status-available').click();
  assert.equal(await agent.locator('#status-available').getAttribute('aria-pressed'), 'true', 'the agent is available');
  const widget = await open(t, `${server.httpUrl}/widget${L.query}`);
  await widget.locator('body[data-ready=true]').waitFor();
  await customerSays(widget, L.paymentQuestion);
  await shown(waitForMessage(widget, L.paymentAnswer, { role: 'bot' }), 'the bot answer to the payment error', server);
  const card = agent.locator('#queue .request');
  await shown(card.waitFor(), 'the consult request card', server);
  assert.equal(await card.count(), 1, 'one waiting request');
  return { server, agent, widget, card, news };
}

// The /topic/consult/* messages a console receives, in order: "destination requestId".
function consultNews(page) {
  const news = [];
  page.on('websocket', (socket) => socket.on('framereceived', ({ payload }) => {
    for (const frame of String(payload).split('\0')) {
      const destination = /\ndestination:(\/topic\/consult\/\S+)/.exec(frame)?.[1];
      if (destination) news.push(`${destination} ${/"requestId":"([^"]+)"/.exec(frame)?.[1] ?? ''}`);
    }
  }));
  return news;
}

// The agent accepts the request of `card`; the customer is told. Returns the room.
async function accept(agent, widget, card, L) {
  await card.locator('.accept').click();
  const room = activeRoom(agent);
  await room.waitFor();
  await widget.locator('#banner-text', { hasText: L.connected }).waitFor();
  return room;
}

// What a summary block shows.
async function summaryOf(node) {
  return {
    label: await node.locator('.bot-summary-head .label').textContent(),
    chips: await node.locator('.bot-summary-head .chip').allTextContents(),
    mood: await node.getAttribute('data-mood'),
    moodChip: await node.locator('.chip--mood').textContent(),
    text: await node.locator('.bot-summary-text').textContent(),
  };
}

// The built-in bot's summary of the payment error: labelled, with the category and a neutral
// mood, quoting what the customer wrote.
async function assertSummary(node, L) {
  const shownSummary = await summaryOf(node);
  assert.equal(shownSummary.label, L.summaryLabel);
  assert.deepEqual(shownSummary.chips, [L.paymentCategory, L.neutral], 'a category chip and a mood chip');
  assert.equal(shownSummary.mood, 'neutral');
  assert.equal(shownSummary.moodChip, L.neutral);
  assert.ok(shownSummary.text.includes(`"${L.paymentQuestion}"`), `the summary quotes the customer: "${shownSummary.text}"`);
  return shownSummary;
}

for (const L of LANGUAGES) {
  test(`[${L.lang}] the bot's answer grows in the widget, ends as one message and is stored once`, { timeout: 60000 }, async (t) => {
    const server = await startWebServer(t, { settings: { 'bot.demo-typing-ms': TYPING_MS } });
    const page = await open(t, `${server.httpUrl}/widget${L.query}`);
    await page.locator('body[data-ready=true]').waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), L.lang);

    await recordBotAnswer(page);
    await customerSays(page, L.refundQuestion);
    // The first part, then the whole answer.
    await shown(page.waitForFunction(() => window.botAnswerSeen.texts.length > 0),
      'the first part of the bot answer', server);
    await screenshot(page, `widget-bot-typing${L.shot}-1280`);
    await shown(waitForMessage(page, L.refundAnswer, { role: 'bot' }), `the whole bot answer "${L.refundAnswer}"`, server);

    const seen = await page.evaluate(() => window.botAnswerSeen);
    const texts = seen.texts;
    for (const text of texts) {
      assert.ok(L.refundAnswer.startsWith(text), `"${text}" is a beginning of the final answer; all texts shown: ${JSON.stringify(texts)}`);
    }
    for (let i = 1; i < texts.length; i += 1) {
      assert.ok(texts[i].length > texts[i - 1].length, `the answer only grows; all texts shown: ${JSON.stringify(texts)}`);
    }
    assert.ok(texts.some((text) => text.length > 0 && text.length < L.refundAnswer.length),
      `a part of the answer was shown before the whole of it; all texts shown: ${JSON.stringify(texts)}`);
    assert.equal(texts.at(-1), L.refundAnswer, 'the answer ends as the final text');
    assert.equal(seen.mostItems, seen.before + 1, 'one bot message grew: no second item at any time');
    assert.equal(await page.locator('#messages .msg--bot').count(), seen.before + 1, 'one new bot message');
    const botTexts = await page.locator('#messages .msg--bot .msg-text').allTextContents();
    assert.equal(count(botTexts, L.refundAnswer), 1, `the answer once; bot messages: ${JSON.stringify(botTexts)}`);

    // After a reload: the stored answer, once, after the question.
    await page.reload();
    await page.locator('body[data-ready=true]').waitFor();
    await waitForMessage(page, L.refundAnswer, { role: 'bot' });
    const reloaded = await messageTexts(page.locator('#messages'));
    assert.equal(count(reloaded, L.refundAnswer), 1, `the stored answer once after the reload: ${JSON.stringify(reloaded)}`);
    assert.equal(count(reloaded, L.refundQuestion), 1, `the question once after the reload: ${JSON.stringify(reloaded)}`);
    assert.ok(reloaded.indexOf(L.refundQuestion) < reloaded.indexOf(L.refundAnswer), `question, then answer: ${JSON.stringify(reloaded)}`);
    assertNoPageProblems(page);
  });

  test(`[${L.lang}] the bot's handoff summary shows on the waiting request's card, then in the room's header`, { timeout: 60000 }, async (t) => {
    const { server, agent, widget, card, news } = await customerHandedOver(t, L);
    const cardSummary = card.locator('.bot-summary');
    await cardSummary.waitFor().catch(async (error) => {
      // Say what the console was told, in order, and what the queue view says.
      const token = (await login(server, 'agent1', '1234')).json.accessToken;
      const queue = await apiRequest(server, '/api/consult/queue', { method: 'GET', bearer: token });
      throw new Error(`the handoff summary never showed on the request card (${error.message.split('\n')[0]}); `
        + `the console received, in order: ${news.join(', ')}; GET /api/consult/queue: ${queue.text}`);
    });
    const onCard = await assertSummary(cardSummary, L);
    await screenshot(agent, `agent-bot-summary${L.shot}-1280`);

    // Accepted: the room's header shows the same summary.
    const room = await accept(agent, widget, card, L);
    const roomSummary = room.locator('.room-summary .bot-summary');
    await shown(roomSummary.waitFor(), 'the handoff summary in the room header', server);
    assert.deepEqual(await summaryOf(roomSummary), onCard, 'the room shows the summary of the card');
    assertNoPageProblems(agent);
    assertNoPageProblems(widget);
  });

  test(`[${L.lang}] in the room: the summary in the header, and suggested replies put in the agent's input, sent only by the agent`, { timeout: 60000 }, async (t) => {
    const { server, agent, widget, card } = await customerHandedOver(t, L, { 'bot.suggest-replies': 'true' });
    const room = await accept(agent, widget, card, L);
    const roomSummary = room.locator('.room-summary .bot-summary');
    await shown(roomSummary.waitFor(), 'the handoff summary in the room header', server);
    await assertSummary(roomSummary, L);

    // A customer message in the room: the agent gets two suggested replies beside the composer.
    await customerSays(widget, L.roomQuestion);
    await waitForMessage(room, L.roomQuestion, { role: 'customer' });
    const bar = room.locator('.suggestions');
    await shown(bar.waitFor(), 'the suggested replies', server);
    assert.equal(await bar.locator('.label').textContent(), L.suggestionsLabel);
    assert.deepEqual(await bar.locator('.suggestion').allTextContents(), L.suggestions);
    await screenshot(agent, `agent-suggestions${L.shot}-1280`);

    // A click puts the first one in the input box; nothing is sent.
    const input = room.locator('.room-input');
    await bar.locator('.suggestion').first().click();
    assert.equal(await input.inputValue(), L.suggestions[0], 'the first suggestion is in the input');
    assert.equal(await room.locator('.msg--agent').count(), 0, 'the agent sent nothing');
    assert.equal(await widget.locator('.msg--agent').count(), 0, 'the customer got nothing from the agent');

    // Alt+2 in the emptied input puts the second one there.
    await input.fill('');
    await input.focus();
    await agent.keyboard.press('Alt+2');
    assert.equal(await input.inputValue(), L.suggestions[1], 'Alt+2 put the second suggestion in the input');
    assert.equal(await bar.isVisible(), true, 'the suggestions stay until a send');

    // Enter sends it: the customer gets that text (and never the first one, which would have
    // come before it), and the bar goes.
    await input.press('Enter');
    await waitForMessage(widget, L.suggestions[1], { role: 'agent' });
    assert.deepEqual(await widget.locator('.msg--agent .msg-text').allTextContents(), [L.suggestions[1]],
      'the customer got the sent reply alone');
    await bar.waitFor({ state: 'hidden' });
    assert.equal(await input.inputValue(), '', 'the input is empty after the send');
    assert.deepEqual(await room.locator('.msg--agent .msg-text').allTextContents(), [L.suggestions[1]], 'the agent sent one reply');
    assertNoPageProblems(agent);
    assertNoPageProblems(widget);
  });
}
