// The original "봇 → 상담사 연결 시스템" page's script (customer and agent modes in one page),
// moved out of the HTML for the CSP and pointed at aicc-chat. Lines that differ say "aicc-chat:"
// and why; docs/MIGRATING.md has the whole mapping. The agent mode is agent-panel.js, the 1:1 room
// room-chat.js.

let stompClient = null;
let jwtToken = null;
let currentMode = 'customer';
let currentRequestId = null;

// 모드 전환 (aicc-chat: the hidden attribute rather than style="display: none" in the markup, which
// the CSP's style-src 'self' refuses)
function setMode(mode) {
    currentMode = mode;
    document.getElementById('customerBtn').classList.toggle('active-mode', mode === 'customer');
    document.getElementById('agentBtn').classList.toggle('active-mode', mode === 'agent');
    document.getElementById('customerInput').hidden = mode !== 'customer';
    document.getElementById('agentPanel').hidden = mode !== 'agent';
}

// STOMP 연결
async function connect() {
    const status = document.getElementById('connectionStatus');
    try {
        jwtToken = await getToken(document.getElementById('username').value,
                                  document.getElementById('password').value);
    } catch (e) {
        status.textContent = e.message;
        return;
    }
    const socket = new SockJS(`${window.CHAT_SERVER}/ws-chat`);
    stompClient = Stomp.over(socket);
    stompClient.debug = null;

    stompClient.connect({ Authorization: 'Bearer ' + jwtToken }, frame => {
        console.log('연결 성공');
        status.textContent = `연결됨: ${chatAuth.user.displayName} (${chatAuth.user.role})`;

        // aicc-chat: every destination is checked against the token's role, and subscribing to
        // one the role may not use ends the connection: a customer subscribes to the customer's
        // destinations, an agent to the agent's (the original subscribed to all of them).
        if (chatAuth.user.role === 'AGENT') {
            setMode('agent');
            subscribeAgent(stompClient, addMessage);
        } else {
            setMode('customer');
            // 봇 채팅 구독. aicc-chat: the answers are the customer's own, on
            // /user/queue/bot/response (the original's /topic/chat/bot showed every customer's
            // answers to everyone): {botMessage, needHuman, category, ...}.
            stompClient.subscribe('/user/queue/bot/response', message => {
                const response = JSON.parse(message.body);
                addMessage('봇', response.botMessage);
                if (response.needHuman) addMessage('시스템', '상담사 연결이 필요합니다.');
            });

            // 상담 상태 변경
            stompClient.subscribe('/user/queue/consult/status', message => {
                const consultStatus = JSON.parse(message.body);
                updateConsultStatus(consultStatus);
            });
        }
        // aicc-chat: refusals that keep the connection ({code, message}).
        stompClient.subscribe('/user/queue/errors', message => {
            const refusal = JSON.parse(message.body);
            addMessage('시스템', `요청 거부 (${refusal.code}): ${refusal.message}`);
        });
    }, error => {
        status.textContent = typeof error === 'string' ? '연결 끊김' : `오류: ${error.headers.message}`;
    });
}

// 고객 메시지 전송 (봇). aicc-chat: /app/bot.message {message}; the customer is the token's user
// (the original sent customerId 'cust1' from the page, so anyone could write as anyone).
function sendCustomerMessage() {
    const input = document.getElementById('customerMessage');
    const msg = input.value;
    if (!msg || !stompClient) return;
    stompClient.send('/app/bot.message', {}, JSON.stringify({
        message: msg
    }));
    addMessage('나', msg);
    input.value = '';
}

// 상담사 연결 요청. aicc-chat: {category, reason}; the server makes the request id and answers on
// /user/queue/consult/status (the original read request.requestId, which it never had).
function requestConsult() {
    const request = {
        category: '결제문의',
        reason: '결제 오류가 발생했습니다.'
    };
    stompClient.send('/app/consult.request', {}, JSON.stringify(request));
    addMessage('시스템', '상담사 연결 요청 중...');
}

const STATUS_LABELS = {
    waiting: '대기중', connected: '연결됨', auto_assigned: '자동 연결됨', canceled: '취소됨', closed: '종료됨',
};

// 상담 상태 업데이트: {requestId, status, position?, agentName?, roomId?}
function updateConsultStatus(status) {
    currentRequestId = status.requestId;
    const box = document.createElement('div');
    const connected = status.status === 'connected' || status.status === 'auto_assigned';
    box.className = connected ? 'status-box connected' : 'status-box';
    box.textContent = `상담 상태: ${STATUS_LABELS[status.status] ?? status.status}`
        + (status.position ? ` (${status.position}번째)` : '')
        + (status.agentName ? ` | 상담사: ${status.agentName}` : '');
    document.getElementById('consultStatus').replaceChildren(box);
    addMessage('시스템', `상담 ${STATUS_LABELS[status.status] ?? status.status}`);
    // aicc-chat: the 1:1 room exists now; both sides chat in it (room-chat.js).
    if (connected && status.roomId) openRoomChat(stompClient, status.roomId, chatAuth.user.id);
}

// aicc-chat: a text node per message; the original appended `${sender}: ${message}` to innerHTML,
// so a message such as <img src=x onerror=...> ran in the reader's page.
function addMessage(sender, message) {
    const chatArea = document.getElementById('chatArea');
    const line = document.createElement('div');
    const name = document.createElement('strong');
    name.textContent = `${sender}:`;
    line.append(name, ' ', message);
    chatArea.appendChild(line);
    chatArea.scrollTop = chatArea.scrollHeight;
}

// aicc-chat: listeners instead of onclick="" attributes (inline scripts, refused by the CSP).
document.getElementById('loginBtn').addEventListener('click', connect);
document.getElementById('customerBtn').addEventListener('click', () => setMode('customer'));
document.getElementById('agentBtn').addEventListener('click', () => setMode('agent'));
document.getElementById('sendBtn').addEventListener('click', sendCustomerMessage);
document.getElementById('customerMessage').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.isComposing) sendCustomerMessage();
});
document.getElementById('requestBtn').addEventListener('click', requestConsult);
wireRoomChat(() => stompClient);

// 초기화 (aicc-chat: connect() waits for the sign-in; the original connected at load as user1)
setMode('customer');
