// GET /api/admin/stats read tolerantly: the page must keep working when a field is missing, null
// or of another type (an older or newer server), so every figure becomes a number or null
// ("unknown", shown as a dash) here, once, and the renderers never look at the raw JSON.

// 'full': available, but with as many chats as allowed (takes no new one).
const AGENT_STATES = ['available', 'full', 'away', 'offline', 'reconnecting'];

function num(value) {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

function time(value) {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

function agentOf(raw, index) {
  const agent = raw && typeof raw === 'object' ? raw : {};
  const activeRooms = num(agent.activeRooms);
  const maxRooms = num(agent.maxRooms);
  const state = typeof agent.state === 'string' ? agent.state : 'offline';
  const full = agent.atCapacity === true || (activeRooms !== null && maxRooms !== null && activeRooms >= maxRooms);
  return {
    id: String(agent.id ?? `agent-${index}`),
    name: String(agent.name ?? agent.displayName ?? agent.id ?? ''),
    state: state === 'available' && full ? 'full' : state,
    activeRooms,
    maxRooms,
  };
}

export function normalizeStats(raw) {
  const data = raw && typeof raw === 'object' ? raw : {};
  const list = Array.isArray(data.agents?.list) ? data.agents.list.map(agentOf) : [];
  // Counts by state: the server's, else counted from the list.
  const agents = { list };
  for (const state of AGENT_STATES) {
    agents[state] = num(data.agents?.[state]) ?? (list.length ? list.filter((a) => a.state === state).length : null);
  }

  const asked = num(data.bot?.asked);
  const failed = num(data.bot?.failed);
  let failureRate = num(data.bot?.failureRate);
  if (failureRate === null && asked !== null && failed !== null) failureRate = asked > 0 ? failed / asked : 0;

  const history = Array.isArray(data.queueHistory) ? data.queueHistory : [];
  const queueHistory = history
    .map((point) => ({ t: time(point?.t ?? point?.at), waiting: num(point?.waiting) }))
    .filter((point) => point.t !== null && point.waiting !== null)
    .sort((a, b) => a.t - b.t);

  const satisfaction = data.satisfaction && typeof data.satisfaction === 'object'
    ? { count: num(data.satisfaction.count), average: num(data.satisfaction.average ?? data.satisfaction.avg) }
    : null;

  // What the bot achieved over the last day (absent from older servers: the cards stay hidden).
  const outcomes = data.botOutcomes && typeof data.botOutcomes === 'object' ? data.botOutcomes : null;
  const botOutcomes = outcomes
    ? {
      answered: num(outcomes.answered),
      resolved: num(outcomes.resolvedByBot),
      resolutionRate: num(outcomes.resolutionRate),
      handedOver: {
        total: num(outcomes.handedOver?.total),
        botNeedHuman: num(outcomes.handedOver?.botNeedHuman),
        botFailed: num(outcomes.handedOver?.botFailed),
        customerAsked: num(outcomes.handedOver?.customerAsked),
      },
      botSatisfaction: {
        count: num(outcomes.botSatisfaction?.count),
        average: num(outcomes.botSatisfaction?.average),
      },
    }
    : null;

  return {
    now: time(data.now),
    waiting: { count: num(data.waiting?.count), longestWaitMs: num(data.waiting?.longestWaitMs) },
    agents,
    roomsOpen: num(data.rooms?.open),
    messagesPerMinute: num(data.messagesPerMinute),
    bot: { asked, failed, failureRate },
    queueHistory,
    satisfaction,
    botOutcomes,
  };
}

// Table order: who can take a consult first, then the rest; by name within a state, so rows do
// not jump around between two polls.
const STATE_ORDER = { available: 0, full: 1, reconnecting: 2, away: 3, offline: 4 };

export function sortAgents(list, lang) {
  return [...list].sort((a, b) => (STATE_ORDER[a.state] ?? 5) - (STATE_ORDER[b.state] ?? 5)
    || a.name.localeCompare(b.name, lang) || a.id.localeCompare(b.id));
}
