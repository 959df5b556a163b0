// GET /api/conversations/{id}/messages: the bot conversation read back over HTTP by its customer
// (demo user1) and by agents (demo agent1, agent2), paged with `after` and `limit`; refused to
// other customers, to callers without a valid token, for unknown ids and bad parameters.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { apiRequest, login } from './lib/auth-http.mjs';
import { newGuest, postBotMessage, readHistory } from './lib/bot.mjs';
import { startServer } from './lib/server.mjs';
import { expiredToken } from './lib/tokens.mjs';
import { waitUntil } from './lib/util.mjs';

const TEST_TIMEOUT = 15000;
const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

// What user1 says, in order; each is answered by the built-in bot.
const TEXTS = ['안녕하세요', '환불하고 싶어요', '배송 언제 와요?', '결제오류가 났어요', 'thanks'];
const TOTAL = TEXTS.length * 2;

describe('conversation history over HTTP', () => {
  let server;
  let user1;
  let agent1;
  let conversationId;
  let posted;

  async function signIn(username) {
    const answer = await login(server, username, '1234');
    assert.equal(answer.status, 200, `${username}: ${answer.text}`);
    return { token: answer.json.accessToken, id: answer.json.user.id, role: answer.json.user.role };
  }

  function seqs(answer) {
    return answer.json.messages.map((m) => m.seq);
  }

  before(async () => {
    // The bot on its own (no consult request on needHuman), so that it answers every message.
    server = await startServer({ args: ['--demo'], settings: { 'bot.need-human': 'offer' } });
    await server.waitForLog(/created demo user agent2/);
    user1 = await signIn('user1');
    agent1 = await signIn('agent1');
    assert.equal(user1.role, 'CUSTOMER');
    assert.equal(agent1.role, 'AGENT');
    posted = [];
    for (const [index, message] of TEXTS.entries()) {
      // Every other message carries a clientMessageId.
      const body = index % 2 === 0 ? { message, clientMessageId: `hist-${index}` } : { message };
      const answer = await postBotMessage(server, user1.token, body);
      assert.equal(answer.status, 202, answer.text);
      posted.push(answer.json);
      // One at a time: each answer lands right after its message.
      await waitUntil(async () => {
        const history = await readHistory(server, user1.token, answer.json.conversationId);
        return history.json?.messages.length === (index + 1) * 2;
      }, { timeoutMs: 5000, what: `the answer to message ${index + 1}` });
    }
    conversationId = posted[0].conversationId;
  });
  after(async () => {
    if (!server) return;
    const result = await server.stop();
    assert.equal(result.code, 0, `server exit code; stderr:\n${result.stderr}`);
  });

  it('gives the customer their conversation: seqs 1..n in order, no gaps, each answer after its message', { timeout: TEST_TIMEOUT }, async () => {
    const answer = await readHistory(server, user1.token, conversationId);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.headers.get('content-type'), /^application\/json/);
    const { messages, nextAfter } = answer.json;
    assert.deepEqual(messages.map((m) => m.seq), Array.from({ length: TOTAL }, (_, i) => i + 1));
    assert.equal(nextAfter, TOTAL);
    for (const [index, text] of TEXTS.entries()) {
      const asked = messages[index * 2];
      const answered = messages[index * 2 + 1];
      assert.equal(asked.senderRole, 'CUSTOMER');
      assert.equal(asked.senderId, user1.id);
      assert.equal(asked.text, text);
      assert.equal(asked.messageId, posted[index].messageId);
      if (index % 2 === 0) assert.equal(asked.clientMessageId, `hist-${index}`);
      else assert.equal('clientMessageId' in asked, false);
      assert.equal('replyTo' in asked, false);
      assert.equal(answered.senderRole, 'BOT');
      assert.equal(answered.replyTo, asked.messageId);
      assert.equal(typeof answered.text, 'string');
      assert.ok(answered.text.length > 0);
      for (const message of [asked, answered]) {
        assert.equal(typeof message.messageId, 'string');
        assert.match(message.timestamp, RFC3339_MS);
      }
      assert.ok(asked.timestamp <= answered.timestamp);
    }
    assert.equal(new Set(messages.map((m) => m.messageId)).size, TOTAL);
  });

  it('pages with after and limit', { timeout: TEST_TIMEOUT }, async () => {
    const afterThree = await readHistory(server, user1.token, conversationId, 'after=3');
    assert.deepEqual(seqs(afterThree), [4, 5, 6, 7, 8, 9, 10]);
    assert.equal(afterThree.json.nextAfter, 10);

    const firstTwo = await readHistory(server, user1.token, conversationId, 'limit=2');
    assert.deepEqual(seqs(firstTwo), [1, 2]);
    assert.equal(firstTwo.json.nextAfter, 2);

    const middle = await readHistory(server, user1.token, conversationId, 'after=2&limit=3');
    assert.deepEqual(seqs(middle), [3, 4, 5]);
    assert.equal(middle.json.nextAfter, 5);

    // Following nextAfter reads everything once, then nothing, and nextAfter stays put.
    const read = [];
    let cursor = 0;
    for (let page = 0; page < 10; page += 1) {
      const answer = await readHistory(server, user1.token, conversationId, `after=${cursor}&limit=3`);
      assert.equal(answer.status, 200, answer.text);
      if (answer.json.messages.length === 0) {
        assert.equal(answer.json.nextAfter, cursor);
        break;
      }
      read.push(...seqs(answer));
      cursor = answer.json.nextAfter;
    }
    assert.deepEqual(read, Array.from({ length: TOTAL }, (_, i) => i + 1));

    const past = await readHistory(server, user1.token, conversationId, `after=${TOTAL + 5}`);
    assert.equal(past.status, 200);
    assert.deepEqual(past.json, { messages: [], nextAfter: TOTAL + 5 });
    assert.deepEqual(seqs(await readHistory(server, user1.token, conversationId, 'after=0&limit=500')),
      Array.from({ length: TOTAL }, (_, i) => i + 1));
  });

  it('lets agents read it', { timeout: TEST_TIMEOUT }, async () => {
    const own = await readHistory(server, user1.token, conversationId);
    const byAgent = await readHistory(server, agent1.token, conversationId);
    assert.equal(byAgent.status, 200, byAgent.text);
    assert.deepEqual(byAgent.json, own.json);
    const agent2 = await signIn('agent2');
    const paged = await readHistory(server, agent2.token, conversationId, 'after=8&limit=1');
    assert.equal(paged.status, 200);
    assert.deepEqual(seqs(paged), [9]);
  });

  it('refuses other customers with 403', { timeout: TEST_TIMEOUT }, async () => {
    const other = await newGuest(server);
    const refused = await readHistory(server, other.token, conversationId);
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json.error, 'forbidden');
    assert.equal(JSON.stringify(refused.json).includes(TEXTS[1]), false);
    // Their own conversation is theirs alone, and user1 may not read it either.
    const theirs = await postBotMessage(server, other.token, { message: '환불' });
    assert.equal(theirs.status, 202);
    assert.notEqual(theirs.json.conversationId, conversationId);
    assert.equal((await readHistory(server, other.token, theirs.json.conversationId)).status, 200);
    assert.equal((await readHistory(server, user1.token, theirs.json.conversationId)).status, 403);
  });

  it('refuses callers without a valid token with 401', { timeout: TEST_TIMEOUT }, async () => {
    const path = `/api/conversations/${conversationId}/messages`;
    const none = await apiRequest(server, path, { method: 'GET' });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await apiRequest(server, path, { method: 'GET', bearer: 'not.a.token' })).status, 401);
    const expired = expiredToken(server.secret, { sub: user1.id });
    assert.equal((await apiRequest(server, path, { method: 'GET', bearer: expired })).status, 401);
  });

  it('answers 404 for an unknown conversation', { timeout: TEST_TIMEOUT }, async () => {
    for (const id of ['c_000000000000', 'nope', 'x'.repeat(128)]) {
      const answer = await readHistory(server, agent1.token, id);
      assert.equal(answer.status, 404, `${id}: ${answer.text}`);
      assert.equal(answer.json.error, 'not_found');
      assert.equal((await readHistory(server, user1.token, id)).status, 404);
    }
    const tooLong = await readHistory(server, agent1.token, 'x'.repeat(300));
    assert.equal(tooLong.status, 404);
  });

  it('refuses bad after and limit with 400', { timeout: TEST_TIMEOUT }, async () => {
    const bad = ['after=-1', 'after=abc', 'after=1.5', 'after=%201', 'after=99999999999999999999', 'limit=0',
      'limit=-3', 'limit=501', 'limit=ten', 'limit=2x', 'after=1&limit=0'];
    for (const query of bad) {
      const answer = await readHistory(server, user1.token, conversationId, query);
      assert.equal(answer.status, 400, `${query}: ${answer.text}`);
      assert.equal(answer.json.error, 'bad_request');
      assert.equal(typeof answer.json.message, 'string');
    }
    // The limits themselves are fine.
    assert.equal((await readHistory(server, user1.token, conversationId, 'limit=1')).status, 200);
    assert.equal((await readHistory(server, user1.token, conversationId, 'limit=500')).status, 200);
  });
});
