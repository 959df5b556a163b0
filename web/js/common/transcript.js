// A room's messages, read-only: an earlier chat beside a live one, a closed chat in the history, or
// a supervisor watching a live room. Read from GET /api/conversations/{id}/messages a page at a
// time; refresh() reads only what came after the last message shown, so a live room is followed by
// polling without a STOMP subscription (a supervisor is never a member of the room). Every line is
// text nodes (addresses made safe links), never markup.
import { fileList } from './attachments.js';
import { apiJson, clockTime, el } from './dom.js';
import { linkify } from './links.js';

const PAGE = 500;
const MAX_MESSAGES = 5000;  // a transcript shows at most this many; longer rooms say so

export class Transcript {
  // whoOf(message) names the sender; lang formats the times; onError(error) shows a failed read;
  // saveText(name) labels a file's button.
  constructor({ session, roomId, whoOf, lang, onError, saveText = (name) => name }) {
    Object.assign(this, { session, roomId, whoOf, lang, onError, saveText });
    this.lastSeq = 0;
    this.count = 0;
    this.reading = null;
    this.node = el('ol', { class: 'transcript', dataset: { roomId } });
  }

  // Reads everything after the last message shown (all of it the first time). Calls made while a
  // read runs share it, so a poll and a click never show a message twice.
  refresh() {
    this.reading ??= this.#read().finally(() => { this.reading = null; });
    return this.reading;
  }

  async #read() {
    try {
      while (this.count < MAX_MESSAGES) {
        const path = `/api/conversations/${encodeURIComponent(this.roomId)}/messages?after=${this.lastSeq}&limit=${PAGE}`;
        const data = await apiJson(this.session, path);
        const messages = data?.messages ?? [];
        for (const message of messages) this.#append(message);
        if (messages.length < PAGE) return;
      }
    } catch (error) {
      this.onError?.(error);
    }
  }

  #append(message) {
    if (message.seq <= this.lastSeq) return;
    this.lastSeq = message.seq;
    this.count += 1;
    const role = String(message.senderRole ?? '').toLowerCase();
    this.node.append(el('li', { class: `transcript-line transcript-line--${role}`, dataset: { seq: message.seq } },
      el('span', { class: 'transcript-who', text: this.whoOf(message) }),
      el('time', { class: 'transcript-time', datetime: message.timestamp, text: clockTime(message.timestamp, this.lang) }),
      message.text ? el('p', { class: 'transcript-text' }, ...linkify(String(message.text))) : null,
      message.attachments?.length
        ? fileList(this.session, message.attachments, { texts: { save: this.saveText }, onError: this.onError })
        : null));
  }
}

// "2026. 12. 5. 14:05" or "12/5/2026, 2:05 PM": a date and time in the page's language.
export function dateTime(timestamp, lang) {
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(lang === 'en' ? 'en-US' : 'ko-KR', {
    year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
}
