// The history of chats, for the agent console (an agent's own) and the supervisor page (every
// chat): a page of rooms from GET /api/history/rooms for the filters the page's form gives, paged
// with the server's cursor, each opened in place as a transcript with its private notes
// (GET /api/history/rooms/{id}); a supervisor's open room is followed live, read-only, by polling.
// The CSV export downloads GET /api/history/rooms.csv for the same filters.
import { categoryLabel } from './category.js';
import { apiJson, append, el } from './dom.js';
import { refusalText } from './refusals.js';
import { dateTime, Transcript } from './transcript.js';

const PAGE_SIZE = 20;
const LIVE_POLL_MS = 2000;

// The form's values as query parameters: empty ones left out; dates (YYYY-MM-DD, the browser's
// day) as the unix ms of that day's start, `to` inclusive of its whole day.
export function historyParameters({ q, from, to, agentId, category, rating, state }) {
  const params = new URLSearchParams();
  const put = (name, value) => { if (value !== undefined && value !== null && String(value) !== '') params.set(name, String(value)); };
  put('q', q?.trim());
  put('from', dayStart(from));
  const end = dayStart(to);
  put('to', end === null ? null : end + 24 * 3600 * 1000);
  put('agentId', agentId);
  put('category', category);
  put('state', state);
  if (rating === 'unrated') put('unrated', '1');
  else if (rating === 'low') put('maxRating', '2');
  else if (/^[1-5]$/.test(rating ?? '')) {
    put('minRating', rating);
    put('maxRating', rating);
  }
  return params;
}

function dayStart(day) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? '');
  if (!match) return null;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])).getTime();
}

