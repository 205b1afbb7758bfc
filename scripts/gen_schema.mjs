#!/usr/bin/env node
// Derives everything that describes the data from schemas/*.schema.json (the one definition):
//   web/src/lib/types.gen.ts     TypeScript types, one per schema `title`
//   web/src/lib/validate.gen.js  precompiled validators (ajv standalone: no eval in the browser)
//   libs/server/openapi.json     its components.schemas (the paths stay hand-written)
// `node scripts/gen_schema.mjs --check` writes nothing and fails, naming the files, when one is stale.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const schemaDir = join(repo, 'schemas');
const out = {
  types: join(repo, 'web/src/lib/types.gen.ts'),
  validators: join(repo, 'web/src/lib/validate.gen.js'),
  validatorTypes: join(repo, 'web/src/lib/validate.gen.d.ts'),
  openapi: join(repo, 'libs/server/openapi.json'),
};
// ajv lives in the web app's dependencies (the validators it generates import its small runtime helpers).
const require = createRequire(join(repo, 'web/package.json'));

// Documents the web app checks at the edge (api.ts); the key is the export's name.
const VALIDATED = ['Point', 'AnalyzeAnswer', 'StoredRun', 'RunsPage', 'Health', 'HardwareList', 'HardwareEntry',
  'PrecisionList', 'TelemetrySample', 'ApiErrorBody', 'QueuedEvent', 'StartedEvent', 'ErrorEvent', 'NodeCheck',
  'GpuList'];

export function loadSchemas(dir = schemaDir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.schema.json')).sort();
  return files.map((f) => {
    const schema = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    if (schema.$id !== f) throw new Error(`${f}: $id must be "${f}" (got ${JSON.stringify(schema.$id)})`);
    return schema;
  });
}

// Every named type: the root of each file that describes a document, and every $defs entry. Each needs a title
// (the type's name) and titles are unique across files.
function namedTypes(schemas) {
  const types = [];
  const byTitle = new Map();
  const add = (file, pointer, schema) => {
    if (!schema.title) throw new Error(`${file}${pointer}: a named schema needs a "title" (its type name)`);
    if (byTitle.has(schema.title)) throw new Error(`title ${schema.title} is defined twice`);
    const t = { file, pointer, schema, title: schema.title };
    byTitle.set(schema.title, t);
    types.push(t);
  };
  for (const s of schemas) {
    const isDocument = s.type !== undefined || s.$ref !== undefined || s.enum !== undefined;
    if (isDocument) add(s.$id, '', s);
    for (const [name, def] of Object.entries(s.$defs ?? {})) add(s.$id, `/$defs/${name}`, def);
  }
  return types;
}

// "point.schema.json#/$defs/Gap" seen from `file` → the named type, or null for an anonymous target.
function resolveRef(ref, file, types) {
  const [f, frag = ''] = ref.split('#');
  const target = f === '' ? file : f;
  const t = types.find((x) => x.file === target && x.pointer === frag);
  if (!t) throw new Error(`${file}: $ref ${ref} names no titled schema`);
  return t;
}

// ------------------------------------------------------------------------------------------------- TypeScript

const lit = (v) => JSON.stringify(v);
// Parenthesised when the type is a union or intersection at its top level (not inside braces).
function paren(t) {
  let depth = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if ('{(<['.includes(c)) depth++;
    else if ('})>]'.includes(c)) depth--;
    else if (depth === 0 && (c === '|' || c === '&')) return `(${t})`;
  }
  return t;
}
const propName = (k) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : lit(k));

function doc(s, indent) {
  const text = [s.description, s.default !== undefined ? `default: ${lit(s.default)}` : null]
    .filter(Boolean)
    .join('; ');
  return text ? `${indent}/** ${text.replace(/\*\//g, '*\\/')} */\n` : '';
}

