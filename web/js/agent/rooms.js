// The agent's open chats: a vertical tab list with unread counts, and one panel per room with the
// bot conversation the customer had, the room's messages (replayed from since-seq after every
// reconnect, each shown once, each under its sender's name), private notes that only agents see,
// typing and read indicators, canned responses, transfer and close (room-actions.js).
//
// A room is subscribed only while it is this agent's and the connection is up: a room that ends
// (closed, or transferred away) is unsubscribed at once, every subscription is dropped when the
// connection is, and after a reconnect only the rooms GET /api/agent/rooms still lists are
// subscribed again (the server refuses, with ERROR and a close, a SUBSCRIBE to a room that is not
// ours any more). A room that comes back (a transfer back) is subscribed again from its last seq.
// Messages go through the Outbox: kept (also across a reload) until the server has them, sent again
// after every reconnect with the same clientMessageId.
import { messageFiles } from '../common/attachments.js';
import { apiJson, el, randomId } from '../common/dom.js';
import { refusalText } from '../common/refusals.js';
import { Timeline } from '../common/timeline.js';
import { attachPicker } from './canned.js';
import { categoryLabel } from '../common/category.js';
import { SuggestionBar, summaryNode } from './bot-help.js';
import { CustomerPanel } from './customer-panel.js';
import { attachControl } from './room-files.js';
import { RoomActions } from './room-actions.js';

