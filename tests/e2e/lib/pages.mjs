// What a person does on each page, as small steps the browser tests share.

import assert from 'node:assert/strict';

export const WIDGET_FRAME = 'iframe[data-aicc-widget]';

// The customer widget on a page that embeds it with /widget.js: waits until the widget signed in
// and read the conversation so far, and opens it (a reloaded page shows it open when it was left
// open).
export async function openWidget(page) {
  const frame = page.frameLocator(WIDGET_FRAME);
  await frame.locator('body[data-ready=true]').waitFor();
  if (await frame.locator('#bubble').isVisible()) await frame.locator('#bubble').click();
  await frame.locator('#panel').waitFor();
  return frame;
}

export async function customerSays(widget, text) {
  await widget.locator('#input').fill(text);
  await widget.locator('#input').press('Enter');
}

// The texts of the messages shown, in order ("notice" lines included).
export async function messageTexts(container) {
  return container.locator('.msg .msg-text').allTextContents();
}

export async function waitForMessage(container, text, { role, timeout = 10000 } = {}) {
  const selector = role ? `.msg--${role} .msg-text` : '.msg .msg-text';
  await container.locator(selector, { hasText: text }).first().waitFor({ timeout });
}

// Signs in on /agent and waits for the workspace to be connected.
export async function agentSignIn(page, username, password = '1234') {
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('body[data-ready=true]').waitFor();
  await page.locator('#connection[data-state=connected]').waitFor();
}

export function activeRoom(page) {
  return page.locator('.room-panel:not([hidden])');
}

export async function agentSays(page, text) {
  const input = activeRoom(page).locator('.room-input');
  await input.fill(text);
  await input.press('Enter');
}

export function count(texts, text) {
  return texts.filter((t) => t === text).length;
}

export function assertNoPageProblems(page) {
  // A 401 from the sign-in probe of a console (no refresh cookie yet) is expected; nothing else.
  const problems = page.problems.filter((p) => p !== 'HTTP 401 /api/auth/refresh');
  assert.deepEqual(problems, [], 'no script errors on the page');
  assert.deepEqual(page.dialogs, [], 'no alert/confirm dialogs');
}

// Ends the active chat of the console: "End chat", then the confirmation under the header.
export async function closeActiveRoom(page) {
  await activeRoom(page).locator('.close-room').click();
  await activeRoom(page).locator('.confirm-close').click();
}

// Hands the active chat to `agentId` (or, with null, back to the queue), with an optional note.
export async function transferActiveRoom(page, agentId, note = '') {
  await activeRoom(page).locator('.open-transfer').click();
  const target = activeRoom(page).locator('.transfer-target');
  const value = agentId ?? '::queue';
  await page.waitForFunction((v) => [...document.querySelectorAll('.room-panel:not([hidden]) .transfer-target option')]
    .some((o) => o.value === v && !o.disabled), value);
  await target.selectOption(value);
  if (note) await activeRoom(page).locator('.transfer-note').fill(note);
  await activeRoom(page).locator('.confirm-transfer').click();
}
