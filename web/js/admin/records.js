// Every conversation, for the supervisor: the filters of the history form (words, dates, agent,
// category, rating, state), a page of rooms at a time, each opened as its transcript with its
// private notes (an open room followed live, read-only), and the CSV export of the same filters.
// The agents' table opens an agent's live chats here.
import { categoryLabel } from '../common/category.js';
import { el } from '../common/dom.js';
import { KNOWN_CATEGORIES } from '../common/history-messages.js';
import { historyParameters, HistoryBrowser } from '../common/history.js';

export function attachRecords(ui, { session, i18n }) {
  const { t } = i18n;
  const browser = new HistoryBrowser({ session, i18n, showAgent: true, live: true });
  ui.container.replaceChildren(browser.node);
  let agents = [];
  let started = false;
  let quietReset = false;  // a reset made by showAgentChats, which searches itself

  const search = () => browser.search(historyParameters(Object.fromEntries(new FormData(ui.form))));

  // The select's options, keeping the choice when they are drawn again (new agents, language).
  function fillSelect(select, options) {
    const chosen = select.value;
    select.replaceChildren(select.options[0], ...options.map(([value, text]) => el('option', { value, text })));
    select.value = options.some(([value]) => value === chosen) ? chosen : '';
  }

  function renderOptions() {
    fillSelect(ui.agent, agents.map((agent) => [agent.id, agent.name || agent.id]));
    fillSelect(ui.category, KNOWN_CATEGORIES.map((code) => [code, categoryLabel(code, t)]));
    fillSelect(ui.rating, [
      ...[5, 4, 3, 2, 1].map((score) => [String(score), t('history_rating_exact', { score })]),
      ['low', t('history_rating_low')],
      ['unrated', t('history_unrated')],
    ]);
  }

  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    search();
  });
  ui.form.addEventListener('reset', () => {
    if (!quietReset) setTimeout(search);  // after the fields are reset
  });
  ui.exportButton.addEventListener('click', () => {
    browser.params = historyParameters(Object.fromEntries(new FormData(ui.form)));
    browser.exportCsv(ui.exportButton);
  });
  i18n.onChange(() => {
    renderOptions();
    browser.render();
  });
  renderOptions();

  return {
    browser,
    // The first time the page is shown: the newest conversations.
    start() {
      if (started) return;
      started = true;
      search();
    },
    // The agents the stats list, for the agent filter.
    setAgents(list) {
      const sorted = [...list].sort((a, b) => String(a.name || a.id).localeCompare(String(b.name || b.id)));
      if (JSON.stringify(sorted.map((a) => [a.id, a.name])) === JSON.stringify(agents.map((a) => [a.id, a.name]))) return;
      agents = sorted;
      renderOptions();
    },
    // An agent's open chats, from the agents' table.
    showAgentChats(agentId) {
      quietReset = true;
      ui.form.reset();
      quietReset = false;
      if (![...ui.agent.options].some((option) => option.value === agentId)) {
        ui.agent.append(el('option', { value: agentId, text: agentId }));
      }
      ui.agent.value = agentId;
      ui.form.elements.state.value = 'open';
      started = true;
      search();
      ui.section.scrollIntoView({ block: 'start' });
      ui.title.focus();
    },
  };
}