export class Rooms {
  constructor({ tabs, panels, noRoom, empty, count, i18n, session, me, canned, notifier, toast }) {
    Object.assign(this, { tabs, panels, noRoom, empty, count, i18n, session, me, canned, notifier, toast });
    this.rooms = new Map();  // roomId -> room
    this.active = null;
    this.outbox = null;  // web/js/common/outbox.js, stored per agent: set once the agent is known
    this.stamp = 0;  // counts changes of rooms between live and ended (see mark() and sync())
    document.addEventListener('visibilitychange', () => this.#readActive());
    this.filesOf = messageFiles({
      session,
      texts: () => ({ save: (name) => i18n.t('file_save', { name }) }),
      onError: (error) => toast(refusalText(error, i18n.lang), 'error'),
    });
  }

  has(roomId) {
    return this.rooms.has(roomId);
  }

  // info: { roomId, requestId, customer:{id, displayName}, category, conversationId, requestedAt?,
  // history?, notes? }
  open(info, { focus = false } = {}) {
    let room = this.rooms.get(info.roomId);
    if (!room) {
      room = this.#create(info);
      this.rooms.set(info.roomId, room);
      for (const note of info.notes ?? []) this.#showNote(room, note);
      if (info.history) for (const message of info.history) this.#showMessage(room, message, { replay: true, requestedAt: info.requestedAt });
      else if (info.conversationId) this.#loadConversation(room, info.conversationId);
      this.#showPending(room);
      room.stamp = ++this.stamp;
      this.#attach(room);
    } else {
      if (info.summary) {
        room.summary = info.summary;
        this.#renderSummary(room);
      }
      // What was said meanwhile (an assignment brings the room's messages and notes so far).
      for (const note of info.notes ?? []) this.#showNote(room, note);
      if (info.history) for (const message of info.history) this.#showMessage(room, message, { replay: true, requestedAt: info.requestedAt });
      if (room.ended) {
        // The room came back (a transfer back to this agent): live again, read from its last seq.
        room.timeline.notice(this.i18n.t('room_back'));
        this.#setEnded(room, false);
      } else {
        this.#attach(room);
      }
    }
    this.#renderCount();
    if (focus || !this.active) this.select(info.roomId);
    return room;
  }

  // A private note from /user/queue/agent/notes (ours, echoed once stored).
  note(data) {
    const room = this.rooms.get(data?.roomId);
    if (room) this.#showNote(room, data);
  }

  // Taken before asking GET /api/agent/rooms; sync() then knows which rooms changed meanwhile.
  mark() {
    return this.stamp;
  }

  // After a (re)connect: `list` is GET /api/agent/rooms, asked when mark() said `mark`. Its rooms
  // are shown and subscribed (from their last seq); a room shown live that it leaves out ended
  // while the connection was down. Rooms that ended or came since the question keep their state.
  sync(list, mark) {
    const listed = new Set();
    for (const info of list) {
      if (!info?.roomId) continue;
      listed.add(info.roomId);
      const room = this.rooms.get(info.roomId);
      if (room?.ended && room.stamp > mark) continue;  // ended after the question: the event is newer
      this.open(info);
    }
    for (const room of this.rooms.values()) {
      if (room.ended || listed.has(room.roomId) || room.stamp > mark) continue;
      room.timeline.notice(this.i18n.t('room_ended_offline'));
      this.#setEnded(room, true);
      this.#catchUp(room);
    }
    this.#readActive();
  }

  // The rooms could not be asked for: subscribe the live ones again anyway (one that ended
  // meanwhile costs a reconnect, after which the question is asked again).
  attachLive() {
    for (const room of this.rooms.values()) this.#attach(room);
  }

  // The connection is down: no subscription survives it (see sync()).
  connectionLost() {
    for (const room of this.rooms.values()) this.#detach(room);
  }

  select(roomId) {
    const room = this.rooms.get(roomId);
    if (!room) return;
    this.active = roomId;
    for (const other of this.rooms.values()) {
      const selected = other === room;
      other.tab.setAttribute('aria-selected', String(selected));
      other.tab.tabIndex = selected ? 0 : -1;
      other.panel.hidden = !selected;
    }
    room.unread = 0;
    this.#renderTab(room);
    this.noRoom.hidden = true;
    room.timeline.scrollToEnd();
    this.#readActive();
    room.input.focus();
  }

  refresh() {
    for (const room of this.rooms.values()) {
      room.timeline.refresh();
      room.actions.relabel();
      room.suggestions.render();
      this.#renderSummary(room);
      room.customerPanel.render();
      this.#relabel(room);
      this.#renderTab(room);
    }
  }

  // The senders' labels and the composer's words in the language just chosen.
  #relabel(room) {
    const { t } = this.i18n;
    for (const [key, { item }] of room.timeline.entries) {
      if (item.message) room.timeline.upsert({ key, name: this.#senderName(room, item.message) });
      else if (item.note) room.timeline.upsert({ key, ...this.#noteParts(item.note) });
    }
    room.noteToggle.textContent = t('note_toggle');
    room.files.relabel();
    this.#renderComposer(room);
  }

  // ---- building a room ----------------------------------------------------------------------

  #create(info) {
    const { t } = this.i18n;
    const roomId = info.roomId;
    const name = info.customer?.displayName || info.customer?.id || t('customer');
    const tab = el('button', {
      type: 'button', role: 'tab', id: `tab-${roomId}`, class: 'room-tab', 'aria-controls': `panel-${roomId}`,
      'aria-selected': 'false', tabindex: -1, dataset: { roomId },
    });
    tab.addEventListener('click', () => this.select(roomId));
    tab.addEventListener('keydown', (event) => this.#tabKeys(event, roomId));

    const list = el('ol', { class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': name });
    const typing = el('p', { class: 'typing', 'aria-live': 'polite', hidden: true });
    const input = el('textarea', { id: `input-${roomId}`, rows: 2, maxlength: 2000, placeholder: t('input_placeholder'), class: 'room-input' });
    const popup = el('div', { class: 'canned-popup', hidden: true });
    // Reply to the customer, or a private note for agents: the same box, a switch above it.
    const noteToggle = el('button', { type: 'button', class: 'secondary small note-toggle', 'aria-pressed': 'false', text: t('note_toggle') });
    const inputLabel = el('label', { for: `input-${roomId}`, class: 'sr-only', text: t('input_label') });
    const sendButton = el('button', { type: 'submit', class: 'primary', text: t('send') });
    const files = attachControl({
      roomId, i18n: this.i18n, session: this.session, toast: this.toast,
      isEnded: () => this.rooms.get(roomId)?.ended ?? true,
      send: (uploaded) => this.#send(this.rooms.get(roomId), uploaded),
    });
    const suggestions = new SuggestionBar({ input, i18n: this.i18n });
    const summarySlot = el('div', { class: 'room-summary' });
    const form = el('form', { class: 'composer room-composer' },
      popup,
      el('div', { class: 'composer-mode' }, noteToggle, files.button, files.input),
      inputLabel,
      input,
      sendButton);
    const actions = new RoomActions({ roomId, i18n: this.i18n, session: this.session, me: this.me, focusBack: () => input.focus() });
    const dismiss = el('button', { type: 'button', class: 'secondary small dismiss-room', text: t('dismiss_room'), hidden: true });
    const customerPanel = new CustomerPanel({ customerId: info.customer?.id ?? '', roomId, name, i18n: this.i18n, session: this.session });
    if (info.customer?.id) customerPanel.load();
    const panel = el('div', { class: 'room-panel', role: 'tabpanel', id: `panel-${roomId}`, 'aria-labelledby': `tab-${roomId}`, hidden: true, dataset: { roomId } },
      el('header', { class: 'room-header' },
        el('div', { class: 'room-heading' },
          el('h2', { text: name }),
          el('span', { class: 'chip', text: categoryLabel(info.category, t) })),
        el('div', { class: 'room-actions' }, actions.transferButton, actions.closeButton, dismiss)),
      summarySlot,
      actions.panel,
      customerPanel.node,
      list, typing, suggestions.node, form);
    this.tabs.append(tab);
    this.panels.append(panel);

    const room = {
      roomId, requestId: info.requestId, name, tab, panel, input, typing, actions, dismiss, form,
      noteToggle, inputLabel, sendButton, files, noteMode: false, endedBy: null, customerAway: false, customerPanel,
      customerId: info.customer?.id, conversationId: info.conversationId, suggestions, summarySlot,
      summary: info.summary ?? null,
      timeline: new Timeline(list, {
        lang: () => this.i18n.lang,
        texts: () => ({
          sending: this.i18n.t('sending'),
          read: this.i18n.t('read'),
          failed: this.i18n.t('not_sent'),
          newMessages: (count) => this.i18n.t('new_messages', { count }),
        }),
      }),
      seq: 0, unread: 0, ended: false, readSent: 0, typingSentAt: 0, typingTimer: null, typingShown: null,
      unsubscribe: null, stamp: 0,
    };
    attachPicker(input, popup, this.canned);  // before the Enter-to-send handler: Enter picks first
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    input.addEventListener('input', () => this.#typed(room));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#send(room);
    });
    noteToggle.addEventListener('click', () => {
      room.noteMode = !room.noteMode;
      this.#renderComposer(room);
      input.focus();
    });
    dismiss.addEventListener('click', () => this.#dismiss(room));
    this.#renderSummary(room);
    this.#renderComposer(room);
    this.#renderTab(room);
    return room;
  }

  // The bot's handoff summary for the request a room serves (from /topic/consult/summary).
  summarize({ requestId, summary } = {}) {
    for (const room of this.rooms.values()) {
      if (!requestId || room.requestId !== requestId) continue;
      room.summary = summary;
      this.#renderSummary(room);
    }
  }

  // Replies the bot suggests to a customer's message, for this agent's room (never sent by us).
  suggest({ roomId, seq, suggestions } = {}) {
    const room = this.rooms.get(roomId);
    if (!room || room.ended) return;
    // Late ones are dropped: for an older message than shown, or one the agent answered since.
    const at = Number.isInteger(seq) ? seq : 0;
    if (at <= (room.suggestedSeq ?? 0) || at <= (room.answeredSeq ?? 0)) return;
    room.suggestedSeq = at;
    room.suggestions.show(suggestions);
  }

  #renderSummary(room) {
    room.summarySlot.replaceChildren(...[summaryNode(room.summary, this.i18n.t)].filter(Boolean));
  }

  #renderTab(room) {
    const { t } = this.i18n;
    room.tab.replaceChildren(...[
      el('span', { class: 'room-tab-name', text: room.name }),
      room.ended ? el('span', { class: 'chip', text: t(room.endedBy === 'transfer' ? 'chip_transferred' : 'chip_closed') }) : null,
      !room.ended && room.customerAway ? el('span', { class: 'chip chip--warn', text: t('chip_customer_away') }) : null,
      // The number is for the eyes; a screen reader reads the words (a label on a span is not read).
      room.unread > 0 ? el('span', { class: 'badge', 'aria-hidden': 'true', text: String(room.unread) }) : null,
      room.unread > 0 ? el('span', { class: 'sr-only', text: t('unread', { count: room.unread }) }) : null,
    ].filter(Boolean));
  }

  #renderComposer(room) {
    const { t } = this.i18n;
    room.noteToggle.setAttribute('aria-pressed', String(room.noteMode));
    room.form.classList.toggle('composer--note', room.noteMode);
    room.input.placeholder = t(room.noteMode ? 'note_placeholder' : 'input_placeholder');
    room.inputLabel.textContent = t(room.noteMode ? 'note_label' : 'input_label');
    room.sendButton.textContent = t(room.noteMode ? 'note_send' : 'send');
    // Files go to the customer: never from the private note's box.
    room.files.button.hidden = room.noteMode;
  }

  #renderCount() {
    const live = [...this.rooms.values()].filter((room) => !room.ended).length;
    this.count.textContent = String(live);
    this.empty.hidden = this.rooms.size > 0;
    if (this.rooms.size === 0) this.noRoom.hidden = false;
  }

  #tabKeys(event, roomId) {
    const ids = [...this.rooms.keys()];
    const at = ids.indexOf(roomId);
    const next = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: ids.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const id = ids[(next + ids.length) % ids.length];
    this.select(id);
    this.rooms.get(id).tab.focus();
  }

  // ---- messages -----------------------------------------------------------------------------

  async #loadConversation(room, conversationId) {
    try {
      const data = await apiJson(this.session,
        `/api/conversations/${encodeURIComponent(conversationId)}/messages?after=0&limit=100`);
      for (const message of data.messages ?? []) this.#showMessage(room, message, { replay: true });
    } catch (error) {
      room.timeline.notice(refusalText(error, this.i18n.lang));
    }
  }

