// The bot's streamed answers as they grow in the widget, by messageId: the parts of
// /user/queue/bot/response (`partial: true`, numbered from 1) applied in order, then the final
// answer, which carries the whole text. With several servers, parts taken by different ones may
// arrive out of order: a part that comes early waits (a few, bounded) for the ones before it. A
// client that reconnects mid-answer starts from the text so far (/api/consult/current). No DOM:
// the page shows what `grow` and `resume` give back.

const MAX_EARLY_PARTS = 64;  // per answer; the server bounds an answer's parts too
const MAX_FINISHED = 1000;   // finished ids remembered, so that a late part reopens nothing
const MAX_GROWING = 100;     // answers growing at once (a stray part's is dropped first)

export class GrowingAnswers {
  constructor() {
    this.growing = new Map();  // messageId -> { part, text, early: Map(part -> delta) }
    this.finished = new Set();
  }

  // Whether some of this answer is being shown as it grows.
  has(messageId) {
    return (this.growing.get(messageId)?.part ?? 0) > 0;
  }

  // A live part: the whole text shown so far when it grew (with `first`: its first growth), or
  // null when it changed nothing (a repeat, a part after the final, one that waits for another).
  grow({ messageId, part, delta }) {
    if (typeof messageId !== 'string' || !Number.isInteger(part) || part < 1 || typeof delta !== 'string') return null;
    if (this.finished.has(messageId)) return null;
    const answer = this.growing.get(messageId) ?? { part: 0, text: '', early: new Map() };
    if (!this.growing.has(messageId)) {
      if (this.growing.size >= MAX_GROWING) this.growing.delete(this.growing.keys().next().value);
      this.growing.set(messageId, answer);
    }
    if (part <= answer.part || answer.early.has(part)) return null;
    if (part > answer.part + 1) {
      if (answer.early.size < MAX_EARLY_PARTS) answer.early.set(part, delta);
      return null;
    }
    const first = answer.part === 0;
    answer.part = part;
    answer.text += delta;
    drain(answer);
    return { text: answer.text, first };
  }

  // The text so far, as of part `part`, from a snapshot: the text to show, or null when what is
  // shown is already as far (or the answer is over). Parts that came early then apply.
  resume({ messageId, part, text }) {
    if (typeof messageId !== 'string' || typeof text !== 'string' || !Number.isInteger(part)) return null;
    if (this.finished.has(messageId)) return null;
    const answer = this.growing.get(messageId) ?? { part: 0, text: '', early: new Map() };
    if (answer.part >= part) return null;
    answer.part = part;
    answer.text = text;
    for (const number of [...answer.early.keys()]) if (number <= part) answer.early.delete(number);
    drain(answer);
    this.growing.set(messageId, answer);
    return answer.text;
  }

  // The final answer (or the interruption) came: nothing of this id grows any more.
  finish(messageId) {
    this.growing.delete(messageId);
    if (this.finished.size >= MAX_FINISHED) this.finished.delete(this.finished.values().next().value);
    this.finished.add(messageId);
  }

  isFinished(messageId) {
    return this.finished.has(messageId);
  }
}

// Applies the parts that waited for the ones now there.
function drain(answer) {
  while (answer.early.has(answer.part + 1)) {
    answer.part += 1;
    answer.text += answer.early.get(answer.part);
    answer.early.delete(answer.part);
  }
}
