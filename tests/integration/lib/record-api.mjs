// Records the HTTP answers of aicc-chat that a test process receives, for the check of every
// answer against docs/openapi.json (scripts/check-api-responses.mjs) that make test runs after the
// integration suites. Loaded with `node --import` (scripts/run-tests.sh), so every suite is
// recorded without being changed; it does nothing unless AICC_API_RECORD_DIR names a folder.
//
// What is recorded: each fetch() answer, and each raw request of lib/http.mjs, whose Server header
// is aicc-chat (never a stand-in bot's) and whose path is under /api/, /health or /metrics: the
// method, the path with its query, the status, the headers and the body (text when the content
// type is JSON or text, at most 1 MiB; else only its size). One JSON line per answer, in a file of
// this process's own, so test files running side by side never interleave.

import { appendFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const folder = process.env.AICC_API_RECORD_DIR;
const kMaxBodyChars = 1024 * 1024;

function recordedPath(path) {
  const bare = path.split('?')[0];
  return bare.startsWith('/api/') || bare === '/health' || bare.startsWith('/health/') || bare === '/metrics';
}

function textual(contentType) {
  return /^(application\/(json|[^;]*\+json)|text\/)/i.test(contentType ?? '');
}

let file = null;
function write(record) {
  if (file === null) {
    mkdirSync(folder, { recursive: true });
    file = join(folder, `${process.pid}.jsonl`);
  }
  appendFileSync(file, `${JSON.stringify(record)}\n`);
}

// One answer: { method, path, status, headers (lower-case names), body (string, or null) }.
function record({ method, path, status, headers, body, bodyBytes }) {
  if (headers.server !== 'aicc-chat' || !recordedPath(path)) return;
  write({
    suite: basename(process.argv[1] ?? 'unknown'),
    method: method.toUpperCase(),
    path,
    status,
    headers,
    body,
    bodyBytes,
  });
}

if (folder) {
  const originalFetch = globalThis.fetch;
  globalThis.fetch = async function recordingFetch(input, init = {}) {
    const response = await originalFetch(input, init);
    try {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      const method = init.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET');
      const headers = {};
      response.headers.forEach((value, name) => {
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      });
      // getSetCookie keeps several Set-Cookie lines apart.
      const cookies = response.headers.getSetCookie?.() ?? [];
      if (cookies.length > 0) headers['set-cookie'] = cookies.join('\n');
      const base = { method, path: url.pathname + url.search, status: response.status, headers };
      if (headers.server === 'aicc-chat' && recordedPath(base.path)) {
        // A copy of the body, read beside the test's own reading of it.
        const copy = response.clone();
        if (textual(headers['content-type'])) {
          copy.text().then(
            (text) => record({ ...base, body: text.length <= kMaxBodyChars ? text : null, bodyBytes: Buffer.byteLength(text) }),
            () => record({ ...base, body: null }),
          );
        } else {
          copy.arrayBuffer().then(
            (bytes) => record({ ...base, body: null, bodyBytes: bytes.byteLength }),
            () => record({ ...base, body: null }),
          );
        }
      }
    } catch {
      // Recording never changes what the test sees.
    }
    return response;
  };
  // lib/http.mjs hands its raw answers here.
  globalThis.__aiccRecordHttpAnswer = (answer) => {
    try {
      // The raw client reads bytes as latin1: the body's UTF-8 back.
      const body = textual(answer.headers['content-type']) ? Buffer.from(answer.body, 'latin1').toString('utf8') : null;
      record({ ...answer, body });
    } catch {
      // As above.
    }
  };
}
