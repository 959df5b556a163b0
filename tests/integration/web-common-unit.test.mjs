// Unit tests of the pages' shared modules in web/js/common/ without a server or a browser:
// Outbox (web/js/common/outbox.js) against a fake ChatSession and a fake sessionStorage, and the
// history form's query (web/js/common/history.js).
//
// These run with the integration tests because they share their runner; they need no binary.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { historyParameters } from '../../web/js/common/history.js';
import { Outbox } from '../../web/js/common/outbox.js';

// ---- fakes ---------------------------------------------------------------------------------------

// The Storage methods Outbox uses, over a Map; `failing` makes setItem throw (a full quota, or
// storage refused by the browser).
class FakeStorage {
  constructor() {
    this.map = new Map();
    this.failing = false;
    this.writes = 0;
  }

  getItem(key) {
    return this.map.has(key) ? this.map.get(key) : null;
  }

  setItem(key, value) {
    if (this.failing) throw new Error('QuotaExceededError');
    this.writes += 1;
    this.map.set(key, String(value));
  }

  removeItem(key) {
    this.map.delete(key);
  }

  clear() {
    this.map.clear();
  }
}

// The part of ChatSession that Outbox uses: `connected` and publish(destination, body, headers,
// { onReceipt }). `published` records every call; receipt(i) plays the server's RECEIPT of call i.
function fakeSession({ connected = true } = {}) {
  const session = {
    connected,
    published: [],
    publish(destination, body, headers = {}, { onReceipt } = {}) {
      session.published.push({ destination, body, headers, onReceipt });
      return true;
    },
    receipt(index) {
      session.published[index].onReceipt();
    },
    texts() {
      return session.published.map((entry) => entry.body.text);
    },
  };
  return session;
}

const KEY = 'aicc.outbox.test';

function stored(storage) {
  return JSON.parse(storage.getItem(KEY) ?? 'null');
}

function message(id, text = id, roomId = 'r1') {
  return { roomId, text, clientMessageId: id };
}

let storage;
let saved;
beforeEach(() => {
  saved = Object.getOwnPropertyDescriptor(globalThis, 'sessionStorage');
  storage = new FakeStorage();
  Object.defineProperty(globalThis, 'sessionStorage', { configurable: true, writable: true, value: storage });
});
afterEach(() => {
  if (saved) Object.defineProperty(globalThis, 'sessionStorage', saved);
  else delete globalThis.sessionStorage;
});

// ---- Outbox --------------------------------------------------------------------------------------

