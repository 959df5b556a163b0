// The customer chat widget (the /widget page, shown on a company's site in an iframe by
// /widget.js, or opened directly). A guest (or a signed-in customer) talks to the bot, asks for an
// agent, waits with a queue position, chats 1:1, ends the chat and rates it. A reload or a dropped
// network loses and repeats nothing: the token comes back from the refresh token, the room is
// replayed from since-seq, and unconfirmed messages are sent again with their clientMessageId.
import SockJS from 'sockjs-client';

import { ChatSession } from '../aicc-session.js';
import { ACCEPTED_TYPES, MAX_FILES_PER_MESSAGE, messageFiles, paperclipIcon, uploadAll } from '../common/attachments.js';
import { apiJson, el, randomId } from '../common/dom.js';
import { createI18n } from '../common/i18n.js';
import { Notifier } from '../common/notify.js';
import { refusalText } from '../common/refusals.js';
import { Outbox } from '../common/outbox.js';
import { Timeline } from '../common/timeline.js';
import { showLeaveMessage, showRating, showSignIn } from './forms.js';
import { embeddingOrigin, hostTokenStore, inCrossOriginFrame } from './host-token.js';
import { GrowingAnswers } from './growing-answers.js';
import { MESSAGES } from './messages.js';

const params = new URLSearchParams(location.search);
const embedded = window.parent !== window;
// `lang`: asked for by name (kept as the choice); `deflang`: the embedding page's default.
const i18n = createI18n(MESSAGES, { storageKey: 'aicc.widget.lang', initial: params.get('deflang') });
const { t } = i18n;
const $ = (id) => document.getElementById(id);

const ui = {
  agentLine: $('agent-line'),
  agentAvatar: $('agent-avatar'),
  agentName: $('agent-name'),
  soundToggle: $('sound-toggle'),
  bubble: $('bubble'),
  badge: $('bubble-badge'),
  panel: $('panel'),
  connection: $('connection'),
  connectionText: $('connection-text'),
  account: $('account'),
  langToggle: $('lang-toggle'),
  minimize: $('minimize'),
  banner: $('consult-banner'),
  bannerText: $('banner-text'),
  cancel: $('cancel-request'),
  messages: $('messages'),
  typing: $('typing'),
  sideForm: $('side-form'),
  requestAgent: $('request-agent'),
  attach: $('attach'),
  attachInput: $('attach-input'),
  hoursNote: $('hours-note'),
  endChat: $('end-chat'),
  composer: $('composer'),
  input: $('input'),
};

const OPEN_KEY = 'aicc.widget.open';  // sessionStorage: the widget was left open (see wasOpen)

const state = {
  user: null,
  conversationId: null,
  request: null,          // the open consult request: { requestId, status, position?, agentName?, roomId? }
  banner: null,           // { key, vars } of the consult banner
  roomId: null,           // the room whose topic we read
  roomSeq: 0,             // last room seq seen: since-seq of the next (re)subscribe
  roomUnsubscribe: null,
  agentName: '',
  lastCategory: '',
  lastQuestion: '',
  hours: null,            // GET /api/consult/hours: { open, opensAt?, closesAt?, weekly?, timeZone? }
  hoursTimer: null,
  open: !embedded || wasOpen(),
  unread: 0,
  pastRooms: new Map(),   // room id -> last seq shown of an earlier chat (loadPastRooms)
  seen: {},               // per stream (conversation, room): the highest seq the customer has seen
  typingSentAt: 0,
  typingTimer: null,
  typingShownTimer: null,
  readSent: 0,           // last room seq we told the agent we read
  conversationSeq: 0,     // last bot-conversation seq shown
  liveStatuses: 0,        // consult statuses received live: a snapshot older than one is stale
  leftMessage: false,     // the customer left a message instead of waiting
  started: false,
  everConnected: false,
};

// Framed by another site: the refresh token lives with that page (see host-token.js).
const hostOrigin = inCrossOriginFrame() ? embeddingOrigin() : null;
const tokenStore = hostOrigin ? hostTokenStore(hostOrigin) : null;

const session = new ChatSession({
  useSockJS: params.get('transport') === 'sockjs',
  SockJS,
  refreshTokenStore: tokenStore,
  onStatus: (status) => {
    renderConnection(status);
    if (status === 'connected') connected();
    // Signed out by the server (token revoked or refused): start again as a (new) guest.
    if (status === 'signed-out' && state.started) location.reload();
  },
  onError: (error) => console.warn('aicc-chat:', error.code, error.message),
});

