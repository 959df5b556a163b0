// Where the chat server is, as the original pages' hard-coded http://localhost:8080.
// serve.mjs answers /config.js itself with its --chat option; edit this file when you serve the
// folder another way.
window.CHAT_SERVER = 'http://localhost:8080';
