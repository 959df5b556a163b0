// The live queue of waiting requests: filled from GET /api/consult/queue, kept current by the
// offers on /topic/consult/request and the updates on /topic/consult/updates (a request taken by
// someone else disappears at once). Each card shows the customer, category, the bot's handoff
// summary (when it gave one), what they asked, the bot's last answer and the waiting time, and can
// show the whole bot conversation.
import { apiJson, clear, duration, el } from '../common/dom.js';
import { refusalText } from '../common/refusals.js';
import { categoryLabel } from '../common/category.js';
import { summaryNode } from './bot-help.js';

export class QueuePanel {
  constructor({ list, empty, count, i18n, session, onAccept, onReject }) {
    Object.assign(this, { list, empty, count, i18n, session, onAccept, onReject });
    this.requests = new Map();  // requestId -> { request, node, arrival }
    this.rejected = new Set();  // requests this agent rejected: never shown again
    this.earlySummaries = new Map();  // requestId -> a summary that came before the request
    this.snapshots = 0;  // GET /api/consult/queue answers taken, to compare positions of one answer only
    this.arrivals = 0;
    // Live news of a request (an offer, or its removal) at a moment of `clock`; a queue read
    // started before that moment is older than the news and must not undo it.
    this.clock = 0;
    this.liveAt = new Map();  // requestId -> clock of its last live offer or removal
    setInterval(() => this.#tick(), 1000);
  }

  // Call before asking GET /api/consult/queue; pass the result to replaceAll with its answer.
  mark() {
    return this.clock;
  }

  // The whole queue as GET /api/consult/queue gave it (in queue order, with `position`) when asked
  // at `mark`: what was offered or taken live since then stays as the live news said (a request
  // offered while the answer was on its way is not dropped, one taken meanwhile does not return).
  replaceAll(requests, mark = Infinity) {
    const newer = (id) => (this.liveAt.get(id) ?? -1) > mark;
    const keep = new Set(requests.map((r) => r.requestId));
    for (const id of [...this.requests.keys()]) if (!keep.has(id) && !newer(id)) this.#drop(id);
    const snapshot = ++this.snapshots;
    for (const request of requests) {
      if (newer(request.requestId) && !this.requests.has(request.requestId)) continue;
      this.#add({ ...request, snapshot });
    }
  }

  // A live offer (from /topic/consult/request); true when the request is new here.
  offer(request) {
    if (request?.requestId) this.liveAt.set(request.requestId, ++this.clock);
    return this.#add(request);
  }

  // The bot's handoff summary of a waiting request (from /topic/consult/summary): shown on its
  // card when the card is here.
  summarize({ requestId, summary } = {}) {
    const known = this.requests.get(requestId);
    if (!summary) return;
    if (!known) {
      // Ahead of its offer (they travel apart): kept for it, a few at most.
      this.earlySummaries.set(requestId, summary);
      if (this.earlySummaries.size > 100) this.earlySummaries.delete(this.earlySummaries.keys().next().value);
      return;
    }
    known.request = { ...known.request, summary };
    const node = this.#render(known.request);
    known.node.replaceWith(node);
    known.node = node;
  }

  // Taken, withdrawn or refused: gone from this console at once.
  remove(requestId) {
    this.liveAt.set(requestId, ++this.clock);
    this.#drop(requestId);
  }

  // Adds or refreshes a request (an offer may come again: a re-delivery or a requeue).
  #add(request) {
    if (!request?.requestId || this.rejected.has(request.requestId)) return false;
    const known = this.requests.get(request.requestId);
    const merged = { ...known?.request, ...request };
    // An offer made before the summary came says null: the summary shown (or come early) stays.
    if (!request.summary && known?.request.summary) merged.summary = known.request.summary;
    if (!merged.summary && this.earlySummaries.has(request.requestId)) merged.summary = this.earlySummaries.get(request.requestId);
    this.earlySummaries.delete(request.requestId);
    // A live offer carries no position: whatever an older answer said no longer counts.
    if (request.snapshot === undefined) {
      delete merged.snapshot;
      delete merged.position;
    }
    // An offer again after a requeue says why; `requeued` is the queue view's word for it.
    if ('requeued' in request) merged.requeued = Boolean(request.requeued);
    else merged.requeued = Boolean(request.requeueReason) || Boolean(known?.request.requeued);
    const node = this.#render(merged);
    if (known) known.node.replaceWith(node);
    else this.list.append(node);
    this.requests.set(request.requestId, { request: merged, node, arrival: known?.arrival ?? ++this.arrivals });
    this.#sort();
    this.#renderCount();
    return !known;
  }

