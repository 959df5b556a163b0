// The supervisor page (/admin) in a real browser against the real server: sign-in (keyboard only),
// figures that follow what really happens (a guest waiting, an agent signing in, the consult
// being assigned), the queue chart, the failed-poll state, the pause while hidden, Korean and
// English, a non-admin refused, and the screenshots at 1280 and 360 px.
//
//   node web/build.mjs --out build/web && node --test tests/e2e/admin.test.mjs
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import test from 'node:test';

import { login } from '../integration/lib/auth-http.mjs';
import { newAgent, newCustomer, requestConsult } from '../integration/lib/contact-center.mjs';
import { runUserCommand } from '../integration/lib/server.mjs';
import { delay } from '../integration/lib/util.mjs';
import { launchBrowser, openPage, screenshot, SCREENSHOT_DIR, startWebServer } from './lib/browser.mjs';

// Waits until `read()` (async) returns something `accept` takes; fails with the last value.
async function until(read, accept, what, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await read();
    if (accept(last)) return last;
    await delay(100);
  }
  assert.fail(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
}

const text = (page, selector) => page.locator(selector).textContent();
const untilText = (page, selector, expected, timeoutMs) => until(() => text(page, selector),
  (value) => (expected instanceof RegExp ? expected.test(value ?? '') : value?.trim() === expected), `${selector} text`, timeoutMs);

// What the page reported (console errors, page errors, HTTP errors; a CSP violation would show
// here) minus the answers the test causes on purpose: no refresh cookie on a first visit, a wrong
// password, a stats call made to fail.
const EXPECTED_PROBLEMS = [
  /Failed to load resource/,
  /^HTTP 401 \/api\/auth\/refresh$/,
  /^HTTP 401 \/api\/auth\/login$/,
  /^HTTP 503 \/api\/admin\/stats$/,
];
const realProblems = (page) => page.problems.filter((line) => !EXPECTED_PROBLEMS.some((pattern) => pattern.test(line)));

// The admin account: the demo one (admin/1234) when the server has it, else one made with the CLI.
async function adminAccount(server) {
  if ((await login(server, 'admin', '1234')).status === 200) return { username: 'admin', password: '1234' };
  const password = `pw-${randomUUID()}`;
  const added = await runUserCommand(server.dir, ['add', 'admin', '--role', 'admin', '--name', 'admin', '--password-stdin'],
    { stdin: `${password}\n` });
  assert.equal(added.code, 0, `user add admin: ${added.stderr}`);
  return { username: 'admin', password };
}