function tsOf(s, file, types, indent) {
  if (s === true || s === undefined) return 'unknown';
  const parts = [];
  if (s.$ref) parts.push(resolveRef(s.$ref, file, types).title);
  // A reference that only adds `required` (StoredRun) narrows the target instead of describing a new object.
  const rest = s.$ref && !s.properties ? '' : tsBody(s, file, types, indent);
  if (rest) parts.push(rest);
  if (s.$ref && s.required && !s.properties) {
    parts.push(`Required<Pick<${parts[0]}, ${s.required.map(lit).join(' | ')}>>`);
  }
  if (parts.length === 1) return parts[0];
  return parts.length ? parts.map(paren).join(' & ') : 'unknown';
}

function tsBody(s, file, types, indent) {
  if (s.const !== undefined) return lit(s.const);
  if (s.enum) return s.enum.map(lit).join(' | ');
  if (s.anyOf || s.oneOf) return (s.anyOf ?? s.oneOf).map((x) => tsOf(x, file, types, indent)).join(' | ');
  if (Array.isArray(s.type)) return s.type.map((t) => tsBody({ ...s, type: t }, file, types, indent)).join(' | ');
  switch (s.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return 'boolean';
    case 'integer':
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'array':
      return `${paren(tsOf(s.items, file, types, indent))}[]`;
    case 'object': {
      const inner = `${indent}  `;
      const required = new Set(s.required ?? []);
      const lines = Object.entries(s.properties ?? {}).map(
        ([k, v]) =>
          `${doc(v, inner)}${inner}${propName(k)}${required.has(k) ? '' : '?'}: ${tsOf(v, file, types, inner)};`,
      );
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        lines.push(`${inner}[key: string]: ${tsOf(s.additionalProperties, file, types, inner)};`);
      }
      return lines.length ? `{\n${lines.join('\n')}\n${indent}}` : 'Record<string, unknown>';
    }
    default:
      return '';
  }
}

export function typescript(schemas) {
  const types = namedTypes(schemas);
  const body = types.map((t) => {
    const ts = tsOf(t.schema, t.file, types, '');
    const kind = /^\{/.test(ts) ? `export interface ${t.title} ${ts}` : `export type ${t.title} = ${ts};`;
    return `${doc(t.schema, '')}${kind}\n`;
  });
  return (
    '// GENERATED by scripts/gen_schema.mjs from schemas/*.schema.json: edit the schemas, then run\n' +
    '// `node scripts/gen_schema.mjs`. `--check` (scripts/test.sh) fails when this file is stale.\n\n' +
    body.join('\n')
  );
}

// ---------------------------------------------------------------------------------------------------- OpenAPI

// One component per named type; references point at components, nested $defs are components of their own.
export function openapiComponents(schemas) {
  const types = namedTypes(schemas);
  const rewrite = (s, file) => {
    if (Array.isArray(s)) return s.map((x) => rewrite(x, file));
    if (s === null || typeof s !== 'object') return s;
    const o = {};
    for (const [k, v] of Object.entries(s)) {
      if (k === '$schema' || k === '$id' || k === '$defs') continue;
      o[k] = k === '$ref' ? `#/components/schemas/${resolveRef(v, file, types).title}` : rewrite(v, file);
    }
    return o;
  };
  const components = {};
  for (const t of [...types].sort((a, b) => a.title.localeCompare(b.title))) components[t.title] = rewrite(t.schema, t.file);
  return components;
}

function openapiText(schemas) {
  const doc = JSON.parse(readFileSync(out.openapi, 'utf8'));
  doc.components.schemas = openapiComponents(schemas);
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// ------------------------------------------------------------------------------------------------- validators

export function makeAjv(options = {}) {
  const Ajv2020 = require('ajv/dist/2020').default;
  return new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, ...options });
}