const timeline = new Timeline(ui.messages, {
  lang: () => i18n.lang,
  texts: () => ({ sending: t('sending'), read: t('read'), newMessages: (count) => t('new_messages', { count }) }),
});
// Made once we know who we are: unsent messages belong to one user.
let outbox = null;
const isRetryable = (error) => error?.code === 'rate_limited' || error?.code === 'store_unavailable';

function makeOutbox(userId) {
  return new Outbox(session, {
    storageKey: `aicc.widget.outbox.${userId}`,
    onConfirmed: (item) => {
      // A room message is confirmed by its echo on the room topic; a question to the bot by this.
      if (item.destination === '/app/bot.message') {
        timeline.upsert({ key: `c:${item.body.clientMessageId}`, clientMessageId: item.body.clientMessageId, pending: false });
      }
    },
  });
}

// Every CONNECTED: unconfirmed messages go (again); after a reconnect, what was said while we
// were away (statuses and bot answers are not replayed by the server) is read back.
function connected() {
  outbox?.flush();
  sendContext();
  if (state.everConnected) syncState();
  state.everConnected = true;
}

// Where the customer is, for the agents beside the chat: the page that embeds the widget (told by
// the loader), or this page when the widget is opened directly; the language and the browser.
const page = embedded ? { url: '', title: '', referrer: '' }
  : { url: clip(location.href, 2048), title: clip(document.title, 300), referrer: clip(document.referrer, 2048) };
window.addEventListener('message', (event) => {
  if (!embedded || event.source !== window.parent || event.data?.type !== 'aicc:page') return;
  page.url = clip(event.data.url, 2048);
  page.title = clip(event.data.title, 300);
  page.referrer = clip(event.data.referrer, 2048);
  sendContext();
});

// `value` cut to at most `bytes` bytes of UTF-8 (the server's limits are in bytes), whole
// characters only.
function clip(value, bytes) {
  if (typeof value !== 'string') return '';
  let out = value.slice(0, bytes);
  while (new TextEncoder().encode(out).length > bytes) out = Array.from(out).slice(0, -1).join('');
  return out;
}

function sendContext() {
  if (!session.connected) return;
  session.publish('/app/customer.context', {
    pageUrl: page.url, pageTitle: page.title, referrer: page.referrer, lang: i18n.lang,
    userAgent: clip(navigator.userAgent, 512), memberId: state.user && !state.user.guest ? state.user.username ?? '' : '',
  });
}

// ---- rendering -------------------------------------------------------------------------------

function renderConnection(status) {
  const key = {
    connected: 'status_connected',
    connecting: 'status_connecting',
    reconnecting: 'status_reconnecting',
    offline: 'status_offline',
  }[status] ?? 'status_signed_out';
  ui.connection.dataset.state = status;
  ui.connectionText.textContent = t(key);
  renderBanner();  // "chatting with …" is only said while connected
}

// Guests may sign in as members; members see their name and may sign out.
function renderAccount() {
  const user = state.user;
  // Not in a frame of another site: a member's 30-day token would be kept by that site's page.
  ui.account.hidden = !user || (user.guest && inCrossOriginFrame());
  if (!user) return;
  ui.account.textContent = user.guest ? t('sign_in') : t('sign_out');
  ui.account.title = user.guest ? '' : t('signed_in_as', { name: user.displayName || user.username });
}

async function accountClicked() {
  if (!state.user?.guest) {
    await session.logout().catch(() => {});
    location.reload();  // a new guest
    return;
  }
  ui.account.setAttribute('aria-expanded', 'true');
  showSignIn(ui.sideForm, {
    t,
    signIn: async (username, password) => {
      let user;
      try {
        user = await session.login(username, password);
      } catch (error) {
        throw new Error(refusalText(error, i18n.lang));  // in words of the widget's language
      }
      if (user.role !== 'CUSTOMER') {
        await session.logout().catch(() => {});
        throw new Error(t('not_customer'));
      }
    },
    done: (signedIn) => {
      ui.account.setAttribute('aria-expanded', 'false');
      ui.sideForm.hidden = true;
      // The member's own conversation, rooms and history: start again as them.
      if (signedIn) location.reload();
      else ui.account.focus();
    },
  });
}

function setBanner(key, vars = {}) {
  state.banner = key ? { key, vars } : null;
  renderBanner();
}