export class HistoryBrowser {
  // showAgent: a column for the agent (supervisors); live: follow open rooms (supervisors).
  constructor({ session, i18n, showAgent = false, live = false }) {
    Object.assign(this, { session, i18n, showAgent, live });
    this.params = new URLSearchParams();
    this.cursors = [null];  // the `before` of each page seen; the last one is the page shown
    this.rooms = [];
    this.next = null;
    this.loading = false;
    this.error = null;
    this.detail = null;     // { room, notes, transcript, timer } of the room opened
    this.generation = 0;    // a newer search makes an older answer stale

    this.status = el('p', { class: 'history-status', role: 'status' });
    this.list = el('ul', { class: 'history-list' });
    this.prev = el('button', { type: 'button', class: 'secondary small', onclick: () => this.#page(-1) });
    this.nextButton = el('button', { type: 'button', class: 'secondary small', onclick: () => this.#page(1) });
    this.pager = el('nav', { class: 'history-pager' }, this.prev, this.nextButton);
    this.listView = el('div', { class: 'history-results' }, this.status, this.list, this.pager);
    this.detailView = el('section', { class: 'history-detail', hidden: true, tabindex: '-1' });
    this.node = el('div', { class: 'history' }, this.listView, this.detailView);
    this.render();
  }

  search(params) {
    this.params = params;
    this.cursors = [null];
    this.closeDetail();
    return this.#load();
  }

  async #page(step) {
    if (step > 0 && this.next) this.cursors.push(this.next);
    else if (step < 0 && this.cursors.length > 1) this.cursors.pop();
    else return;
    await this.#load();
    this.list.querySelector('button')?.focus();
  }

  async #load() {
    const generation = ++this.generation;
    const params = new URLSearchParams(this.params);
    params.set('limit', String(PAGE_SIZE));
    const before = this.cursors.at(-1);
    if (before) params.set('before', before);
    this.loading = true;
    this.render();
    try {
      const data = await apiJson(this.session, `/api/history/rooms?${params}`);
      if (generation !== this.generation) return;
      this.rooms = data?.rooms ?? [];
      this.next = data?.next ?? null;
      this.error = null;
    } catch (error) {
      if (generation !== this.generation) return;
      this.error = error;
    }
    this.loading = false;
    this.render();
  }

  // Downloads the CSV of the current filters (every page, up to the server's cap).
  async exportCsv(button) {
    const { t } = this.i18n;
    button.disabled = true;
    button.textContent = t('history_exporting');
    try {
      const response = await this.session.apiFetch(`/api/history/rooms.csv?${this.params}`, { headers: { accept: 'text/csv' } });
      if (!response.ok) {
        const data = await response.json().catch(() => null);
        throw Object.assign(new Error(data?.message ?? `export answered ${response.status}`), { status: response.status, code: data?.error });
      }
      const url = URL.createObjectURL(await response.blob());
      const link = el('a', { href: url, download: `conversations-${new Date().toISOString().slice(0, 10)}.csv`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      this.error = null;
    } catch (error) {
      this.error = error;
    }
    button.disabled = false;
    button.textContent = t('history_export');
    this.render();
  }

  render() {
    const { t } = this.i18n;
    const first = (this.cursors.length - 1) * PAGE_SIZE + 1;
    let status = '';
    if (this.error) status = refusalText(this.error, this.i18n.lang);
    else if (this.loading) status = t('history_loading');
    else if (this.rooms.length === 0) status = t('history_empty');
    else status = t('history_page', { from: first, to: first + this.rooms.length - 1 });
    this.status.textContent = status;
    this.status.classList.toggle('form-error', Boolean(this.error));
    this.list.replaceChildren(...this.rooms.map((room) => this.#item(room)));
    this.prev.textContent = t('history_prev');
    this.nextButton.textContent = t('history_next');
    this.prev.disabled = this.cursors.length <= 1 || this.loading;
    this.nextButton.disabled = !this.next || this.loading;
    this.pager.hidden = this.cursors.length <= 1 && !this.next;
    if (this.detail) this.#renderDetail();
  }

  #item(room) {
    const { t } = this.i18n;
    const lang = this.i18n.lang;
    const name = room.customerName || t('history_guest');
    const when = dateTime(room.createdAt, lang);
    const facts = [
      el('span', { class: 'history-date', text: when }),
      el('span', { class: 'history-customer', text: name }),
      this.showAgent ? el('span', { class: 'history-agent', text: room.agentName || room.agentId || '–' }) : null,
      el('span', { class: 'chip', text: categoryLabel(room.category, t) }),
      room.rating ? el('span', { class: 'history-rating', text: t('history_rating_value', { score: room.rating.score }) }) : null,
      el('span', { class: `history-state history-state--${room.closedAt ? 'closed' : 'open'}`, text: t(room.closedAt ? 'history_state_closed' : 'history_state_open') }),
      el('span', { class: 'history-count', text: `${t('history_col_messages')} ${room.lastSeq}` }),
    ];
    const button = el('button', {
      type: 'button', class: 'history-item', dataset: { roomId: room.roomId },
      'aria-label': t('history_open_room_label', { name, date: when }),
      onclick: () => this.openRoom(room),
    }, ...facts);
    return el('li', {}, button);
  }

  // Opens `room` in place of the list: its facts, notes and transcript.
  async openRoom(room) {
    this.closeDetail();
    const transcript = new Transcript({
      session: this.session,
      roomId: room.roomId,
      lang: this.i18n.lang,
      whoOf: (message) => this.#who(message, room),
      saveText: (name) => this.i18n.t('history_file_save', { name }),
      onError: (error) => { this.error = error; this.render(); },
    });
    this.detail = { room, notes: [], transcript, timer: null };
    this.listView.hidden = true;
    this.detailView.hidden = false;
    this.#renderDetail();
    this.detailView.focus();
    await Promise.all([this.#refreshRecord(), transcript.refresh()]);
    if (this.live && this.detail?.transcript === transcript && !this.detail.room.closedAt) this.#follow(transcript);
  }

  // A supervisor follows an open room: new messages and notes every 2 s while the page is
  // visible, until the room closes or the view is left.
  #follow(transcript) {
    const tick = async () => {
      if (this.detail?.transcript !== transcript) return;
      if (document.visibilityState !== 'hidden') await Promise.all([this.#refreshRecord(), transcript.refresh()]);
      if (this.detail?.transcript !== transcript) return;
      if (this.detail.room.closedAt) {
        await transcript.refresh();  // the closing notice
        this.#renderDetail();
        return;
      }
      this.detail.timer = setTimeout(tick, LIVE_POLL_MS);
    };
    this.detail.timer = setTimeout(tick, LIVE_POLL_MS);
  }

  async #refreshRecord() {
    const detail = this.detail;
    if (!detail) return;
    try {
      const data = await apiJson(this.session, `/api/history/rooms/${encodeURIComponent(detail.room.roomId)}`);
      if (this.detail !== detail) return;
      detail.room = data.room ?? detail.room;
      detail.notes = data.notes ?? [];
      this.#renderDetail();
    } catch (error) {
      if (this.detail !== detail) return;
      this.error = error;
      this.render();
    }
  }

  closeDetail() {
    if (!this.detail) return;
    clearTimeout(this.detail.timer);
    const roomId = this.detail.room.roomId;
    this.detail = null;
    this.detailView.hidden = true;
    this.detailView.replaceChildren();
    this.listView.hidden = false;
    this.list.querySelector(`[data-room-id="${CSS.escape(roomId)}"]`)?.focus();
  }

  #who(message, room) {
    const { t } = this.i18n;
    switch (String(message.senderRole ?? '').toUpperCase()) {
      case 'CUSTOMER': return t('history_who_customer', { name: room.customerName || t('history_guest') });
      case 'BOT': return t('history_who_bot');
      case 'SYSTEM': return t('history_who_system');
      default: return message.senderName || t('history_who_agent');
    }
  }

  #renderDetail() {
    const { t } = this.i18n;
    const lang = this.i18n.lang;
    const { room, notes, transcript } = this.detail;
    const facts = [
      dateTime(room.createdAt, lang),
      room.customerName || t('history_guest'),
      room.agentName || room.agentId,
      categoryLabel(room.category, t),
      room.closedAt ? t('history_closed_at', { time: dateTime(room.closedAt, lang) }) : t('history_open_now'),
    ].filter(Boolean);
    const rating = room.rating
      ? t(room.rating.comment ? 'history_rating_comment' : 'history_rating_value', { score: room.rating.score, comment: room.rating.comment })
      : null;
    const noteLines = notes.map((note) => el('li', { class: `history-note history-note--${note.kind}` }, this.#noteText(note)));
    const back = el('button', { type: 'button', class: 'secondary small history-back', text: t('history_back'), onclick: () => this.closeDetail() });
    // append() (not replaceChildren) leaves the nulls out.
    this.detailView.replaceChildren();
    append(this.detailView,
      back,
      el('h3', { class: 'history-detail-title', text: facts.join(' · ') }),
      rating ? el('p', { class: 'history-detail-rating', text: rating }) : null,
      this.live && !room.closedAt ? el('p', { class: 'history-live', role: 'status', text: t('history_live') }) : null,
      el('h4', { text: t('history_notes') }),
      noteLines.length ? el('ul', { class: 'history-notes' }, ...noteLines) : el('p', { class: 'empty', text: t('history_no_notes') }),
      el('h4', { text: t('history_messages') }),
      transcript.node,
      this.error ? el('p', { class: 'form-error', text: refusalText(this.error, lang) }) : null,
    );
  }

  #noteText(note) {
    const { t } = this.i18n;
    const from = note.authorName || note.authorId;
    if (note.kind !== 'transfer') return t('history_note', { name: from, text: note.text });
    const to = note.toAgentName || note.toAgentId;
    return to ? t('history_transfer_to', { from, to, text: note.text }) : t('history_transfer_queue', { from, text: note.text });
  }
}
