// At most `max` model calls at once; up to `maxQueue` more wait their turn (each for at most
// `waitMs`), and beyond that a caller is refused at once, so a crowd gets a fast answer instead
// of a pile of timeouts.

'use strict';

class Limiter {
  constructor({ max, maxQueue }) {
    this.max = max;
    this.maxQueue = maxQueue;
    this.active = 0;
    this.queue = [];
  }

  get queued() {
    return this.queue.length;
  }

  // Resolves with a release function once a slot is free, or with null when the queue is full,
  // the wait took longer than `waitMs` or `signal` aborted.
  acquire({ waitMs, signal } = {}) {
    if (signal?.aborted) return Promise.resolve(null);
    if (this.active < this.max) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    if (this.queue.length >= this.maxQueue) return Promise.resolve(null);
    return new Promise((resolve) => {
      const entry = {};
      const settle = (value) => {
        clearTimeout(entry.timer);
        signal?.removeEventListener('abort', entry.leave);
        resolve(value);
      };
      entry.leave = () => {
        this.queue.splice(this.queue.indexOf(entry), 1);
        settle(null);
      };
      entry.grant = () => {
        this.active += 1;
        settle(this.releaser());
      };
      entry.timer = setTimeout(entry.leave, waitMs);
      signal?.addEventListener('abort', entry.leave, { once: true });
      this.queue.push(entry);
    });
  }

  // A function that frees the slot once, however often it is called.
  releaser() {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      this.queue.shift()?.grant();
    };
  }
}

module.exports = { Limiter };