function renderBanner() {
  ui.banner.hidden = !state.banner;
  if (state.banner) {
    // Never "connected" under a connection that is down: the chat is still on, the line is not.
    const down = state.banner.key === 'connected' && ui.connection.dataset.state !== 'connected';
    ui.bannerText.textContent = t(down ? 'connected_line_down' : state.banner.key, state.banner.vars);
  }
  ui.cancel.hidden = state.request?.status !== 'waiting';
  // The bot's "talk to an agent?" buttons are moot while a request is open.
  document.body.dataset.consult = state.request ? 'open' : 'none';
  ui.requestAgent.hidden = Boolean(state.request);
  renderHours();
  ui.endChat.hidden = !state.roomId || !state.request || state.request.status === 'waiting';
  // Files go to an agent's chat, not to the bot.
  ui.attach.hidden = ui.endChat.hidden;
  // Who the customer is talking to, in the header: the agent's initial and name.
  const agent = state.roomId && state.request && state.request.status !== 'waiting' ? state.agentName : '';
  ui.agentLine.hidden = !agent;
  ui.agentAvatar.textContent = agent ? Array.from(agent)[0].toUpperCase() : '';
  ui.agentName.textContent = agent ? t('agent_header', { name: agent }) : '';
}

// A tone for an agent's message the customer cannot see (the widget closed, or the tab in the
// background); switchable in the header, remembered (notify.js).
const notifier = new Notifier({ baseTitle: document.title, storageKey: 'aicc.widget.notify', defaults: { title: false } });

function renderSound() {
  ui.soundToggle.setAttribute('aria-pressed', String(notifier.settings.sound));
  ui.soundToggle.classList.toggle('muted', !notifier.settings.sound);
}

function agentMessageArrived() {
  if (state.open && document.visibilityState === 'visible') return;
  notifier.notify();
}

function renderOpen() {
  ui.panel.hidden = !state.open;
  ui.bubble.hidden = state.open || !embedded;
  ui.bubble.setAttribute('aria-expanded', String(state.open));
  ui.badge.hidden = state.unread === 0;
  ui.badge.textContent = state.unread > 99 ? '99+' : String(state.unread);
  if (embedded) window.parent.postMessage({ type: 'aicc:widget', open: state.open, unread: state.unread }, '*');
}

function setOpen(open) {
  state.open = open;
  keepOpen(open);
  updateUnread();
  if (open) {
    ui.input.focus();
    sendRead();
    timeline.scrollToEnd();
  } else {
    ui.bubble.focus();
  }
}

// A framed widget remembers, for this tab, whether it was open: a reload (or the next page of the
// site) shows it as the customer left it.
function wasOpen() {
  try {
    return sessionStorage.getItem(OPEN_KEY) === '1';
  } catch {
    return false;  // no storage in this frame: closed, as on a first visit
  }
}
function keepOpen(open) {
  try {
    sessionStorage.setItem(OPEN_KEY, open ? '1' : '0');
  } catch {
    // No storage: the state lasts for this page.
  }
}

// Unread: the agent's and the bot's messages past what the customer has seen (the highest seq
// shown per stream while the panel was open in a visible tab). What was seen is kept per user in
// localStorage, so a reload counts only what came since, never the whole history again.
function seenKey() {
  return `aicc.widget.seen.${state.user?.id ?? ''}`;
}
function loadSeen() {
  try {
    const seen = JSON.parse(localStorage.getItem(seenKey()) ?? '{}');
    return seen && typeof seen === 'object' ? seen : {};
  } catch {
    return {};
  }
}
function saveSeen() {
  try {
    localStorage.setItem(seenKey(), JSON.stringify(state.seen));
  } catch {
    // No storage: what was seen is known for this page only.
  }
}

function updateUnread() {
  const looking = state.open && document.visibilityState === 'visible';
  let unread = 0;
  let changed = false;
  for (const { item } of timeline.entries.values()) {
    if (!item.stream || item.seq === undefined || item.pending) continue;
    const seen = state.seen[item.stream] ?? 0;
    if (item.seq <= seen) continue;
    if (looking) {
      state.seen[item.stream] = item.seq;
      changed = true;
    } else if (!item.mine && (item.role === 'agent' || item.role === 'bot')) {
      unread += 1;
    }
  }
  if (changed && state.user) saveSeen();
  state.unread = unread;
  renderOpen();
}

function applyTexts() {
  i18n.translate();
  renderConnection(session.status);
  renderBanner();
  renderAccount();
  if (timeline.has('welcome')) timeline.upsert({ key: 'welcome', text: t('welcome') });
  relabel();
  timeline.refresh();
}

// The senders' labels and the bot's offers of an agent, in the language just chosen.
function relabel() {
  for (const [key, entry] of timeline.entries) {
    const { item } = entry;
    let name = item.name;
    if (item.mine) name = t('sender_me');
    else if (item.role === 'bot') name = t('sender_bot');
    else if (item.role === 'agent') name = t('sender_agent', { name: item.agentName ?? state.agentName ?? '' });
    const changes = { key };
    if (name !== item.name) changes.name = name;
    // An offer of an agent is said again in the new language; a rating question is asked again.
    if (item.role === 'bot' && item.action) {
      const rating = item.action.classList?.contains('msg-rating');
      changes.action = rating ? botRating(key.replace(/^m:/, '')) : agentOffer();
    }
    if (Object.keys(changes).length > 1) timeline.upsert(changes);
  }
}

