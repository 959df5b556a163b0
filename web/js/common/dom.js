// Small DOM helpers for the pages. Text from users or the bot only ever reaches the page through
// textContent (never parsed as markup), so a message like <img onerror=...> shows as text and runs nothing.

// el('button', { class: 'send', type: 'button', text: 'Send', onclick: fn }, child, ...).
// `text` sets textContent; `on<event>` adds a listener; `dataset` sets data-*; other props become
// attributes (false/null/undefined skip them, true sets them empty).
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, ...children);
  return node;
}

export function append(node, ...children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

export function show(node, visible) {
  node.hidden = !visible;
}

// A random id for clientMessageId (crypto.randomUUID needs a secure context; this does not).
export function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// "14:05" in the page's language.
export function clockTime(timestamp, lang) {
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleTimeString(lang === 'en' ? 'en-US' : 'ko-KR', { hour: '2-digit', minute: '2-digit' });
}

// "3:07" (m:ss) or "1:02:03" for a duration in ms.
export function duration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

// GET/PUT JSON through a ChatSession (bearer added, token refreshed); throws with the server's
// error message on a non-2xx answer.
export async function apiJson(session, path, init = {}) {
  const headers = { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) };
  const response = await session.apiFetch(path, { ...init, headers: { ...headers, ...init.headers } });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new Error(data?.message || `${path} answered ${response.status}`);
    error.status = response.status;
    error.code = data?.error;
    throw error;
  }
  return data;
}
