/**
 * Route schema validation: how Fastify's Ajv checks each part of a request, and a schema refusal in words a
 * person reads (400 problem details naming the field as the client wrote it).
 */
import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';
import { HttpProblem } from './problem';

/** At most this many validation errors are listed (validation stops at the first anyway; this bounds the body). */
const MAX_LISTED_ERRORS = 10;

/** One schema error as Ajv reports it (with `verbose`, also the schema and the value it was about). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  parentSchema?: { description?: string; examples?: unknown[]; format?: string };
  data?: unknown;
}

const PART_NAMES: Record<string, string> = { querystring: 'query parameter', params: 'path parameter', headers: 'header' };
const TYPE_NAMES: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string (text)',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list (array)',
  null: 'null',
};
const FORMATS: Record<string, string> = {
  date: 'a date like 2026-12-24',
  'date-time': 'a date-time like 2026-12-24T19:30:00+01:00',
  time: 'a time like 19:30:00+01:00',
  email: 'an email address like ada@example.com',
  uri: 'an absolute URI like https://example.com/x',
  uuid: 'a UUID like 3f2504e0-4f89-41d3-9a0c-0305e82c3301',
};
/** Patterns this API uses, in words (a schema's own `examples`/`description` are used for the others). */
const PATTERNS: Array<[RegExp, string]> = [
  [/^\\S$/, 'must not be blank'],
  [/^\^\\d\{4\}-\\d\{2\}-\\d\{2\}\(T/, 'must be a date like 2026-12-24 or a date-time like 2026-12-24T19:30:00+01:00'],
  [/^\^\\d\{4\}-\\d\{2\}-\\d\{2\}\$$/, 'must be a date like 2026-12-24'],
  [/^\^\(\[01\]\[0-9\]\|2\[0-3\]\):\[0-5\]\[0-9\]\$$/, 'must be a time of day like 19:30 (00:00-23:59)'],
];

const plural = (n: unknown, one: string) => `${String(n)} ${one}${n === 1 ? '' : 's'}`;
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v);
/** The name of a value at a JSON pointer: `/tables/0/seats` → `tables[0].seats`. */
function fieldName(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}
const clip = (s: string, max = 120) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/**
 * A schema error in words a person reads, naming the field as the client wrote it: `policy.acceptance must be
 * one of: manual, auto`, `query parameter date must be a date like 2026-12-24`, `unknown field "foo"`. Values
 * the client sent are never echoed (only their JSON type), so the text stays small and safe to log.
 */
export function describeSchemaError(v: SchemaError, context?: string): string {
  const part = context && PART_NAMES[context];
  const named = (pointer: string) => {
    const field = fieldName(pointer);
    if (part) return field ? `${part} ${field}` : `the ${part === 'header' ? 'headers' : `${part}s`}`;
    return field || 'the body';
  };
  const subject = named(v.instancePath);
  const p = v.params;
  switch (v.keyword) {
    case 'required':
      return `${named(`${v.instancePath}/${String(p.missingProperty)}`)} is required`;
    case 'additionalProperties': {
      const name = clip(String(p.additionalProperty), 60);
      if (part) return `unknown ${part} "${name}"`;
      return `unknown field "${name}"${v.instancePath ? ` in ${subject}` : ''}`;
    }
    case 'enum':
      return `${subject} must be one of: ${clip((p.allowedValues as unknown[]).map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', '), 300)}`;
    case 'const':
      return `${subject} must be ${JSON.stringify(p.allowedValue)}`;
    case 'type': {
      const want = String(p.type).split(',').map((t) => TYPE_NAMES[t] ?? t).join(' or ');
      return `${subject} must be ${want}${'data' in v ? `, not ${TYPE_NAMES[typeOf(v.data)] ?? typeOf(v.data)}` : ''}`;
    }
    case 'format': {
      const f = String(p.format);
      return `${subject} must be ${FORMATS[f] ?? `in ${f} format`}`;
    }
    case 'pattern': {
      const known = PATTERNS.find(([re]) => re.test(String(p.pattern)));
      if (known) return `${subject} ${known[1]}`;
      const example = v.parentSchema?.examples?.[0];
      const description = v.parentSchema?.description;
      if (example !== undefined) return `${subject} must look like ${JSON.stringify(example)}${description ? ` (${clip(description)})` : ''}`;
      if (description) return `${subject} is not in the expected form: ${clip(description)}`;
      return `${subject} must match the pattern ${clip(String(p.pattern))}`;
    }
    case 'minimum':
      return `${subject} must be at least ${String(p.limit)}`;
    case 'maximum':
      return `${subject} must be at most ${String(p.limit)}`;
    case 'exclusiveMinimum':
      return `${subject} must be greater than ${String(p.limit)}`;
    case 'exclusiveMaximum':
      return `${subject} must be less than ${String(p.limit)}`;
    case 'multipleOf':
      return `${subject} must be a multiple of ${String(p.multipleOf)}`;
    case 'minLength':
      return p.limit === 1 ? `${subject} must not be empty` : `${subject} must be at least ${plural(p.limit, 'character')} long`;
    case 'maxLength':
      return `${subject} must be at most ${plural(p.limit, 'character')} long`;
    case 'minItems':
      return `${subject} must have at least ${plural(p.limit, 'item')}`;
    case 'maxItems':
      return `${subject} must have at most ${plural(p.limit, 'item')}`;
    case 'uniqueItems':
      return `${subject} must not repeat an item (items ${String(p.j)} and ${String(p.i)} are the same)`;
    case 'minProperties':
      return `${subject} must have at least ${plural(p.limit, 'field')}`;
    case 'maxProperties':
      return `${subject} must have at most ${plural(p.limit, 'field')}`;
    default:
      return `${subject} ${v.message ?? 'is invalid'}`;
  }
}

