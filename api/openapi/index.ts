/**
 * What the OpenAPI document says beyond the route schemas, keyed by `METHOD /path` so the route files need
 * not change, applied to the document @fastify/swagger builds: what each response means (no "Default
 * Response") and which problem `code`s each error status can carry (./operations.ts), the problem+json
 * shape with its extension members (./problem.ts), `links` from the responses that create ids to the
 * operations that take them (./links.ts), and an example for every operation that SUCCEEDS when sent as it
 * is, in the order of the README's walkthrough (./examples.ts).
 *
 * Replaying the walkthrough (test/docs-examples.int.test.ts does exactly this):
 * - operations run in `x-walkthrough` order: each entry is one step `{ step, example, status, caller, as }`
 *   (an operation may take part more than once: the owner and the diner both register and sign in);
 *   `x-walkthrough-step` is its first step and `x-example-status` that step's expected status;
 * - `caller` names whose token goes in `Authorization: Bearer …`: the `accessToken` of the login step whose
 *   `as` is that name;
 * - path parameters and headers come from `links` of the latest response of the linked operation
 *   (`$response.body#/restaurantId`, `$response.header.Consistency-Token`); body fields that hold an id from
 *   `x-request-body-fields` of the link (an extension: OpenAPI 3.0 links replace a whole body only);
 * - fields listed in `x-unique-fields` (the emails) must be made unique per run, e.g. `ada+7f3a@example.com`,
 *   the same way in register and login: an email can be registered once;
 * - dates are computed when the document is served (tomorrow in the example restaurant's time zone), so the
 *   examples stay valid on any later day: `/docs/json` re-applies them on every request (a cheap clone).
 */
import { COMMON_ERRORS, problemDocSchema } from './problem';
import { OPERATIONS } from './operations';
import { examplesAt } from './examples';
import { LINKS } from './links';

/* eslint-disable @typescript-eslint/no-explicit-any -- the OpenAPI document is plain JSON walked by key */
type Doc = any;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function operations(doc: Doc): Array<{ key: string; op: any }> {
  return Object.entries<any>(doc.paths ?? {}).flatMap(([p, item]) =>
    Object.entries<any>(item)
      .filter(([m]) => METHODS.includes(m))
      .map(([m, op]) => ({ key: `${m.toUpperCase()} ${p}`, op })),
  );
}

/** Gives each `def-N` schema its title as name (`Problem`, `Health`), rewriting the references. */
function nameSchemas(doc: Doc): Doc {
  const schemas: Record<string, any> = doc.components?.schemas ?? {};
  const renames = new Map<string, string>();
  for (const [key, s] of Object.entries(schemas)) {
    if (/^def-\d+$/.test(key) && typeof s?.title === 'string' && /^[A-Za-z][\w.-]*$/.test(s.title) && !(s.title in schemas)) renames.set(key, s.title);
  }
  if (renames.size === 0) return doc;
  const text = JSON.stringify(doc).replace(/"#\/components\/schemas\/(def-\d+)"/g, (m, key: string) => (renames.has(key) ? `"#/components/schemas/${renames.get(key)}"` : m));
  const out = JSON.parse(text);
  out.components.schemas = Object.fromEntries(Object.entries<any>(out.components.schemas).map(([k, v]) => [renames.get(k) ?? k, v]));
  return out;
}

const codesText = (codes: string[] | undefined) => (codes?.length ? ` code: ${codes.join(', ')}.` : ' No code.');

/**
 * The static part: descriptions, codes, headers, operationIds, links, walkthrough steps, the problem schema.
 * For @fastify/swagger's `transformObject` (runs once; the document is cached).
 */
