// The guest's refresh token when the widget is framed by a page of another site. There the
// browser sends this frame neither the chat server's cookie (SameSite=Strict) nor lets it keep
// storage of its own, so the page's /widget.js keeps the token in the page's localStorage and the
// two pass it by postMessage, only ever to and from the embedding page's origin (which
// frame-ancestors, set from ws.allowed-origins, restricts to the allowed sites).

// True when the frame's parent is another origin (reading its location throws).
export function inCrossOriginFrame() {
  if (window.parent === window) return false;
  try {
    return !window.parent.location.href;
  } catch {
    return true;
  }
}

// The origin of the page that frames us: Chrome and Safari say so; elsewhere the referrer
// (browsers send at least the origin to another site by default). Null when unknown.
export function embeddingOrigin() {
  const ancestors = location.ancestorOrigins;
  if (ancestors && ancestors.length > 0) return ancestors[0];
  try {
    return document.referrer ? new URL(document.referrer).origin : null;
  } catch {
    return null;
  }
}

// A refreshTokenStore (see aicc-session.js) kept by the embedding page at `origin`.
export function hostTokenStore(origin) {
  let token = null;
  const fromHost = (event) => event.source === window.parent && event.origin === origin;
  // Another tab of the same site rotated the token: take the newer one, or the next refresh
  // would present a used token and the server would revoke the whole login.
  window.addEventListener('message', (event) => {
    if (fromHost(event) && event.data?.type === 'aicc:token-update') {
      token = typeof event.data.refreshToken === 'string' ? event.data.refreshToken : null;
    }
  });
  return {
    get: () => token,
    set(value) {
      token = value || null;
      window.parent.postMessage({ type: 'aicc:refresh-token', token }, origin);
    },
    // The token the page kept from an earlier visit; null when it has none or does not answer
    // within `timeoutMs` (a page without /widget.js framing us directly).
    load(timeoutMs = 2000) {
      return new Promise((resolve) => {
        const done = (value) => {
          window.removeEventListener('message', onInit);
          clearTimeout(timer);
          token = value;
          resolve(value);
        };
        const onInit = (event) => {
          if (fromHost(event) && event.data?.type === 'aicc:init') {
            done(typeof event.data.refreshToken === 'string' ? event.data.refreshToken : null);
          }
        };
        const timer = setTimeout(() => done(null), timeoutMs);
        window.addEventListener('message', onInit);
        window.parent.postMessage({ type: 'aicc:hello' }, origin);
      });
    },
  };
}
