// Texts in Korean (the default) and English. A page passes its dictionary; elements name their text
// with data-i18n="key" (textContent) and data-i18n-attr="placeholder:key aria-label:key".
// The choice comes from ?lang=, then what the user picked before (localStorage), then Korean.

export const LANGUAGES = ['ko', 'en'];

export function createI18n(messages, { storageKey = 'aicc.lang', initial } = {}) {
  const listeners = new Set();
  let lang = pickLanguage(storageKey, initial);

  function t(key, vars = {}) {
    const text = messages[lang]?.[key] ?? messages.ko?.[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (match, name) => (name in vars ? String(vars[name]) : match));
  }

  function translate(root = document) {
    for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const node of root.querySelectorAll('[data-i18n-attr]')) {
      for (const pair of node.dataset.i18nAttr.split(/\s+/).filter(Boolean)) {
        const [attribute, key] = pair.split(':');
        node.setAttribute(attribute, t(key));
      }
    }
  }

  function setLang(next) {
    if (!LANGUAGES.includes(next) || next === lang) return;
    lang = next;
    try {
      localStorage.setItem(storageKey, lang);
    } catch {
      // Storage may be off (private mode, third-party frame): the choice lasts for this page.
    }
    document.documentElement.lang = lang;
    translate();
    for (const listener of listeners) listener(lang);
  }

  document.documentElement.lang = lang;
  return {
    t,
    translate,
    setLang,
    get lang() {
      return lang;
    },
    onChange(listener) {
      listeners.add(listener);
    },
  };
}

function pickLanguage(storageKey, initial) {
  // A language named in the address is the choice from now on (a reload, or the page opened
  // again without it, keeps it), like one picked with the page's button.
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (LANGUAGES.includes(fromUrl)) {
    try {
      localStorage.setItem(storageKey, fromUrl);
    } catch {
      // No storage: it lasts for this page.
    }
    return fromUrl;
  }
  try {
    const stored = localStorage.getItem(storageKey);
    if (LANGUAGES.includes(stored)) return stored;
  } catch {
    // No storage: fall through.
  }
  return LANGUAGES.includes(initial) ? initial : 'ko';
}
