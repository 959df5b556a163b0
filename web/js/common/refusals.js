// What the server's refusals mean, in the page's language. A refusal carries a machine-readable
// code (the HTTP body's `error`, a STOMP domain error's `code`, or the session's own: network,
// timeout, …) and sometimes parameters (retry-after, the room limit); its `message` is English for
// logs and is shown only for a code this list does not know.

const TEXTS = {
  ko: {
    invalid_credentials: '아이디 또는 비밀번호가 올바르지 않습니다.',
    account_disabled: '사용이 중지된 계정입니다. 관리자에게 문의하세요.',
    rate_limited: '요청이 너무 많습니다. {wait} 후에 다시 시도하세요.',
    rate_limited_now: '요청이 너무 많습니다. 잠시 후에 다시 시도하세요.',
    busy: '서버가 바쁩니다. 잠시 후에 다시 시도하세요.',
    network: '서버에 연결할 수 없습니다. 네트워크를 확인하세요.',
    timeout: '서버의 응답이 없습니다. 잠시 후에 다시 시도하세요.',
    invalid_token: '로그인이 만료되었습니다. 다시 로그인하세요.',
    token_reused: '로그인이 만료되었습니다. 다시 로그인하세요.',
    unauthorized: '로그인이 필요합니다.',
    signed_out: '로그인이 필요합니다.',
    forbidden: '이 작업을 할 권한이 없습니다.',
    bad_request: '요청 내용이 올바르지 않습니다.',
    not_found: '찾을 수 없습니다. 이미 끝났거나 다른 상담원이 맡았을 수 있습니다.',
    already_assigned: '다른 상담원이 이미 수락했습니다.',
    at_capacity: '동시에 맡을 수 있는 상담({maxRooms}개)을 모두 맡고 있습니다. 하나를 먼저 종료하세요.',
    at_capacity_target: '그 상담원은 이미 최대 상담 수({maxRooms}개)를 맡고 있습니다.',
    not_waiting: '대기 중인 요청이 아닙니다.',
    agent_unavailable: '그 상담원은 지금 상담을 받을 수 없습니다.',
    agent_offline: '상담을 시작하려면 먼저 접속 상태가 되어야 합니다.',
    not_participant: '이 상담의 참여자가 아닙니다.',
    same_agent: '이미 맡고 있는 상담입니다.',
    room_closed: '이미 종료된 상담입니다.',
    store_unavailable: '저장소에 일시적인 문제가 있습니다. 잠시 후에 다시 시도하세요.',
    routing_unavailable: '상담 배정 서버가 바뀌는 중입니다. 잠시 후에 다시 시도하세요.',
    already_handled: '다른 상담원이 이미 처리했습니다.',
    already_rated: '이미 평가한 상담입니다.',
    conflict: '처리하지 못했습니다. 다시 시도하세요.',
    too_large: '내용이 너무 깁니다.',
    file_too_large: '파일이 너무 큽니다. 더 작은 파일을 보내 주세요.',
    unsupported_type: '보낼 수 없는 파일입니다. 사진(PNG, JPEG, GIF, WebP), PDF, 텍스트 파일만 보낼 수 있습니다.',
    type_mismatch: '파일 형식이 이름과 맞지 않습니다. 사진(PNG, JPEG, GIF, WebP), PDF, 텍스트 파일만 보낼 수 있습니다.',
    bad_attachment: '첨부한 파일을 찾을 수 없습니다. 다시 첨부해 주세요.',
    username_taken: '이미 있는 아이디입니다.',
    last_admin: '마지막 남은 관리자는 사용 중지할 수 없습니다.',
    cannot_disable_self: '자기 계정은 사용 중지할 수 없습니다.',
    unknown: '처리하지 못했습니다: {message}',
    seconds: '{n}초',
    minutes: '{n}분',
  },
  en: {
    invalid_credentials: 'Wrong username or password.',
    account_disabled: 'This account is disabled. Ask an administrator.',
    rate_limited: 'Too many attempts. Try again in {wait}.',
    rate_limited_now: 'Too many attempts. Try again in a moment.',
    busy: 'The server is busy. Try again in a moment.',
    network: 'The server cannot be reached. Check the network.',
    timeout: 'The server did not answer. Try again in a moment.',
    invalid_token: 'Your sign-in has expired. Sign in again.',
    token_reused: 'Your sign-in has expired. Sign in again.',
    unauthorized: 'Please sign in.',
    signed_out: 'Please sign in.',
    forbidden: 'You are not allowed to do this.',
    bad_request: 'The request was not valid.',
    not_found: 'Not found: it may have ended or another agent took it.',
    already_assigned: 'Another agent already accepted it.',
    at_capacity: 'You already have as many chats as allowed ({maxRooms}). End one first.',
    at_capacity_target: 'That agent already has as many chats as allowed ({maxRooms}).',
    not_waiting: 'This request is not waiting.',
    agent_unavailable: 'That agent cannot take a chat now.',
    agent_offline: 'Go online before taking chats.',
    not_participant: 'You are not part of this chat.',
    same_agent: 'You already have this chat.',
    room_closed: 'This chat has ended.',
    store_unavailable: 'Storage is unavailable for a moment. Try again shortly.',
    routing_unavailable: 'Chat routing is moving to another server. Try again shortly.',
    already_handled: 'Another agent already took this up.',
    already_rated: 'This chat was already rated.',
    conflict: 'That did not work. Try again.',
    too_large: 'That is too long.',
    file_too_large: 'The file is too large. Send a smaller one.',
    unsupported_type: 'This file cannot be sent. Pictures (PNG, JPEG, GIF, WebP), PDF and text files only.',
    type_mismatch: 'The file is not what its name says. Pictures (PNG, JPEG, GIF, WebP), PDF and text files only.',
    bad_attachment: 'The attached file was not found. Attach it again.',
    username_taken: 'That username is taken.',
    last_admin: 'The last enabled administrator cannot be disabled.',
    cannot_disable_self: 'You cannot disable your own account.',
    unknown: 'That did not work: {message}',
    seconds: '{n} s',
    minutes: '{n} min',
  },
};

// The refusal `error` ({code, message, status?, retryAfter? (s), retryAfterMs?, maxRooms?,
// toAgentId?}) in `lang`.
export function refusalText(error, lang) {
  const texts = TEXTS[lang] ?? TEXTS.ko;
  const fill = (template, vars) => template.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  let code = error?.code;
  if (code === 'http_401') code = 'unauthorized';
  if (code === 'http_413') code = 'too_large';
  if (code === 'http_429') code = 'rate_limited';
  if (code === 'at_capacity' && error.toAgentId) code = 'at_capacity_target';
  if (code === 'rate_limited') {
    const seconds = waitSeconds(error);
    if (seconds === null) return texts.rate_limited_now;
    const wait = seconds >= 120 ? fill(texts.minutes, { n: Math.ceil(seconds / 60) }) : fill(texts.seconds, { n: seconds });
    return fill(texts.rate_limited, { wait });
  }
  const template = texts[code];
  if (!template || code === 'unknown') return fill(texts.unknown, { message: error?.message ?? '' });
  return fill(template, { maxRooms: error?.maxRooms ?? '?' });
}

function waitSeconds(error) {
  if (Number.isFinite(error?.retryAfter) && error.retryAfter > 0) return Math.ceil(error.retryAfter);
  if (Number.isFinite(error?.retryAfterMs) && error.retryAfterMs > 0) return Math.ceil(error.retryAfterMs / 1000);
  return null;
}
