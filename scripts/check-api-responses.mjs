#!/usr/bin/env node
// Checks every HTTP answer of aicc-chat that the integration suites received (recorded by
// tests/integration/lib/record-api.mjs into FOLDER) against docs/openapi.json: the operation it
// belongs to, its status, content type, required headers and body (ajv, JSON Schema 2020-12).
//
//   node scripts/check-api-responses.mjs FOLDER
//
// Prints each mismatch with its operation and the JSON pointer of what differs, then the
// documented operations no suite exercised (reported, not failed), then "N passed, N failed": one
// test per exercised operation (passed when all its answers agree with the document), one for the
// answers to undocumented paths and methods, and one for the document's own validity against the
// official OpenAPI 3.1 schema. Exits non-zero when anything failed or nothing was recorded.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ApiModel, officialSchemaProblems, readDocument } from '../tests/integration/lib/openapi.mjs';

const folder = process.argv[2];
if (!folder) {
  console.error('usage: node scripts/check-api-responses.mjs FOLDER');
  process.exit(2);
}

let passed = 0;
let failed = 0;
const document = readDocument();

const documentProblems = officialSchemaProblems(document);
if (documentProblems.length === 0) {
  passed += 1;
  console.log('ok: docs/openapi.json is valid against the OpenAPI 3.1 schema');
} else {
  failed += 1;
  console.log('FAIL: docs/openapi.json is not valid OpenAPI 3.1:');
  for (const line of documentProblems.slice(0, 50)) console.log(`  ${line}`);
}

const model = new ApiModel(document);
model.compileAll();

let files = [];
try {
  files = readdirSync(folder).filter((name) => name.endsWith('.jsonl'));
} catch {
  // No folder: nothing was recorded, said below.
}
const answers = [];
for (const name of files) {
  for (const line of readFileSync(join(folder, name), 'utf8').split('\n')) {
    if (line.trim() !== '') answers.push(JSON.parse(line));
  }
}

const byOperation = new Map();
for (const answer of answers) {
  const { operation, problems } = model.check(answer);
  if (!byOperation.has(operation)) byOperation.set(operation, { answers: 0, problems: [] });
  const entry = byOperation.get(operation);
  entry.answers += 1;
  entry.problems.push(...problems);
}

for (const [operation, { answers: count, problems }] of [...byOperation].sort()) {
  if (problems.length === 0) {
    passed += 1;
    console.log(`ok: ${operation} (${count} answers)`);
  } else {
    failed += 1;
    // The same mismatch tends to repeat: each once, with how often.
    const counts = new Map();
    for (const problem of problems) counts.set(problem, (counts.get(problem) ?? 0) + 1);
    console.log(`FAIL: ${operation} (${count} answers, ${problems.length} mismatches)`);
    for (const [problem, times] of [...counts].slice(0, 20)) {
      console.log(`  ${problem}${times > 1 ? ` (${times} times)` : ''}`);
    }
  }
}

const unexercised = model.operations().filter((name) => !byOperation.has(name));
console.log(`\n${answers.length} answers recorded in ${files.length} files; ` +
  `${model.operations().length - unexercised.length} of ${model.operations().length} documented operations exercised`);
if (unexercised.length > 0) {
  console.log('documented operations no suite exercised:');
  for (const name of unexercised) console.log(`  ${name}`);
}
if (answers.length === 0) {
  console.log('FAIL: no answers were recorded (is AICC_API_RECORD_DIR set for the suites?)');
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
