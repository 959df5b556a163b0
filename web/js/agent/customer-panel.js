// Who the customer of a room is and where they are, beside the chat: guest or member, the page
// their widget is on (its title and address), where they came from, their language and browser,
// and their earlier chats with agents (date, agent, rating), each opened in place as a transcript.
// Read from GET /api/customers/{id}/context; every value is shown as text.
import { apiJson, append, clockTime, el } from '../common/dom.js';
import { categoryLabel } from '../common/category.js';
import { refusalText } from '../common/refusals.js';
import { Transcript } from '../common/transcript.js';

export class CustomerPanel {
  constructor({ customerId, roomId, name, i18n, session }) {
    Object.assign(this, { customerId, roomId, name, i18n, session });
    this.data = null;
    this.error = null;
    this.summary = el('summary', { class: 'customer-summary' });
    this.body = el('div', { class: 'customer-body' });
    this.node = el('details', { class: 'customer-panel' }, this.summary, this.body);
    this.render();
  }

  async load() {
    try {
      this.data = await apiJson(this.session, `/api/customers/${encodeURIComponent(this.customerId)}/context`);
      this.error = null;
    } catch (error) {
      this.error = error;
    }
    this.render();
  }

  render() {
    const { t } = this.i18n;
    this.summary.textContent = t('customer_info');
    const rows = [];
    const context = this.data?.context;
    const member = context?.memberId;
    rows.push(row(t('customer_who'), member ? t('customer_member', { name: this.name, id: member }) : t('customer_guest', { name: this.name })));
    if (context?.pageTitle || context?.pageUrl) {
      rows.push(row(t('customer_page'), [context.pageTitle || context.pageUrl, context.pageTitle && context.pageUrl ? ` (${context.pageUrl})` : ''].join('')));
    }
    if (context?.referrer) rows.push(row(t('customer_referrer'), context.referrer));
    if (context?.lang) rows.push(row(t('customer_lang'), context.lang === 'en' ? 'English' : context.lang === 'ko' ? '한국어' : context.lang));
    if (context?.userAgent) rows.push(row(t('customer_device'), describeBrowser(context.userAgent)));
    const earlier = (this.data?.rooms ?? []).filter((room) => room.roomId !== this.roomId).reverse();
    // append() leaves out the missing parts (replaceChildren would write "null").
    this.body.replaceChildren();
    append(this.body,
      el('dl', { class: 'customer-facts' }, ...rows.flat()),
      el('h3', { class: 'customer-earlier-title', text: t('customer_earlier', { count: earlier.length }) }),
      earlier.length === 0 ? el('p', { class: 'empty', text: t('customer_no_earlier') }) : el('ul', { class: 'customer-earlier' }, ...earlier.map((room) => this.#earlierRoom(room))),
      this.error ? el('p', { class: 'form-error', text: refusalText(this.error, this.i18n.lang) }) : null,
    );
  }

  #earlierRoom(room) {
    const { t } = this.i18n;
    const date = new Date(room.createdAt);
    const day = Number.isNaN(date.getTime()) ? '' : date.toLocaleDateString(this.i18n.lang === 'en' ? 'en-US' : 'ko-KR');
    const parts = [`${day} ${clockTime(room.createdAt, this.i18n.lang)}`, room.agentName || t('agent')];
    if (room.category) parts.push(categoryLabel(room.category, t));
    if (room.rating) parts.push(`★${room.rating.score}`);
    const error = el('p', { class: 'form-error', hidden: true });
    const transcript = new Transcript({
      session: this.session,
      roomId: room.roomId,
      lang: this.i18n.lang,
      whoOf: (message) => (String(message.senderRole).toUpperCase() === 'CUSTOMER' ? this.name : message.senderName || room.agentName || t('agent')),
      onError: (failure) => {
        error.textContent = refusalText(failure, this.i18n.lang);
        error.hidden = false;
      },
    });
    transcript.node.hidden = true;
    const open = el('button', { type: 'button', class: 'link', 'aria-expanded': 'false', text: t('customer_open') });
    open.addEventListener('click', () => {
      const show = transcript.node.hidden;
      transcript.node.hidden = !show;
      open.setAttribute('aria-expanded', String(show));
      open.textContent = t(show ? 'customer_close' : 'customer_open');
      if (show) transcript.refresh();
    });
    return el('li', { class: 'customer-earlier-room' }, el('span', { text: parts.join(' · ') }), ' ', open, transcript.node, error);
  }
}

function row(term, value) {
  return [el('dt', { text: term }), el('dd', { text: value })];
}

// "Chrome on Windows" from a User-Agent: the browser and the system as people name them.
export function describeBrowser(agent) {
  const browser = [['Edg/', 'Edge'], ['OPR/', 'Opera'], ['SamsungBrowser/', 'Samsung Internet'], ['Firefox/', 'Firefox'],
    ['CriOS/', 'Chrome'], ['Chrome/', 'Chrome'], ['Safari/', 'Safari']].find(([token]) => agent.includes(token))?.[1];
  const system = [['Android', 'Android'], ['iPhone', 'iOS'], ['iPad', 'iPadOS'], ['Windows', 'Windows'], ['Mac OS X', 'macOS'],
    ['CrOS', 'ChromeOS'], ['Linux', 'Linux']].find(([token]) => agent.includes(token))?.[1];
  return [browser ?? agent.slice(0, 60), system].filter(Boolean).join(' · ');
}
