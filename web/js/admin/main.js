// The supervisor page (/admin): an administrator signs in and watches the contact center's live
// figures (GET /api/admin/stats), polled every 2 s while the page is visible, puts agents in or out
// of the queue (POST /api/admin/agents/{id}/status), reads every conversation (records.js) and
// manages agents and admins (users.js).
//
// The page holds no STOMP connection: one small GET every 2 s is cheaper for the server than
// fanning out every queue and presence change to supervisors, and it survives anything a proxy
// does to WebSockets. When a poll fails the last figures stay on screen, marked stale, with the
// error above them, and polling goes on.
import { ChatSession } from '../aicc-session.js';
import { apiJson } from '../common/dom.js';
import { createI18n } from '../common/i18n.js';
import { refusalText } from '../common/refusals.js';
import { renderQueueChart } from './chart.js';
import { renderAgents, renderCards } from './figures.js';
import { MESSAGES } from './messages.js';
import { attachRecords } from './records.js';
import { normalizeStats } from './stats.js';
import { attachUsers } from './users.js';

const POLL_MS = 2000;
const REQUEST_TIMEOUT_MS = 5000;  // a hung request must not stop the polling

const i18n = createI18n(MESSAGES, { storageKey: 'aicc.admin.lang' });
const { t } = i18n;
const $ = (id) => document.getElementById(id);

const ui = {
  who: $('who'),
  langToggle: $('lang-toggle'),
  signOut: $('sign-out'),
  loading: $('loading'),
  signIn: $('sign-in'),
  signInTitle: $('sign-in-title'),
  form: $('sign-in-form'),
  username: $('username'),
  password: $('password'),
  signInError: $('sign-in-error'),
  signInButton: $('sign-in-button'),
  refused: $('refused'),
  refusedTitle: $('refused-title'),
  refusedText: $('refused-text'),
  refusedSignOut: $('refused-sign-out'),
  dashboard: $('dashboard'),
  dashboardTitle: $('dashboard-title'),
  updated: $('updated'),
  statsError: $('stats-error'),
  cards: $('cards'),
  waitingCard: $('card-waiting'),
  waitingCount: $('waiting-count'),
  waitingDetail: $('waiting-detail'),
  agentsAvailable: $('agents-available'),
  agentsDetail: $('agents-detail'),
  roomsOpen: $('rooms-open'),
  messagesPerMinute: $('messages-per-minute'),
  botCard: $('card-bot'),
  botRate: $('bot-rate'),
  botDetail: $('bot-detail'),
  satisfactionCard: $('card-satisfaction'),
  satisfactionAverage: $('satisfaction-average'),
  satisfactionDetail: $('satisfaction-detail'),
  botResolvedCard: $('card-bot-resolved'),
  botResolvedRate: $('bot-resolved-rate'),
  botResolvedDetail: $('bot-resolved-detail'),
  botHandoverCard: $('card-bot-handover'),
  botHandoverTotal: $('bot-handover-total'),
  botHandoverDetail: $('bot-handover-detail'),
  botSatisfactionCard: $('card-bot-satisfaction'),
  botSatisfactionAverage: $('bot-satisfaction-average'),
  botSatisfactionDetail: $('bot-satisfaction-detail'),
  chart: $('queue-chart'),
  agentsBody: $('agents-body'),
  agentsEmpty: $('agents-empty'),
  agentsNotice: $('agents-notice'),
  records: $('records'),
  users: $('users'),
};

const state = {
  view: 'loading',        // 'loading' | 'sign-in' | 'refused' | 'dashboard'
  user: null,
  signInMessage: null,    // { key, vars } shown on the sign-in form
  stats: null,            // the last figures received (normalized)
  updatedAt: null,        // when they arrived (local clock, ms)
  error: null,            // the last poll's error ({text} or {key}), null when it worked
  polling: false,
  timer: null,
  inFlight: null,         // AbortController of the request in flight
};

const session = new ChatSession({
  // A refresh refused while watching (password changed, user disabled): back to the sign-in form.
  onStatus: (status) => {
    if (status === 'signed-out' && state.view === 'dashboard') showSignIn({ key: 'session_expired' });
  },
  onError: (error) => console.warn('aicc-chat:', error.code, error.message),
});

const records = attachRecords({
  section: ui.records,
  title: $('records-title'),
  form: $('records-form'),
  agent: $('records-agent'),
  category: $('records-category'),
  rating: $('records-rating'),
  exportButton: $('records-export'),
  container: $('records-browser'),
}, { session, i18n });

const users = attachUsers({
  notice: $('users-notice'),
  secret: $('users-secret'),
  secretText: $('users-secret-text'),
  secretValue: $('users-secret-value'),
  secretCopy: $('users-secret-copy'),
  secretHide: $('users-secret-hide'),
  secretCopied: $('users-secret-copied'),
  createForm: $('users-create'),
  createButton: $('users-create-button'),
  filters: $('users-filters'),
  roleFilter: $('users-role-filter'),
  stateFilter: $('users-state-filter'),
  body: $('users-body'),
  empty: $('users-empty'),
  more: $('users-more'),
  auditBody: $('users-audit-body'),
  auditEmpty: $('users-audit-empty'),
}, { session, i18n });