function agentOffer() {
  return el('div', { class: 'msg-action' },
    el('span', { text: t('need_human_hint') }),
    el('button', { type: 'button', class: 'primary small', text: t('request_agent'), onclick: requestAgent }));
}

// ---- the bot conversation -----------------------------------------------------------------

function dropAgentOffers() {
  for (const [key, entry] of timeline.entries) {
    if (entry.item.role === 'bot' && entry.item.action) timeline.upsert({ key, action: null });
  }
}

// Was the bot's answer helpful? One click rates it (5 or 1, /app/bot.rate): the bot's
// satisfaction the supervisor compares with the agents'. Only the latest answer asks.
function botRating(messageId) {
  const box = el('div', { class: 'msg-action msg-rating' }, el('span', { text: t('rate_bot_question') }));
  const rate = (score) => {
    session.publish('/app/bot.rate', { messageId, score });
    box.replaceChildren(el('span', { text: t('rate_bot_thanks') }));
    keepFocus();
  };
  box.append(
    el('button', { type: 'button', class: 'secondary small', text: t('rate_bot_yes'), onclick: () => rate(5) }),
    el('button', { type: 'button', class: 'secondary small', text: t('rate_bot_no'), onclick: () => rate(1) }));
  return box;
}

function dropRatings() {
  for (const [key, entry] of timeline.entries) {
    if (entry.item.role === 'bot' && entry.item.action?.classList?.contains('msg-rating')) timeline.upsert({ key, action: null });
  }
}

function botItem({ messageId, seq, botMessage, needHuman, category, timestamp }, { live = false } = {}) {
  let action = null;
  if (needHuman && !(state.request && !state.request.pending)) {
    state.lastCategory = category || state.lastCategory;
    action = agentOffer();
  } else if (live && !needHuman && category !== 'greeting') {
    dropRatings();
    action = botRating(messageId);
  }
  return { key: `m:${messageId}`, role: 'bot', name: t('sender_bot'), text: botMessage, timestamp, seq, stream: state.conversationId, action };
}

function storedItem(message) {
  const mine = message.senderId === state.user?.id;
  const sender = String(message.senderRole ?? '').toLowerCase();  // CUSTOMER, AGENT, BOT, SYSTEM
  const role = mine ? 'customer' : sender;
  let name = mine ? t('sender_me') : t('sender_bot');
  // Each line under the name it was sent with: after a transfer the first agent's lines keep theirs.
  const agentName = role === 'agent' ? message.senderName || state.agentName || '' : undefined;
  if (role === 'agent') name = t('sender_agent', { name: agentName });
  return {
    key: `m:${message.messageId}`,
    clientMessageId: message.clientMessageId,
    mine,
    role,
    name,
    agentName,
    text: message.text,
    files: filesOf(message),
    timestamp: message.timestamp,
    seq: message.seq,
    stream: message.roomId || state.conversationId || undefined,  // the room, or the bot conversation
    pending: false,
  };
}

async function loadConversation(conversationId) {
  let after = state.conversationSeq;
  for (let page = 0; page < 50; page += 1) {
    const data = await apiJson(session, `/api/conversations/${encodeURIComponent(conversationId)}/messages?after=${after}&limit=200`);
    for (const message of data.messages ?? []) {
      timeline.upsert(storedItem(message));
      state.conversationSeq = Math.max(state.conversationSeq, message.seq ?? 0);
    }
    if (!data.nextAfter || (data.messages ?? []).length === 0) break;
    after = data.nextAfter;
  }
  updateUnread();
}

// The bot's streamed answers being shown as they grow (growing-answers.js).
const growingAnswers = new GrowingAnswers();

function onBotResponse(data) {
  state.conversationId = data.conversationId || state.conversationId;
  if (data.partial === true) {
    growBotAnswer(data);
    return;
  }
  growingAnswers.finish(data.messageId);
  if (data.interrupted) {
    // A person took over before the bot finished: its half answer goes.
    timeline.remove(`m:${data.messageId}`);
    return;
  }
  state.conversationSeq = Math.max(state.conversationSeq, data.seq ?? 0);
  if (timeline.upsert(botItem(data, { live: true }))) updateUnread();
}

function growingItem(messageId, text, timestamp) {
  return { key: `m:${messageId}`, role: 'bot', name: t('sender_bot'), text, timestamp, stream: state.conversationId };
}

