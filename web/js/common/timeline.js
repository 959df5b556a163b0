// The list of chat messages of a page (widget or console): one entry per message however often
// it arrives (live, replayed after a reconnect, read from history), kept in time order, with the
// sender's name, the time, "sending" while unconfirmed and "read" once the other side read it.
// Every text is set as text nodes; web addresses in messages become safe links (links.js).
//
// The list follows new messages while the reader is at its end; one who scrolled up to read stays
// where they are, and a "new messages" button under the list counts what arrived meanwhile (a
// click, or scrolling back down, goes to the end).
//
// The list is a live region (role=log): an entry that changes (confirmed, read, another language)
// is updated in place, never replaced, so a screen reader does not read the message again. Only
// the parts that changed are touched (the text only when it is another text), and a node is
// moved only when its confirmed time puts it elsewhere.
import { clockTime, el } from './dom.js';
import { linkify } from './links.js';

const NEAR_BOTTOM_PX = 80;
const shownText = new WeakMap();  // a message's text node -> the text it shows

export class Timeline {
  // `list`: the <ol>. `lang()`: the current language for times. `texts()`: { sending, read,
  // failed?, newMessages? (the button's words, given the count) }.
  constructor(list, { lang, texts }) {
    this.list = list;
    this.lang = lang;
    this.texts = texts;
    this.entries = new Map();  // key -> { item, node }
    this.byClientId = new Map();  // clientMessageId -> key
    this.unseen = 0;  // messages that arrived while the reader was scrolled up
    this.marker = el('button', { type: 'button', class: 'new-messages', hidden: true });
    this.marker.addEventListener('click', () => {
      this.scrollToEnd();
      this.list.focus?.();
    });
    list.after(this.marker);
    this.atEnd = true;  // the reader is at the list's end (as of the last scroll)
    list.addEventListener('scroll', () => {
      this.atEnd = this.#nearBottom();
      if (this.unseen > 0 && this.atEnd) this.#setUnseen(0);
    });
    // A list made smaller (the window, the composer growing) keeps a reader at its end there.
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => {
        if (this.atEnd) this.list.scrollTop = this.list.scrollHeight;
      }).observe(list);
    }
  }

  get size() {
    return this.entries.size;
  }

  has(key) {
    return this.entries.has(key);
  }

  // item: { key, clientMessageId?, mine, role, name?, text, timestamp?, seq?, stream?, pending?,
  // read?, failed? (not sent, and never will be), files? (a node of the message's files, under
  // the text), action? (a node shown under them) }.
  // Fields not given keep their value for an entry already shown. Returns true when the item is new.
  upsert(item) {
    const pendingKey = item.clientMessageId ? this.byClientId.get(item.clientMessageId) : undefined;
    const existingKey = this.entries.has(item.key) ? item.key : pendingKey;
    if (existingKey !== undefined) {
      const entry = this.entries.get(existingKey);
      if (!entry.item.pending && item.pending) return false;  // confirmed already
      const merged = { ...entry.item, ...item };
      if (!merged.pending && item.pending === false) merged.failed = item.failed ?? false;
      if (existingKey !== item.key) {
        this.entries.delete(existingKey);
        if (entry.item.clientMessageId && entry.item.clientMessageId !== merged.clientMessageId) {
          this.byClientId.delete(entry.item.clientMessageId);
        }
      }
      this.#update(entry.node, merged, entry.item);
      this.entries.set(item.key, { item: merged, node: entry.node });
      if (merged.clientMessageId) this.byClientId.set(merged.clientMessageId, item.key);
      this.#keepOrder(merged, entry.node);
      return false;
    }
    const stick = this.#nearBottom();
    const node = this.#render(item);
    this.#insert(item, node);
    this.entries.set(item.key, { item, node });
    if (item.clientMessageId) this.byClientId.set(item.clientMessageId, item.key);
    if (stick || item.mine) {
      this.scrollToEnd();
    } else if (item.role !== 'notice') {
      this.#setUnseen(this.unseen + 1);
    }
    return true;
  }

  // A line from the page itself, at `timestamp` (now by default; "" puts it first).
  notice(text, key = `notice-${this.entries.size}-${Date.now()}`, timestamp = new Date().toISOString()) {
    return this.upsert({ key, role: 'notice', text, timestamp });
  }

  remove(key) {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.node.remove();
    this.entries.delete(key);
    if (entry.item.clientMessageId && this.byClientId.get(entry.item.clientMessageId) === key) {
      this.byClientId.delete(entry.item.clientMessageId);
    }
  }

  // The other side read `stream` up to `seq`: mark my messages there.
  markRead(stream, seq) {
    for (const [key, entry] of this.entries) {
      const { item } = entry;
      if (item.mine && !item.read && item.stream === stream && item.seq !== undefined && item.seq <= seq) {
        this.upsert({ ...item, key, read: true });
      }
    }
  }

  // The unconfirmed messages of `stream` (a room that ended) will never be sent: say so.
  markFailed(stream) {
    for (const [key, entry] of this.entries) {
      const { item } = entry;
      if (item.pending && item.stream === stream) {
        const updated = { ...item, pending: false, failed: true };
        this.#update(entry.node, updated, item);
        this.entries.set(key, { item: updated, node: entry.node });
      }
    }
  }

  // The highest seq of `stream` among messages of `role` (e.g. the customer's, to send a read).
  lastSeq(stream, role) {
    let seq = 0;
    for (const { item } of this.entries.values()) {
      if (item.stream === stream && item.role === role && !item.pending && item.seq > seq) seq = item.seq;
    }
    return seq;
  }

  // Shows every entry again in the current language (times and "sending"/"read"), in place.
  refresh() {
    for (const entry of this.entries.values()) this.#update(entry.node, entry.item, entry.item);
    this.#setUnseen(this.unseen);
  }

  clear() {
    for (const { node } of this.entries.values()) node.remove();
    this.entries.clear();
    this.byClientId.clear();
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
    this.atEnd = true;
    this.#setUnseen(0);
  }

  #setUnseen(count) {
    this.unseen = count;
    this.marker.hidden = count === 0;
    if (count > 0) {
      const words = this.texts().newMessages;
      this.marker.textContent = typeof words === 'function' ? words(count) : `${words ?? '↓'} (${count})`;
    }
  }

  #nearBottom() {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < NEAR_BOTTOM_PX;
  }

  // Time order; unconfirmed messages stay last, in the order they were written.
  #insert(item, node) {
    if (!item.pending && item.timestamp !== undefined) {
      for (let other = this.list.lastElementChild; other; other = other.previousElementSibling) {
        if (other === node || other.dataset.pending === 'true') continue;
        if ((other.dataset.timestamp ?? '') <= item.timestamp) {
          other.after(node);
          return;
        }
      }
      this.list.prepend(node);
      return;
    }
    this.list.append(node);
  }

  // An entry confirmed in place may now belong elsewhere (its server time is earlier than a
  // message shown above it, or it still sits among the unconfirmed ones): moved only then.
  #keepOrder(item, node) {
    if (item.pending || item.timestamp === undefined || node.parentNode !== this.list) return;
    let before = node.previousElementSibling;
    let pendingBefore = false;
    while (before && before.dataset.pending === 'true') {
      pendingBefore = true;
      before = before.previousElementSibling;
    }
    let after = node.nextElementSibling;
    while (after && after.dataset.pending === 'true') after = after.nextElementSibling;
    const inOrder = !pendingBefore
      && (!before || (before.dataset.timestamp ?? '') <= item.timestamp)
      && (!after || (after.dataset.timestamp ?? '') >= item.timestamp);
    if (inOrder) return;
    node.remove();
    this.#insert(item, node);
  }

  #render(item) {
    const node = el('li');
    this.#update(node, item, null);
    return node;
  }

  // Brings `node` (showing `previous`, or empty when null) to show `item`, touching only what
  // differs.
  #update(node, item, previous) {
    const classes = ['msg', `msg--${item.role}`];
    if (item.mine) classes.push('msg--mine');
    const className = classes.join(' ');
    if (node.className !== className) node.className = className;
    setData(node, 'key', item.key);
    setData(node, 'role', item.role);
    setData(node, 'pending', String(Boolean(item.pending)));
    setData(node, 'timestamp', item.timestamp ?? '');
    setData(node, 'seq', item.seq === undefined ? undefined : String(item.seq));
    setData(node, 'stream', item.stream || undefined);

    if (item.role === 'notice') {
      for (const child of [...node.children]) if (!child.classList.contains('msg-text')) child.remove();
      const text = part(node, 'p', 'msg-text', null);
      if (text.textContent !== String(item.text ?? '')) text.textContent = String(item.text ?? '');
      return;
    }

    // Sender, text, files, action, meta: in this order.
    const sender = node.querySelector(':scope > .msg-sender');
    if (item.name) {
      const span = sender ?? part(node, 'span', 'msg-sender', node.firstChild);
      if (span.textContent !== item.name) span.textContent = item.name;
    } else {
      sender?.remove();
    }
    const text = part(node, 'p', 'msg-text', null);
    // Web addresses become safe links (links.js); the text is set again only when it changed.
    const raw = String(item.text ?? '');
    if (shownText.get(text) !== raw) {
      text.replaceChildren(...linkify(raw));
      shownText.set(text, raw);
    }
    text.hidden = raw === '' && Boolean(item.files);  // a message of files alone
    const files = item.files ?? null;
    if (previous?.files && previous.files !== files) previous.files.remove();
    if (files && files.previousElementSibling !== text) text.after(files);
    const action = item.action ?? null;
    if (previous?.action && previous.action !== action) previous.action.remove();
    const beforeAction = files ?? text;
    if (action && action.previousElementSibling !== beforeAction) beforeAction.after(action);

    const meta = part(node, 'span', 'msg-meta', null);
    const beforeMeta = action ?? files ?? text;
    if (meta.previousElementSibling !== beforeMeta) beforeMeta.after(meta);
    let time = meta.querySelector(':scope > time');
    if (item.timestamp) {
      const shown = clockTime(item.timestamp, this.lang());
      if (!time) {
        time = el('time');
        meta.prepend(time);
      }
      if (time.getAttribute('datetime') !== item.timestamp) time.setAttribute('datetime', item.timestamp);
      if (time.textContent !== shown) time.textContent = shown;
    } else {
      time?.remove();
    }
    const state = item.pending ? 'pending' : item.failed ? 'failed' : item.read ? 'read' : null;
    let label = meta.querySelector(':scope > .msg-state');
    if (!state) {
      label?.remove();
      return;
    }
    const texts = this.texts();
    const wanted = { pending: texts.sending, failed: texts.failed ?? '', read: texts.read }[state];
    if (!label) {
      label = el('span');
      meta.append(label);
    }
    const labelClass = `msg-state msg-state--${state}`;
    if (label.className !== labelClass) label.className = labelClass;
    if (label.textContent !== wanted) label.textContent = wanted;
  }
}

// Sets (or, for undefined, removes) data-`name` only when it differs.
function setData(node, name, value) {
  if (value === undefined) {
    if (name in node.dataset) delete node.dataset[name];
  } else if (node.dataset[name] !== value) {
    node.dataset[name] = value;
  }
}

// The direct child of `node` with class `className`, made (a `tag`, inserted before `before`, or
// appended when null) when missing.
function part(node, tag, className, before) {
  let child = node.querySelector(`:scope > .${className}`);
  if (!child) {
    child = el(tag, { class: className });
    node.insertBefore(child, before);
  }
  return child;
}
