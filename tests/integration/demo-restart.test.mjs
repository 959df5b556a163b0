// Demo mode keeps its JWT secret in the data folder (beside the SQLite file), so a restart is a
// blip and not a sign-out for everybody; deleting the file signs everybody out.

import assert from 'node:assert/strict';
import { statSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

import { apiRequest, login } from './lib/auth-http.mjs';
import { createServerDir, removeServerDir, startServer, usesPostgres } from './lib/server.mjs';

const DEMO = { args: ['--demo'], settings: { 'jwt.secret': '' } };

async function agentsWith(server, token) {
  return (await apiRequest(server, '/api/agents', { method: 'GET', bearer: token })).status;
}

it('a demo restart keeps everybody signed in; deleting the kept secret signs them out', { timeout: 60000, skip: usesPostgres ? 'the secret is kept beside the SQLite file' : false }, async (t) => {
  const dir = await createServerDir();
  t.after(() => removeServerDir(dir));
  let server = await startServer({ ...DEMO, dir });
  t.after(() => server.stop());
  const signedIn = await login(server, 'agent1', '1234');
  assert.equal(signedIn.status, 200, signedIn.text);
  const token = signedIn.json.accessToken;
  assert.equal(await agentsWith(server, token), 200);
  const file = join(dir, 'demo-jwt-secret');
  assert.ok(existsSync(file), 'the secret is kept in the data folder');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'readable by its owner only');
  assert.match(server.stderrText, /kept in/);

  assert.equal((await server.stop()).code, 0);
  server = await startServer({ ...DEMO, dir });
  assert.equal(await agentsWith(server, token), 200, 'the token of the first start is still good');

  assert.equal((await server.stop()).code, 0);
  rmSync(file);
  server = await startServer({ ...DEMO, dir });
  assert.equal(await agentsWith(server, token), 401, 'a new secret: everybody signs in again');
});
