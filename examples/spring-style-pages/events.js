// The original "STOMP 이벤트 핸들링 데모" page's script, moved out of the HTML (the CSP allows no
// inline script) and pointed at aicc-chat. Lines that differ say "aicc-chat:" and why; see
// docs/MIGRATING.md for the whole mapping.

let stompClient = null;
let jwtToken = null;
let subscriptions = [];
let reconnectedWithRefresh = false;

// 1. 이벤트 로그 추가 (aicc-chat: text nodes instead of innerHTML, so a message is never markup)
function logEvent(type, message, details = '') {
    const events = document.getElementById('events');
    const div = document.createElement('div');
    div.className = `event ${type}`;
    const title = document.createElement('strong');
    title.textContent = `[${new Date().toLocaleTimeString()}] ${type.toUpperCase()}`;
    div.append(title, `: ${message}`);
    if (details) {
        const small = document.createElement('small');
        small.textContent = details;
        div.append(document.createElement('br'), small);
    }
    events.appendChild(div);
    events.scrollTop = events.scrollHeight;
    console.log(`[${type}]`, message, details);
}

// 2. 상태 업데이트
function updateStatus(message, type) {
    const status = document.getElementById('status');
    status.textContent = message;
    status.className = type;
}

// 3. JWT 토큰 획득: getToken() in auth.js (POST /api/auth/login, the refresh token in the body)

// 4. onConnect 콜백 (연결 성공)
function onConnect(frame) {
    logEvent('success', 'STOMP 연결 성공', `user-name: ${frame.headers['user-name']}, session: ${frame.headers.session}`);
    updateStatus('연결됨 (Heartbeat 활성)', 'connected');
    reconnectedWithRefresh = false;

    // aicc-chat: the lobby topic is /topic/chat (the original's /topic/chat/all does not exist);
    // its messages are {sender, content, timestamp}, the sender taken from the token.
    subscriptions.push(stompClient.subscribe('/topic/chat', function(message) {
        const chat = JSON.parse(message.body);
        logEvent('message', '메시지 수신', message.body);
        addMessage(chat.sender, chat.content);
    }));

    // aicc-chat: refusals that keep the connection (an unknown destination, a rate limit, a bad
    // body) arrive here as {code, message}; only protocol faults are ERROR frames.
    subscriptions.push(stompClient.subscribe('/user/queue/errors', function(message) {
        const refusal = JSON.parse(message.body);
        logEvent('error', `요청 거부: ${refusal.code}`, refusal.message);
    }));

    // 사용자 상태 전송. aicc-chat: there is no /app/user.connected, and the user is whoever the
    // token says (the original sent userId 'user1' from the page): the entry is announced on the lobby.
    stompClient.send('/app/chat.send', {}, JSON.stringify({
        content: `${chatAuth.user.displayName} 입장`
    }));
}

// 5. onStompError 콜백 (STOMP 오류). stomp.js 2.3.3 calls it with the ERROR frame, or with a
// text when the connection is lost (the original read frame.headers in both cases). `client`: the
// connection it is about; a replaced one's last words are only logged.
async function onStompError(frame, client) {
    if (client !== stompClient) {
        logEvent('info', '이전 연결 종료', String(frame.headers?.message ?? frame));
        return;
    }
    subscriptions = [];
    if (typeof frame === 'string') {
        logEvent('warn', '연결 끊김', frame);
        updateStatus('연결 끊김', 'error');
        return;
    }
    const errorMsg = frame.headers['message'] || '알 수 없는 오류';
    const errorBody = frame.body || '상세 정보 없음';

    logEvent('error', 'STOMP 브로커 오류', `Message: ${errorMsg} / Body: ${errorBody}`);
    updateStatus(`STOMP 오류: ${errorMsg}`, 'error');

    // 특정 오류별 처리. aicc-chat: its messages begin with "authentication failed" (then the
    // reason, e.g. ": token expired"); a new access token from the refresh token, once.
    if (errorMsg.startsWith('authentication failed') && !reconnectedWithRefresh) {
        logEvent('error', '인증 실패 - 토큰 재발급 후 재연결');
        reconnectedWithRefresh = true;
        try {
            jwtToken = await refreshAccessToken();
            openStomp();
        } catch (e) {
            logEvent('error', '재로그인 필요', e.message);
        }
    } else if (errorMsg.includes('version')) {
        logEvent('error', 'STOMP 버전 불일치');
    }
}