// The agents' table buttons.
const agentActions = {
  onChats: (agentId) => records.showAgentChats(agentId),
  onStatus: async (agent, status) => {
    const name = agent.name || agent.id;
    try {
      await apiJson(session, `/api/admin/agents/${encodeURIComponent(agent.id)}/status`, {
        method: 'POST', body: JSON.stringify({ status }),
      });
      ui.agentsNotice.textContent = t('agent_status_done', { name, state: t(`state_${status}`) });
      poll();
    } catch (error) {
      ui.agentsNotice.textContent = t('agent_status_failed', { name, message: refusalText(error, i18n.lang) });
    }
  },
};

// ---- views ----------------------------------------------------------------------------------

function setView(view, focus) {
  state.view = view;
  ui.loading.hidden = view !== 'loading';
  ui.signIn.hidden = view !== 'sign-in';
  ui.refused.hidden = view !== 'refused';
  ui.dashboard.hidden = view !== 'dashboard';
  ui.records.hidden = view !== 'dashboard';
  ui.users.hidden = view !== 'dashboard';
  if (view !== 'dashboard') users.stop();
  const signedIn = view === 'refused' || view === 'dashboard';
  ui.signOut.hidden = !signedIn;
  ui.who.hidden = !signedIn;
  document.body.dataset.view = view;
  renderWho();
  // Move focus to the new view's heading so keyboard and screen reader users land in it.
  if (focus) focus.focus();
}

function renderWho() {
  const user = state.user;
  ui.who.textContent = user ? t('signed_in_as', { name: user.displayName || user.username || user.id }) : '';
}

function showSignIn(message = null) {
  stopPolling();
  state.user = null;
  state.stats = null;
  state.signInMessage = message;
  ui.password.value = '';
  renderSignInMessage();
  setView('sign-in');
  (ui.username.value ? ui.password : ui.username).focus();
}

function renderSignInMessage() {
  const message = state.signInMessage;
  ui.signInError.hidden = !message;
  if (!message) ui.signInError.textContent = '';
  else ui.signInError.textContent = message.refusal ? refusalText(message.refusal, i18n.lang) : t(message.key, message.vars);
}

function renderRefused() {
  const user = state.user;
  if (!user) return;
  const roleKey = `role_${user.role}`;
  const role = t(roleKey) === roleKey ? String(user.role ?? '') : t(roleKey);
  ui.refusedText.textContent = t('refused_text', { name: user.displayName || user.username || user.id, role });
}

// The signed-in user decides the view: admins watch, anyone else is told why not. A guest is
// the widget's anonymous customer sharing this origin's refresh cookie: nobody who came here, so
// the form is shown and the guest is left alone (signing it out would end its chat).
function enter(user, { fromSignIn = false } = {}) {
  state.user = user;
  if (user.role === 'ADMIN') {
    setView('dashboard', fromSignIn ? ui.dashboardTitle : null);
    startPolling();
    records.start();
    users.start();
  } else if (user.guest && !fromSignIn) {
    state.user = null;
    showSignIn();
  } else {
    renderRefused();
    setView('refused', ui.refusedTitle);
  }
}

// ---- sign-in and sign-out ---------------------------------------------------------------------

async function submitSignIn(event) {
  event.preventDefault();
  const username = ui.username.value.trim();
  const password = ui.password.value;
  if (!username || !password) {
    state.signInMessage = { key: 'error_fields' };
    renderSignInMessage();
    (username ? ui.password : ui.username).focus();
    return;
  }
  ui.signInButton.disabled = true;
  ui.signInButton.textContent = t('signing_in');
  try {
    const user = await session.login(username, password);
    ui.password.value = '';
    state.signInMessage = null;
    renderSignInMessage();
    enter(user, { fromSignIn: true });
  } catch (error) {
    // Said in the page's language from the refusal's code (and wait), again after a switch.
    state.signInMessage = { refusal: { code: error.code, message: error.message, retryAfter: error.retryAfter } };
    renderSignInMessage();
    ui.password.select();
    ui.password.focus();
  } finally {
    ui.signInButton.disabled = false;
    ui.signInButton.textContent = t('sign_in');
  }
}

async function signOut() {
  stopPolling();
  try {
    await session.logout();
  } catch (error) {
    // Signed out here anyway; the server may still hold the refresh cookie until it expires.
    console.warn('aicc-chat: logout failed:', error.message);
  }
  ui.username.value = '';
  showSignIn();
}

// ---- polling ----------------------------------------------------------------------------------

function startPolling() {
  state.polling = true;
  state.error = null;
  renderStatusLine();
  poll();
}

