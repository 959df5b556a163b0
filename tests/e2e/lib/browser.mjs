// Browser tests: Debian's Chromium, headless, driven by playwright-core (nothing is downloaded at
// run time), against the real server serving the web root that `make` built (build/web).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { chromium } from 'playwright-core';

import { repoRoot, startServer } from '../../integration/lib/server.mjs';

export const CHROMIUM = process.env.AICC_CHROMIUM ?? '/usr/bin/chromium';
// Pages built by make, beside the binary under test.
// (Relative paths are taken from the repository: the server runs in a folder of its own.)
export const WEB_ROOT = resolve(repoRoot, process.env.AICC_WEB_ROOT ?? join('build', 'web'));
// Screenshots the tests take; the README's copies live in docs/screenshots/.
export const SCREENSHOT_DIR = resolve(repoRoot, process.env.AICC_SCREENSHOT_DIR ?? join('build', 'screenshots'));

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-default-apps', '--no-first-run', '--metrics-recording-only', '--mute-audio',
];

// One browser for a test file; closed when the file's tests end.
export async function launchBrowser() {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: run scripts/install-deps.sh --test`);
  assert.ok(existsSync(join(WEB_ROOT, 'widget.html')), `no built web root at ${WEB_ROOT}: run make build`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

// The server with the built pages, demo users (user1, agent1, agent2, admin; password 1234) and
// short routing delays; stopped when test `t` ends.
export async function startWebServer(t, { settings = {} } = {}) {
  const server = await startServer({
    args: ['--demo'],
    settings: { 'server.web-root': WEB_ROOT, 'routing.auto-assign-after': '3', 'routing.agent-grace': '5', ...settings },
  });
  t.after(async () => {
    const result = await server.stop();
    assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
  });
  return server;
}

// A fresh browser context (its own cookies and storage: one person) with a page; console errors
// and uncaught page errors are collected in page.problems, and a dialog (alert) fails the test.
export async function openPage(t, browser, url, { viewport = { width: 1280, height: 800 }, locale = 'ko-KR' } = {}) {
  const context = await browser.newContext({ viewport, locale });
  t.after(() => context.close());
  const page = await context.newPage();
  page.problems = [];
  page.dialogs = [];
  page.on('pageerror', (error) => page.problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // Failed loads are reported below with their address.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      page.problems.push(`console: ${message.text()}`);
    }
  });
  page.on('response', (response) => {
    if (response.status() >= 400) page.problems.push(`HTTP ${response.status()} ${new URL(response.url()).pathname}`);
  });
  page.on('dialog', async (dialog) => {
    page.dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  if (url) await page.goto(url);
  return page;
}

export async function screenshot(page, name) {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
