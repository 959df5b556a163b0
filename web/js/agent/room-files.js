// Files in the console's chats: the composer's attach button, which uploads the chosen files to the
// room and sends them in one message with what is in the box (common/attachments.js does the
// uploading and the showing).
import { ACCEPTED_TYPES, MAX_FILES_PER_MESSAGE, paperclipIcon, uploadAll } from '../common/attachments.js';
import { el } from '../common/dom.js';
import { refusalText } from '../common/refusals.js';

// The button and its hidden file input; `send(uploaded)` sends the message once files are up.
export function attachControl({ roomId, i18n, session, toast, isEnded, send }) {
  const { t } = i18n;
  const input = el('input', { type: 'file', multiple: true, hidden: true, accept: ACCEPTED_TYPES });
  const button = el('button', {
    type: 'button', class: 'secondary attach', 'aria-label': t('attach_label'), title: t('attach_label'),
  }, paperclipIcon());
  button.addEventListener('click', () => input.click());
  input.addEventListener('change', async () => {
    const chosen = [...input.files];
    input.value = '';  // the same file may be chosen again
    if (chosen.length === 0 || isEnded()) return;
    button.disabled = true;
    const uploaded = await uploadAll(session, roomId, chosen, {
      refused: (file, error) => toast(t('file_refused', { name: file.name, reason: refusalText(error, i18n.lang) }), 'error'),
      tooMany: () => toast(t('files_at_most', { count: MAX_FILES_PER_MESSAGE }), 'warn'),
    });
    button.disabled = false;
    if (uploaded.length > 0 && !isEnded()) send(uploaded);
  });
  return { button, input, relabel: () => button.setAttribute('aria-label', t('attach_label')) };
}
