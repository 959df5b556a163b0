// getToken() of the original pages ("이전 예제에서 구현"), against aicc-chat from a page on another
// origin. Changes, and why:
// - The user signs in with their own name and password (the original sent user1/1234 from code).
// - The answer carries the refresh token in its body ("refreshTokenIn": "body"): the server's
//   refresh cookie is HttpOnly and SameSite=Strict, and a page of another origin neither gets nor
//   sends it (its fetch() carries no credentials). The token is kept in this page's memory only,
//   never in localStorage, and used to get a new access token when the old one expires.
// - Failures throw with the server's reason ({error, message}) instead of failing on JSON.parse.
// The access token goes on the STOMP CONNECT frame (Authorization: Bearer), as in the original.

const chatAuth = {
  refreshToken: null,
  user: null,  // {id, username, displayName, role}: the role decides what the page subscribes to
};

async function postToChat(path, body, accessToken) {
  const headers = { 'Content-Type': 'application/json' };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  const response = await fetch(`${window.CHAT_SERVER}${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const data = text === '' ? {} : JSON.parse(text);
  if (!response.ok) {
    throw new Error(`${response.status} ${data.error ?? ''}: ${data.message ?? text}`);
  }
  return data;
}

// POST /api/auth/login {username, password} -> {accessToken, refreshToken, user}.
async function getToken(username, password) {
  try {
    const data = await postToChat('/api/auth/login', { username, password, refreshTokenIn: 'body' });
    chatAuth.refreshToken = data.refreshToken;
    chatAuth.user = data.user;
    return data.accessToken;
  } catch (e) {
    throw new Error('로그인 실패: ' + e.message);
  }
}

// A new access token from the refresh token (which is rotated: the old one is spent).
async function refreshAccessToken() {
  if (!chatAuth.refreshToken) throw new Error('다시 로그인하세요');
  const data = await postToChat('/api/auth/refresh', { refreshToken: chatAuth.refreshToken, refreshTokenIn: 'body' });
  chatAuth.refreshToken = data.refreshToken;
  chatAuth.user = data.user;
  return data.accessToken;
}
