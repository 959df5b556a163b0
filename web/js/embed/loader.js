// /widget.js: the one <script> tag a company puts on its own site to get the chat bubble.
//
//   <script src="https://chat.example.com/widget.js" data-lang="ko" async></script>
//
// The widget's language: the one the customer chose in it (kept across pages), else a language
// the page names in its address when `data-lang-param` says which parameter carries it (the demo
// shop: data-lang-param="lang", so /?lang=en), else `data-lang`, else the page's own <html lang>,
// else Korean.
//
// It adds one <iframe> showing /widget from the chat server (the page's styles and scripts cannot
// touch the chat, and the chat's cannot touch the page) and sizes it: a bubble in the corner while
// closed, a panel when open, the whole screen on a phone. The frame tells it open/closed by
// postMessage; messages from anywhere else are ignored. For a frame of another site it also keeps
// the guest's refresh token (see below).
(() => {
  const script = document.currentScript;
  if (!script || window.__aiccWidget) return;
  const origin = new URL(script.src, location.href).origin;
  const options = script.dataset;
  const side = options.position === 'left' ? 'left' : 'right';

  const query = new URLSearchParams({ embed: '1' });
  const named = options.langParam ? new URLSearchParams(location.search).get(options.langParam) : null;
  if (named) query.set('lang', named);
  const fallback = options.lang || document.documentElement.lang;
  if (fallback) query.set('deflang', fallback.slice(0, 2).toLowerCase());
  if (options.transport) query.set('transport', options.transport);

  const frame = document.createElement('iframe');
  frame.src = `${origin}/widget?${query}`;
  frame.title = options.title || '고객 상담 채팅 / Customer support chat';
  frame.setAttribute('data-aicc-widget', '');
  const style = frame.style;
  style.position = 'fixed';
  style.zIndex = '2147483000';
  style.border = '0';
  style.background = 'transparent';
  style.colorScheme = 'normal';
  style.maxWidth = '100vw';
  style.maxHeight = '100vh';

  function layout(open) {
    const phone = window.innerWidth <= 480;
    if (open && phone) {
      Object.assign(style, { bottom: '0', [side]: '0', width: '100vw', height: '100vh', borderRadius: '0', boxShadow: 'none' });
    } else if (open) {
      Object.assign(style, {
        bottom: '16px', [side]: '16px', width: '400px', height: 'min(680px, calc(100vh - 32px))',
        borderRadius: '16px', boxShadow: '0 8px 32px rgba(0, 0, 0, 0.25)',
      });
    } else {
      Object.assign(style, { bottom: '16px', [side]: '16px', width: '76px', height: '76px', borderRadius: '38px', boxShadow: 'none' });
    }
  }

  // A frame from another site gets neither the chat server's cookie nor storage of its own: this
  // page keeps the guest's refresh token for it, so the customer is recognised on the next visit.
  const tokenKey = `aicc-chat.refresh.${origin}`;
  const storage = {
    get() {
      try {
        return localStorage.getItem(tokenKey);
      } catch {
        return null;
      }
    },
    set(token) {
      try {
        if (token) localStorage.setItem(tokenKey, token);
        else localStorage.removeItem(tokenKey);
      } catch {
        // No storage here either: the guest lasts as long as the page.
      }
    },
  };

  let open = false;
  window.addEventListener('message', (event) => {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    const data = event.data;
    if (!data) return;
    if (data.type === 'aicc:widget') {
      open = Boolean(data.open);
      layout(open);
    } else if (data.type === 'aicc:hello') {
      frame.contentWindow.postMessage({ type: 'aicc:init', refreshToken: storage.get() }, origin);
    } else if (data.type === 'aicc:refresh-token') {
      storage.set(typeof data.token === 'string' ? data.token : null);
    }
  });
  // Another tab of this site rotated the token: the frame must present the newer one.
  window.addEventListener('storage', (event) => {
    if (event.key === tokenKey && frame.contentWindow) {
      frame.contentWindow.postMessage({ type: 'aicc:token-update', refreshToken: event.newValue }, origin);
    }
  });
  window.addEventListener('resize', () => layout(open));
  // Where the customer is, for the agents beside the chat: this page, its title, where it was
  // reached from (sent at each load of the frame).
  frame.addEventListener('load', () => {
    frame.contentWindow?.postMessage({
      type: 'aicc:page', url: location.href, title: document.title, referrer: document.referrer,
    }, origin);
  });
  layout(false);
  window.__aiccWidget = { frame, origin };
  (document.body || document.documentElement).appendChild(frame);
})();
