// 상담사 모드, which both original bot pages had word for word, shared here. Changes, and why:
// - The agent signs in to routing with /app/agent.login (the original's online:agents set), and
//   the server only offers requests to agents signed in.
// - Accept sends {requestId} alone: the server knows the customer (the original sent the customer
//   id and a session id from the page, so anyone could claim to accept for anyone). The first
//   accept wins; a late one is refused on /user/queue/errors.
// - Requests taken or withdrawn leave every console's list (/topic/consult/updates), and the
//   accepting agent gets the 1:1 room on /user/queue/agent/assignment (room-chat.js).
// - Cards are built with textContent: a customer's name or reason is never markup.

let pendingRequests = [];

function subscribeAgent(client, addMessage) {
    client.subscribe('/topic/consult/request', msg => {
        handleConsultRequest(client, JSON.parse(msg.body));
    });
    client.subscribe('/topic/consult/updates', msg => {
        const update = JSON.parse(msg.body);
        if (update.requestId) dropRequest(client, update.requestId);
    });
    client.subscribe('/user/queue/agent/assignment', msg => {
        const assignment = JSON.parse(msg.body);
        dropRequest(client, assignment.requestId);
        addMessage('시스템', `${assignment.customer.displayName} 고객과 연결되었습니다 (${assignment.mode === 'auto' ? '자동 배정' : '수락'})`);
        openRoomChat(client, assignment.roomId, chatAuth.user.id);
    });
    // 상담사 로그인 (WebSocket 연결 후)
    client.send('/app/agent.login', {}, JSON.stringify({}));
}

// 상담사 새 요청 처리
function handleConsultRequest(client, request) {
    if (pendingRequests.some(r => r.requestId === request.requestId)) return;
    pendingRequests.push(request);
    displayPendingRequests(client);
}

function dropRequest(client, requestId) {
    pendingRequests = pendingRequests.filter(r => r.requestId !== requestId);
    displayPendingRequests(client);
}

// 대기 요청 UI 표시
function displayPendingRequests(client) {
    const container = document.getElementById('pendingRequests');
    container.replaceChildren(...pendingRequests.map(req => {
        const card = document.createElement('div');
        card.className = 'request-card';
        const title = document.createElement('h4');
        title.textContent = `${req.customerName} (${req.category || '일반문의'})`;
        const reason = document.createElement('p');
        reason.textContent = req.reason || req.lastBotMessage || '';
        const accept = document.createElement('button');
        accept.className = 'accept-btn';
        accept.textContent = '수락';
        accept.addEventListener('click', () => acceptRequest(client, req.requestId));
        const reject = document.createElement('button');
        reject.className = 'reject-btn';
        reject.textContent = '거절';
        reject.addEventListener('click', () => rejectRequest(client, req.requestId));
        card.append(title, reason, accept, ' ', reject);
        return card;
    }));
}

// 상담 수락
function acceptRequest(client, requestId) {
    client.send('/app/agent.accept', {}, JSON.stringify({ requestId }));
}

// 상담 거절: this agent is not offered it again; it stays in the queue for the others.
function rejectRequest(client, requestId) {
    client.send('/app/agent.reject', {}, JSON.stringify({ requestId }));
    dropRequest(client, requestId);
}
