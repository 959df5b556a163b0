// Access tokens as the server issues them: JWT HS256 with sub, role, name, iat, exp, jti, iss.
// Tests also mint the bad ones (expired, signed with another key, alg "none").

import { createHmac, randomBytes, randomUUID } from 'node:crypto';

function base64url(data) {
  return Buffer.from(data).toString('base64url');
}

// A signed token. `claims` overrides or adds claims; `header` overrides the JOSE header;
// `alg: 'none'` gives an unsigned token with an empty signature.
export function mintToken({
  secret,
  sub = `user-${randomUUID()}`,
  role = 'CUSTOMER',
  name = sub,
  ttlSeconds = 3600,
  issuedAt = Math.floor(Date.now() / 1000),
  issuer = 'aicc-chat',
  alg = 'HS256',
  header = {},
  claims = {},
} = {}) {
  const head = { alg, typ: 'JWT', ...header };
  const payload = {
    sub,
    role,
    name,
    iat: issuedAt,
    exp: issuedAt + ttlSeconds,
    jti: randomUUID(),
    iss: issuer,
    ...claims,
  };
  const signingInput = `${base64url(JSON.stringify(head))}.${base64url(JSON.stringify(payload))}`;
  if (alg === 'none') return `${signingInput}.`;
  if (!secret) throw new Error('mintToken needs a secret');
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

// A token that expired an hour ago (well past the server's clock-skew allowance).
export function expiredToken(secret, options = {}) {
  const issuedAt = Math.floor(Date.now() / 1000) - 7200;
  return mintToken({ secret, issuedAt, ttlSeconds: 3600, ...options });
}

// A well-formed token signed with a key the server does not know.
export function wrongKeyToken(options = {}) {
  return mintToken({ secret: randomBytes(32).toString('hex'), ...options });
}

// An unsigned token claiming alg "none".
export function algNoneToken(options = {}) {
  return mintToken({ alg: 'none', ...options });
}

// The payload of a JWT, unverified (to read the claims the server put in a token it issued).
export function decodeToken(token) {
  const [, payload] = token.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}
