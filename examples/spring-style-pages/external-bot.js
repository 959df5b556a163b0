// The original "외부 봇 → 상담사 연결" page's script: the customer writes to the bot over HTTP
// (POST /api/bot/message) and reads its answers over STOMP, since the bot is another server that
// answers the chat server (by its HTTP reply or its webhook). Moved out of the HTML for the CSP and
// pointed at aicc-chat; lines that differ say "aicc-chat:" and why (docs/MIGRATING.md). The agent
// mode is agent-panel.js, the 1:1 room room-chat.js.

let stompClient = null;
let jwtToken = null;
let currentMode = 'customer';

// 모드 전환
function setMode(mode) {
    currentMode = mode;
    document.getElementById('customerBtn').classList.toggle('active', mode === 'customer');
    document.getElementById('agentBtn').classList.toggle('active', mode === 'agent');
    document.getElementById('customerSection').hidden = mode !== 'customer';
    document.getElementById('agentSection').hidden = mode !== 'agent';
}

// STOMP 연결
async function connect() {
    const status = document.getElementById('connectionStatus');
    try {
        jwtToken = await getToken(document.getElementById('username').value,
                                  document.getElementById('password').value); // 로그인 API 호출
    } catch (e) {
        status.textContent = e.message;
        return;
    }

    const socket = new SockJS(`${window.CHAT_SERVER}/ws-chat`);
    stompClient = Stomp.over(socket);
    stompClient.debug = null;

    stompClient.connect({ Authorization: 'Bearer ' + jwtToken }, frame => {
        console.log('STOMP 연결 성공');
        status.textContent = `연결됨: ${chatAuth.user.displayName} (${chatAuth.user.role})`;

        // aicc-chat: subscriptions by the token's role (a destination the role may not use ends
        // the connection); the original subscribed to everything in both modes.
        if (chatAuth.user.role === 'AGENT') {
            setMode('agent');
            subscribeAgent(stompClient, addMessage);
        } else {
            setMode('customer');
            // 봇 응답 구독: exactly one answer per message, whether the bot replied or called the
            // webhook (the original could deliver both).
            stompClient.subscribe('/user/queue/bot/response', msg => {
                const response = JSON.parse(msg.body);
                addMessage('봇', response.botMessage);

                // 봇이 상담 필요하다고 판단. aicc-chat: the server raises the request itself
                // (bot.need-human: queue); its status follows below.
                if (response.needHuman) {
                    addMessage('시스템', '상담사 연결을 요청합니다...');
                }
            });

            // 상담 상태 변경
            stompClient.subscribe('/user/queue/consult/status', msg => {
                const consultStatus = JSON.parse(msg.body);
                updateConsultStatus(consultStatus);
            });
        }
        stompClient.subscribe('/user/queue/errors', msg => {
            const refusal = JSON.parse(msg.body);
            addMessage('시스템', `요청 거부 (${refusal.code}): ${refusal.message}`);
        });
    }, error => {
        status.textContent = typeof error === 'string' ? '연결 끊김' : `오류: ${error.headers.message}`;
    });
}

// aicc-chat: POST /api/bot/message with the bearer token; an expired token is renewed once.
async function postBotMessage(message) {
    const send = () => fetch(`${window.CHAT_SERVER}/api/bot/message`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${jwtToken}` },
        body: JSON.stringify({ message })
    });
    let response = await send();
    if (response.status === 401) {
        jwtToken = await refreshAccessToken();
        response = await send();
    }
    if (!response.ok) {
        const refusal = await response.json().catch(() => ({}));
        throw new Error(`${response.status} ${refusal.error ?? ''}: ${refusal.message ?? ''}`);
    }
}

// 고객 → 봇서버 API 호출. aicc-chat: the body is {message} alone: the customer and the
// conversation come from the token (the original invented customerId 'cust_' + Date.now() on
// every click and a sessionId in the page).
async function sendToBot() {
    const input = document.getElementById('customerMsg');
    const message = input.value;
    if (!message) return;

    // aicc-chat: shown before it is sent, since the answer may arrive (over STOMP) before the
    // POST's own reply does.
    input.value = '';
    addMessage('나', message);

    // 채팅서버의 봇 API 호출
    try {
        await postBotMessage(message);
    } catch (e) {
        addMessage('시스템', `전송 실패: ${e.message}`);
    }
}

// 고객 상담사 연결 요청
function requestHuman() {
    stompClient.send('/app/consult.request', {}, JSON.stringify({
        category: '일반문의',
        reason: '봇 응답 불만족'
    }));
    addMessage('시스템', '상담사 연결 요청 중입니다...');
}

// {requestId, status, position?, agentName?, roomId?}
function updateConsultStatus(status) {
    const connected = status.status === 'connected' || status.status === 'auto_assigned';
    const box = document.createElement('div');
    box.className = connected ? 'status-box connected' : 'status-box';
    if (connected) {
        box.textContent = `상담사 ${status.agentName} 연결됨`;
    } else if (status.status === 'waiting') {
        box.textContent = `상담사 대기중${status.position ? ` (${status.position}번째)` : ''}`;
    } else {
        box.textContent = `상담 ${status.status === 'closed' ? '종료' : '취소'}`;
    }
    document.getElementById('consultStatus').replaceChildren(box);
    // aicc-chat: the 1:1 room exists now (room-chat.js).
    if (connected && status.roomId) openRoomChat(stompClient, status.roomId, chatAuth.user.id);
}

// aicc-chat: text nodes, never innerHTML (see bot-agent.js).
function addMessage(sender, message) {
    const chatArea = document.getElementById('chatArea');
    const line = document.createElement('div');
    const name = document.createElement('strong');
    name.className = sender === '나' ? 'me' : 'other';
    name.textContent = `${sender}:`;
    line.append(name, ' ', message);
    chatArea.appendChild(line);
    chatArea.scrollTop = chatArea.scrollHeight;
}

document.getElementById('loginBtn').addEventListener('click', connect);
document.getElementById('customerBtn').addEventListener('click', () => setMode('customer'));
document.getElementById('agentBtn').addEventListener('click', () => setMode('agent'));
document.getElementById('sendBtn').addEventListener('click', sendToBot);
document.getElementById('customerMsg').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.isComposing) sendToBot();
});
document.getElementById('humanBtn').addEventListener('click', requestHuman);
wireRoomChat(() => stompClient);

// 초기화 (aicc-chat: connect() waits for the sign-in)
setMode('customer');