function validatorsText(schemas) {
  const standalone = require('ajv/dist/standalone').default;
    // The browser needs a yes/no and the first error, not every error: smaller code (allErrors off), one
  // function per named schema instead of inlined copies.
  const ajv = makeAjv({ allErrors: false, inlineRefs: false, code: { source: true, esm: true, optimize: true } });
  // Words are for people: the generated code would carry every description as a constant.
  const bare = (s) => {
    if (Array.isArray(s)) return s.map(bare);
    if (s === null || typeof s !== 'object') return s;
    return Object.fromEntries(
      Object.entries(s)
        .filter(([k]) => k !== 'description' && k !== 'examples')
        .map(([k, v]) => [k, k === 'properties' || k === '$defs' ? Object.fromEntries(Object.entries(v).map(([n, x]) => [n, bare(x)])) : bare(v)]),
    );
  };
  for (const s of schemas) ajv.addSchema(bare(s));
  const types = namedTypes(schemas);
  const exports = {};
  for (const name of VALIDATED) {
    const t = types.find((x) => x.title === name);
    if (!t) throw new Error(`validator for ${name}: no schema has that title`);
    exports[`validate${name}`] = `${t.file}${t.pointer ? `#${t.pointer}` : ''}`;
  }
  // The module must run in the browser as it is: ajv's one runtime helper these schemas need (string length in
  // code points, for minLength) is written out, and any other require() fails the generation.
  const ucs2length =
    'function ucs2length(str) { const len = str.length; let length = 0; let pos = 0; let value; ' +
    'while (pos < len) { length++; value = str.charCodeAt(pos++); ' +
    'if (value >= 0xd800 && value <= 0xdbff && pos < len) { value = str.charCodeAt(pos); ' +
    'if ((value & 0xfc00) === 0xdc00) pos++; } } return length; }';
  const code = standalone(ajv, exports).replace(/require\("ajv\/dist\/runtime\/ucs2length"\)\.default/g, 'ucs2length');
  if (/require\(/.test(code)) throw new Error('validators: the generated code needs an ajv runtime helper; inline it here');
  // ajv compiles a schema reached through two different URIs twice, which is a SyntaxError in one module.
  const names = [...code.matchAll(/function (validate\d+)\(/g)].map((m) => m[1]);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length) throw new Error(`validators: ${twice.join(', ')} defined twice; refer to each schema by one URI`);
  return (
    '// GENERATED by scripts/gen_schema.mjs from schemas/*.schema.json (ajv standalone code); do not edit.\n' +
    '/* eslint-disable */\n' +
    `${ucs2length}\n` +
    code +
    '\n'
  );
}

function validatorTypesText() {
  const lines = VALIDATED.map(
    (name) => `/** true when the value is a ${name} (schemas/); the first error is in .errors otherwise. */\n` +
      `export declare const validate${name}: Validator<T.${name}>;`,
  );
  return (
    '// GENERATED by scripts/gen_schema.mjs: the types of validate.gen.js; do not edit.\n' +
    "import type * as T from './types.gen';\n\n" +
    'export interface ValidationError {\n  instancePath: string;\n  message?: string;\n}\n' +
    'export interface Validator<V> {\n  (data: unknown): data is V;\n  errors?: ValidationError[] | null;\n}\n\n' +
    `${lines.join('\n')}\n`
  );
}

// ------------------------------------------------------------------------------------------------------- main

function main() {
  const check = process.argv.includes('--check');
  const schemas = loadSchemas();
  const wanted = [
    [out.types, typescript(schemas)],
    [out.validators, validatorsText(schemas)],
    [out.validatorTypes, validatorTypesText()],
    [out.openapi, openapiText(schemas)],
  ];
  const stale = [];
  for (const [path, text] of wanted) {
    let have = null;
    try {
      have = readFileSync(path, 'utf8');
    } catch {
      // missing: stale
    }
    if (have === text) continue;
    stale.push(path.slice(repo.length + 1));
    if (!check) writeFileSync(path, text);
  }
  if (check && stale.length) {
    console.error(
      `gen_schema --check: stale (differ from schemas/): ${stale.join(', ')}\n` +
        'run `node scripts/gen_schema.mjs` and commit the result',
    );
    process.exit(1);
  }
  console.log(check ? 'gen_schema --check: generated files match schemas/' : `gen_schema: wrote ${stale.join(', ') || 'nothing (up to date)'}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
