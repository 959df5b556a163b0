// A room's transfer and close, each confirmed in the page (never a browser dialog). Transfer asks
// where to (nothing is chosen for the agent: another agent, or back to the queue) and takes an
// optional note for whoever gets the chat, which the customer never sees; close asks once more,
// since the customer is told at once.
import { apiJson, el } from '../common/dom.js';

const QUEUE = '::queue';  // the option value of "back to the queue" (no user id looks like it)

export class RoomActions {
  // `roomId`; `i18n`, `session`, `me()` as the console has them; `focusBack()` puts the focus
  // back in the room when a panel closes.
  constructor({ roomId, i18n, session, me, focusBack }) {
    Object.assign(this, { roomId, i18n, session, me, focusBack });
    const { t } = i18n;
    this.transferButton = el('button', { type: 'button', class: 'secondary small open-transfer', 'aria-expanded': 'false', text: t('transfer') });
    this.closeButton = el('button', { type: 'button', class: 'danger small close-room', 'aria-expanded': 'false', text: t('close_room') });
    this.panel = el('div', { class: 'room-confirm', hidden: true });
    this.transferButton.addEventListener('click', () => this.#toggle('transfer'));
    this.closeButton.addEventListener('click', () => this.#toggle('close'));
    this.panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        this.hide();
      }
    });
    this.open = null;  // 'transfer' | 'close' | null
  }

  // The room ended (or came back): no actions on an ended room.
  setEnded(ended) {
    this.transferButton.hidden = ended;
    this.closeButton.hidden = ended;
    if (ended) this.hide(false);
  }

  hide(focus = true) {
    if (!this.open) return;
    this.open = null;
    this.panel.hidden = true;
    this.panel.replaceChildren();
    this.transferButton.setAttribute('aria-expanded', 'false');
    this.closeButton.setAttribute('aria-expanded', 'false');
    if (focus) this.focusBack();
  }

  // The texts again in the language just chosen (an open panel is closed: it is rebuilt on demand).
  relabel() {
    const { t } = this.i18n;
    this.transferButton.textContent = t('transfer');
    this.closeButton.textContent = t('close_room');
    this.hide(false);
  }

  #toggle(which) {
    if (this.open === which) {
      this.hide();
      return;
    }
    this.hide(false);
    this.open = which;
    (which === 'transfer' ? this.transferButton : this.closeButton).setAttribute('aria-expanded', 'true');
    this.panel.replaceChildren(...(which === 'transfer' ? this.#transferForm() : this.#closeForm()));
    this.panel.hidden = false;
    this.panel.querySelector('select, button.confirm')?.focus();
  }

  #closeForm() {
    const { t } = this.i18n;
    const confirm = el('button', { type: 'button', class: 'danger small confirm confirm-close', text: t('close_confirm') });
    confirm.addEventListener('click', () => {
      this.session.publish('/app/room.close', { roomId: this.roomId });
      this.hide();
    });
    const cancel = el('button', { type: 'button', class: 'secondary small', text: t('cancel'), onclick: () => this.hide() });
    return [el('p', { class: 'confirm-text', text: t('close_question') }), el('div', { class: 'confirm-buttons' }, confirm, cancel)];
  }

  #transferForm() {
    const { t } = this.i18n;
    const selectId = `transfer-${this.roomId}`;
    const noteId = `transfer-note-${this.roomId}`;
    const target = el('select', { id: selectId, class: 'transfer-target', required: true });
    this.#fillTargets(target, []);
    const note = el('textarea', { id: noteId, class: 'transfer-note', rows: 2, maxlength: 1000, placeholder: t('transfer_note_placeholder') });
    const confirm = el('button', { type: 'button', class: 'primary small confirm confirm-transfer', text: t('transfer_confirm'), disabled: true });
    target.addEventListener('change', () => { confirm.disabled = target.value === ''; });
    confirm.addEventListener('click', () => {
      if (target.value === '') return;
      const body = { roomId: this.roomId };
      if (target.value !== QUEUE) body.toAgentId = target.value;
      const text = note.value.trim();
      if (text) body.note = text;
      this.session.publish('/app/room.transfer', body);
      this.hide();
    });
    const cancel = el('button', { type: 'button', class: 'secondary small', text: t('cancel'), onclick: () => this.hide() });
    this.#loadTargets(target);
    return [
      el('label', { for: selectId, text: t('transfer_to') }), target,
      el('label', { for: noteId, text: t('transfer_note') }), note,
      el('div', { class: 'confirm-buttons' }, confirm, cancel),
    ];
  }

  async #loadTargets(target) {
    try {
      const data = await apiJson(this.session, '/api/agents');
      if (!target.isConnected) return;
      this.#fillTargets(target, (data.agents ?? []).filter((agent) => agent.id !== this.me().id));
    } catch {
      // The queue is always a choice.
    }
  }

  #fillTargets(target, agents) {
    const { t } = this.i18n;
    const chosen = target.value;
    target.replaceChildren(
      el('option', { value: '', text: t('transfer_choose') }),
      ...agents.map((agent) => el('option', {
        value: agent.id,
        // The server refuses these (agent_unavailable, at_capacity): not offered.
        disabled: agent.atCapacity || (agent.state !== 'available' && agent.state !== 'away'),
        text: t('agent_option', {
          name: agent.name || agent.id,
          state: t(agent.atCapacity ? 'state_full' : `state_${agent.state}`),
          load: `${agent.activeRooms ?? 0}/${agent.maxRooms ?? '-'}`,
        }),
      })),
      el('option', { value: QUEUE, text: t('transfer_queue') }));
    target.value = [...target.options].some((o) => o.value === chosen) ? chosen : '';
  }
}
