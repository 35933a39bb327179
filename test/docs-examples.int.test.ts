/**
 * The OpenAPI document's examples work on the first try: on a running system (1 API, 1 worker, the
 * pipeline), fetch /docs/json and replay every operation's example in `x-walkthrough` order, exactly as a
 * reader of the docs would: ids from earlier responses through the documented `links` (path parameters,
 * headers, and `x-request-body-fields` for body fields), the caller's token from the login step that names
 * it (`as`), the `x-unique-fields` (emails) made unique for this run. Each step must get its documented
 * status (`status` of the step) and a body that validates against the documented response schema.
 * Every documented operation must take part, unless it says why not (`x-walkthrough-skip`).
 *
 * No sleeps, no retries: the walkthrough relies on reading one's own writes (a restaurant bookable right
 * after it is created, a decision seen at once).
 */
import { randomBytes } from 'node:crypto';
import Ajv from 'ajv';
import { json, startSystem, type JsonResponse, type System } from './system';

/* eslint-disable @typescript-eslint/no-explicit-any -- the document is plain JSON walked by key */
type Json = any;

interface Step {
  step: number;
  example?: string;
  status: number;
  caller?: string;
  as?: string;
  summary?: string;
}

interface Operation {
  key: string;
  method: string;
  path: string;
  op: Json;
}

let sys: System;
let base: string;
let doc: Json;
let ops: Operation[];

beforeAll(async () => {
  sys = await startSystem({ apis: 1, workers: 1 });
  base = sys.apis[0]!.url;
  const res = await json(`${base}/docs/json`);
  expect(res.status).toBe(200);
  doc = res.body;
  ops = Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
    Object.entries<Json>(item)
      .filter(([m]) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
      .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, op })),
  );
}, 180_000);

afterAll(async () => {
  await sys?.stop();
}, 60_000);

/** `$response.body#/a/b` or `$response.header.Name` against a recorded response. */
function evaluate(expression: string, res: JsonResponse): unknown {
  if (expression.startsWith('$response.body#')) {
    const pointer = expression.slice('$response.body#'.length);
    return pointer
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), res.body);
  }
  if (expression.startsWith('$response.header.')) return res.headers.get(expression.slice('$response.header.'.length)) ?? undefined;
  throw new Error(`runtime expression not supported by this test: ${expression}`);
}

/** Sets a JSON pointer in `target`. */
function setPointer(target: Json, pointer: string, value: unknown): void {
  const keys = pointer.split('/').slice(1);
  const last = keys.pop()!;
  const parent = keys.reduce((v, k) => v[k], target);
  parent[last] = value;
}
const getPointer = (target: Json, pointer: string): unknown =>
  pointer
    .split('/')
    .slice(1)
    .reduce((v, k) => (v == null ? undefined : v[k]), target);

test('the document orders every operation, and describes every response', () => {
  const problems: string[] = [];
  const steps = new Map<number, string>();
  for (const { key, op } of ops) {
    const walk: Step[] | undefined = op['x-walkthrough'];
    if (!walk?.length) {
      if (!op['x-walkthrough-skip']) problems.push(`${key}: no x-walkthrough and no x-walkthrough-skip reason`);
    } else {
      if (op['x-walkthrough-step'] !== walk[0]!.step) problems.push(`${key}: x-walkthrough-step is not its first step`);
      if (op['x-example-status'] !== walk[0]!.status) problems.push(`${key}: x-example-status is not its first step's status`);
      if (!op.operationId) problems.push(`${key}: no operationId`);
      for (const s of walk) {
        if (steps.has(s.step)) problems.push(`${key}: step ${s.step} is also ${steps.get(s.step)}`);
        steps.set(s.step, key);
        if (!op.responses?.[String(s.status)]) problems.push(`${key}: step ${s.step} expects ${s.status}, which is not documented`);
        const media = op.requestBody?.content?.['application/json'];
        if (op.requestBody?.required && !(s.example && media?.examples?.[s.example])) problems.push(`${key}: step ${s.step} has no body example`);
      }
      for (const p of op.parameters ?? []) {
        if (p.required && p.in !== 'path' && p.example === undefined) problems.push(`${key}: required ${p.in} parameter ${p.name} has no example`);
      }
    }
    for (const [status, r] of Object.entries<Json>(op.responses ?? {})) {
      if (!r.description || r.description === 'Default Response') problems.push(`${key} ${status}: no description`);
      const problemJson = r.content?.['application/problem+json'];
      if (Number(status) >= 400 && problemJson && problemJson.schema?.$ref !== '#/components/schemas/Problem') problems.push(`${key} ${status}: not the Problem schema`);
    }
  }
  expect(problems).toEqual([]);
  const codes: string[] = doc.components.schemas.Problem.properties.code.enum;
  for (const c of ['NO_TABLE', 'PARTY_TOO_LARGE', 'CLOSED_THAT_DAY', 'ALREADY_FINAL', 'EMAIL_TAKEN', 'VALIDATION', 'IDEMPOTENCY_KEY_REUSED', 'UNAVAILABLE']) expect(codes).toContain(c);
});

