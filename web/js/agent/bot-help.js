// What the bot gives the agent (protocol 2): the handoff summary shown on a waiting request's card
// and in the room's header, and the replies it suggests beside the composer. Suggestions are only
// ever put into the agent's input box, where the agent reads, changes and sends them (or not):
// nothing here sends anything. Every text is rendered as text.
import { el } from '../common/dom.js';
import { categoryLabel } from '../common/category.js';

const MOODS = new Set(['calm', 'neutral', 'frustrated', 'angry']);

// The summary `{text, category, mood}` as a block, or null when there is none.
export function summaryNode(summary, t) {
  if (!summary || typeof summary.text !== 'string' || summary.text === '') return null;
  const mood = MOODS.has(summary.mood) ? summary.mood : '';
  return el('div', { class: 'bot-summary', dataset: { mood } },
    el('p', { class: 'bot-summary-head' },
      el('span', { class: 'label', text: t('ai_summary') }),
      summary.category ? el('span', { class: 'chip', text: categoryLabel(summary.category, t) }) : null,
      mood ? el('span', { class: `chip chip--mood chip--${mood}`, title: t('mood'), text: t(`mood_${mood}`) }) : null),
    el('p', { class: 'bot-summary-text', text: summary.text }));
}

// The suggestions bar of one room's composer: `show(list)` replaces what it offers, a click or
// Alt+1..3 in the input puts suggestion n into the input, `clear()` hides it (after a send).
export class SuggestionBar {
  constructor({ input, i18n }) {
    this.input = input;
    this.i18n = i18n;
    this.items = [];
    this.node = el('div', { class: 'suggestions', hidden: true, role: 'group' });
    input.addEventListener('keydown', (event) => {
      if (!event.altKey || event.ctrlKey || event.metaKey || this.items.length === 0) return;
      // By the key's place, not its character: Option+1 types a symbol on a Mac keyboard.
      const n = /^(Digit|Numpad)[1-3]$/.test(event.code) ? Number(event.code.slice(-1)) : NaN;
      if (Number.isInteger(n) && n >= 1 && n <= this.items.length) {
        event.preventDefault();
        this.insert(n - 1);
      }
    });
  }

  show(suggestions) {
    this.items = (Array.isArray(suggestions) ? suggestions : []).filter((s) => typeof s === 'string' && s.trim() !== '').slice(0, 3);
    this.render();
  }

  clear() {
    this.items = [];
    this.render();
  }

  // Into the input: in place of what is selected, else at the caret; the agent sends it.
  insert(index) {
    const text = this.items[index];
    if (text === undefined) return;
    const { input } = this;
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? input.value.length;
    input.setRangeText(text, start, end, 'end');
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.focus();
  }

  render() {
    const { t } = this.i18n;
    this.node.hidden = this.items.length === 0;
    this.node.setAttribute('aria-label', t('suggestions'));
    this.node.replaceChildren(...(this.items.length === 0 ? [] : [
      el('span', { class: 'label', text: t('suggestions') }),
      ...this.items.map((text, index) => el('button', {
        type: 'button', class: 'suggestion', title: t('suggestion_insert', { n: index + 1 }),
        'aria-label': `${t('suggestion_insert', { n: index + 1 })}: ${text}`,
        dataset: { index: String(index + 1) }, text,
        onclick: () => this.insert(index),
      })),
      el('button', { type: 'button', class: 'link small suggestions-dismiss', text: '×', 'aria-label': t('suggestions_dismiss'), onclick: () => this.clear() }),
    ]));
  }
}