  #drop(requestId) {
    const known = this.requests.get(requestId);
    if (!known) return;
    known.node.remove();
    this.requests.delete(requestId);
    this.#renderCount();
  }

  reject(requestId) {
    this.rejected.add(requestId);
    this.remove(requestId);
  }

  refresh() {
    for (const [id, known] of this.requests) {
      const node = this.#render(known.request);
      known.node.replaceWith(node);
      this.requests.set(id, { ...known, node });
    }
    this.#renderCount();
  }

  #renderCount() {
    this.count.textContent = String(this.requests.size);
    this.empty.hidden = this.requests.size > 0;
  }

  // The server's order, the order agents should serve: requests put back (a transfer to the
  // queue, an agent who did not come back) first, then the longest waiting. Positions of one
  // queue answer settle the rest (requests that entered in the same millisecond).
  #sort() {
    const sorted = [...this.requests.values()].sort(queueOrder);
    // Only nodes out of place move (moving one takes the focus off its buttons).
    sorted.forEach(({ node }, index) => {
      if (this.list.children[index] !== node) this.list.insertBefore(node, this.list.children[index] ?? null);
    });
  }

  #tick() {
    const now = Date.now();
    for (const { request, node } of this.requests.values()) {
      const wait = node.querySelector('.wait');
      if (wait) wait.textContent = this.#waitText(request, now);
    }
  }

  #waitText(request, now = Date.now()) {
    const since = Date.parse(request.waitingSince ?? '');
    return this.i18n.t('waiting_for', { time: duration(Number.isNaN(since) ? 0 : now - since) });
  }

  #render(request) {
    const { t } = this.i18n;
    const id = request.requestId;
    const conversation = el('ol', { class: 'bot-conversation', hidden: true });
    const toggle = el('button', { type: 'button', class: 'link small', 'aria-expanded': 'false', text: t('show_conversation') });
    toggle.addEventListener('click', () => this.#toggleConversation(request, conversation, toggle));
    const name = request.customerName || request.customerId || t('customer');
    return el('li', { class: 'card request', dataset: { requestId: id, requeued: String(Boolean(request.requeued)) } },
      el('div', { class: 'request-head' },
        el('strong', { class: 'customer-name', text: name }),
        el('span', { class: 'chip', text: categoryLabel(request.category, t) }),
        request.requeued ? el('span', { class: 'chip chip--warn', text: t('requeued') }) : null,
        el('span', { class: 'wait', text: this.#waitText(request) })),
      summaryNode(request.summary, t),
      request.reason ? el('p', { class: 'request-line' }, el('span', { class: 'label', text: `${t('reason')}: ` }), request.reason) : null,
      request.lastBotMessage
        ? el('p', { class: 'request-line' }, el('span', { class: 'label', text: `${t('last_bot_message')}: ` }), request.lastBotMessage)
        : null,
      request.conversationId ? toggle : null,
      conversation,
      el('div', { class: 'request-buttons' },
        el('button', {
          type: 'button', class: 'primary small accept', text: t('accept'), 'aria-label': t('accept_label', { name }),
          onclick: () => this.onAccept(id),
        }),
        el('button', {
          type: 'button', class: 'secondary small reject', text: t('reject'), 'aria-label': t('reject_label', { name }),
          onclick: () => this.onReject(id),
        })));
  }

  async #toggleConversation(request, list, toggle) {
    const { t } = this.i18n;
    const open = list.hidden;
    list.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? t('hide_conversation') : t('show_conversation');
    if (!open || list.childElementCount > 0) return;
    try {
      const data = await apiJson(this.session,
        `/api/conversations/${encodeURIComponent(request.conversationId)}/messages?after=0&limit=50`);
      clear(list);
      for (const message of data.messages ?? []) {
        const role = String(message.senderRole ?? '').toLowerCase();
        const who = role === 'bot' ? t('sender_bot') : request.customerName || t('customer');
        list.append(el('li', { class: `bot-line bot-line--${role}` },
          el('span', { class: 'label', text: `${who}: ` }), message.text));
      }
    } catch (error) {
      list.append(el('li', { class: 'form-error', text: refusalText(error, this.i18n.lang) }));
    }
  }
}

function queueOrder(a, b) {
  const x = a.request;
  const y = b.request;
  if (x.snapshot !== undefined && x.snapshot === y.snapshot && Number.isFinite(x.position) && Number.isFinite(y.position)) {
    return x.position - y.position;
  }
  const lane = Number(!x.requeued) - Number(!y.requeued);
  if (lane !== 0) return lane;
  const since = sinceMs(x) - sinceMs(y);
  if (since !== 0 && !Number.isNaN(since)) return since;
  return a.arrival - b.arrival;
}

function sinceMs(request) {
  const ms = Date.parse(request.waitingSince ?? '');
  return Number.isNaN(ms) ? Number.MAX_SAFE_INTEGER : ms;
}