describe('Outbox', () => {
  it('send() publishes at once when connected, with an onReceipt callback and its own receipt id', () => {
    const session = fakeSession();
    const outbox = new Outbox(session, { storageKey: KEY });
    outbox.send('/app/room.send', message('c1', 'hello'));
    assert.equal(session.published.length, 1);
    const [sent] = session.published;
    assert.equal(sent.destination, '/app/room.send');
    assert.deepEqual(sent.body, message('c1', 'hello'));
    assert.match(sent.headers.receipt, /^outbox-\d+$/);
    assert.equal(typeof sent.onReceipt, 'function');
    assert.deepEqual(outbox.pending().map((item) => item.body.clientMessageId), ['c1']);
  });

  it('send() holds the message while not connected; flush() sends it', () => {
    const session = fakeSession({ connected: false });
    const outbox = new Outbox(session, { storageKey: KEY });
    outbox.send('/app/room.send', message('c1'));
    assert.equal(session.published.length, 0);
    assert.equal(outbox.pending().length, 1);
    session.connected = true;
    outbox.flush();
    assert.deepEqual(session.texts(), ['c1']);
  });

  it('a receipt removes the item and calls onConfirmed once, with the item', () => {
    const session = fakeSession();
    const confirmed = [];
    const outbox = new Outbox(session, { storageKey: KEY, onConfirmed: (item) => confirmed.push(item) });
    outbox.send('/app/room.send', message('c1', 'hello'));
    session.receipt(0);
    assert.equal(confirmed.length, 1);
    assert.equal(confirmed[0].destination, '/app/room.send');
    assert.deepEqual(confirmed[0].body, message('c1', 'hello'));
    assert.equal(typeof confirmed[0].writtenAt, 'string');
    assert.deepEqual(outbox.pending(), []);
    assert.deepEqual(stored(storage), []);
    session.receipt(0);  // a duplicate RECEIPT changes nothing
    assert.equal(confirmed.length, 1);
  });

  it('flush() sends again, in order, whatever has no receipt yet, with the same clientMessageId', () => {
    const session = fakeSession();
    const outbox = new Outbox(session, { storageKey: KEY });
    outbox.send('/app/room.send', message('c1'));
    outbox.send('/app/room.send', message('c2'));
    outbox.send('/app/room.send', message('c3'));
    session.receipt(1);  // c2 confirmed; c1 and c3 were lost with the connection
    outbox.flush();
    assert.deepEqual(session.texts(), ['c1', 'c2', 'c3', 'c1', 'c3']);
    assert.deepEqual(session.published.slice(3).map((entry) => entry.body.clientMessageId), ['c1', 'c3']);
  });

  it('when both the first send and the resend are confirmed, onConfirmed still runs once', () => {
    const session = fakeSession();
    let confirmed = 0;
    const outbox = new Outbox(session, { storageKey: KEY, onConfirmed: () => { confirmed += 1; } });
    outbox.send('/app/room.send', message('c1'));
    outbox.flush();
    session.receipt(1);
    session.receipt(0);
    assert.equal(confirmed, 1);
    assert.deepEqual(outbox.pending(), []);
  });

  it('unconfirmed items survive in sessionStorage: a new Outbox (a reloaded page) has them and flushes them', () => {
    const first = fakeSession({ connected: false });
    const before = new Outbox(first, { storageKey: KEY });
    before.send('/app/room.send', message('c1', 'one'));
    before.send('/app/room.send', message('c2', 'two'));
    assert.deepEqual(stored(storage).map((item) => item.body.clientMessageId), ['c1', 'c2']);

    const second = fakeSession();
    const confirmed = [];
    const after = new Outbox(second, { storageKey: KEY, onConfirmed: (item) => confirmed.push(item.body.text) });
    assert.deepEqual(after.pending().map((item) => item.body.text), ['one', 'two']);
    assert.equal(second.published.length, 0, 'loading sends nothing by itself');
    after.flush();
    assert.deepEqual(second.texts(), ['one', 'two']);
    second.receipt(0);
    assert.deepEqual(confirmed, ['one']);
    assert.deepEqual(stored(storage).map((item) => item.body.text), ['two']);
  });

  it('another storageKey keeps its own items', () => {
    new Outbox(fakeSession({ connected: false }), { storageKey: KEY }).send('/app/room.send', message('c1'));
    const other = new Outbox(fakeSession(), { storageKey: `${KEY}.other` });
    assert.deepEqual(other.pending(), []);
  });

  it('ignores stored data that is not JSON or not a list of items', () => {
    storage.setItem(KEY, '{not json');
    assert.deepEqual(new Outbox(fakeSession(), { storageKey: KEY }).pending(), []);
    storage.setItem(KEY, JSON.stringify({ items: [] }));
    assert.deepEqual(new Outbox(fakeSession(), { storageKey: KEY }).pending(), []);
    storage.setItem(KEY, JSON.stringify([
      null,
      { destination: '/app/room.send', body: { text: 'no id' } },
      { body: message('c0') },
      { destination: '/app/room.send', body: message('c1'), writtenAt: '2026-01-02T03:04:05.678Z' },
    ]));
    assert.deepEqual(new Outbox(fakeSession(), { storageKey: KEY }).pending().map((item) => item.body.clientMessageId), ['c1']);
  });

  it('discard() drops the matching items from memory and storage; their late receipts confirm nothing', () => {
    const session = fakeSession();
    const confirmed = [];
    const outbox = new Outbox(session, { storageKey: KEY, onConfirmed: (item) => confirmed.push(item.body.clientMessageId) });
    outbox.send('/app/room.send', message('c1', 'a', 'r1'));
    outbox.send('/app/room.send', message('c2', 'b', 'r2'));
    outbox.discard((item) => item.body.roomId === 'r1');
    assert.deepEqual(outbox.pending().map((item) => item.body.clientMessageId), ['c2']);
    assert.deepEqual(stored(storage).map((item) => item.body.clientMessageId), ['c2']);
    session.receipt(0);
    assert.deepEqual(confirmed, []);
    outbox.flush();
    assert.deepEqual(session.published.slice(2).map((entry) => entry.body.clientMessageId), ['c2']);
  });

  it('keeps working in memory when storage refuses writes or is missing', () => {
    storage.failing = true;
    const session = fakeSession();
    let confirmed = 0;
    const outbox = new Outbox(session, { storageKey: KEY, onConfirmed: () => { confirmed += 1; } });
    outbox.send('/app/room.send', message('c1'));
    assert.equal(outbox.pending().length, 1);
    session.receipt(0);
    assert.equal(confirmed, 1);

    delete globalThis.sessionStorage;  // a sandboxed frame: reading it throws a ReferenceError here
    const bare = fakeSession({ connected: false });
    const memoryOnly = new Outbox(bare, { storageKey: KEY });
    memoryOnly.send('/app/room.send', message('c2'));
    bare.connected = true;
    memoryOnly.flush();
    assert.deepEqual(bare.texts(), ['c2']);
  });

  it('a refusal that says "later" sends the same message again after retryAfterMs', async () => {
    const session = fakeSession();
    const outbox = new Outbox(session, { storageKey: KEY });
    outbox.send('/app/room.send', message('c1', 'hello'));
    const receipt = session.published[0].headers.receipt;
    assert.equal(outbox.refused({ code: 'rate_limited', receiptId: receipt, retryAfterMs: 20 }), true);
    assert.equal(session.published.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(session.published.length, 2);
    assert.deepEqual(session.published[1].body, message('c1', 'hello'));
    assert.notEqual(session.published[1].headers.receipt, receipt);
    assert.deepEqual(outbox.pending().map((item) => item.body.clientMessageId), ['c1']);
    session.receipt(1);
    assert.deepEqual(outbox.pending(), []);
  });

  it('any other refusal drops the message and reports it; refusals of other sends are not ours', () => {
    const session = fakeSession();
    const refused = [];
    const outbox = new Outbox(session, { storageKey: KEY, onRefused: (item, error) => refused.push([item, error]) });
    outbox.send('/app/room.send', message('c1'));
    outbox.send('/app/room.send', message('c2'));
    assert.equal(outbox.refused({ code: 'room_closed', receiptId: 'someone-else' }), false);
    assert.equal(outbox.refused({ code: 'room_closed', receiptId: session.published[0].headers.receipt }), true);
    assert.deepEqual(outbox.pending().map((item) => item.body.clientMessageId), ['c2']);
    assert.deepEqual(stored(storage).map((item) => item.body.clientMessageId), ['c2']);
    assert.equal(refused.length, 1);
    assert.equal(refused[0][0].body.clientMessageId, 'c1');
    assert.equal(refused[0][1].code, 'room_closed');
  });
});

describe('historyParameters', () => {
  it('leaves out what the form left empty', () => {
    assert.equal(historyParameters({ q: '  ', from: '', to: '', agentId: '', category: '', rating: '', state: '' }).toString(), '');
  });

  it('takes the browser\'s days: from the start of the first to the end of the last', () => {
    const params = historyParameters({ from: '2026-12-01', to: '2026-12-05' });
    assert.equal(Number(params.get('from')), new Date(2026, 11, 1).getTime());
    assert.equal(Number(params.get('to')), new Date(2026, 11, 6).getTime());
    assert.equal(historyParameters({ from: '12/01/2026' }).get('from'), null);  // not a date input's value
  });

  it("says a rating as the server's bounds", () => {
    assert.deepEqual(Object.fromEntries(historyParameters({ rating: '4' })), { minRating: '4', maxRating: '4' });
    assert.deepEqual(Object.fromEntries(historyParameters({ rating: 'low' })), { maxRating: '2' });
    assert.deepEqual(Object.fromEntries(historyParameters({ rating: 'unrated' })), { unrated: '1' });
    assert.deepEqual(Object.fromEntries(historyParameters({ rating: '9' })), {});
  });

  it('keeps words, agent, category and state as given, trimmed', () => {
    assert.deepEqual(Object.fromEntries(historyParameters({ q: ' 환불 영수증 ', agentId: 'agent1', category: 'refund', state: 'closed' })),
      { q: '환불 영수증', agentId: 'agent1', category: 'refund', state: 'closed' });
  });
});