  // `requestedAt`: when the customer asked for a human; their lines to the bot conversation since
  // then were written while waiting (the bot was silent), and say so.
  #showMessage(room, message, { replay = false, requestedAt } = {}) {
    const { t } = this.i18n;
    const mine = message.senderId === this.me().id;
    const role = mine ? 'agent' : String(message.senderRole ?? '').toLowerCase();  // CUSTOMER, AGENT, BOT
    const name = this.#senderName(room, message);
    if (message.roomId === room.roomId) room.seq = Math.max(room.seq, message.seq ?? 0);
    const item = {
      key: `m:${message.messageId}`, clientMessageId: message.clientMessageId, mine, role, name, text: message.text,
      files: this.filesOf(message), timestamp: message.timestamp, seq: message.seq, stream: message.roomId, pending: false,
      message: { senderId: message.senderId, senderRole: message.senderRole, senderName: message.senderName },
    };
    const whileWaiting = requestedAt && role === 'customer' && message.roomId !== room.roomId &&
      Date.parse(message.timestamp) >= Date.parse(requestedAt);
    if (whileWaiting) item.action = el('span', { class: 'msg-note', text: t('written_while_waiting') });
    const fresh = room.timeline.upsert(item);
    if (fresh && !replay && role === 'customer' && message.roomId === room.roomId) {
      this.#showTyping(room, false);
      if (this.active === room.roomId && document.visibilityState === 'visible') this.#readActive();
      else {
        room.unread += 1;
        this.#renderTab(room);
        this.notifier.notify();
      }
    }
  }

  // Who wrote it, as the name it was sent with (another agent's lines after a transfer keep
  // theirs); the customer as the room names them.
  #senderName(room, message) {
    const { t } = this.i18n;
    if (message.senderId === this.me().id) return t('sender_me');
    switch (String(message.senderRole ?? '').toUpperCase()) {
      case 'BOT': return t('sender_bot');
      case 'CUSTOMER': return message.senderName || room.name;
      case 'AGENT': return t('sender_other_agent', { name: message.senderName || t('agent') });
      default: return message.senderName || '';
    }
  }

  // ---- private notes ------------------------------------------------------------------------

  // A note, or the trace of a transfer: { noteId, kind, authorId, authorName, toAgentId?,
  // toAgentName?, text, timestamp, clientMessageId? }. Only agents ever get these.
  #showNote(room, note) {
    if (!note?.noteId) return;
    // Our own note confirmed: the "sending" line written meanwhile makes way for it.
    if (note.clientMessageId) room.timeline.remove(`c:note:${note.clientMessageId}`);
    room.timeline.upsert({
      key: `n:${note.noteId}`, mine: false, role: 'note', timestamp: note.timestamp, pending: false, stream: room.roomId,
      note, ...this.#noteParts(note),
    });
  }

  #noteParts(note) {
    const { t } = this.i18n;
    const author = note.authorId === this.me().id ? t('sender_me') : note.authorName || t('agent');
    if (note.kind !== 'transfer') return { name: t('note_from', { name: author }), text: note.text };
    const to = note.toAgentId ? (note.toAgentId === this.me().id ? t('sender_me') : note.toAgentName || t('agent')) : null;
    const name = to ? t('transfer_note_to', { from: author, to }) : t('transfer_note_queue', { from: author });
    return { name, text: note.text || t('transfer_no_note') };
  }

  // Our note, shown as "sending" until the server's echo (#showNote) takes its place.
  #showPendingNote(room, clientMessageId, text, timestamp) {
    room.timeline.upsert({
      key: `c:note:${clientMessageId}`, mine: false, role: 'note',
      name: this.i18n.t('note_from', { name: this.i18n.t('sender_me') }), text, timestamp, pending: true, stream: room.roomId,
    });
  }

  #sendNote(room, text) {
    const clientMessageId = randomId();
    this.#showPendingNote(room, clientMessageId, text, new Date().toISOString());
    room.timeline.scrollToEnd();
    this.outbox.send('/app/room.note', { roomId: room.roomId, text, clientMessageId });
  }

  #onEvent(room, data) {
    if (!data || data.roomId !== room.roomId) return;
    const { t } = this.i18n;
    const fromCustomer = data.userId && data.userId !== this.me().id;
    switch (data.type) {
      case undefined:
        this.#showMessage(room, data);
        return;
      case 'typing':
        if (fromCustomer) this.#showTyping(room, Boolean(data.typing));
        return;
      case 'read':
        if (fromCustomer) room.timeline.markRead(room.roomId, data.seq);
        return;
      case 'customer_presence':
        // The customer closed the page (or lost the network) for more than a few seconds, or is back.
        if (Boolean(data.present) === !room.customerAway) return;
        room.customerAway = !data.present;
        room.timeline.notice(t(data.present ? 'customer_back' : 'customer_left'));
        if (!data.present) this.#showTyping(room, false);
        this.#renderTab(room);
        return;
      case 'closed':
        if (room.ended) return;
        room.timeline.notice(t(data.reason === 'idle' ? 'room_closed_idle' : 'room_closed'));
        room.endedBy = 'close';
        this.#setEnded(room, true);
        return;
      case 'transferred':
      case 'left':
        if (room.ended) return;
        if (data.agentId === this.me().id || data.fromAgentId === this.me().id) {
          // Handed to someone (by name), or back to the queue: it goes on without us.
          if (data.toAgentId) room.timeline.notice(t('room_transferred_to', { name: data.toAgentName || t('agent') }));
          else room.timeline.notice(t(data.type === 'left' ? 'room_requeued' : 'room_transferred_queue'));
          room.endedBy = 'transfer';
          this.#setEnded(room, true);
        }
        return;
      default:
        return;
    }
  }

  #setEnded(room, ended) {
    room.ended = ended;
    room.stamp = ++this.stamp;
    room.form.querySelectorAll('textarea, button').forEach((node) => { node.disabled = ended; });
    room.actions.setEnded(ended);
    room.dismiss.hidden = !ended;
    if (!ended) room.endedBy = null;
    if (ended) {
      // Not ours any more: the server dropped our registration, and a SUBSCRIBE after a reconnect
      // would be refused. What was not sent yet never will be.
      this.#detach(room);
      this.outbox?.discard((item) => item.body?.roomId === room.roomId);
      room.timeline.markFailed(room.roomId);
      this.#showTyping(room, false);
    } else {
      this.#attach(room);
    }
    this.#renderTab(room);
    this.#renderCount();
  }

  // Subscribes a live room, from the last seq seen, while connected (after a reconnect, sync()
  // does it for the rooms the server still gives us).
  #attach(room) {
    if (room.unsubscribe || room.ended || !this.session.connected) return;
    room.unsubscribe = this.session.subscribe(`/topic/room/${room.roomId}`, (data) => this.#onEvent(room, data),
      { headers: () => ({ 'since-seq': String(room.seq) }) });
  }

  #detach(room) {
    const unsubscribe = room.unsubscribe;
    room.unsubscribe = null;
    unsubscribe?.();
  }

  // A room found ended after a reconnect: what was said in it since our last seq (our own
  // messages whose echo the dropped connection lost among them), read over HTTP.
  async #catchUp(room) {
    try {
      const data = await apiJson(this.session,
        `/api/conversations/${encodeURIComponent(room.roomId)}/messages?after=${room.seq}&limit=500`);
      for (const message of data.messages ?? []) this.#showMessage(room, { ...message, roomId: room.roomId }, { replay: true });
    } catch {
      // The notice says the room ended; its last lines are in the conversation history.
    }
  }

  // Messages written before a reload and not confirmed yet, shown as "sending" until their echo.
  #showPending(room) {
    for (const item of this.outbox?.pending() ?? []) {
      const body = item.body ?? {};
      if (body.roomId !== room.roomId) continue;
      if (item.destination === '/app/room.note') {
        this.#showPendingNote(room, body.clientMessageId, body.text, item.writtenAt);
        continue;
      }
      if (item.destination !== '/app/room.send') continue;
      room.timeline.upsert({
        key: `c:${body.clientMessageId}`, clientMessageId: body.clientMessageId, mine: true, role: 'agent',
        name: this.i18n.t('sender_me'), text: body.text, timestamp: item.writtenAt, pending: true, stream: room.roomId,
      });
    }
  }

  #dismiss(room) {
    this.#detach(room);
    room.tab.remove();
    room.panel.remove();
    this.rooms.delete(room.roomId);
    if (this.active === room.roomId) {
      this.active = null;
      const next = this.rooms.keys().next();
      if (!next.done) this.select(next.value);
    }
    this.#renderCount();
  }

  // `uploaded`: files already in the room (attachControl), sent with the box's text, if any.
  // In note mode (switched while files were uploading) the files go alone and the note stays in
  // the box: a private note never reaches the customer.
  #send(room, uploaded = []) {
    if (!room || room.ended) return;
    const text = room.noteMode && uploaded.length > 0 ? '' : room.input.value.trim();
    if (!text && uploaded.length === 0) return;
    if (room.noteMode && uploaded.length === 0) {
      room.input.value = '';
      this.#sendNote(room, text);
      return;
    }
    if (text) room.input.value = '';
    room.suggestions.clear();  // answered: the next customer message brings new ones
    room.answeredSeq = room.seq;
    const clientMessageId = randomId();
    clearTimeout(room.typingTimer);
    room.typingSentAt = 0;
    if (this.session.connected) this.session.publish('/app/room.typing', { roomId: room.roomId, typing: false });
    room.timeline.upsert({
      key: `c:${clientMessageId}`, clientMessageId, mine: true, role: 'agent', name: this.i18n.t('sender_me'), text,
      files: this.filesOf({ clientMessageId, attachments: uploaded }), timestamp: new Date().toISOString(), pending: true,
      stream: room.roomId,
    });
    // Kept until the server has it (a RECEIPT), sent again after a reconnect; the echo on the
    // room topic (same clientMessageId) takes the place of the "sending" line.
    const body = { roomId: room.roomId, text, clientMessageId };
    if (uploaded.length > 0) body.attachments = uploaded.map((file) => file.id);
    this.outbox.send('/app/room.send', body);
  }

  #typed(room) {
    if (room.ended || !this.session.connected) return;
    const now = Date.now();
    if (now - room.typingSentAt > 3000) {
      room.typingSentAt = now;
      this.session.publish('/app/room.typing', { roomId: room.roomId, typing: true });
    }
    clearTimeout(room.typingTimer);
    room.typingTimer = setTimeout(() => {
      room.typingSentAt = 0;
      if (!room.ended && this.session.connected) this.session.publish('/app/room.typing', { roomId: room.roomId, typing: false });
    }, 4000);
  }

  #showTyping(room, typing) {
    clearTimeout(room.typingShown);
    room.typing.hidden = !typing;
    room.typing.textContent = typing ? this.i18n.t('typing_customer') : '';
    if (typing) room.typingShown = setTimeout(() => this.#showTyping(room, false), 8000);
  }

  // Read receipt for the active room's customer messages, when the agent can see them.
  #readActive() {
    const room = this.rooms.get(this.active);
    if (!room || room.ended || !this.session.connected || document.visibilityState !== 'visible') return;
    const seq = room.timeline.lastSeq(room.roomId, 'customer');
    if (seq > room.readSent) {
      room.readSent = seq;
      this.session.publish('/app/room.read', { roomId: room.roomId, seq });
    }
  }
}
