// Small text helpers: byte limits, category names, reasoning blocks and lenient JSON extraction
// from what a model wrote.

'use strict';

const bytes = (text) => Buffer.byteLength(text, 'utf8');

// `text` cut to at most `max` UTF-8 bytes, never inside a character.
function clampBytes(text, max) {
  if (bytes(text) <= max) return text;
  let out = '';
  let used = 0;
  for (const char of text) {
    const size = bytes(char);
    if (used + size > max) break;
    out += char;
    used += size;
  }
  return out;
}

// `text` in pieces of at most `max` UTF-8 bytes each, never splitting a character.
function splitBytes(text, max) {
  const pieces = [];
  let rest = text;
  while (rest !== '') {
    const piece = clampBytes(rest, max);
    pieces.push(piece);
    rest = rest.slice(piece.length);
  }
  return pieces;
}

// A snake_case category of at most 64 characters (ASCII letters, digits, underscores), or ''.
function sanitizeCategory(value) {
  if (typeof value !== 'string') return '';
  return value
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 64)
    .replace(/^_+|_+$/g, '');
}

// Some models write their reasoning inline as <think>...</think> before the answer.
function stripThink(text) {
  return text.replace(/^\s*<think>[\s\S]*?<\/think>\s*/, '');
}

// The end index (exclusive) of the JSON object or array opening at `start`, or -1.
function balancedEnd(text, start) {
  const stack = [];
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '{' || c === '[') {
      stack.push(c === '{' ? '}' : ']');
    } else if (c === '}' || c === ']') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i + 1;
    }
  }
  return -1;
}

// The first JSON value in `text` that opens with one of `openers` and parses, else undefined.
// Models wrap JSON in prose or code fences; this looks past both.
function findJson(text, openers = '{[') {
  for (let i = 0; i < text.length; i += 1) {
    if (!openers.includes(text[i])) continue;
    const end = balancedEnd(text, i);
    if (end === -1) continue;
    try {
      return JSON.parse(text.slice(i, end));
    } catch {
      // Not JSON after all (e.g. "[1] see above"): keep looking.
    }
  }
  return undefined;
}

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

module.exports = { bytes, clampBytes, splitBytes, sanitizeCategory, stripThink, findJson, isObject };
