// Chat text as nodes, its web addresses made links. Only http and https become links (javascript:,
// data: and every other scheme stay text); a link opens in a new tab with no hold on this page
// (rel=noopener noreferrer). Nothing is parsed as markup: every piece of the text is a text node,
// and a link's words are the address as written.

// An address runs to the next space or quote-like character; trailing punctuation that usually
// ends a sentence ("see https://x.com/a." or "(https://x.com)") is left out of it.
const ADDRESS = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}>'"…。、]+$/u;

export function linkify(text) {
  const nodes = [];
  let from = 0;
  for (const match of text.matchAll(ADDRESS)) {
    const written = match[0].replace(TRAILING, '');
    const url = safeUrl(written);
    if (!url) continue;
    if (match.index > from) nodes.push(document.createTextNode(text.slice(from, match.index)));
    const link = document.createElement('a');
    link.href = url;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.textContent = written;
    nodes.push(link);
    from = match.index + written.length;
  }
  if (from < text.length || nodes.length === 0) nodes.push(document.createTextNode(text.slice(from)));
  return nodes;
}

function safeUrl(written) {
  try {
    const url = new URL(written);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
