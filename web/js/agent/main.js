// The agent console (/agent): sign-in, available/away, the live queue with accept and reject,
// auto-assigned chats arriving with a notification, several chats in tabs, canned responses,
// transfer and close. After a reload or a dropped connection everything is fetched again
// (queue, own rooms) and each room is replayed from the last seq seen; messages not confirmed
// yet are sent again; away stays away (it goes with the login, and a reload reads it back).
import { ChatSession } from '../aicc-session.js';
import { apiJson, el } from '../common/dom.js';
import { createI18n } from '../common/i18n.js';
import { refusalText } from '../common/refusals.js';
import { Notifier } from '../common/notify.js';
import { Outbox } from '../common/outbox.js';
import { attachManager, CannedResponses } from './canned.js';
import { attachHistory } from './history-dialog.js';
import { LeftMessages } from './left-messages.js';
import { MESSAGES } from './messages.js';
import { QueuePanel } from './queue.js';
import { Rooms } from './rooms.js';

const i18n = createI18n(MESSAGES, { storageKey: 'aicc.agent.lang' });
const { t } = i18n;
const $ = (id) => document.getElementById(id);

const state = {
  user: null, away: false, outOfQueue: false, started: false, outbox: null, connects: 0, logins: 0, loginReceipt: null, loginRetry: null,
};

const session = new ChatSession({
  onStatus: (status) => {
    renderConnection(status);
    if (status === 'connected') {
      onConnected();
      // Whatever has no receipt yet goes (again), with its clientMessageId: stored once.
      state.outbox?.flush();
    } else {
      rooms.connectionLost();
    }
    if (status === 'signed-out' && state.started) location.reload();
  },
  onError: (error) => console.warn('aicc-chat:', error.code, error.message),
});
const notifier = new Notifier({ baseTitle: t('title'), storageKey: 'aicc.agent.notify' });
const canned = new CannedResponses({ session, i18n });

function toast(text, kind = 'info') {
  const node = el('p', { class: `toast toast--${kind}`, text });
  $('toasts').append(node);
  setTimeout(() => node.remove(), 6000);
}

const queue = new QueuePanel({
  list: $('queue'), empty: $('queue-empty'), count: $('queue-count'), i18n, session,
  onAccept: (requestId) => session.publish('/app/agent.accept', { requestId }),
  onReject: (requestId) => {
    queue.reject(requestId);
    session.publish('/app/agent.reject', { requestId });
  },
});
const leftMessages = new LeftMessages({
  list: $('left-messages'), empty: $('left-empty'), count: $('left-count'), i18n,
  onHandle: (id, reply) => session.publish('/app/agent.handleOffline', reply ? { id, reply } : { id }),
});
const rooms = new Rooms({
  tabs: $('rooms'), panels: $('room-panels'), noRoom: $('no-room'), empty: $('rooms-empty'), count: $('rooms-count'),
  i18n, session, me: () => state.user, canned, notifier, toast,
});

function renderConnection(status) {
  const key = {
    connected: 'status_connected', connecting: 'status_connecting', reconnecting: 'status_reconnecting', offline: 'status_offline',
  }[status] ?? 'status_signed_out';
  $('connection').dataset.state = status;
  $('connection-text').textContent = t(key);
}

function renderStatus() {
  $('status-available').setAttribute('aria-pressed', String(!state.outOfQueue && !state.away));
  $('status-away').setAttribute('aria-pressed', String(!state.outOfQueue && state.away));
}

function setAway(away) {
  state.away = away;
  renderStatus();
  if (state.outOfQueue) {
    // Signed out of the queue by a supervisor: choosing a status signs in again with it.
    state.outOfQueue = false;
    renderStatus();
    if (session.connected) sendLogin();
    return;
  }
  // Offline, the next login carries it (a status sent before that login would be refused).
  if (session.connected) session.publish('/app/agent.status', { status: away ? 'away' : 'available' });
}

// A supervisor put this agent in the queue, out of auto-assignment, or out of the queue.
function onSupervisorStatus(change) {
  const status = change?.status;
  if (!['available', 'away', 'offline'].includes(status)) return;
  state.outOfQueue = status === 'offline';
  if (status !== 'offline') state.away = status === 'away';
  renderStatus();
  toast(t(`supervisor_set_${status}`, { name: change.byName || t('supervisor') }), 'warn');
}

