// Inactivity against the binary: a room with no message for routing.room-idle-close is closed by
// the server, and both sides are told why (`closed` with reason idle, the customer's status
// closed); a room where people write stays open.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  acceptedRoom,
  newAgent,
  newCustomer,
  nextJson,
  nextStatus,
  roomEvents,
  roomSend,
  startCenter,
  subscribeRoom,
} from './lib/contact-center.mjs';
import { delay } from './lib/util.mjs';

const TEST_TIMEOUT = 30000;

describe('idle rooms', () => {
  it('a room nobody writes in is closed with the reason; a busy one stays', { timeout: TEST_TIMEOUT }, async (t) => {
    const server = await startCenter(t, { settings: { 'routing.mode': 'manual', 'routing.room-idle-close': '3' } });
    const agent = await newAgent(t, server);
    const quiet = await newCustomer(t, server);
    const busy = await newCustomer(t, server);
    const quietRoom = await acceptedRoom(quiet, agent);
    const busyRoom = await acceptedRoom(busy, agent);
    const agentView = await subscribeRoom(agent, quietRoom.roomId);
    const customerView = await subscribeRoom(quiet, quietRoom.roomId);
    const busyView = await subscribeRoom(agent, busyRoom.roomId);

    // The busy room gets a line every second meanwhile.
    const started = Date.now();
    let line = 0;
    const closed = nextJson(customerView, { type: 'closed' }, 15000);
    while (Date.now() - started < 9000) {
      await roomSend(busy, busyRoom.roomId, `still here ${line += 1}`);
      await delay(1000);
    }
    const event = await closed;
    assert.equal(event.reason, 'idle');
    assert.equal(event.by, '');
    assert.equal((await nextJson(agentView, { type: 'closed' })).reason, 'idle');
    await nextStatus(quiet, { requestId: quietRoom.request.requestId, status: 'closed' });
    assert.deepEqual(roomEvents(busyView, 'closed'), [], 'the busy room stays open');
  });
});
