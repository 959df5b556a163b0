// The 1:1 room, which the original pages announced ("1:1 채팅방 생성") but never opened. On
// aicc-chat the server opens it when an agent accepts (or is assigned) a request: the customer
// reads its id in /user/queue/consult/status, the agent in /user/queue/agent/assignment. Both
// subscribe to /topic/room/{roomId} and send with /app/room.send; the server stores each message
// once per clientMessageId and names the sender. Text is set with textContent: a message that looks
// like HTML shows as it was typed.

let openRoom = null;  // {roomId, subscription}

function newClientMessageId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);  // also on plain http: crypto.randomUUID() needs a secure context
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function addRoomLine(sender, text, className) {
  const list = document.getElementById('roomMessages');
  const line = document.createElement('div');
  const name = document.createElement('strong');
  name.textContent = `${sender}: `;
  if (className) name.className = className;
  line.append(name, text);  // a string argument becomes a text node
  list.appendChild(line);
  list.scrollTop = list.scrollHeight;
}

function openRoomChat(stompClient, roomId, myUserId) {
  if (openRoom?.roomId === roomId) return;
  openRoom?.subscription.unsubscribe();
  document.getElementById('roomMessages').replaceChildren();
  document.getElementById('roomSection').hidden = false;
  const subscription = stompClient.subscribe(`/topic/room/${roomId}`, (frame) => {
    const event = JSON.parse(frame.body);
    if (event.type === 'closed') {
      addRoomLine('시스템', '상담이 종료되었습니다.');
      document.getElementById('roomInput').disabled = true;
    } else if (event.type === undefined && typeof event.text === 'string') {
      const mine = event.senderId === myUserId;
      const who = mine ? '나' : event.senderName || (event.senderRole === 'AGENT' ? '상담사' : '고객');
      addRoomLine(who, event.text, mine ? 'me' : 'other');
    }
  });
  openRoom = { roomId, subscription };
  document.getElementById('roomInput').disabled = false;
}

function sendRoomMessage(stompClient) {
  const input = document.getElementById('roomInput');
  const text = input.value.trim();
  if (!openRoom || text === '') return;
  stompClient.send('/app/room.send', {}, JSON.stringify({ roomId: openRoom.roomId, text, clientMessageId: newClientMessageId() }));
  input.value = '';
}

function closeRoom(stompClient) {
  if (openRoom) stompClient.send('/app/room.close', {}, JSON.stringify({ roomId: openRoom.roomId }));
}

function wireRoomChat(getClient) {
  document.getElementById('roomSend').addEventListener('click', () => sendRoomMessage(getClient()));
  document.getElementById('roomInput').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.isComposing) sendRoomMessage(getClient());
  });
  document.getElementById('roomClose').addEventListener('click', () => closeRoom(getClient()));
}
