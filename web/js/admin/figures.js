// Puts the normalized figures (stats.js) into the page: the cards and the agents table. Unknown
// figures (null) show as a dash rather than a misleading 0. Agent names come from users, so they
// only ever reach the page through textContent (el()'s `text`).
import { clear, duration, el } from '../common/dom.js';
import { sortAgents } from './stats.js';

// A wait this long (ms) marks the waiting card as needing attention.
const LONG_WAIT_MS = 60_000;

function locale(lang) {
  return lang === 'en' ? 'en-US' : 'ko-KR';
}

function number(n, lang, options) {
  return n === null ? null : new Intl.NumberFormat(locale(lang), options).format(n);
}

function setText(node, text, fallback) {
  node.textContent = text ?? fallback;
}

// `ui` holds the value/detail nodes by card (see admin.html); `stats` is normalizeStats()'s.
export function renderCards(ui, stats, { t, lang }) {
  const dash = t('no_data');
  const { waiting, agents, bot, satisfaction, botOutcomes } = stats;

  setText(ui.waitingCount, number(waiting.count, lang), dash);
  ui.waitingDetail.textContent = waiting.count === 0
    ? t('card_waiting_none')
    : t('card_waiting_detail', { wait: waiting.longestWaitMs === null ? dash : duration(waiting.longestWaitMs) });
  ui.waitingCard.dataset.level = waiting.count > 0 && waiting.longestWaitMs >= LONG_WAIT_MS ? 'warn' : 'normal';

  setText(ui.agentsAvailable, number(agents.available, lang), dash);
  ui.agentsDetail.textContent = t('card_agents_detail', {
    full: number(agents.full, lang) ?? dash,
    away: number(agents.away, lang) ?? dash,
    reconnecting: number(agents.reconnecting, lang) ?? dash,
    offline: number(agents.offline, lang) ?? dash,
  });

  setText(ui.roomsOpen, number(stats.roomsOpen, lang), dash);
  setText(ui.messagesPerMinute, number(stats.messagesPerMinute, lang), dash);

  setText(ui.botRate, number(bot.failureRate, lang, { style: 'percent', maximumFractionDigits: 1 }), dash);
  ui.botDetail.textContent = t('card_bot_detail', { asked: number(bot.asked, lang) ?? dash, failed: number(bot.failed, lang) ?? dash });
  ui.botCard.dataset.level = bot.failureRate !== null && bot.failureRate >= 0.2 ? 'warn' : 'normal';

  // Only when the server reports it.
  ui.satisfactionCard.hidden = !satisfaction;
  if (satisfaction) {
    const average = number(satisfaction.average, lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    ui.satisfactionAverage.textContent = average === null ? dash : `${average} / 5`;
    ui.satisfactionDetail.textContent = t('card_satisfaction_detail', { count: number(satisfaction.count, lang) ?? dash });
  }
  renderBotOutcomes(ui, botOutcomes, satisfaction, { t, lang, dash });
}

// The bot judged as a contact center judges it: resolved alone, handed over and why, and how
// satisfied customers were with its answers beside the agents' chats.
function renderBotOutcomes(ui, outcomes, satisfaction, { t, lang, dash }) {
  for (const card of [ui.botResolvedCard, ui.botHandoverCard, ui.botSatisfactionCard]) card.hidden = !outcomes;
  if (!outcomes) return;
  const count = (n) => number(n, lang) ?? dash;
  setText(ui.botResolvedRate, number(outcomes.resolutionRate, lang, { style: 'percent', maximumFractionDigits: 1 }), dash);
  ui.botResolvedDetail.textContent = t('card_bot_resolved_detail', {
    resolved: count(outcomes.resolved), answered: count(outcomes.answered),
  });
  const handed = outcomes.handedOver;
  setText(ui.botHandoverTotal, number(handed.total, lang), dash);
  ui.botHandoverDetail.textContent = t('card_bot_handover_detail', {
    needHuman: count(handed.botNeedHuman), failed: count(handed.botFailed), asked: count(handed.customerAsked),
  });
  const average = (n) => number(n, lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) ?? dash;
  const bot = outcomes.botSatisfaction;
  ui.botSatisfactionAverage.textContent = t('card_bot_satisfaction_value', {
    bot: average(bot.average), agents: average(satisfaction?.average ?? null),
  });
  ui.botSatisfactionDetail.textContent = t('card_bot_satisfaction_detail', {
    bot: count(bot.count), agents: count(satisfaction?.count ?? null),
  });
}

function stateLabel(state, t) {
  const key = `state_${state}`;
  const label = t(key);
  return label === key ? state : label;  // a state this page does not know yet: show it as sent
}

function loadCell(agent, t, dash) {
  const { activeRooms: active, maxRooms: max } = agent;
  const text = t('load_text', { active: active ?? dash, max: max ?? dash });
  // The flex box is a span inside the cell: a flex <td> would leave the table layout.
  const box = el('span', { class: 'load' }, el('span', { class: 'load-text', text }));
  if (active !== null && max) {
    const share = Math.min(1, Math.max(0, active / max));
    const bar = el('span', { class: 'load-bar', 'aria-hidden': 'true' }, el('span', { class: 'load-fill' }));
    const fill = bar.firstChild;
    fill.style.width = `${Math.round(share * 100)}%`;  // CSSOM, allowed by style-src 'self'
    fill.dataset.full = String(active >= max);
    box.prepend(bar);
  }
  return el('td', {}, box);
}

// What a supervisor may do with an agent: see their open chats; put them in the queue, keep them
// from auto-assignment, or sign them out of it (the current state's button is disabled).
function actionsCell(agent, t, actions) {
  const name = agent.name || agent.id;
  const button = (action, text, label, disabled, onclick) => el('button', {
    type: 'button', class: 'secondary small', dataset: { action }, 'aria-label': label, disabled, text, onclick,
  });
  const state = agent.state === 'full' ? 'available' : agent.state;
  return el('td', { class: 'agent-actions' },
    button('chats', t('agent_chats'), t('agent_chats_label', { name }), agent.activeRooms === 0, () => actions.onChats(agent.id)),
    button('available', t('set_available'), t('set_available_label', { name }), state === 'available', () => actions.onStatus(agent, 'available')),
    button('away', t('set_away'), t('set_away_label', { name }), state === 'away', () => actions.onStatus(agent, 'away')),
    button('offline', t('set_offline'), t('set_offline_label', { name }), state === 'offline', () => actions.onStatus(agent, 'offline')));
}

// Rebuilds the table body (a few dozen rows at most: cheaper to redo than to diff); a focused
// button keeps the focus across the rebuild, so keyboard users are not thrown out every 2 s.
export function renderAgents(tbody, empty, list, { t, lang }, actions) {
  const focused = tbody.contains(document.activeElement) ? document.activeElement : null;
  const keep = focused && { agentId: focused.closest('tr')?.dataset.agentId, action: focused.dataset.action };
  clear(tbody);
  empty.hidden = list.length > 0;
  for (const agent of sortAgents(list, lang)) {
    tbody.append(el('tr', { dataset: { agentId: agent.id, state: agent.state } },
      el('th', { scope: 'row', class: 'name', text: agent.name || agent.id }),
      el('td', { class: 'state' },
        el('span', { class: 'state-dot', 'aria-hidden': 'true' }),
        el('span', { text: stateLabel(agent.state, t) })),
      loadCell(agent, t, t('no_data')),
      actionsCell(agent, t, actions)));
  }
  if (keep?.agentId) {
    const row = [...tbody.rows].find((r) => r.dataset.agentId === keep.agentId);
    const again = row?.querySelector(`[data-action="${keep.action}"]`);
    (again && !again.disabled ? again : row?.querySelector('button:not(:disabled)'))?.focus();
  }
}
