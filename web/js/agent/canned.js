// Canned responses: stored per agent on the server (GET/PUT /api/agent/canned-responses), edited
// in the settings dialog, and inserted into a message with "/" + shortcut: a list pops up under
// the cursor's line, arrows move, Enter or Tab inserts, Escape closes.
import { apiJson, clear, el } from '../common/dom.js';

const PATH = '/api/agent/canned-responses';

export class CannedResponses {
  constructor({ session, i18n, onError }) {
    Object.assign(this, { session, i18n, onError });
    this.responses = [];  // [{ id, shortcut, text }]
    this.listeners = new Set();
  }

  async load() {
    const data = await apiJson(this.session, PATH);
    this.responses = Array.isArray(data?.responses) ? data.responses : [];
    this.#changed();
  }

  async save(responses) {
    const body = JSON.stringify({ responses: responses.map(({ shortcut, text }) => ({ shortcut, text })) });
    const data = await apiJson(this.session, PATH, { method: 'PUT', body });
    this.responses = Array.isArray(data?.responses) ? data.responses : responses;
    this.#changed();
  }

  // Those whose shortcut starts with `prefix` (case-insensitive).
  matching(prefix) {
    const wanted = prefix.toLowerCase();
    return this.responses.filter((r) => r.shortcut.toLowerCase().startsWith(wanted));
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  #changed() {
    for (const listener of this.listeners) listener(this.responses);
  }
}

// The "/" picker for one message box. `popup` is an (empty) element placed above the textarea.
export function attachPicker(textarea, popup, canned) {
  let options = [];
  let active = 0;
  popup.setAttribute('role', 'listbox');
  popup.id ||= `canned-${Math.random().toString(36).slice(2)}`;
  textarea.setAttribute('aria-controls', popup.id);
  textarea.setAttribute('aria-autocomplete', 'list');

  // The "/word" being typed at the start of the box or after a space, or null.
  function query() {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const match = /(^|\s)\/(\S*)$/.exec(before);
    return match ? { text: match[2], start: before.length - match[2].length - 1 } : null;
  }

  function close() {
    popup.hidden = true;
    options = [];
    textarea.setAttribute('aria-expanded', 'false');
    textarea.removeAttribute('aria-activedescendant');
  }

  function render() {
    clear(popup);
    options.forEach((response, index) => {
      const option = el('div', {
        id: `${popup.id}-${index}`, role: 'option', class: 'canned-option', 'aria-selected': String(index === active),
      }, el('strong', { text: `/${response.shortcut}` }), ' ', el('span', { text: response.text }));
      option.addEventListener('mousedown', (event) => {
        event.preventDefault();  // keep the focus in the textarea
        insert(response);
      });
      popup.append(option);
    });
    popup.hidden = options.length === 0;
    textarea.setAttribute('aria-expanded', String(options.length > 0));
    if (options.length > 0) textarea.setAttribute('aria-activedescendant', `${popup.id}-${active}`);
  }

  function insert(response) {
    const typed = query();
    if (!typed) return close();
    const after = textarea.value.slice(textarea.selectionStart);
    textarea.value = textarea.value.slice(0, typed.start) + response.text + after;
    const caret = typed.start + response.text.length;
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
    close();
  }

  textarea.addEventListener('input', () => {
    const typed = query();
    if (!typed) return close();
    options = canned.matching(typed.text).slice(0, 8);
    active = 0;
    render();
  });
  textarea.addEventListener('keydown', (event) => {
    if (popup.hidden || options.length === 0) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      active = (active + (event.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length;
      render();
    } else if ((event.key === 'Enter' && !event.isComposing) || event.key === 'Tab') {
      event.preventDefault();
      event.stopImmediatePropagation();  // Enter picks, it does not send
      insert(options[active]);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
    }
  });
  textarea.addEventListener('blur', () => setTimeout(close, 150));
  close();
}

// The list and the add form in the settings dialog.
export function attachManager({ list, form, shortcut, text, error }, canned, i18n, toast) {
  const { t } = i18n;
  function render() {
    clear(list);
    if (canned.responses.length === 0) list.append(el('li', { class: 'empty', text: t('canned_empty') }));
    for (const response of canned.responses) {
      list.append(el('li', { class: 'canned-item' },
        el('strong', { text: `/${response.shortcut}` }),
        el('span', { class: 'canned-item-text', text: response.text }),
        el('button', {
          type: 'button', class: 'danger small', text: t('canned_delete'),
          'aria-label': `${t('canned_delete')} /${response.shortcut}`,
          onclick: () => update(canned.responses.filter((r) => r !== response)),
        })));
    }
  }
  async function update(responses) {
    error.hidden = true;
    try {
      await canned.save(responses);
      toast(t('canned_saved'));
      return true;
    } catch (failure) {
      error.textContent = t('error', { message: failure.message });
      error.hidden = false;
      return false;
    }
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const entry = { shortcut: shortcut.value.trim().replace(/^\//, ''), text: text.value.trim() };
    if (!entry.shortcut || !entry.text) return;
    const others = canned.responses.filter((r) => r.shortcut !== entry.shortcut);
    if (await update([...others, entry])) {
      shortcut.value = '';
      text.value = '';
      shortcut.focus();
    }
  });
  canned.onChange(render);
  i18n.onChange(render);
  render();
}
