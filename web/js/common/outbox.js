// Messages the user wrote, kept until the server confirms them (a STOMP RECEIPT, which the server
// sends only once the message is stored), sent again after every reconnect with the same
// clientMessageId, which the server stores once. Kept in sessionStorage too, so a page reloaded
// while offline still sends them. A refusal on /user/queue/errors answers a send instead of its
// RECEIPT (it carries the send's receiptId): one that says "later" (rate_limited,
// store_unavailable) sends the message again after the wait it names; any other drops it.

// Refusals after which the same message may be sent again.
const RETRYABLE = new Set(['rate_limited', 'store_unavailable']);
const DEFAULT_RETRY_MS = 2000;

export class Outbox {
  constructor(session, { storageKey, onConfirmed = () => {}, onRefused = () => {} }) {
    this.session = session;
    this.storageKey = storageKey;
    this.onConfirmed = onConfirmed;
    this.onRefused = onRefused;
    this.items = new Map();  // clientMessageId -> { destination, body, writtenAt }
    this.receipts = new Map();  // receipt id of a send in flight -> clientMessageId
    this.nextReceipt = 1;
    for (const item of this.#load()) this.items.set(item.body.clientMessageId, item);
  }

  // What is still unconfirmed, oldest first (to show as "sending" after a reload).
  pending() {
    return [...this.items.values()];
  }

  send(destination, body) {
    const item = { destination, body, writtenAt: new Date().toISOString() };
    this.items.set(body.clientMessageId, item);
    this.#save();
    if (this.session.connected) this.#publish(item);
  }

  // Call on every 'connected': whatever has no receipt yet goes (again).
  flush() {
    for (const item of this.items.values()) this.#publish(item);
  }

  // Drop what can no longer be delivered (e.g. the room closed meanwhile).
  discard(predicate) {
    for (const [id, item] of this.items) if (predicate(item)) this.items.delete(id);
    this.#save();
  }

  // A refusal from /user/queue/errors. True when it answered one of our sends (then it is handled
  // here: retried later, or dropped and reported with onRefused(item, error)).
  refused(error) {
    const id = this.receipts.get(error?.receiptId);
    if (id === undefined) return false;
    this.receipts.delete(error.receiptId);
    const item = this.items.get(id);
    if (!item) return true;
    if (RETRYABLE.has(error.code)) {
      const wait = Number.isFinite(error.retryAfterMs) ? error.retryAfterMs : DEFAULT_RETRY_MS;
      setTimeout(() => {
        if (this.items.get(id) === item && this.session.connected) this.#publish(item);
      }, wait);
      return true;
    }
    this.items.delete(id);
    this.#save();
    this.onRefused(item, error);
    return true;
  }

  #publish(item) {
    const id = item.body.clientMessageId;
    const receipt = `outbox-${this.nextReceipt++}`;
    this.receipts.set(receipt, id);
    this.session.publish(item.destination, item.body, { receipt }, {
      onReceipt: () => {
        this.receipts.delete(receipt);
        if (!this.items.delete(id)) return;
        this.#save();
        this.onConfirmed(item);
      },
    });
  }

  #load() {
    try {
      const parsed = JSON.parse(sessionStorage.getItem(this.storageKey) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter((item) => item?.body?.clientMessageId && item.destination) : [];
    } catch {
      return [];
    }
  }

  #save() {
    try {
      sessionStorage.setItem(this.storageKey, JSON.stringify([...this.items.values()]));
    } catch {
      // No storage: the messages still go out while this page lives.
    }
  }
}
