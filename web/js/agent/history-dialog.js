// The agent's own chats (closed ones unless they choose otherwise) in a dialog: searched by words
// of the messages, dates and state, opened as transcripts with their private notes. The server
// gives an agent only the rooms they had (also those they handed over).
import { historyParameters, HistoryBrowser } from '../common/history.js';

export function attachHistory({ dialog, openButton, form, container }, { session, i18n }) {
  const browser = new HistoryBrowser({ session, i18n });
  container.replaceChildren(browser.node);
  let searched = false;
  const search = () => {
    const data = new FormData(form);
    searched = true;
    return browser.search(historyParameters(Object.fromEntries(data)));
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    search();
  });
  openButton.addEventListener('click', () => {
    dialog.showModal();
    form.elements.q.focus();
    if (!searched) search();
  });
  dialog.addEventListener('close', () => browser.closeDetail());
  i18n.onChange(() => browser.render());
  return browser;
}