// The answer growing when the page (re)connected, from /api/consult/current: the text of its
// parts up to `part`, after which the live parts apply. An answer already final (loaded with the
// conversation) is left as it is.
function resumeBotAnswer(snapshot) {
  if (timeline.has(`m:${snapshot?.messageId}`) && !growingAnswers.has(snapshot.messageId)) return;
  const text = growingAnswers.resume(snapshot ?? {});
  if (text !== null) timeline.upsert(growingItem(snapshot.messageId, text, new Date().toISOString()));
}

// A part, applied in order (one that comes early waits for those before it); one missed (a
// reconnect) leaves the text as it is until the final answer, which carries the whole of it.
// Rendered as text, like every chat text.
function growBotAnswer(part) {
  const grown = growingAnswers.grow(part);
  if (!grown) return;
  if (timeline.upsert(growingItem(part.messageId, grown.text, part.timestamp)) && grown.first) updateUnread();
}

// ---- consult request and room ---------------------------------------------------------------

function requestAgent() {
  if (state.request) return;
  state.leftMessage = false;
  // Waiting from the customer's point of view at once; the server's status (or a refusal on
  // /user/queue/errors, or the next snapshot) replaces this.
  state.request = { status: 'waiting', pending: true };
  setBanner('waiting');
  session.publish('/app/consult.request', { category: state.lastCategory, reason: state.lastQuestion });
  keepFocus();
}

// The button that had the focus is gone (hidden, or dropped with the bot's offer): the focus goes
// to the message box, where the customer goes on, rather than to the page's body.
function keepFocus() {
  const focused = document.activeElement;
  if (focused === ui.requestAgent || focused?.closest?.('.msg-action') || focused === document.body) ui.input.focus();
}

// A consult status: live from /user/queue/consult/status, or the snapshot of /api/consult/current.
function onConsultStatus(status) {
  state.liveStatuses += 1;
  applyStatus(status);
}

function applyStatus(status) {
  if (!status) return;
  // An open request (raised by the button, or by the server when the bot asked for a human):
  // the bot's "talk to an agent?" buttons have done their job.
  if (['waiting', 'connected', 'auto_assigned'].includes(status.status)) {
    const hadOfferFocus = document.activeElement?.closest?.('.msg-action');
    dropAgentOffers();
    if (hadOfferFocus) ui.input.focus();
  }
  switch (status.status) {
    case 'waiting': {
      // The leave-a-message offer carries no position: keep what we knew of the same request.
      const same = state.request && (!state.request.requestId || state.request.requestId === status.requestId);
      state.request = same ? { ...state.request, ...status, pending: false } : { ...status };
      const position = state.request.position;
      if (position && state.request.expectedWaitMs) {
        setBanner('waiting_position_eta', { position, minutes: Math.max(1, Math.round(state.request.expectedWaitMs / 60000)) });
      } else {
        setBanner(position ? 'waiting_position' : 'waiting', { position });
      }
      if (status.roomId) enterRoom(status.roomId);
      if (status.offerLeaveMessage) offerLeaveMessage(status.requestId, status.leaveReason, status.opensAt);
      break;
    }
    case 'connected':
    case 'auto_assigned':
      state.request = { ...status };
      state.agentName = status.agentName || state.agentName;
      setBanner(status.agentReconnecting ? 'agent_reconnecting' : 'connected', { name: state.agentName });
      enterRoom(status.roomId);
      ui.sideForm.hidden = true;
      break;
    case 'canceled':
      if (state.request && !state.leftMessage) timeline.notice(t('request_canceled'));
      state.leftMessage = false;
      state.request = null;
      leaveRoom();
      setBanner(null);
      break;
    case 'closed':
      endRoom(status.roomId ?? state.roomId);
      break;
    default:
      break;
  }
}

function enterRoom(roomId) {
  if (!roomId || state.roomId === roomId) return;
  leaveRoom();
  state.roomId = roomId;
  state.roomSeq = 0;
  state.readSent = 0;
  state.roomUnsubscribe = session.subscribe(`/topic/room/${roomId}`, onRoomEvent, {
    headers: () => ({ 'since-seq': String(state.roomSeq) }),
    // The room closed while we were away: the snapshot after the reconnect tells the rest.
    onRefused: () => {
      if (state.roomId !== roomId) return;
      state.roomUnsubscribe = null;
      endRoom(roomId);
    },
  });
  renderBanner();
}

function leaveRoom() {
  state.roomUnsubscribe?.();
  state.roomUnsubscribe = null;
  state.roomId = null;
  showTyping(false);
  renderBanner();
}

