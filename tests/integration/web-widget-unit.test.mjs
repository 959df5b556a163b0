// Unit tests of the widget's streamed answers (web/js/widget/growing-answers.js) without a server
// or a browser: parts apply in order, early ones wait (bounded) for those before them, repeats and
// parts after the final change nothing, and a snapshot taken on reconnect continues with the live
// parts. The browser tests show the same answers growing on the page.
//
// These run with the integration tests because they share their runner; they need no binary.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { GrowingAnswers } from '../../web/js/widget/growing-answers.js';

const part = (number, delta, messageId = 'm_1') => ({ messageId, part: number, delta });

describe('GrowingAnswers', () => {
  it('applies parts in order and says when the answer first shows', () => {
    const answers = new GrowingAnswers();
    assert.equal(answers.has('m_1'), false);
    assert.deepEqual(answers.grow(part(1, '배송은 ')), { text: '배송은 ', first: true });
    assert.equal(answers.has('m_1'), true);
    assert.deepEqual(answers.grow(part(2, '내일 ')), { text: '배송은 내일 ', first: false });
    assert.deepEqual(answers.grow(part(3, '도착합니다.')), { text: '배송은 내일 도착합니다.', first: false });
  });

  it('holds a part that comes before the one it follows, then applies both', () => {
    const answers = new GrowingAnswers();
    assert.equal(answers.grow(part(2, 'ships ')), null, 'part 2 waits for part 1');
    assert.equal(answers.grow(part(3, 'today.')), null);
    assert.equal(answers.has('m_1'), false, 'nothing shown yet');
    assert.deepEqual(answers.grow(part(1, 'Your order ')), { text: 'Your order ships today.', first: true });
    assert.deepEqual(answers.grow(part(4, ' Anything else?')), { text: 'Your order ships today. Anything else?', first: false });
  });

  it('changes nothing for a repeat, a bad part or a part after the final', () => {
    const answers = new GrowingAnswers();
    answers.grow(part(1, 'a'));
    assert.equal(answers.grow(part(1, 'a')), null, 'a repeat');
    answers.grow(part(3, 'c'));
    assert.equal(answers.grow(part(3, 'X')), null, 'a repeat of a part that waits');
    for (const bad of [{ messageId: 'm_1', part: 2 }, { messageId: 'm_1', part: '2', delta: 'b' }, { messageId: 'm_1', part: 0, delta: 'b' },
      { messageId: 'm_1', part: 2.5, delta: 'b' }, { part: 2, delta: 'b' }, {}]) {
      assert.equal(answers.grow(bad), null, JSON.stringify(bad));
    }
    assert.deepEqual(answers.grow(part(2, 'b')), { text: 'abc', first: false }, 'the waiting part 3 kept its text');
    answers.finish('m_1');
    assert.equal(answers.has('m_1'), false);
    assert.equal(answers.isFinished('m_1'), true);
    assert.equal(answers.grow(part(4, 'late')), null, 'nothing after the final');
    assert.equal(answers.resume({ messageId: 'm_1', part: 9, text: 'stale' }), null, 'nor a snapshot');
  });

  it('keeps answers apart by messageId', () => {
    const answers = new GrowingAnswers();
    answers.grow(part(1, 'one', 'm_1'));
    assert.deepEqual(answers.grow(part(1, 'two', 'm_2')), { text: 'two', first: true });
    answers.finish('m_1');
    assert.deepEqual(answers.grow(part(2, '!', 'm_2')), { text: 'two!', first: false });
  });

  it('continues a snapshot taken on reconnect with the live parts, early ones included', () => {
    const answers = new GrowingAnswers();
    answers.grow(part(1, 'a'));
    answers.grow(part(5, 'e'));  // came before the reconnect's snapshot, which ends at part 3
    assert.equal(answers.resume({ messageId: 'm_1', part: 3, text: 'abc' }), 'abc');
    assert.equal(answers.resume({ messageId: 'm_1', part: 2, text: 'ab' }), null, 'an older snapshot changes nothing');
    assert.deepEqual(answers.grow(part(4, 'd')), { text: 'abcde', first: false }, 'part 4, then the waiting part 5');
    assert.equal(answers.grow(part(3, 'c')), null, 'a part the snapshot held');
  });

  it('bounds the answers that grow at once', () => {
    const answers = new GrowingAnswers();
    for (let n = 0; n < 1000; n += 1) answers.grow(part(2, 'stray', `m_${n}`));
    assert.ok(answers.growing.size <= 100, `${answers.growing.size} answers kept`);
    assert.deepEqual(answers.grow(part(1, 'x', 'm_999')), { text: 'xstray', first: true }, 'the newest kept');
  });

  it('bounds the parts that wait', () => {
    const answers = new GrowingAnswers();
    for (let number = 2; number < 2 + 1000; number += 1) answers.grow(part(number, 'x'));
    const grown = answers.grow(part(1, 'x'));
    assert.ok(grown.text.length > 1 && grown.text.length <= 65, `${grown.text.length} characters applied`);
  });
});
