// A queue of received items (frames, messages) that tests wait on with a predicate and a timeout.

export class Inbox {
  constructor(what = 'item') {
    this.what = what;
    this.all = [];        // every item ever received, in order
    this.unclaimed = [];  // items no next() call has taken yet
    this.waiters = [];    // { predicate, resolve, reject, timer }
    this.failure = null;  // set by fail(): later waits reject at once
  }

  push(item) {
    this.all.push(item);
    const index = this.waiters.findIndex((waiter) => waiter.predicate(item));
    if (index >= 0) {
      const [waiter] = this.waiters.splice(index, 1);
      clearTimeout(waiter.timer);
      waiter.resolve(item);
      return;
    }
    this.unclaimed.push(item);
  }

  // The first unclaimed item matching `predicate`, now or when it arrives.
  next(predicate = () => true, timeoutMs = 5000, description = this.what) {
    const index = this.unclaimed.findIndex(predicate);
    if (index >= 0) return Promise.resolve(this.unclaimed.splice(index, 1)[0]);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve, reject, timer: null };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  // Whether an item matching `predicate` has arrived (claimed or not); does not claim it.
  find(predicate) {
    return this.all.find(predicate);
  }

  // Resolves with all items once at least `count` have arrived.
  async waitForCount(count, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (this.all.length < count) {
      if (this.failure) throw this.failure;
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms: ${this.all.length} of ${count} ${this.what}s arrived`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.all;
  }

  // Nothing more will arrive (the connection closed): pending and later waits reject with `error`.
  fail(error) {
    this.failure = error;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}