// `reason`: idle when the server closed a room nobody wrote in for routing.room-idle-close.
function endRoom(roomId, reason) {
  if (!state.request && !state.roomId) return;
  const rated = roomId ?? state.roomId;
  state.request = null;
  leaveRoom();
  setBanner(null);
  timeline.notice(t(reason === 'idle' ? 'chat_closed_idle' : 'chat_closed'), `closed:${rated}`);
  outbox?.discard((item) => item.body.roomId === rated);
  if (rated) {
    showRating(ui.sideForm, {
      t,
      send: ({ score, comment }) => session.publish('/app/room.rate', { roomId: rated, score, comment }),
      done: (sent) => {
        // publish() refuses only when signed out or its queue is full: then there is no "thanks".
        ui.sideForm.hidden = true;
        if (sent) timeline.notice(t('rating_thanks'));
        ui.input.focus();
      },
    });
  }
}

// `reason`: closed (outside business hours, opening again at `opensAt`), nobody_online (no agent
// signed in at all) or busy (the wait ran out).
function offerLeaveMessage(requestId, reason, opensAt) {
  const title = {
    closed: opensAt ? t('leave_title_closed', { time: openingTime(opensAt) }) : t('leave_title_closed_unknown'),
    nobody_online: t('leave_title_nobody'),
  }[reason] ?? t('leave_title');
  showLeaveMessage(ui.sideForm, {
    t,
    title,
    send: ({ text, contact }) => {
      state.leftMessage = true;
      session.publish('/app/consult.leave', { requestId, text, contact });
    },
    done: () => {
      ui.sideForm.hidden = true;
      timeline.notice(t('leave_done'));
    },
  });
}

function onRoomEvent(data) {
  if (!data || data.roomId !== state.roomId) return;
  const fromOther = data.userId && data.userId !== state.user?.id;
  switch (data.type) {
    case undefined:
      state.roomSeq = Math.max(state.roomSeq, data.seq ?? 0);
      if (timeline.upsert(storedItem(data)) && data.senderId !== state.user?.id) {
        showTyping(false);
        updateUnread();
        agentMessageArrived();
        sendRead();
      }
      return;
    case 'typing':
      if (fromOther) showTyping(Boolean(data.typing));
      return;
    case 'read':
      if (fromOther) timeline.markRead(state.roomId, data.seq);
      return;
    case 'joined':
      state.agentName = data.agentName || state.agentName;
      setBanner('connected', { name: state.agentName });
      return;
    case 'agent_reconnecting':
      setBanner('agent_reconnecting');
      return;
    case 'agent_reconnected':
      setBanner('connected', { name: state.agentName });
      timeline.notice(t('agent_back'));
      return;
    case 'left':
      timeline.notice(t('agent_left'));
      return;
    case 'transferred':
      // Never the agents' note: only who has the chat now.
      timeline.notice(data.toAgentName ? t('transferred_to', { name: data.toAgentName }) : t('transferred'));
      return;
    case 'closed':
      endRoom(data.roomId, data.reason);
      // The status may have ended the room first, with the plain words: say why.
      if (data.reason === 'idle') timeline.notice(t('chat_closed_idle'), `closed:${data.roomId}`);
      return;
    default:
      return;
  }
}

function showTyping(typing) {
  clearTimeout(state.typingShownTimer);
  ui.typing.hidden = !typing;
  ui.typing.textContent = typing ? t('typing_agent') : '';
  // A lost "stopped typing" must not leave the line up for ever.
  if (typing) state.typingShownTimer = setTimeout(() => showTyping(false), 8000);
}

function sendRead() {
  if (!state.roomId || !state.open || document.visibilityState !== 'visible') return;
  const seq = timeline.lastSeq(state.roomId, 'agent');
  if (seq > state.readSent) {
    state.readSent = seq;
    session.publish('/app/room.read', { roomId: state.roomId, seq });
  }
}

function sendTyping(typing) {
  if (!state.roomId || !session.connected) return;
  session.publish('/app/room.typing', { roomId: state.roomId, typing });
}

// ---- composer -----------------------------------------------------------------------------

// The files a message carries, as one node per message.
const filesOf = messageFiles({
  session,
  texts: () => ({ save: (name) => t('file_save', { name }) }),
  onError: (error) => timeline.notice(refusalText(error, i18n.lang)),
});

