// Messages the user wrote, kept until the server confirms them (a STOMP RECEIPT), sent again after
// every reconnect with the same clientMessageId, which the server stores once. Kept in
// sessionStorage too, so a page reloaded while offline still sends them.

export class Outbox {
  constructor(session, { storageKey, onConfirmed = () => {} }) {
    this.session = session;
    this.storageKey = storageKey;
    this.onConfirmed = onConfirmed;
    this.items = new Map();  // clientMessageId -> { destination, body, writtenAt }
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

  #publish(item) {
    const id = item.body.clientMessageId;
    this.session.publish(item.destination, item.body, {}, {
      onReceipt: () => {
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
