// Messages customers left instead of waiting (offered after routing.max-wait, or at once when no
// agent was signed in): read from GET /api/consult/offline, new ones from /topic/consult/offline,
// gone from every console once an agent takes one up (/app/agent.handleOffline, with a reply the
// customer reads in the widget; the update comes on /topic/consult/updates). The reply being
// written survives the list being drawn again.
import { clear, clockTime, el } from '../common/dom.js';
import { categoryLabel } from '../common/category.js';

export class LeftMessages {
  constructor({ list, empty, count, i18n, onHandle }) {
    Object.assign(this, { list, empty, count, i18n, onHandle });
    this.items = new Map();  // id -> message
    this.replying = null;  // id of the message whose reply form is open
    this.drafts = new Map();  // id -> reply being written
    // As for the queue: live news after a read was asked for wins over that read's answer.
    this.clock = 0;
    this.liveAt = new Map();  // id -> clock of its last live arrival or removal
  }

  // Call before GET /api/consult/offline; pass the result to replaceAll with its answer.
  mark() {
    return this.clock;
  }

  replaceAll(messages, mark = Infinity) {
    const newer = (id) => (this.liveAt.get(id) ?? -1) > mark;
    const listed = new Map(messages.filter((m) => !m.handledAt).map((m) => [m.id, m]));
    for (const id of [...this.items.keys()]) if (!listed.has(id) && !newer(id)) this.items.delete(id);
    for (const [id, message] of listed) if (!newer(id)) this.items.set(id, message);
    this.render();
  }

  // A new one, live; true when it was not known.
  add(message) {
    if (!message?.id || message.handledAt) return false;
    this.liveAt.set(message.id, ++this.clock);
    if (this.items.has(message.id)) return false;
    this.items.set(message.id, message);
    this.render();
    return true;
  }

  // Taken up by an agent, live.
  remove(id) {
    this.liveAt.set(id, ++this.clock);
    if (this.items.delete(id)) this.render();
  }

  render() {
    const { t } = this.i18n;
    const focused = this.list.contains(document.activeElement) ? document.activeElement.id : null;
    if (this.replying && !this.items.has(this.replying)) this.replying = null;
    clear(this.list);
    const newest = [...this.items.values()].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
    for (const message of newest) {
      const name = message.customerName || message.customerId || t('customer');
      this.list.append(el('li', { class: 'card left-message', dataset: { id: message.id } },
        el('div', { class: 'request-head' },
          el('strong', { class: 'customer-name', text: name }),
          message.category ? el('span', { class: 'chip', text: categoryLabel(message.category, t) }) : null,
          el('time', { class: 'wait', datetime: message.createdAt, text: clockTime(message.createdAt, this.i18n.lang) })),
        el('p', { class: 'request-line left-text', text: message.text }),
        message.contact
          ? el('p', { class: 'request-line' }, el('span', { class: 'label', text: `${t('left_contact')}: ` }), message.contact)
          : null,
        this.replying === message.id ? this.#replyForm(message, name) : el('div', { class: 'request-buttons' },
          el('button', {
            type: 'button', class: 'secondary small handle', text: t('left_handle'),
            'aria-label': t('left_handle_for', { name }), onclick: () => this.#openReply(message.id),
          }))));
    }
    this.count.textContent = String(this.items.size);
    this.empty.hidden = this.items.size > 0;
    if (focused) document.getElementById(focused)?.focus();
  }

  #openReply(id) {
    this.replying = id;
    if (!this.drafts.has(id)) this.drafts.set(id, this.i18n.t('left_reply_default'));
    this.render();
    document.getElementById(`left-reply-${id}`)?.focus();
  }

  // The reply the customer will read in the widget (now, or when they come back), then taken up.
  #replyForm(message, name) {
    const { t } = this.i18n;
    const inputId = `left-reply-${message.id}`;
    const input = el('textarea', { id: inputId, class: 'left-reply', rows: 3, maxlength: 2000 });
    input.value = this.drafts.get(message.id) ?? '';
    input.addEventListener('input', () => this.drafts.set(message.id, input.value));
    const send = el('button', { type: 'button', class: 'primary small send-reply', text: t('left_reply_send') });
    send.addEventListener('click', () => {
      this.onHandle(message.id, input.value.trim());
      this.drafts.delete(message.id);
      this.replying = null;
      this.render();
    });
    const cancel = el('button', { type: 'button', class: 'secondary small', text: t('cancel') });
    cancel.addEventListener('click', () => {
      this.replying = null;
      this.render();
    });
    return el('div', { class: 'left-reply-form' },
      el('label', { for: inputId, text: t('left_reply_label', { name }) }), input,
      el('div', { class: 'request-buttons' }, send, cancel));
  }
}
