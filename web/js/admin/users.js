// The supervisor page's Users section: agents and admins listed (filtered by role and state,
// a page at a time), created, disabled and enabled, their passwords reset and agents' room limits
// changed, through the admin user API (PROTOCOL.md "User administration"); and the newest entries
// of the user audit log. A password the server generates is shown once, with a copy button, and
// forgotten when hidden. Every refusal is shown in the page's language with the server's words.
import { apiJson, el } from '../common/dom.js';
import { refusalText } from '../common/refusals.js';

const PAGE = 50;
const AUDIT_ROWS = 20;

export function attachUsers(ui, { session, i18n }) {
  const { t } = i18n;
  let users = [];
  let next = null;
  let audit = [];
  let started = false;
  let notice = null;  // { key, vars } or { error, key, vars }
  let secretName = null;  // whose generated password is on screen

  const usersPath = '/api/admin/users';

  function errorText(error) {
    const text = refusalText({ code: error.code, message: error.message, retryAfter: error.retryAfter }, i18n.lang);
    // The server's own words too, when the page's text does not already say them.
    return error.message && !text.includes(error.message) ? `${text} (${error.message})` : text;
  }

  function renderNotice() {
    if (!notice) {
      ui.notice.textContent = '';
      ui.notice.classList.remove('error');
      return;
    }
    const vars = { ...notice.vars };
    if (notice.error) vars.message = errorText(notice.error);
    ui.notice.textContent = t(notice.key, vars);
    ui.notice.classList.toggle('error', Boolean(notice.error));
  }

  function say(key, vars = {}, error = null) {
    notice = { key, vars, error };
    renderNotice();
  }

  // ---- the generated password, once -------------------------------------------------------------

  function renderSecretText() {
    ui.secretText.textContent = secretName === null ? '' : t('users_secret_text', { name: secretName });
  }

  function showSecret(username, password) {
    secretName = username;
    renderSecretText();
    ui.secretValue.textContent = password;
    ui.secretCopied.textContent = '';
    ui.secret.hidden = false;
    ui.secretValue.focus();
  }

  function hideSecret() {
    secretName = null;
    ui.secretValue.textContent = '';
    ui.secretText.textContent = '';
    ui.secretCopied.textContent = '';
    ui.secret.hidden = true;
  }

  async function copySecret() {
    const text = ui.secretValue.textContent;
    try {
      await navigator.clipboard.writeText(text);
      ui.secretCopied.textContent = t('users_copied');
    } catch {
      // No clipboard (not a secure context, or refused): select it for the user to copy.
      const range = document.createRange();
      range.selectNodeContents(ui.secretValue);
      const selection = getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      ui.secretCopied.textContent = t('users_copy_manual');
    }
  }

  // ---- list ---------------------------------------------------------------------------------------

  function query(after) {
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (ui.roleFilter.value) params.set('role', ui.roleFilter.value);
    if (ui.stateFilter.value) params.set('disabled', ui.stateFilter.value === 'disabled' ? 'true' : 'false');
    if (after) params.set('after', after);
    return `${usersPath}?${params}`;
  }

  async function load({ more = false } = {}) {
    try {
      const data = await apiJson(session, query(more ? next : null));
      users = more ? [...users, ...data.users] : data.users;
      next = data.next ?? null;
      renderUsers();
    } catch (error) {
      say('users_load_failed', {}, error);
    }
  }

  async function loadAudit() {
    try {
      const data = await apiJson(session, `/api/admin/audit?kind=users&limit=${AUDIT_ROWS}`);
      audit = data.entries;
      renderAudit();
    } catch (error) {
      say('users_audit_failed', {}, error);
    }
  }

  function replaceUser(user) {
    const index = users.findIndex((known) => known.id === user.id);
    if (index >= 0) users[index] = user;
    else users.unshift(user);
    renderUsers();
  }

  // ---- actions ------------------------------------------------------------------------------------

  async function act(user, doneKey, failedKey, path, init) {
    const name = user.username;
    try {
      const data = await apiJson(session, `${usersPath}/${encodeURIComponent(user.id)}${path}`, init);
      replaceUser(data.user);
      say(doneKey, { name });
      if (data.generatedPassword) showSecret(name, data.generatedPassword);
      loadAudit();
      return data;
    } catch (error) {
      say(failedKey, { name }, error);
      return null;
    }
  }

  // Disabling and resetting cannot be undone by a click: the first click asks (the button says
  // so, and the notice says what will happen), a second one within 5 s does it.
  function confirmed(button, user, questionKey) {
    if (button.dataset.armed === 'true') return true;
    button.dataset.armed = 'true';
    const label = button.textContent;
    button.textContent = t('users_confirm');
    say(questionKey, { name: user.username });
    setTimeout(() => {
      if (!button.isConnected || button.dataset.armed !== 'true') return;
      button.dataset.armed = 'false';
      button.textContent = label;
    }, 5000);
    return false;
  }

  function toggleDisabled(user, button) {
    if (!user.disabled && !confirmed(button, user, 'users_disable_confirm')) return;
    const action = user.disabled ? 'enable' : 'disable';
    act(user, `users_${action}_done`, `users_${action}_failed`, `/${action}`, { method: 'POST' });
  }

  function resetPassword(user, button) {
    if (!confirmed(button, user, 'users_reset_confirm')) return;
    act(user, 'users_reset_done', 'users_reset_failed', '/password', { method: 'POST', body: '{}' });
  }

  function saveMaxRooms(user, input) {
    const value = Number(input.value);
    if (!Number.isInteger(value) || value < 0 || value > 100) {
      say('users_max_rooms_invalid', { name: user.username });
      input.focus();
      return;
    }
    act(user, 'users_max_rooms_done', 'users_max_rooms_failed', '/max-rooms', {
      method: 'PUT', body: JSON.stringify({ maxRooms: value }),
    });
  }

  async function create(event) {
    event.preventDefault();
    const form = new FormData(ui.createForm);
    const username = String(form.get('username') ?? '').trim();
    const body = { username, role: String(form.get('role') ?? 'AGENT') };
    const displayName = String(form.get('displayName') ?? '').trim();
    if (displayName) body.displayName = displayName;
    const password = String(form.get('password') ?? '');
    if (password) body.password = password;
    const maxRooms = String(form.get('maxRooms') ?? '').trim();
    if (maxRooms && body.role === 'AGENT') body.maxRooms = Number(maxRooms);
    if (!username) {
      say('users_username_required');
      ui.createForm.elements.username.focus();
      return;
    }
    ui.createButton.disabled = true;
    try {
      const data = await apiJson(session, usersPath, { method: 'POST', body: JSON.stringify(body) });
      ui.createForm.reset();
      replaceUser(data.user);
      say('users_create_done', { name: data.user.username });
      if (data.generatedPassword) showSecret(data.user.username, data.generatedPassword);
      loadAudit();
    } catch (error) {
      say('users_create_failed', { name: username }, error);
    } finally {
      ui.createButton.disabled = false;
    }
  }

  // ---- rendering ----------------------------------------------------------------------------------

  function roleText(role) {
    const key = `role_${role}`;
    return t(key) === key ? role : t(key);
  }

  function userRow(user) {
    const name = user.username;
    const actions = el('td', { class: 'user-actions' },
      el('button', {
        class: 'secondary small', type: 'button', dataset: { action: user.disabled ? 'enable' : 'disable' },
        text: t(user.disabled ? 'users_enable' : 'users_disable'),
        'aria-label': t(user.disabled ? 'users_enable_label' : 'users_disable_label', { name }),
        onclick: (event) => toggleDisabled(user, event.currentTarget),
      }),
      el('button', {
        class: 'secondary small', type: 'button', dataset: { action: 'reset' }, text: t('users_reset'),
        'aria-label': t('users_reset_label', { name }), onclick: (event) => resetPassword(user, event.currentTarget),
      }));
    let rooms = el('td', { text: '–' });
    if (user.role === 'AGENT') {
      const input = el('input', {
        type: 'number', min: '0', max: '100', step: '1', value: String(user.maxRooms ?? 0), class: 'max-rooms',
        'aria-label': t('users_max_rooms_label', { name }),
      });
      rooms = el('td', {},
        input,
        el('button', {
          class: 'secondary small', type: 'button', dataset: { action: 'max-rooms' }, text: t('users_save'),
          'aria-label': t('users_max_rooms_save_label', { name }), onclick: () => saveMaxRooms(user, input),
        }),
        el('span', { class: 'hint', text: user.maxRooms ? '' : ` ${t('users_default_rooms')}` }));
    }
    return el('tr', { dataset: { userId: user.id, username: name }, class: user.disabled ? 'disabled' : '' },
      el('td', { text: name }),
      el('td', { text: user.displayName }),
      el('td', { text: roleText(user.role) }),
      el('td', { text: t(user.disabled ? 'users_state_disabled' : 'users_state_active') }),
      rooms,
      actions);
  }

  function renderUsers() {
    ui.body.replaceChildren(...users.map(userRow));
    ui.empty.hidden = users.length > 0;
    ui.more.hidden = next === null;
  }

  function auditRow(entry) {
    const when = new Date(entry.at).toLocaleString(i18n.lang === 'en' ? 'en-US' : 'ko-KR');
    const actionKey = `users_action_${entry.action}`;
    return el('tr', {},
      el('td', { text: when }),
      el('td', { text: entry.actorName || entry.actorId }),
      el('td', { text: t(actionKey) === actionKey ? entry.action : t(actionKey) }),
      el('td', { text: entry.targetUsername || entry.targetId }),
      el('td', { text: entry.detail }));
  }

  function renderAudit() {
    ui.auditBody.replaceChildren(...audit.map(auditRow));
    ui.auditEmpty.hidden = audit.length > 0;
  }

  ui.createForm.addEventListener('submit', create);
  ui.filters.addEventListener('change', () => load());
  ui.more.addEventListener('click', () => load({ more: true }));
  ui.secretCopy.addEventListener('click', copySecret);
  ui.secretHide.addEventListener('click', hideSecret);

  return {
    start() {
      if (started) return;
      started = true;
      load();
      loadAudit();
    },
    stop() {
      started = false;
      users = [];
      audit = [];
      notice = null;
      hideSecret();
    },
    render() {
      renderUsers();
      renderAudit();
      renderNotice();
      renderSecretText();
    },
  };
}
