// The supervisor page's Users section in a real browser against the real server, in Korean then
// English: an agent created with a generated password (shown once, copied, gone once closed; it
// signs in), a taken username refused with the server's words, a room limit changed, a password
// reset (the old one stops working), an agent disabled with a second click (and enabled again),
// and every change in the change log with the admin who made it.
//
//   node web/build.mjs --out build/web && node --test tests/e2e/user-admin.test.mjs
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import test from 'node:test';

import { login } from '../integration/lib/auth-http.mjs';
import { delay } from '../integration/lib/util.mjs';
import { launchBrowser, openPage, screenshot, startWebServer } from './lib/browser.mjs';

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

const text = async (page, selector) => (await page.locator(selector).textContent())?.trim() ?? '';
const untilText = (page, selector, expected) => until(() => text(page, selector),
  (value) => (expected instanceof RegExp ? expected.test(value) : value === expected), `${selector} text`);

// Refusals the test causes on purpose: no cookie on the first visit, a taken username, old
// passwords tried after a reset.
const EXPECTED_PROBLEMS = [
  /Failed to load resource/,
  /^HTTP 401 \/api\/auth\/refresh$/,
  /^HTTP 409 \/api\/admin\/users$/,
];
const realProblems = (page) => page.problems.filter((line) => !EXPECTED_PROBLEMS.some((pattern) => pattern.test(line)));

const row = (page, username) => page.locator(`#users-body tr[data-username="${username}"]`);

test('the supervisor page manages users', async (t) => {
  const server = await startWebServer(t);
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await openPage(t, browser, `${server.httpUrl}/admin`);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.httpUrl });
  // The demo admin (admin / 1234).
  await page.locator('#sign-in:not([hidden])').waitFor();
  await page.locator('#username').fill('admin');
  await page.locator('#password').fill('1234');
  await page.locator('#sign-in-button').click();
  await page.locator('#users:not([hidden])').waitFor();
  const username = `kim-${randomUUID().slice(0, 6)}`;

  await t.test('Korean: the list, and an agent created with a generated password shown once', async () => {
    assert.equal(await text(page, '#users-title'), '사용자 관리');
    await until(() => page.locator('#users-body tr').count(), (n) => n >= 3, 'the demo staff listed');
    assert.equal(await text(page, `${'#users-body tr[data-username="agent1"]'} td:nth-child(3)`), '상담원');

    const form = page.locator('#users-create');
    await form.getByLabel('로그인 ID').fill(username);
    await form.getByLabel('표시 이름').fill('김 상담원');
    await form.getByLabel('최대 상담 수').fill('2');
    await page.locator('#users-create-button').click();
    await untilText(page, '#users-notice', `${username} 계정을 만들었습니다.`);
    await page.locator('#users-secret:not([hidden])').waitFor();
    assert.match(await text(page, '#users-secret-text'), /한 번만 표시/);
    const generated = await text(page, '#users-secret-value');
    assert.match(generated, /^[A-Za-z2-9]{16}$/);
    await page.locator('#users-secret-copy').click();
    await untilText(page, '#users-secret-copied', '복사했습니다.');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), generated);
    await screenshot(page, 'admin-users-created');
    await page.locator('#users-secret-hide').click();
    assert.ok(await page.locator('#users-secret').isHidden());
    assert.equal(await text(page, '#users-secret-value'), '', 'forgotten once closed');
    assert.equal((await login(server, username, generated)).status, 200);

    const created = row(page, username);
    assert.equal(await text(page, `#users-body tr[data-username="${username}"] td:nth-child(2)`), '김 상담원');
    assert.equal(await created.locator('input.max-rooms').inputValue(), '2');
    // Markup in a name is text.
    assert.equal(await page.locator('#users-body img').count(), 0);

    // A taken username: said in Korean, with the server's own words.
    await page.locator('#users-create').getByLabel('로그인 ID').fill(username);
    await page.locator('#users-create-button').click();
    await untilText(page, '#users-notice', new RegExp(`${username} 계정을 만들지 못했습니다: 이미 있는 아이디입니다. \\(user ${username} already exists\\)`));
    assert.ok(await page.locator('#users-notice').evaluate((node) => node.classList.contains('error')));
  });

  await t.test('Korean: the room limit, and a disable that asks first', async () => {
    const created = row(page, username);
    await created.locator('input.max-rooms').fill('1');
    await created.locator('button[data-action="max-rooms"]').click();
    await untilText(page, '#users-notice', `${username}의 최대 상담 수를 바꿨습니다.`);
    await row(page, username).locator('button[data-action="disable"]').click();
    await untilText(page, '#users-notice', /한 번 더 누르세요/);
    assert.equal(await text(page, `#users-body tr[data-username="${username}"] button[data-action="disable"]`), '한 번 더 누르면 실행');
    await row(page, username).locator('button[data-action="disable"]').click();
    await untilText(page, '#users-notice', `${username} 계정을 사용 중지했습니다.`);
    assert.equal(await text(page, `#users-body tr[data-username="${username}"] td:nth-child(4)`), '사용 중지');
    const refused = await login(server, username, 'whatever password');
    assert.notEqual(refused.status, 200);
    // The filter shows it among the disabled only.
    await page.locator('#users-state-filter').selectOption('disabled');
    await until(() => page.locator('#users-body tr').count(), (n) => n === 1, 'only the disabled one');
    await page.locator('#users-state-filter').selectOption('');
    await row(page, username).locator('button[data-action="enable"]').click();
    await untilText(page, '#users-notice', `${username} 계정을 다시 사용할 수 있습니다.`);
  });

  await t.test('English: a password reset, and the change log', async () => {
    await page.locator('#lang-toggle').click();
    assert.equal(await text(page, '#users-title'), 'Users');
    assert.equal(await text(page, `#users-body tr[data-username="${username}"] td:nth-child(4)`), 'Active');
    const reset = row(page, username).locator('button[data-action="reset"]');
    await reset.click();
    await untilText(page, '#users-notice', /Click again to reset the password of/);
    await reset.click();
    await untilText(page, '#users-notice', `Reset the password of ${username}.`);
    await page.locator('#users-secret:not([hidden])').waitFor();
    assert.match(await text(page, '#users-secret-text'), /shown only this once/);
    const generated = await text(page, '#users-secret-value');
    assert.equal((await login(server, username, generated)).status, 200);

    // Newest first: who did what to whom, never the password.
    await until(() => text(page, '#users-audit-body tr:first-child td:nth-child(3)'), (v) => v === 'Password reset', 'the reset in the log');
    const first = page.locator('#users-audit-body tr').first();
    assert.equal((await first.locator('td').nth(1).textContent()).trim(), 'admin');
    assert.equal((await first.locator('td').nth(3).textContent()).trim(), username);
    const log = await text(page, '#users-audit');
    assert.match(log, /Created/);
    assert.match(log, /Disabled/);
    assert.match(log, /Max rooms changed/);
    assert.ok(!log.includes(generated), 'no password in the log');
    await screenshot(page, 'admin-users-en');

    // Back to Korean: the open password box is said in Korean too.
    await page.locator('#lang-toggle').click();
    assert.match(await text(page, '#users-secret-text'), /한 번만 표시/);
    assert.deepEqual(realProblems(page), []);
  });
});