// 6. WebSocket 수준 오류 (onerror)
function onWebSocketError(error) {
    logEvent('error', 'WebSocket 오류', String(error.type ?? error));
    updateStatus('WebSocket 오류', 'error');
}

function openStomp() {
    // aicc-chat: the chat server's address comes from config.js (the original hard-coded it).
    const socket = new SockJS(`${window.CHAT_SERVER}/ws-chat`);

    // SockJS 이벤트 (WebSocket 수준). aicc-chat: addEventListener, because Stomp.over() sets
    // socket.onopen/onclose itself and silently replaced the original's handlers.
    socket.addEventListener('open', () => logEvent('success', 'SockJS 연결됨'));
    socket.addEventListener('error', onWebSocketError);
    socket.addEventListener('close', (event) => {
        logEvent('warn', 'SockJS 연결 종료', `Code: ${event.code}, Reason: ${event.reason}`);
    });

    const client = Stomp.over(socket);
    stompClient = client;
    stompClient.debug = (str) => {
        if (str.includes('heart-beat') || str.includes('connected')) {
            console.log('STOMP DEBUG:', str);
        }
    };

    // 핵심: 3개 콜백 완전 설정
    stompClient.connect(
        { Authorization: 'Bearer ' + jwtToken },
        onConnect,           // 연결 성공
        (frame) => onStompError(frame, client)  // STOMP 오류
    );
}

// 7. 연결 함수
async function connectStomp() {
    try {
        updateStatus('연결 시도중...', 'connecting');
        logEvent('info', '연결 시작');

        jwtToken = await getToken(document.getElementById('username').value,
                                  document.getElementById('password').value);
        openStomp();
    } catch (error) {
        logEvent('error', '연결 예외', error.message);
        updateStatus('연결 실패: ' + error.message, 'error');
    }
}

// 8. 연결 해제
function disconnectStomp() {
    if (stompClient) {
        // 모든 구독 해제
        subscriptions.forEach(sub => sub.unsubscribe());
        subscriptions = [];

        stompClient.disconnect(() => {
            logEvent('info', 'STOMP 연결 해제됨');
            updateStatus('연결 해제됨', 'error');
            stompClient = null;
        });
    }
}

// 9. 오류 시뮬레이션. aicc-chat: an unknown /app/ destination is refused on /user/queue/errors
// (code unknown_destination) and the connection stays, instead of an ERROR frame.
function simulateError() {
    if (stompClient && stompClient.connected) {
        // 잘못된 destination으로 전송
        stompClient.send('/app/invalid.endpoint', {}, 'test');
    }
}

// 10. 메시지 UI (aicc-chat: textContent; the original's innerHTML ran whatever a sender wrote)
function addMessage(sender, content) {
    const messages = document.getElementById('messages');
    const div = document.createElement('div');
    const name = document.createElement('strong');
    name.textContent = `${sender}:`;
    div.append(name, ' ', content);
    messages.appendChild(div);
    messages.scrollTop = messages.scrollHeight;
}

// aicc-chat: the buttons' onclick="" attributes are inline scripts, which the CSP refuses.
document.getElementById('connectBtn').addEventListener('click', connectStomp);
document.getElementById('disconnectBtn').addEventListener('click', disconnectStomp);
document.getElementById('simulateBtn').addEventListener('click', simulateError);

// 페이지 종료 처리
window.addEventListener('beforeunload', () => {
    disconnectStomp();
});
