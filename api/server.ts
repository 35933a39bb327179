/**
 * The HTTP front door: one Fastify app that mounts each service's routes as a plugin, renders every
 * error as `application/problem+json`, and publishes the OpenAPI document built from the route schemas
 * (`/docs`, `/docs/json`).
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { HttpProblem, problemSchema } from './problem';
import { ConcurrencyError, EventStoreLimitError } from '../eventstore/types';
import { isDomainError, type DomainErrorKind } from '../domain/errors';

/** A domain error's kind (domain/errors.ts) → HTTP status; the domain never speaks HTTP itself. */
const KIND_STATUS: Record<DomainErrorKind, number> = { invalid: 422, conflict: 409, not_found: 404, forbidden: 403 };

export type RoutePlugin = (app: FastifyInstance) => Promise<void>;

export interface ServerOptions {
  logger?: FastifyServerOptions['logger'];
  /** Route plugins, registered in order (the auth plugin first, so `request.caller` is set for all). */
  plugins: RoutePlugin[];
  /** Skip the OpenAPI UI (tests). The JSON document is always built. */
  docsUi?: boolean;
}

export function toProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (isDomainError(err)) {
    return new HttpProblem(KIND_STATUS[err.kind] ?? 422, err.message, { code: err.code, ...(err.details ?? {}) });
  }
  if (err instanceof ConcurrencyError) {
    return new HttpProblem(409, 'Someone else changed this at the same time; read it again and retry.', { code: 'CONCURRENT_CHANGE' });
  }
  if (err instanceof EventStoreLimitError) return new HttpProblem(413, err.message);
  const fe = err as Partial<FastifyError>;
  if (fe.validation) {
    const where = fe.validationContext ?? 'request';
    const errors = fe.validation.map((v) => ({
      field: `${where}${v.instancePath ? v.instancePath.replace(/\//g, '.') : ''}`,
      message: v.message ?? 'is invalid',
      ...(v.params && 'missingProperty' in v.params ? { missing: v.params.missingProperty } : {}),
      ...(v.params && 'additionalProperty' in v.params ? { unexpected: v.params.additionalProperty } : {}),
    }));
    const detail = errors
      .map((e) => `${e.field}${e.missing ? `.${String(e.missing)}` : ''}${e.unexpected ? `.${String(e.unexpected)}` : ''} ${e.message}`)
      .join('; ');
    return new HttpProblem(400, `Invalid ${where}: ${detail}`, { errors });
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new HttpProblem(fe.statusCode, fe.message ?? 'Bad request');
  }
  return new HttpProblem(500, 'Something went wrong on our side; it has been logged.');
}

export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  });

  app.addSchema({ $id: 'Problem', ...problemSchema });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Restaurant reservations API',
        version: '0.1.0',
        description: 'Catalog, reservations and auth. Errors are RFC 9457 problem details (application/problem+json).',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  if (opts.docsUi !== false) await app.register(swaggerUi, { routePrefix: '/docs' });
  else app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());

  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err);
    if (problem.status >= 500) request.log.error({ err }, 'unhandled error');
    void reply.status(problem.status).type('application/problem+json').send(problem.toBody(request.url));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .type('application/problem+json')
      .send(new HttpProblem(404, `No route ${request.method} ${request.url}`).toBody(request.url));
  });

  for (const plugin of opts.plugins) await app.register(plugin);
  return app;
}