// agent.login until the server confirms it: with several nodes it is refused routing_unavailable
// while another node takes consult routing over, and then sent again a moment later.
const LOGIN_RETRY_MS = 2000;
function sendLogin() {
  clearTimeout(state.loginRetry);
  state.loginReceipt = `agent-login-${++state.logins}`;
  session.publish('/app/agent.login', { status: state.away ? 'away' : 'available' }, { receipt: state.loginReceipt }, {
    onReceipt: () => { state.loginReceipt = null; },
  });
}

function retryLogin() {
  clearTimeout(state.loginRetry);
  state.loginRetry = setTimeout(() => {
    if (session.connected && state.loginReceipt) sendLogin();
  }, LOGIN_RETRY_MS);
}

// Every (re)connect: online again with our status in the same step (so nothing is auto-assigned
// to an agent who is away in between), then the queue and our rooms as the server has them now.
async function onConnected() {
  const connect = ++state.connects;
  if (!state.outOfQueue) sendLogin();
  const mark = rooms.mark();
  const queueMark = queue.mark();
  const leftMark = leftMessages.mark();
  try {
    const [waiting, mine, left] = await Promise.all([
      apiJson(session, '/api/consult/queue'), apiJson(session, '/api/agent/rooms'), apiJson(session, '/api/consult/offline'),
    ]);
    // Lost (and maybe back) meanwhile: that connection asks again.
    if (connect !== state.connects || !session.connected) return;
    queue.replaceAll(waiting.requests ?? [], queueMark);
    leftMessages.replaceAll(left.messages ?? [], leftMark);
    rooms.sync(mine.rooms ?? [], mark);
  } catch (error) {
    if (connect !== state.connects || !session.connected) return;
    rooms.attachLive();
    toast(refusalText(error, i18n.lang), 'error');
  }
}

// The status this agent chose last, as the server keeps it (a reload, or a sign-in again).
async function loadOwnStatus(user) {
  try {
    const data = await apiJson(session, '/api/agents');
    const mine = (data?.agents ?? []).find((agent) => agent.id === user.id);
    // `status` is what they chose; `state` says "away" too while they are connected.
    state.away = mine?.status === 'away' || mine?.state === 'away';
  } catch {
    // Not known: available, as a fresh login is.
  }
  renderStatus();
}

function onOffer(offer) {
  if (queue.offer(offer)) notifier.notify();
}

// A request taken (by anyone) or withdrawn leaves every console's queue at once.
function onUpdate(update) {
  if (update?.requestId && (update.status === 'assigned' || update.status === 'canceled')) queue.remove(update.requestId);
  if (update?.offlineId && update.status === 'handled') {
    leftMessages.remove(update.offlineId);
    if (update.agentId === state.user?.id) toast(t('left_handled'));
  }
}

function onLeftMessage(message) {
  if (!leftMessages.add(message)) return;
  toast(t('left_new', { name: message.customerName || message.customerId || t('customer') }));
  notifier.notify();
}

function onAssignment(assignment) {
  queue.remove(assignment.requestId);
  const fresh = !rooms.has(assignment.roomId);
  rooms.open(assignment, { focus: assignment.mode !== 'auto' || !rooms.active });
  if (fresh) {
    const name = assignment.customer?.displayName || assignment.customer?.id || t('customer');
    // A chat handed over by another agent says so, by whom and why (the note is in the room too).
    const from = assignment.transfer?.fromAgentName || assignment.transfer?.fromAgentId;
    if (from) toast(t(assignment.transfer.note ? 'assigned_transfer_note' : 'assigned_transfer', { name, from, note: assignment.transfer.note }));
    else toast(t(assignment.mode === 'auto' ? 'assigned_auto' : 'assigned_manual', { name }));
    // An auto-assigned chat comes without the agent asking: count it even in a visible tab.
    notifier.notify({ always: assignment.mode === 'auto' });
  }
}

