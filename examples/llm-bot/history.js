// Per-session conversation history in memory: the customer's messages and the bot's answers as
// the customer saw them (never the model's reasoning or tool calls), bounded in two ways: the
// least recently used sessions are forgotten beyond `maxSessions`, and the oldest turns of a
// session are dropped so its text stays within `maxChars`.

'use strict';

// Characters of text in `turns` ([{user, assistant}]).
const charsOf = (turns) => turns.reduce((sum, turn) => sum + turn.user.length + turn.assistant.length, 0);

// The newest turns whose text fits in `budget` characters.
function trimTurns(turns, budget) {
  let start = 0;
  let chars = charsOf(turns);
  while (start < turns.length && chars > budget) {
    chars -= turns[start].user.length + turns[start].assistant.length;
    start += 1;
  }
  return turns.slice(start);
}

// The newest turns in about half the characters: after the model server said the prompt was
// too long.
const halveTurns = (turns) => trimTurns(turns, Math.floor(charsOf(turns) / 2));

class SessionStore {
  constructor({ maxSessions, maxChars }) {
    this.maxSessions = maxSessions;
    this.maxChars = maxChars;
    this.sessions = new Map(); // in least recently used order: a Map keeps insertion order
  }

  // The session's turns, oldest first; marks it as just used.
  turns(key) {
    const turns = this.sessions.get(key);
    if (!turns) return [];
    this.sessions.delete(key);
    this.sessions.set(key, turns);
    return turns;
  }

  replace(key, turns) {
    this.sessions.delete(key);
    this.sessions.set(key, trimTurns(turns, this.maxChars));
    while (this.sessions.size > this.maxSessions) {
      this.sessions.delete(this.sessions.keys().next().value);
    }
  }

  add(key, turn) {
    this.replace(key, [...this.turns(key), turn]);
  }

  get size() {
    return this.sessions.size;
  }
}

module.exports = { SessionStore, trimTurns, halveTurns, charsOf };