// Uploads the chosen files to the room, then sends them in one message with what is in the box.
async function attachFiles(chosen) {
  const roomId = state.roomId;
  if (!roomId || !outbox || chosen.length === 0) return;
  ui.attach.disabled = true;
  const uploaded = await uploadAll(session, roomId, chosen, {
    refused: (file, error) => timeline.notice(t('file_refused', { name: file.name, reason: refusalText(error, i18n.lang) })),
    tooMany: () => timeline.notice(t('files_at_most', { count: MAX_FILES_PER_MESSAGE })),
  });
  ui.attach.disabled = false;
  if (uploaded.length === 0 || roomId !== state.roomId) return;
  const text = ui.input.value.trim();
  ui.input.value = '';
  const clientMessageId = randomId();
  outbox.send('/app/room.send', { roomId, text, clientMessageId, attachments: uploaded.map((file) => file.id) });
  timeline.upsert({
    key: `c:${clientMessageId}`, clientMessageId, mine: true, role: 'customer', name: t('sender_me'), text,
    files: filesOf({ clientMessageId, attachments: uploaded }), timestamp: new Date().toISOString(), pending: true, stream: roomId,
  });
}

function submit(event) {
  event.preventDefault();
  const text = ui.input.value.trim();
  if (!text || !outbox) return;  // (before sign-in finished: the text stays in the box)
  ui.input.value = '';
  const clientMessageId = randomId();
  const timestamp = new Date().toISOString();
  const inRoom = state.roomId && state.request && state.request.status !== 'waiting';
  if (inRoom) {
    clearTimeout(state.typingTimer);
    state.typingSentAt = 0;
    sendTyping(false);
    outbox.send('/app/room.send', { roomId: state.roomId, text, clientMessageId });
  } else {
    state.lastQuestion = text;
    // The bot answers in the page's language; `stream`: this page shows an answer growing.
    outbox.send('/app/bot.message', { message: text, clientMessageId, lang: i18n.lang, stream: true });
  }
  timeline.upsert({
    key: `c:${clientMessageId}`, clientMessageId, mine: true, role: 'customer', name: t('sender_me'), text, timestamp,
    pending: true, stream: inRoom ? state.roomId : state.conversationId,
  });
}

function typed() {
  if (!state.roomId) return;
  const now = Date.now();
  if (now - state.typingSentAt > 3000) {
    state.typingSentAt = now;
    sendTyping(true);
  }
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(() => {
    state.typingSentAt = 0;
    sendTyping(false);
  }, 4000);
}

// ---- start --------------------------------------------------------------------------------

function bindUi() {
  ui.bubble.addEventListener('click', () => setOpen(true));
  ui.minimize.addEventListener('click', () => setOpen(false));
  ui.minimize.hidden = !embedded;
  ui.langToggle.addEventListener('click', () => i18n.setLang(i18n.lang === 'ko' ? 'en' : 'ko'));
  ui.soundToggle.addEventListener('click', () => {
    notifier.set('sound', !notifier.settings.sound);
    renderSound();
  });
  renderSound();
  ui.account.addEventListener('click', accountClicked);
  i18n.onChange(applyTexts);
  ui.requestAgent.addEventListener('click', requestAgent);
  ui.cancel.addEventListener('click', () => {
    if (state.request?.requestId) session.publish('/app/consult.cancel', { requestId: state.request.requestId });
  });
  ui.endChat.addEventListener('click', () => {
    if (state.roomId) session.publish('/app/room.close', { roomId: state.roomId });
  });
  ui.composer.addEventListener('submit', submit);
  ui.attachInput.accept = ACCEPTED_TYPES;
  ui.attach.append(paperclipIcon());
  ui.attach.addEventListener('click', () => ui.attachInput.click());
  ui.attachInput.addEventListener('change', () => {
    const chosen = [...ui.attachInput.files];
    ui.attachInput.value = '';  // the same file may be chosen again
    attachFiles(chosen);
  });
  ui.input.addEventListener('input', typed);
  ui.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && embedded && state.open) setOpen(false);
  });
  document.addEventListener('visibilitychange', () => {
    sendRead();
    updateUnread();
  });
  window.addEventListener('pagehide', () => session.disconnect());
  // Back from the back/forward cache: the connection closed at pagehide comes back.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted && state.started) session.connect();
  });
}

function onDomainError(error) {
  // A refusal of one of our messages: the outbox sends it again later when the server said so
  // (rate_limited, store_unavailable); that needs no notice.
  if (outbox?.refused(error) && isRetryable(error)) return;
  timeline.notice(refusalText(error, i18n.lang));
  // A refused consult request: the customer is not waiting after all.
  if (state.request?.pending) {
    state.request = null;
    setBanner(null);
  }
}

// ---- business hours -------------------------------------------------------------------------

