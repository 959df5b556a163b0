// Messages customers leave instead of waiting, against the binary: offered at once when no agent
// is signed in (leaveReason nobody_online) or after routing.max-wait (busy); an agent takes one up
// with a reply, which is stored in the customer's conversation under the agent's name and reaches
// the customer live on /user/queue/messages; a second take-up, a bad body and a too long reply
// are refused with reasons.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  fullHistory,
  newAgent,
  newCustomer,
  nextJson,
  nextStatus,
  requestConsult,
  send,
  startCenter,
} from './lib/contact-center.mjs';

const TEST_TIMEOUT = 20000;

describe('left messages', () => {
  it('nobody signed in: offered at once; an agent\'s reply reaches the customer and stays in the history', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.mode': 'manual', 'bot.need-human': 'offer' } });
    const customer = await newCustomer(t, server, { displayName: 'Choi' });
    const replies = await customer.session.subscribe('/user/queue/messages');
    const waiting = await requestConsult(customer);
    const offer = await nextStatus(customer, { requestId: waiting.requestId, offerLeaveMessage: true });
    assert.equal(offer.leaveReason, 'nobody_online');
    await send(customer, '/app/consult.leave', { requestId: waiting.requestId, text: 'call me back', contact: 'choi@example.com' });

    const agent = await newAgent(t, server, { name: 'Han' });
    const list = await fetch(`${server.httpUrl}/api/consult/offline`, { headers: { Authorization: `Bearer ${agent.token}` } });
    const [left] = (await list.json()).messages;
    assert.equal(left.text, 'call me back');

    for (const body of [{}, { id: left.id, reply: 7 }, { id: left.id, reply: 'x'.repeat(4001) }]) {
      const answer = await send(agent, '/app/agent.handleOffline', body);
      assert.equal(answer.refusal?.json.code, 'bad_request', JSON.stringify(body).slice(0, 60));
    }
    await send(agent, '/app/agent.handleOffline', { id: left.id, reply: 'We will call you at 3 pm.' });
    const reply = await nextJson(replies, { leftMessageId: left.id });
    assert.equal(reply.text, 'We will call you at 3 pm.');
    assert.equal(reply.senderRole, 'AGENT');
    assert.equal(reply.senderName, 'Han');
    assert.equal(reply.senderId, agent.id);
    const history = await fullHistory(server, customer.token, reply.conversationId);
    assert.equal(history.at(-1).text, 'We will call you at 3 pm.');
    assert.equal(history.at(-1).senderName, 'Han');

    const again = await send(agent, '/app/agent.handleOffline', { id: left.id, reply: 'twice?' });
    assert.equal(again.refusal?.json.code, 'already_handled');
  });

  it('with agents signed in, the offer waits for routing.max-wait and says they are busy', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.mode': 'manual', 'routing.max-wait': '1' } });
    await newAgent(t, server);
    const customer = await newCustomer(t, server);
    const waiting = await requestConsult(customer);
    const offer = await nextStatus(customer, { requestId: waiting.requestId, offerLeaveMessage: true }, 8000);
    assert.equal(offer.leaveReason, 'busy');
  });
});