/**
 * anyOf / oneOf: Ajv reports each branch's error, then the combinator's; one sentence says what any branch
 * would take (`query parameter from must be a date like 2026-12-24 or a date-time like …`).
 */
function collapseAlternatives(validation: readonly SchemaError[], context?: string): SchemaError[] {
  const out: SchemaError[] = [];
  for (const v of validation) {
    if (v.keyword !== 'anyOf' && v.keyword !== 'oneOf') {
      out.push(v);
      continue;
    }
    const branches: SchemaError[] = [];
    while (out.length > 0 && out[out.length - 1]!.instancePath === v.instancePath && !['required', 'additionalProperties'].includes(out[out.length - 1]!.keyword)) branches.unshift(out.pop()!);
    const subject = describeSchemaError({ ...v, keyword: 'x-subject', message: '' }, context).trimEnd();
    const wants = [...new Set(branches.map((b) => describeSchemaError(b, context).slice(subject.length).trim().replace(/^must (be )?/, '')))];
    out.push(wants.length > 0 ? { ...v, keyword: 'x-alternatives', message: `must be ${wants.join(' or ')}` } : v);
  }
  return out;
}

/** A schema refusal: 400 with each error in words (`detail`) and as `errors: [{field, message}]`. */
export function validationProblem(validation: readonly SchemaError[], context?: string): HttpProblem {
  const where = context ?? 'request';
  const errors = collapseAlternatives(validation, context).slice(0, MAX_LISTED_ERRORS).map((v) => {
    const missing = v.keyword === 'required' ? `/${String(v.params.missingProperty)}` : '';
    return {
      field: fieldName(`${v.instancePath}${missing}`) || (where === 'body' ? 'body' : where),
      in: where === 'querystring' ? 'query' : where === 'params' ? 'path' : where === 'headers' ? 'header' : where,
      message: describeSchemaError(v, where),
      ...(v.keyword === 'required' ? { missing: v.params.missingProperty } : {}),
      ...(v.keyword === 'additionalProperties' ? { unexpected: clip(String(v.params.additionalProperty), 60) } : {}),
    };
  });
  return new HttpProblem(400, errors.map((e) => e.message).join('; '), { errors });
}

/**
 * Fastify's own Ajv compiler, twice: query strings, path parameters and headers arrive as text, so they are
 * coerced to the schema's types ("5" → 5); a JSON body already has types, and coercing it would accept
 * `{"amount": null}` as 0 or `{"name": false}` as "false". allErrors off in both: Ajv stops at the first
 * error, so a body of 340,000 bad items costs one check, not 340,000 (and the answer lists one error).
 * verbose: an error carries its schema (for a pattern's `examples`/`description` in the message) and the
 * value's JSON type ("must be a number, not null"); values themselves are never echoed.
 */
export function validators(): NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator'] {
  const factory = AjvCompiler();
  const base = { removeAdditional: false, allErrors: false, verbose: true } as const;
  return (externalSchemas) => {
    const text = factory(externalSchemas, { customOptions: { ...base, coerceTypes: 'array' } });
    const json = factory(externalSchemas, { customOptions: { ...base, coerceTypes: false } });
    return (route) => (route.httpPart === 'body' ? json(route) : text(route));
  };
}

