// Files in chats, for the widget and the console: uploading one to a room (POST
// /api/rooms/{id}/attachments, the raw bytes), and showing those a message carries: pictures as
// previews, other files as buttons that save them. A file is read with the session's token
// (GET /api/attachments/{id}) into a blob: URL, never put in the page as markup; names are text.
import { el } from './dom.js';

// What the server takes (it checks the bytes again): for the file picker's filter.
export const ACCEPTED_TYPES = 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,.txt,.pdf';
export const MAX_FILES_PER_MESSAGE = 5;


// Uploads `file` (a File) to the room; resolves with {id, name, contentType, size}, or throws an
// Error with the server's `code` (a file too large is `file_too_large`).
export async function uploadFile(session, roomId, file) {
  const path = `/api/rooms/${encodeURIComponent(roomId)}/attachments?name=${encodeURIComponent(file.name || 'file')}`;
  let response;
  try {
    response = await session.apiFetch(path, {
      method: 'POST',
      headers: { 'content-type': file.type || 'application/octet-stream', accept: 'application/json' },
      body: file,
    });
  } catch (error) {
    throw Object.assign(new Error(error.message), { code: error.code ?? 'network' });
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const code = data?.error === 'too_large' || response.status === 413 ? 'file_too_large' : data?.error ?? `http_${response.status}`;
    throw Object.assign(new Error(data?.message ?? `upload answered ${response.status}`), { status: response.status, code });
  }
  return data.attachment;
}

// A blob: URL of the file, read with the session's token. The caller revokes it when done, so a
// console open all day keeps no file it is not showing.
async function blobUrl(session, id) {
  const response = await session.apiFetch(`/api/attachments/${encodeURIComponent(id)}`);
  if (!response.ok) throw Object.assign(new Error(`file answered ${response.status}`), { status: response.status, code: `http_${response.status}` });
  return URL.createObjectURL(await response.blob());
}

// Reads a picture once it comes near the screen (a long transcript does not fetch every picture),
// and lets its blob go as soon as it is drawn: the page keeps the drawn image, not the file.
const lazyImages = typeof IntersectionObserver === 'function'
  ? new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      lazyImages.unobserve(entry.target);
      entry.target.dispatchEvent(new Event('aicc-visible'));
    }
  }, { rootMargin: '200px' })
  : null;

function showPicture(image, session, file, onError) {
  const load = () => blobUrl(session, file.id).then((url) => {
    image.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
    image.addEventListener('error', () => URL.revokeObjectURL(url), { once: true });
    image.src = url;
  }).catch(onError);
  if (!lazyImages) {
    load();
    return;
  }
  image.addEventListener('aicc-visible', load, { once: true });
  lazyImages.observe(image);
}

// "2.4 MB", "830 KB", "120 B".
export function fileSize(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

async function save(session, file) {
  const url = await blobUrl(session, file.id);
  const link = el('a', { href: url, download: file.name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// The files of a message as a list: a preview for each picture (a click saves it) and a button
// for any other file. `texts`: { save (given the name), failed }. `onError(error)` hears a failed read.
export function fileList(session, files, { texts, onError }) {
  const list = el('ul', { class: 'msg-files' });
  for (const file of files) {
    const label = texts.save(file.name);
    const button = el('button', { type: 'button', class: 'msg-file', 'aria-label': label, title: label, dataset: { fileId: file.id } });
    button.addEventListener('click', () => save(session, file).catch(onError));
    if (String(file.contentType).startsWith('image/')) {
      const image = el('img', { class: 'msg-file-preview', alt: file.name });
      button.classList.add('msg-file--image');
      button.append(image);
      showPicture(image, session, file, onError);
    } else {
      button.append(el('span', { class: 'msg-file-icon', 'aria-hidden': 'true', text: file.contentType === 'application/pdf' ? 'PDF' : 'TXT' }),
        el('span', { class: 'msg-file-name', text: file.name }),
        el('span', { class: 'msg-file-size', text: fileSize(file.size) }));
    }
    list.append(el('li', {}, button));
  }
  return list;
}

// One file list per message, kept (a message arrives live, replayed, then confirmed: the timeline
// gets the same node each time). `of(message)` takes a message with `attachments` and a
// `messageId` or `clientMessageId`; undefined for a message without files.
export function messageFiles({ session, texts, onError }) {
  const nodes = new Map();
  return (message) => {
    if (!message.attachments?.length) return undefined;
    const key = message.messageId ?? message.clientMessageId;
    if (!nodes.has(key)) nodes.set(key, fileList(session, message.attachments, { texts: texts(), onError }));
    return nodes.get(key);
  };
}

// Uploads `chosen` (Files, at most MAX_FILES_PER_MESSAGE) to the room one by one; resolves with
// those the server took. `refused(file, error)` hears each refusal, `tooMany()` a choice of more.
export async function uploadAll(session, roomId, chosen, { refused, tooMany }) {
  if (chosen.length > MAX_FILES_PER_MESSAGE) tooMany();
  const uploaded = [];
  for (const file of chosen.slice(0, MAX_FILES_PER_MESSAGE)) {
    try {
      uploaded.push(await uploadFile(session, roomId, file));
    } catch (error) {
      refused(file, error);
    }
  }
  return uploaded;
}

// A paperclip, drawn (an emoji would need a font the machine may not have).
export function paperclipIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [name, value] of Object.entries({
    viewBox: '0 0 24 24', width: '18', height: '18', fill: 'none', stroke: 'currentColor', 'stroke-width': '2',
    'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false',
  })) svg.setAttribute(name, value);
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48');
  svg.append(path);
  return svg;
}