// "12월 7일 (월) 오전 9:00" / "Mon, Dec 7, 9:00 AM": when agents are there again, in the
// customer's own time.
function openingTime(timestamp) {
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(i18n.lang === 'en' ? 'en-US' : 'ko-KR',
    { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}

// Outside business hours the widget says so before the customer asks, and when agents are back.
function renderHours() {
  const closed = state.hours && !state.hours.open && !state.request;
  ui.hoursNote.hidden = !closed;
  if (!closed) return;
  ui.hoursNote.textContent = state.hours.opensAt
    ? t('hours_closed', { time: openingTime(state.hours.opensAt) })
    : t('hours_closed_unknown');
}

// Reads the hours, and again when they change (opening or closing time, at most a day ahead).
async function loadHours() {
  clearTimeout(state.hoursTimer);
  try {
    const response = await fetch('/api/consult/hours', { headers: { accept: 'application/json' } });
    if (response.ok) state.hours = await response.json();
  } catch {
    // Unknown: the widget says nothing of hours; asking for an agent still tells the customer.
  }
  renderHours();
  const next = Date.parse(state.hours?.open ? state.hours?.closesAt : state.hours?.opensAt);
  if (Number.isFinite(next)) {
    state.hoursTimer = setTimeout(loadHours, Math.min(Math.max(next - Date.now() + 1000, 1000), 86_400_000));
  }
}

// Reads the conversation and the consult state as the server has them: at start and after every
// reconnect. A live status that arrived while the snapshot was on its way is newer: it wins.
async function syncState() {
  const statusesBefore = state.liveStatuses;
  try {
    const current = await apiJson(session, '/api/consult/current');
    state.conversationId = current.conversationId ?? state.conversationId;
    if (current.request?.agentName) state.agentName = current.request.agentName;
    if (state.liveStatuses === statusesBefore) {
      if (current.request) applyStatus(current.request);
      else if (state.request && !state.request.pending) applyStatus({ status: state.roomId ? 'closed' : 'canceled' });
    }
    if (state.conversationId) {
      await loadConversation(state.conversationId);
      await loadPastRooms();
    }
    if (current.botAnswer) resumeBotAnswer(current.botAnswer);
  } catch (error) {
    timeline.notice(refusalText(error, i18n.lang));
  }
}

// Every earlier chat with an agent (after a reload, or for a member on another device): its
// messages, under the names they were sent with, and how it ended, in time order with the bot
// part. The room open now is replayed by its own subscription instead.
async function loadPastRooms() {
  const history = await apiJson(session, '/api/consult/history');
  for (const room of history.rooms ?? []) {
    if (room.roomId === state.roomId) continue;
    let after = state.pastRooms.get(room.roomId) ?? 0;
    for (let page = 0; page < 20 && after < (room.lastSeq ?? 0); page += 1) {
      const data = await apiJson(session,
        `/api/conversations/${encodeURIComponent(room.roomId)}/messages?after=${after}&limit=200`);
      const messages = data.messages ?? [];
      if (messages.length === 0) break;
      for (const message of messages) {
        timeline.upsert(storedItem({ ...message, roomId: room.roomId, senderName: message.senderName || room.agentName }));
      }
      after = data.nextAfter ?? messages.at(-1).seq;
    }
    state.pastRooms.set(room.roomId, after);
    if (room.closedAt) timeline.notice(t('chat_closed'), `closed:${room.roomId}`, room.closedAt);
  }
  updateUnread();
}

async function start() {
  bindUi();
  applyTexts();
  renderOpen();
  timeline.notice(t('welcome'), 'welcome', '');
  try {
    await tokenStore?.load();
    // With a valid refresh token the server resumes that customer (guest or member), else it
    // makes a new guest. A refused token (reused, or not a customer's) is cleared by that answer:
    // the second try is a new guest.
    state.user = await session.guest().catch((error) => {
      if (error.status === 401 || error.status === 403) return session.guest();
      throw error;
    });
  } catch (error) {
    timeline.notice(t('start_failed'));
    renderConnection('signed-out');
    return;
  }
  state.started = true;
  state.seen = loadSeen();
  document.body.dataset.userId = state.user.id;
  renderAccount();
  // What this user wrote and the server never confirmed (a reload while offline) goes out again.
  outbox = makeOutbox(state.user.id);
  for (const item of outbox.pending()) {
    const text = item.body.text ?? item.body.message;
    timeline.upsert({ key: `c:${item.body.clientMessageId}`, clientMessageId: item.body.clientMessageId, mine: true,
      role: 'customer', name: t('sender_me'), text, timestamp: item.writtenAt, pending: true });
  }
  session.subscribe('/user/queue/bot/response', onBotResponse);
  session.subscribe('/user/queue/consult/status', onConsultStatus);
  // An agent's reply to the message this customer left (also read from the history later).
  session.subscribe('/user/queue/messages', (message) => {
    if (!timeline.upsert(storedItem(message))) return;
    updateUnread();
    agentMessageArrived();
  });
  session.subscribe('/user/queue/errors', onDomainError);
  session.connect();
  loadHours();
  await syncState();
  document.body.dataset.ready = 'true';
}

start();
