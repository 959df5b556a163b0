// A server-sent events parser fed text as it arrives (the WHATWG event stream rules, in short).
//
// Model servers differ in how they frame their streams: lines may be split anywhere across
// network chunks, end in "\r\n", "\n" or "\r", carry comments (": ping"), "data:" with or without
// a space, and one event's data may span several "data:" lines. All of that is handled here, so
// the rest of the bot sees whole events only.

'use strict';

class SseParser {
  constructor() {
    this.buffer = '';
    this.data = [];
    this.event = '';
  }

  // Adds `text` and returns the events it completed: [{event, data}].
  push(text) {
    const events = [];
    this.buffer += text;
    for (;;) {
      const end = this.buffer.search(/[\r\n]/);
      if (end === -1) break;
      // A "\r" at the very end may be the first half of "\r\n": wait for the next chunk.
      if (this.buffer[end] === '\r' && end === this.buffer.length - 1) break;
      const width = this.buffer.startsWith('\r\n', end) ? 2 : 1;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + width);
      this.line(line, events);
    }
    return events;
  }

  // The stream ended: an unterminated last line and event still count (some servers omit the
  // final blank line after "data: [DONE]").
  end(text = '') {
    const events = this.push(text);
    const rest = this.buffer.replace(/\r$/, '');
    this.buffer = '';
    if (rest !== '') this.line(rest, events);
    this.dispatch(events);
    return events;
  }

  line(line, events) {
    if (line === '') {
      this.dispatch(events);
      return;
    }
    if (line.startsWith(':')) return; // a comment, often a keep-alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    // id:, retry: and unknown fields do not matter here.
  }

  dispatch(events) {
    if (this.data.length > 0) events.push({ event: this.event || 'message', data: this.data.join('\n') });
    this.data = [];
    this.event = '';
  }
}

module.exports = { SseParser };