export function describeDocument(input: Doc, now = new Date()): Doc {
  const doc = nameSchemas(input);
  doc.components ??= {};
  doc.components.schemas ??= {};
  doc.components.schemas.Problem = problemDocSchema;
  doc.info = {
    ...doc.info,
    description:
      `${doc.info?.description ?? ''}\n\n` +
      'Every operation has an example that succeeds when sent as it is, in the order of the README walkthrough: `x-walkthrough-step` orders the operations, ' +
      '`x-walkthrough` lists each step (an operation can be used twice, e.g. the owner and then a diner register), `x-example-status` is the status to expect. ' +
      'Ids come from earlier responses through `links` (POST /restaurants 201 → `$response.body#/restaurantId` is `{id}`, and POST /reservations\' body field restaurantId; ' +
      'POST /reservations 201 → `$response.body#/reservationId`). The emails in `x-unique-fields` must be new on each run: add a suffix, e.g. ada.owner+1a2b@example.com. ' +
      'Example dates are relative to the day the document is served (tomorrow in Europe/Rome). ' +
      'Problem `code`s: see components.schemas.Problem; each error response lists the codes that route can answer with.',
  };
  for (const { key, op } of operations(doc)) {
    const d = OPERATIONS[key];
    if (d) {
      op.operationId = d.operationId;
      if (d.description) op.description = op.description ? `${op.description} ${d.description}` : d.description;
      const first = d.steps[0];
      if (first) {
        op['x-walkthrough-step'] = first.step;
        op['x-example-status'] = first.status;
        // a step names the body example it sends (the only one, when the operation has one)
        const bodies = Object.keys(examplesAt(now)[key]?.body ?? {});
        op['x-walkthrough'] = d.steps.map((s) => ({ ...s, ...(s.example === undefined && bodies.length === 1 ? { example: bodies[0] } : {}) }));
      }
      if (d.skip) op['x-walkthrough-skip'] = d.skip;
      if (d.uniqueFields) op['x-unique-fields'] = d.uniqueFields;
    }
    for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
      const code = Number(status);
      if (code >= 400) {
        const isProblem = Object.keys(response.content ?? {}).some((t) => t.includes('problem'));
        if (!isProblem) {
          if (d?.ok[code]) response.description = d.ok[code];
          continue;
        }
        const codes = d?.codes?.[code];
        response.description = `${d?.errors?.[code] ?? COMMON_ERRORS[code] ?? response.description}${codesText(codes)}`;
        response['x-problem-codes'] = codes ?? [];
        // (429 and 503 carry Retry-After: the server documents it on every route)
      } else {
        const text = d?.ok[code];
        if (text) response.description = text;
        else if (response.description === 'Default Response') response.description = 'Success.';
        const headers = d?.headers?.[code];
        if (headers) response.headers = { ...(response.headers ?? {}), ...headers };
      }
    }
    // the Consistency-Token a list takes (documented here whatever the route declares)
    if (key === 'GET /reservations' || key === 'GET /restaurants/{id}/reservations') {
      op.parameters ??= [];
      if (!op.parameters.some((p: any) => p.in === 'header' && String(p.name).toLowerCase() === 'consistency-token')) {
        op.parameters.push({
          in: 'header',
          name: 'consistency-token',
          required: false,
          schema: { type: 'string', maxLength: 2048 },
          description: "The Consistency-Token header of the caller's last write response: the list then shows that write at once (read your own writes)",
        });
      }
    }
  }
  const byId = new Map(operations(doc).map(({ key, op }) => [key, op]));
  for (const [source, statuses] of Object.entries(LINKS)) {
    const op = byId.get(source);
    if (!op) continue;
    for (const [status, links] of Object.entries(statuses)) {
      const response = op.responses?.[status];
      if (response) response.links = { ...(response.links ?? {}), ...links };
    }
  }
  return withExamples(doc, now);
}

/** Sets (or refreshes) every example for a document served at `now`; mutates and returns `doc`. */
export function withExamples(doc: Doc, now = new Date()): Doc {
  const examples = examplesAt(now);
  for (const { key, op } of operations(doc)) {
    const ex = examples[key];
    if (!ex) continue;
    const media = op.requestBody?.content?.['application/json'];
    if (media && ex.body) media.examples = ex.body;
    for (const p of op.parameters ?? []) {
      const value = ex.params?.[`${p.in}:${p.name}`];
      if (value !== undefined) p.example = value;
      // an optional query parameter the example does not send (its schema may still show a sample value)
      else if (ex.params && p.in === 'query' && !p.required) delete p.example;
    }
  }
  return doc;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
