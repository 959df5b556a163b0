// Business hours against the binary: GET /api/consult/hours says whether agents are there and when
// that changes (public, no token); outside the hours, or on a holiday, a consult request is offered
// to leave a message at once, saying when agents are back, even with an agent signed in (who may
// still take it); a schedule that does not parse stops the start with the reason.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { newAgent, newCustomer, nextStatus, requestConsult, startCenter } from './lib/contact-center.mjs';
import { startServer } from './lib/server.mjs';

const TEST_TIMEOUT = 20000;
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_MS = 86_400_000;

// Midnight UTC `days` from today.
function utcMidnight(days) {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days);
}

async function hours(server) {
  const answer = await fetch(`${server.httpUrl}/api/consult/hours`);
  assert.equal(answer.status, 200);
  return answer.json();
}

describe('business hours', () => {
  it('around the clock by default', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t);
    assert.deepEqual(await hours(server), { alwaysOpen: true, open: true });
  });

  it('closed today: said before anyone asks, and offered to leave a message at once', { timeout: TEST_TIMEOUT }, async (t) => {
    // Open only on the day after tomorrow (UTC), all day.
    const day = DAYS[new Date(utcMidnight(2)).getUTCDay()];
    const server = await startCenter(t, {
      settings: { 'hours.weekly': `${day} 00:00-24:00`, 'hours.timezone': 'UTC', 'routing.mode': 'manual', 'bot.need-human': 'offer' },
    });
    const now = await hours(server);
    assert.equal(now.open, false);
    assert.equal(now.alwaysOpen, false);
    assert.equal(now.weekly, `${day} 00:00-24:00`);
    assert.equal(now.timeZone, 'UTC');
    assert.equal(Date.parse(now.opensAt), utcMidnight(2));
    assert.equal(now.closesAt, undefined);

    await newAgent(t, server, { name: 'Late' });  // signed in, yet outside the hours
    const customer = await newCustomer(t, server);
    const waiting = await requestConsult(customer);
    const offer = await nextStatus(customer, { requestId: waiting.requestId, offerLeaveMessage: true });
    assert.equal(offer.leaveReason, 'closed');
    assert.equal(Date.parse(offer.opensAt), utcMidnight(2));
  });

  it('a holiday closes a day that is otherwise open', { timeout: TEST_TIMEOUT }, async (t) => {
    const today = new Date(utcMidnight(0)).toISOString().slice(0, 10);
    const server = await startCenter(t, { settings: { 'hours.holidays': today, 'hours.timezone': 'UTC' } });
    const now = await hours(server);
    assert.equal(now.open, false);
    assert.equal(Date.parse(now.opensAt), utcMidnight(1));

    const tomorrow = new Date(utcMidnight(1)).toISOString().slice(0, 10);
    const open = await startCenter(t, { settings: { 'hours.holidays': tomorrow, 'hours.timezone': 'UTC' } });
    const later = await hours(open);
    assert.equal(later.open, true);
    assert.equal(Date.parse(later.closesAt), utcMidnight(1));
    assert.ok(Date.parse(later.closesAt) - Date.now() <= DAY_MS);
  });

  it('a schedule, holiday or time zone that does not parse stops the start, saying why', { timeout: TEST_TIMEOUT }, async () => {
    for (const [key, value, why] of [
      ['hours.weekly', 'mon 25:00-26:00', /hours:/],
      ['hours.weekly', 'someday 09:00-10:00', /hours:/],
      ['hours.holidays', '2026-02-30', /hours:/],
      ['hours.timezone', '../../etc/passwd', /hours:/],
      ['hours.timezone', 'Mars/Olympus_Mons', /hours:/],
    ]) {
      await assert.rejects(startServer({ settings: { [key]: value } }), (error) => {
        assert.match(error.message, /"code":2/, `${key}=${value}`);
        assert.match(error.message, /configuration error/);
        assert.match(error.message, why);
        return true;
      });
    }
  });
});
