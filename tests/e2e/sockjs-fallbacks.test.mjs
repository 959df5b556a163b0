// sockjs-client in a real browser over each fallback transport (the ones browsers fall back to
// when WebSockets are blocked), against the SockJS protocol's echo service: the session binding
// (the aicc_sockjs cookie the browser keeps and sends back on every request of the session) and
// the iframe page must not get in the way of any of them.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { waitUntil } from '../integration/lib/util.mjs';
import { launchBrowser, openPage, startWebServer } from './lib/browser.mjs';

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

const TRANSPORTS = ['xhr-streaming', 'xhr-polling', 'eventsource', 'jsonp-polling', 'iframe-htmlfile', 'iframe-xhr-polling'];

test('sockjs-client echoes over every fallback transport, its session bound by cookie', { timeout: 150000 }, async (t) => {
  const server = await startWebServer(t, { settings: { 'sockjs.test-services': 'true' } });
  for (const transport of TRANSPORTS) {
    const page = await openPage(t, browser, `${server.httpUrl}/echo`);
    const sends = [];
    page.on('request', (request) => {
      if (/\/(xhr_send|jsonp_send)$/.test(new URL(request.url()).pathname)) sends.push(request);
    });
    await page.addScriptTag({ url: '/vendor/sockjs.min.js' });
    const result = await page.evaluate((name) => new Promise((resolve, reject) => {
      const sock = new globalThis.SockJS('/echo', null, { transports: [name] });
      const got = [];
      sock.onopen = () => sock.send('one');
      sock.onmessage = (event) => {
        got.push(event.data);
        if (got.length === 1) sock.send('two \u2028 ☃');
        if (got.length === 2) {
          globalThis.echoSocket = sock;
          resolve({ used: sock.transport, got });
        }
      };
      sock.onclose = (event) => {
        if (got.length < 2) reject(new Error(`closed ${event.code} ${event.reason} after ${got.length} messages`));
      };
      setTimeout(() => reject(new Error(`no echo over ${name} in time`)), 20000);
    }), transport);
    assert.equal(result.used, transport);
    assert.deepEqual(result.got, ['one', 'two \u2028 ☃'], transport);
    assert.ok(sends.length >= 1, `${transport}: sends seen ${sends.length}`);
    // The browser showed the session's cookie: after the grace, a request without it is refused.
    const session = new URL(sends[0].url()).pathname.replace(/\/(xhr_send|jsonp_send)$/, '');
    await waitUntil(async () => {
      const bare = await fetch(`${server.httpUrl}${session}/xhr_send`, { method: 'POST', body: '[]' });
      const text = await bare.text();
      return bare.status === 403 && /lacks its aicc_sockjs cookie/.test(text);
    }, { timeoutMs: 10000, intervalMs: 200, what: `${transport}: the session requires its cookie` });
    await page.evaluate(() => globalThis.echoSocket.close());
    assert.deepEqual(page.problems, [], transport);
  }
});