async function signIn(page, { username, password }) {
  // The form takes focus on load: type, Tab, type, Enter, like a keyboard user.
  await page.locator('#sign-in:not([hidden])').waitFor();
  await until(() => page.evaluate(() => document.activeElement?.id), (id) => id === 'username', 'focus on #username');
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

test('the supervisor page', async (t) => {
  const server = await startWebServer(t);
  const admin = await adminAccount(server);
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const url = `${server.httpUrl}/admin`;

  await t.test("the widget's guest on the same origin gets the form, not a refusal", async (t) => {
    const page = await openPage(t, browser, `${server.httpUrl}/widget`);
    await page.locator('body[data-ready=true]').waitFor();
    await page.goto(url);
    await page.locator('#sign-in:not([hidden])').waitFor();
    assert.ok(await page.locator('#refused').isHidden());
  });

  await t.test('a non-admin is refused with a clear message and can sign out', async (t) => {
    const page = await openPage(t, browser, url);
    await signIn(page, { username: 'agent1', password: '1234' });
    await page.locator('#refused:not([hidden])').waitFor();
    assert.equal((await text(page, '#refused-title')).trim(), '접근 권한이 없습니다');
    assert.match(await text(page, '#refused-text'), /agent1.*상담원.*관리자/s);
    assert.ok(await page.locator('#dashboard').isHidden(), 'no figures for an agent');
    await page.locator('#lang-toggle').click();
    assert.equal((await text(page, '#refused-title')).trim(), 'Access denied');
    assert.match(await text(page, '#refused-text'), /agent1 \(agent\).*administrators/);
    await screenshot(page, 'admin-refused');
    await page.locator('#refused-sign-out').click();
    await page.locator('#sign-in:not([hidden])').waitFor();
    assert.equal((await text(page, '#sign-in-title')).trim(), 'Administrator sign-in');
    assert.deepEqual(realProblems(page), []);
  });

  const page = await openPage(t, browser, url);

  await t.test('Korean sign-in form; a wrong password is refused', async () => {
    assert.equal(await page.getAttribute('html', 'lang'), 'ko');
    assert.equal((await text(page, 'h1')).trim(), '상담 현황');
    assert.equal(await page.title(), '상담 현황 (관리자)');
    // The form shows once the page knows nobody is signed in: waited for, in the form itself.
    const form = page.locator('#sign-in');
    await form.getByLabel('아이디').waitFor({ state: 'visible' });
    assert.ok(await form.getByLabel('아이디').isVisible());
    assert.ok(await form.getByLabel('비밀번호').isVisible());
    await screenshot(page, 'admin-sign-in');
    await signIn(page, { username: admin.username, password: 'wrong-password' });
    await untilText(page, '#sign-in-error', '아이디 또는 비밀번호가 올바르지 않습니다.');
    await page.locator('#username').fill('');
    await page.locator('#password').fill('');
    await page.locator('#username').focus();
  });

  await t.test('the admin sees live figures', async () => {
    await signIn(page, admin);
    await page.locator('#dashboard:not([hidden])').waitFor();
    await untilText(page, '#waiting-count', '0');
    await untilText(page, '#updated', /^마지막 갱신: /);
    assert.equal((await text(page, '#agents-empty')).trim(), '로그인한 상담원이 없습니다.');
    assert.match(await text(page, '#who'), /admin/);
    assert.ok(await page.locator('#sign-out').isVisible());
  });

  // The customer and the agent live on `t` (the whole file), so they are still there for the
  // later steps and the screenshots.
  await t.test('a guest asking for an agent shows as waiting', async () => {
    const customer = await newCustomer(t, server, { displayName: '손님' });
    const status = await requestConsult(customer, { category: 'payment' });
    assert.equal(status.status, 'waiting');
    await untilText(page, '#waiting-count', '1');
    assert.match(await text(page, '#waiting-detail'), /^최장 대기 \d+:\d\d$/);
    // The chart's accessible description and hidden summary know about it.
    await until(() => text(page, '#queue-chart-desc'), (d) => /지금은 1건/.test(d ?? ''), 'chart description');
    assert.equal((await text(page, '#queue-chart-title')).trim(), '대기 요청 추이 (최근 1시간)');
    assert.match(await text(page, '.chart-summary'), /지금 1건/);
    assert.equal(await page.locator('#queue-chart svg').getAttribute('role'), 'img');
    assert.ok(await page.locator('#queue-chart svg path.chart-line').count() === 1, 'a queue line');
  });

  await t.test('an agent who signs in shows as available, then takes the consult', async () => {
    const answer = await login(server, 'agent1', '1234');
    assert.equal(answer.status, 200);
    const agent = await newAgent(t, server, { id: answer.json.user.id, name: 'agent1', token: answer.json.accessToken });
    const row = page.locator(`#agents-body tr[data-agent-id="${agent.id}"]`);
    await row.waitFor({ timeout: 5000 });
    assert.equal((await row.locator('th').textContent()).trim(), 'agent1');
    // Hybrid routing (auto-assign after 3 s here) hands the waiting guest to the only agent.
    await untilText(page, '#waiting-count', '0', 10000);
    await untilText(page, '#rooms-open', '1');
    await untilText(page, '#agents-available', '1');
    assert.equal((await row.locator('.state').textContent()).trim(), '상담 가능');
    assert.equal((await row.locator('.load-text').textContent()).trim(), '1 / 3');
    await delay(300);  // let the chart settle before the picture
    await screenshot(page, 'admin-1280');
  });

  await t.test('English texts', async () => {
    await page.locator('#lang-toggle').click();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal((await text(page, 'h1')).trim(), 'Contact center status');
    assert.equal((await text(page, '#card-waiting h3')).trim(), 'Waiting requests');
    assert.equal((await text(page, '#lang-toggle')).trim(), '한국어');
    assert.match(await text(page, '#updated'), /^Last updated: /);
    assert.equal((await page.locator('#agents-body .state').first().textContent()).trim(), 'Available');
    assert.equal((await text(page, '#queue-chart-title')).trim(), 'Waiting requests (last hour)');
    await page.setViewportSize({ width: 360, height: 740 });
    await delay(300);
    await screenshot(page, 'admin-en-360');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.locator('#lang-toggle').click();
    assert.equal((await text(page, 'h1')).trim(), '상담 현황');
  });

  await t.test('a failed poll keeps the last figures and says so', async () => {
    await page.route('**/api/admin/stats', (route) => route.fulfill({
      status: 503, contentType: 'application/json', body: '{"error":"unavailable","message":"store down"}',
    }));
    await page.locator('#stats-error:not([hidden])').waitFor({ timeout: 5000 });
    assert.match(await text(page, '#stats-error'), /store down/);
    assert.equal((await text(page, '#rooms-open')).trim(), '1', 'last figures kept');
    await screenshot(page, 'admin-error');
    // No answer at all: said in the page's language, not the browser's "Failed to fetch".
    await page.unroute('**/api/admin/stats');
    await page.route('**/api/admin/stats', (route) => route.abort('connectionrefused'));
    await untilText(page, '#stats-error', /서버 응답 없음/, 5000);
    await page.unroute('**/api/admin/stats');
    await page.locator('#stats-error').waitFor({ state: 'hidden', timeout: 5000 });
  });

  await t.test('an answer with more (satisfaction, an hour of history) or less in it', async () => {
    const now = Date.now();
    const history = Array.from({ length: 121 }, (_, i) => ({
      t: new Date(now - (120 - i) * 30000).toISOString(),
      waiting: Math.max(0, Math.round(4 + 3 * Math.sin(i / 9) + (i % 7 === 0 ? 2 : 0))),
    }));
    const rich = {
      now: new Date(now).toISOString(),
      waiting: { count: 5, longestWaitMs: 185000 },
      agents: { available: 1, away: 1, offline: 0, reconnecting: 1, list: [
        { id: 'a1', name: '김상담 <img src=x onerror=alert(1)>', state: 'available', activeRooms: 3, maxRooms: 3 },
        { id: 'a2', name: 'Lee', state: 'away', activeRooms: 1, maxRooms: 3 },
        { id: 'a3', name: 'Park', state: 'reconnecting', activeRooms: 2, maxRooms: 3 },
      ] },
      rooms: { open: 6 }, messagesPerMinute: 42, bot: { asked: 40, failed: 3, failureRate: 0.075 },
      queueHistory: history, satisfaction: { count: 12, average: 4.25 },
    };
    let body = rich;
    await page.route('**/api/admin/stats', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) }));
    await untilText(page, '#satisfaction-average', /^4\.3 \/ 5$/);
    assert.equal((await text(page, '#waiting-detail')).trim(), '최장 대기 3:05');
    assert.equal(await page.locator('#card-waiting').getAttribute('data-level'), 'warn');
    assert.match(await text(page, '#bot-rate'), /^7\.5\s?%$/);
    assert.equal((await page.locator('#agents-body th').first().textContent()).trim(), '김상담 <img src=x onerror=alert(1)>');
    assert.equal(await page.locator('#agents-body img').count(), 0, 'names are text, never markup');
    // Available with 3 of 3 chats takes no new one: shown as full, not available.
    assert.match(await page.locator('#agents-body tr', { hasText: '김상담' }).innerText(), /가득 참/);
    assert.doesNotMatch(await page.locator('#agents-body tr', { hasText: '김상담' }).innerText(), /상담 가능/);
    await delay(300);
    await screenshot(page, 'admin-sample-1280');
    await page.setViewportSize({ width: 360, height: 740 });
    await delay(300);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-sample-360-full.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    // Nothing but an empty object: dashes, not zeros, and no script error.
    body = {};
    await untilText(page, '#rooms-open', '–');
    assert.ok(await page.locator('#card-satisfaction').isHidden());
    assert.equal((await text(page, '#queue-chart-desc')).trim(), '아직 대기열 기록이 없습니다.');
    await page.unroute('**/api/admin/stats');
    await untilText(page, '#rooms-open', '1');
  });

  await t.test('polling pauses while the page is hidden', async () => {
    let calls = 0;
    const count = (request) => {
      if (request.url().endsWith('/api/admin/stats')) calls += 1;
    };
    page.on('request', count);
    const setVisibility = (value) => page.evaluate((v) => {
      Object.defineProperty(document, 'visibilityState', { value: v, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }, value);
    await setVisibility('hidden');
    await delay(500);  // a poll already in flight may still go out
    const before = calls;
    await delay(4500);
    assert.equal(calls, before, 'no poll while hidden');
    await setVisibility('visible');
    await until(async () => calls, (n) => n > before, 'a poll once visible again', 1500);
    page.off('request', count);
  });

  await t.test('a reload resumes the session without the form', async () => {
    await page.reload();
    await page.locator('#dashboard:not([hidden])').waitFor();
    await untilText(page, '#rooms-open', '1');
  });

  await t.test('usable at 360 px', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await delay(500);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px too wide)`);
    const svgWidth = Number(await page.locator('#queue-chart svg').getAttribute('width'));
    assert.ok(svgWidth <= 340, `chart redrawn for the width (${svgWidth})`);
    await screenshot(page, 'admin-360');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-360-full.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'admin-1280-full.png'), fullPage: true });
  });

  await t.test('signing out returns to the form', async () => {
    await page.locator('#sign-out').click();
    await page.locator('#sign-in:not([hidden])').waitFor();
    assert.ok(await page.locator('#dashboard').isHidden());
    await page.reload();
    await page.locator('#sign-in:not([hidden])').waitFor();
    assert.deepEqual(realProblems(page), []);
    assert.deepEqual(page.dialogs, []);
  });
});
