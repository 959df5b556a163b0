// The identity HTTP API as a browser uses it: fetch() with a cookie jar that keeps the refresh
// cookie (aicc_refresh) between calls, so a test can "reload the page" by handing the same jar to a
// new client, or play a thief by copying a jar.

// One Set-Cookie line as { name, value, attributes } (attribute names in lower case; flags as true).
export function parseSetCookie(line) {
  const [pair, ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attributes = {};
  for (const part of rest) {
    const text = part.trim();
    if (text === '') continue;
    const at = text.indexOf('=');
    if (at < 0) attributes[text.toLowerCase()] = true;
    else attributes[text.slice(0, at).trim().toLowerCase()] = text.slice(at + 1).trim();
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

// Cookies by name, as a browser would keep them for the /api/auth path of one server.
export class CookieJar {
  constructor(entries = []) {
    this.cookies = new Map(entries);
  }

  // Takes the Set-Cookie lines of a response: Max-Age=0 or an empty value deletes.
  store(setCookieLines) {
    for (const line of setCookieLines) {
      const cookie = parseSetCookie(line);
      if (cookie.value === '' || cookie.attributes['max-age'] === '0') this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
  }

  get(name) {
    return this.cookies.get(name);
  }

  set(name, value) {
    this.cookies.set(name, value);
  }

  // The value of a Cookie request header, or undefined when the jar is empty.
  header() {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  // Another jar with the same cookies (a second tab, a copied cookie).
  clone() {
    return new CookieJar(this.cookies);
  }
}

// One HTTP request to the server. `json` is sent as a JSON body, `body` as is; `jar` adds its
// cookies and keeps the ones the server sets; `bearer` adds Authorization. Resolves with
// { status, headers, setCookies, text, json } (json undefined when the body is not JSON).
export async function apiRequest(server, path, {
  method = 'POST',
  json,
  body,
  jar,
  bearer,
  headers = {},
  timeoutMs = 5000,
} = {}) {
  const requestHeaders = { ...headers };
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    requestHeaders['content-type'] ??= 'application/json';
  }
  const cookie = jar?.header();
  if (cookie !== undefined) requestHeaders.cookie = cookie;
  if (bearer !== undefined) requestHeaders.authorization = `Bearer ${bearer}`;
  const response = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: requestHeaders,
    body: payload,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const setCookies = response.headers.getSetCookie();
  if (jar) jar.store(setCookies);
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, setCookies, text, json: parsed };
}

// The identity endpoints; each resolves like apiRequest.
export const login = (server, username, password, options = {}) =>
  apiRequest(server, '/api/auth/login', { json: { username, password }, ...options });
export const guest = (server, options = {}) => apiRequest(server, '/api/auth/guest', { json: {}, ...options });
export const refresh = (server, options = {}) => apiRequest(server, '/api/auth/refresh', { json: {}, ...options });
export const logout = (server, bearer, options = {}) => apiRequest(server, '/api/auth/logout', { bearer, ...options });
export const wsTicket = (server, bearer, options = {}) =>
  apiRequest(server, '/api/auth/ws-ticket', { bearer, ...options });
