// SockJS's iframe transports load /vendor/sockjs.min.js by name inside their iframe page, where it
// must define the global SockJS.
import SockJS from 'sockjs-client';

globalThis.SockJS = SockJS;