test('every documented example, replayed in walkthrough order, gets its documented status and schema', async () => {
  const started = Date.now();
  const ajv = new Ajv({ allErrors: true, nullable: true, unknownFormats: 'ignore', schemaId: 'auto' });
  const byId = new Map(ops.filter((o) => o.op.operationId).map((o) => [o.op.operationId as string, o]));
  // links by target operation: where each of its parameters and body fields comes from
  const linksTo = new Map<string, Array<{ source: string; status: string; link: Json }>>();
  for (const { op } of ops) {
    for (const [status, r] of Object.entries<Json>(op.responses ?? {})) {
      for (const link of Object.values<Json>(r.links ?? {})) {
        expect(byId.has(link.operationId)).toBe(true);
        linksTo.set(link.operationId, [...(linksTo.get(link.operationId) ?? []), { source: op.operationId, status, link }]);
      }
    }
  }
  const plan = ops
    .flatMap((o) => ((o.op['x-walkthrough'] ?? []) as Step[]).map((s) => ({ ...s, o })))
    .sort((a, b) => a.step - b.step);
  const run = randomBytes(4).toString('hex');
  const unique = (v: unknown) => (typeof v === 'string' && v.includes('@') ? v.replace('@', `+${run}@`) : `${String(v)}-${run}`);
  const latest = new Map<string, JsonResponse>();
  const tokens = new Map<string, string>();
  const failures: string[] = [];
  const log: string[] = [];

  for (const s of plan) {
    const { o } = s;
    const { op } = o;
    const pathValues: Record<string, unknown> = {};
    const query = new URLSearchParams();
    const headers: Record<string, string> = {};
    for (const p of op.parameters ?? []) {
      if (p.example === undefined) continue;
      if (p.in === 'path') pathValues[p.name] = p.example;
      if (p.in === 'query') query.set(p.name, String(p.example));
      if (p.in === 'header') headers[p.name] = String(p.example);
    }
    let body: Json = undefined;
    const media = op.requestBody?.content?.['application/json'];
    if (media) {
      const chosen = s.example ? media.examples?.[s.example]?.value : (media.example ?? Object.values<Json>(media.examples ?? {})[0]?.value);
      if (chosen !== undefined) body = structuredClone(chosen);
      for (const pointer of (op['x-unique-fields'] ?? []) as string[]) {
        if (body && getPointer(body, pointer) !== undefined) setPointer(body, pointer, unique(getPointer(body, pointer)));
      }
    }
    // ids (and the consistency token) from the latest response of each linked operation
    for (const { source, status, link } of linksTo.get(op.operationId) ?? []) {
      const res = latest.get(source);
      if (!res || String(res.status) !== status) continue;
      for (const [name, expression] of Object.entries<string>(link.parameters ?? {})) {
        const value = evaluate(expression, res);
        if (value === undefined) continue;
        const [where, param] = name.includes('.') ? [name.slice(0, name.indexOf('.')), name.slice(name.indexOf('.') + 1)] : ['path', name];
        if (where === 'path') pathValues[param] = value;
        else if (where === 'query') query.set(param, String(value));
        else if (where === 'header') headers[param] = String(value);
      }
      for (const [field, expression] of Object.entries<string>(link['x-request-body-fields'] ?? {})) setPointer(body, `/${field}`, evaluate(expression, res));
    }
    const url =
      o.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
        if (pathValues[name] === undefined) throw new Error(`step ${s.step} ${o.key}: no value for {${name}} (no example, no link)`);
        return encodeURIComponent(String(pathValues[name]));
      }) + (query.size ? `?${query}` : '');
    const token = s.caller ? tokens.get(s.caller) : undefined;
    if (s.caller && !token) throw new Error(`step ${s.step} ${o.key}: no token for ${s.caller} yet`);
    const t0 = Date.now();
    const res = await json(`${base}${url}`, { method: o.method, ...(body !== undefined ? { body } : {}), ...(token ? { token } : {}), headers });
    log.push(`${String(s.step).padStart(2)} ${o.method} ${url} → ${res.status} (${Date.now() - t0} ms)`);
    latest.set(op.operationId, res);
    if (s.as && res.status === 200) tokens.set(s.as, (res.body as { accessToken: string }).accessToken);
    if (res.status !== s.status) {
      failures.push(`step ${s.step} ${o.key}: expected ${s.status}, got ${res.status} ${JSON.stringify(res.body).slice(0, 400)}`);
      continue;
    }
    const documented = op.responses[String(res.status)];
    const [type, content] = Object.entries<Json>(documented.content ?? {})[0] ?? [];
    if (content?.schema && res.status !== 204 && res.status !== 304) {
      expect(res.headers.get('content-type') ?? '').toContain(type);
      const validate = ajv.compile({ components: doc.components, allOf: [content.schema] });
      if (!validate(res.body)) failures.push(`step ${s.step} ${o.key}: body does not match the documented ${res.status} schema: ${ajv.errorsText(validate.errors)}`);
    }
  }
  console.log(`replayed ${plan.length} steps of ${new Set(plan.map((s) => s.o.key)).size} operations in ${Date.now() - started} ms\n${log.join('\n')}`);
  expect(failures).toEqual([]);
  expect(new Set(plan.map((s) => s.o.key)).size).toBe(ops.filter((o) => !o.op['x-walkthrough-skip']).length);
}, 120_000);

test('/docs/json is served afresh: the examples are dated from today', async () => {
  const res = await json(`${base}/docs/json`);
  const example = res.body.paths['/reservations'].post.requestBody.content['application/json'].examples.dinner.value;
  const tomorrow = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(Date.now() + 86_400_000));
  expect(example.start).toBe(`${tomorrow}T19:00`);
});
/* eslint-enable @typescript-eslint/no-explicit-any */
