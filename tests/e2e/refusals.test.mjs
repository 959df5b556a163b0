// Refusals in the page's language: the server refuses with a code and parameters (a wait, the room
// limit) and English words for logs; the pages say it in Korean or English from the code, never
// the server's English in a Korean page.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, openPage, startWebServer } from './lib/browser.mjs';
import { agentSignIn, assertNoPageProblems } from './lib/pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

async function failSignIn(page, password) {
  await page.locator('#login-username').fill('agent1');
  await page.locator('#login-password').fill(password);
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('#login-error:not([hidden])').waitFor();
  const text = await page.locator('#login-error').textContent();
  await page.evaluate(() => { document.getElementById('login-error').hidden = true; });
  return text;
}

test('sign-in refusals are said in the page\'s language, with the wait in words', { timeout: 60000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'auth.login-attempts-per-user': '2', 'auth.login-window': '600' } });
  const korean = await openPage(t, browser, `${server.httpUrl}/agent`);
  await korean.locator('#login-form').waitFor();
  assert.equal(await failSignIn(korean, 'wrong-1'), '로그인하지 못했습니다: 아이디 또는 비밀번호가 올바르지 않습니다.');
  const english = await openPage(t, browser, `${server.httpUrl}/agent?lang=en`);
  await english.locator('#login-form').waitFor();
  assert.equal(await failSignIn(english, 'wrong-2'), 'Could not sign in: Wrong username or password.');
  // Throttled: the wait the server named (Retry-After), in minutes, in each language.
  assert.match(await failSignIn(korean, 'wrong-3'), /^로그인하지 못했습니다: 요청이 너무 많습니다\. \d+분 후에 다시 시도하세요\.$/);
  assert.match(await failSignIn(english, 'wrong-4'), /^Could not sign in: Too many attempts\. Try again in \d+ min\.$/);

  // The widget's member sign-in too.
  const widget = await openPage(t, browser, `${server.httpUrl}/widget?lang=en`);
  await widget.locator('body[data-ready=true]').waitFor();
  await widget.locator('#account').click();
  await widget.locator('#signin-username').fill('user1');
  await widget.locator('#signin-password').fill('wrong');
  await widget.keyboard.press('Enter');
  await widget.locator('.signin-form .form-error:not([hidden])').waitFor();
  assert.equal(await widget.locator('.signin-form .form-error').textContent(), 'Could not sign in: Wrong username or password.');
  for (const page of [korean, english, widget]) {
    page.problems = page.problems.filter((p) => !/^HTTP (401|429) \/api\/auth\/login$/.test(p));
    assertNoPageProblems(page);
  }
});

test('a refused accept names the room limit in the console\'s language', { timeout: 60000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'routing.mode': 'manual', 'routing.max-rooms-per-agent': '1' } });
  const agent = await openPage(t, browser, `${server.httpUrl}/agent`);
  await agentSignIn(agent, 'agent1');
  for (let i = 0; i < 2; i += 1) {
    const widget = await openPage(t, browser, `${server.httpUrl}/widget`);
    await widget.locator('body[data-ready=true]').waitFor();
    await widget.locator('#request-agent').click();
    await widget.locator('#banner-text', { hasText: '대기' }).waitFor();
  }
  await agent.locator('#queue .request').nth(1).waitFor();
  await agent.locator('#queue .request .accept').first().click();
  await agent.locator('.room-tab').waitFor();
  await agent.locator('#queue .request .accept').first().click();
  const toast = agent.locator('.toast--error').last();
  await toast.waitFor();
  assert.equal(await toast.textContent(), '동시에 맡을 수 있는 상담(1개)을 모두 맡고 있습니다. 하나를 먼저 종료하세요.');
  assertNoPageProblems(agent);
});