function onDomainError(error) {
  // A refusal of one of our messages: the outbox sends it again later when the server said so.
  const ours = state.outbox?.refused(error);
  if (ours && (error.code === 'rate_limited' || error.code === 'store_unavailable')) return;
  if (error?.code === 'routing_unavailable' && error.receiptId && error.receiptId === state.loginReceipt) {
    retryLogin();
    return;
  }
  if (error?.code === 'already_assigned' && error.requestId) {
    queue.remove(error.requestId);
    toast(t('taken'), 'warn');
    return;
  }
  toast(refusalText(error, i18n.lang), 'error');
}

async function enterWorkspace(user) {
  if (user.role !== 'AGENT') {
    $('login-error').textContent = t('not_agent');
    $('login-error').hidden = false;
    await session.logout().catch(() => {});
    return;
  }
  state.user = user;
  state.started = true;
  // Unconfirmed messages are this agent's (another agent may sign in on this tab later).
  state.outbox = new Outbox(session, { storageKey: `aicc.agent.outbox.${user.id}` });
  rooms.outbox = state.outbox;
  await loadOwnStatus(user);
  $('login-view').hidden = true;
  $('workspace').hidden = false;
  $('me').hidden = false;
  $('me-name').textContent = user.displayName || user.username;
  document.body.dataset.userId = user.id;
  session.subscribe('/topic/consult/request', onOffer);
  session.subscribe('/topic/consult/updates', onUpdate);
  session.subscribe('/topic/consult/offline', onLeftMessage);
  session.subscribe('/topic/consult/summary', (summary) => {
    queue.summarize(summary);
    rooms.summarize(summary);
  });
  session.subscribe('/user/queue/agent/suggestions', (suggestions) => rooms.suggest(suggestions));
  session.subscribe('/user/queue/agent/assignment', onAssignment);
  session.subscribe('/user/queue/agent/notes', (note) => rooms.note(note));
  session.subscribe('/user/queue/agent/status', onSupervisorStatus);
  session.subscribe('/user/queue/errors', onDomainError);
  session.connect();
  canned.load().catch((error) => toast(refusalText(error, i18n.lang), 'error'));
  document.body.dataset.ready = 'true';
}

function bindUi() {
  $('lang-toggle').addEventListener('click', () => i18n.setLang(i18n.lang === 'ko' ? 'en' : 'ko'));
  i18n.onChange(() => {
    notifier.setBaseTitle(t('title'));
    renderConnection(session.status);
    queue.refresh();
    leftMessages.render();
    rooms.refresh();
  });
  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('login-error').hidden = true;
    try {
      const user = await session.login($('login-username').value.trim(), $('login-password').value);
      await enterWorkspace(user);
    } catch (error) {
      $('login-error').textContent = t('sign_in_failed', { message: refusalText(error, i18n.lang) });
      $('login-error').hidden = false;
    }
  });
  $('logout').addEventListener('click', async () => {
    state.started = false;
    session.publish('/app/agent.logout', {});
    await session.logout().catch(() => {});
    location.reload();
  });
  $('status-available').addEventListener('click', () => setAway(false));
  $('status-away').addEventListener('click', () => setAway(true));
  attachHistory({ dialog: $('history'), openButton: $('history-open'), form: $('history-form'), container: $('history-browser') },
    { session, i18n });
  const settings = $('settings');
  $('settings-open').addEventListener('click', () => settings.showModal());
  for (const name of ['sound', 'title']) {
    const box = $(`notify-${name}`);
    box.checked = notifier.settings[name];
    box.addEventListener('change', () => notifier.set(name, box.checked));
  }
  attachManager({
    list: $('canned-list'), form: $('canned-form'), shortcut: $('canned-shortcut'), text: $('canned-text'), error: $('canned-error'),
  }, canned, i18n, toast);
  window.addEventListener('pagehide', () => session.disconnect());
  // Back from the back/forward cache: the page is as it was left, but not connected.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted && state.started && session.signedIn) session.connect();
  });
}

async function start() {
  bindUi();
  i18n.translate();
  notifier.setBaseTitle(t('title'));
  renderConnection('signed-out');
  renderStatus();
  let user = null;
  try {
    user = await session.resume();
  } catch {
    user = null;
  }
  // The cookie may be a customer's (the widget on this site): leave that session alone.
  if (user?.role === 'AGENT') await enterWorkspace(user);
  if (!state.started) {
    $('login-view').hidden = false;
    $('login-username').focus();
  }
}

start();