function stopPolling() {
  state.polling = false;
  clearTimeout(state.timer);
  state.timer = null;
  state.inFlight?.abort();
  state.inFlight = null;
}

// The next poll in POLL_MS, counted from the end of the last one (never two at once); none while
// the page is hidden: visibilitychange starts again.
function schedule() {
  clearTimeout(state.timer);
  state.timer = null;
  if (state.polling && document.visibilityState !== 'hidden') state.timer = setTimeout(poll, POLL_MS);
}

async function poll() {
  state.timer = null;
  if (!state.polling || state.inFlight) return;
  const controller = new AbortController();
  state.inFlight = controller;
  const timeout = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    const data = await apiJson(session, '/api/admin/stats', { signal: controller.signal });
    if (state.inFlight !== controller) return;  // stopped (signed out) meanwhile
    state.stats = normalizeStats(data);
    state.updatedAt = Date.now();
    state.error = null;
    renderStats();
  } catch (error) {
    if (state.inFlight !== controller) return;
    if (!session.signedIn) {
      showSignIn({ key: 'session_expired' });
      return;
    }
    if (error.status === 403) {  // the role changed under us
      state.inFlight = null;
      stopPolling();
      renderRefused();
      setView('refused', ui.refusedTitle);
      return;
    }
    // No HTTP status: the server could not be reached (or took too long); say so in the page's
    // language rather than the browser's "Failed to fetch".
    state.error = error.status ? { refusal: { code: error.code, message: error.message } } : { key: 'stats_unreachable' };
    renderStatusLine();
  } finally {
    clearTimeout(timeout);
    if (state.inFlight === controller) {
      state.inFlight = null;
      schedule();
    }
  }
}

function onVisibility() {
  if (!state.polling) return;
  if (document.visibilityState === 'hidden') {
    clearTimeout(state.timer);
    state.timer = null;
  } else if (!state.inFlight) {
    poll();  // at once: the figures on screen may be minutes old
  }
  renderStatusLine();
}

// ---- rendering --------------------------------------------------------------------------------

function renderStatusLine() {
  const time = state.updatedAt === null ? null : new Date(state.updatedAt).toLocaleTimeString(
    i18n.lang === 'en' ? 'en-US' : 'ko-KR', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  ui.updated.textContent = time ? t('last_updated', { time }) : t('not_updated');
  if (document.visibilityState === 'hidden') ui.updated.textContent += ` ${t('paused')}`;
  ui.statsError.hidden = state.error === null;
  let message = '';
  if (state.error !== null) {
    const reason = state.error.refusal ? refusalText(state.error.refusal, i18n.lang) : t(state.error.key);
    message = t('stats_error', { message: reason });
  }
  // Unchanged text is not written again: the alert would be announced again at every failed poll.
  if (ui.statsError.textContent !== message) ui.statsError.textContent = message;
  ui.dashboard.classList.toggle('stale', state.error !== null);
}

function renderStats() {
  renderStatusLine();
  const stats = state.stats;
  if (!stats) return;
  const context = { t, lang: i18n.lang };
  renderCards(ui, stats, context);
  renderAgents(ui.agentsBody, ui.agentsEmpty, stats.agents.list, context, agentActions);
  records.setAgents(stats.agents.list);
  renderChart();
}

function renderChart() {
  if (!state.stats || ui.dashboard.hidden) return;
  renderQueueChart(ui.chart, { history: state.stats.queueHistory, now: state.stats.now, t });
}

function applyTexts() {
  i18n.translate();
  document.title = t('page_title');
  renderWho();
  renderSignInMessage();
  renderRefused();
  if (state.view === 'dashboard') {
    renderStats();
    users.render();
  }
  if (!ui.signInButton.disabled) ui.signInButton.textContent = t('sign_in');
}

// ---- start ------------------------------------------------------------------------------------

function bindUi() {
  ui.langToggle.addEventListener('click', () => i18n.setLang(i18n.lang === 'ko' ? 'en' : 'ko'));
  i18n.onChange(applyTexts);
  ui.form.addEventListener('submit', submitSignIn);
  ui.signOut.addEventListener('click', signOut);
  ui.refusedSignOut.addEventListener('click', signOut);
  document.addEventListener('visibilitychange', onVisibility);
  // The chart is drawn at the real width: redraw when it changes (rotation, window resize).
  let lastWidth = 0;
  new ResizeObserver(([entry]) => {
    const width = Math.round(entry.contentRect.width);
    if (width !== lastWidth) {
      lastWidth = width;
      renderChart();
    }
  }).observe(ui.chart);
}

async function start() {
  bindUi();
  applyTexts();
  try {
    // A valid refresh cookie signs the user back in without the form.
    const user = await session.resume();
    if (user) enter(user);
    else showSignIn();
  } catch {
    showSignIn({ key: 'error_network' });
  }
  document.body.dataset.ready = 'true';
}

start();
