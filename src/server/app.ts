// The webhook's HTTP surface as a fastify app (routes and hooks; the caller listens). The body of
// POST /mutate is read as bytes whatever its content type and parsed here, so fastify's Ajv
// never touches it and the pod reaches the injector as sent (but for managedFields, see reviewJson).
import type { ServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import { admit, podIdentity } from '../admission/admit';
import type { AdmissionDeps } from '../admission/decide';
import { reviewText } from '../admission/response';
import { parseReviewBody } from '../admission/reviewJson';
import { type AdmissionRecord, logAdmission } from './admissionLog';
import { failureStatus, HttpProblem, httpStatusOf } from './httpErrors';
import type { Metrics } from './metrics';
import type { Readiness } from './readiness';

export interface AppDeps extends AdmissionDeps {
  readonly bodyLimit: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly readiness: Readiness;
  /** TLS options; without them the app speaks plain HTTP (unit tests with inject()). */
  readonly https?: ServerOptions;
  /** POST /mutate needs a client certificate that TLS verified (--client-ca; `requestCert` in `https`). */
  readonly clientCertificates?: boolean;
}

/** Node's default, pinned so that `--max-http-header-size` cannot raise it: 431 above. */
export const MAX_HEADER_BYTES = 16 * 1024;

export const MUTATE_PATH = '/mutate';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the admission log line and metrics say about this request, once known. */
    admissionRecord: AdmissionRecord | null;
  }
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = fastify({
    loggerInstance: deps.logger,
    // One line per admission is written by our own onResponse hook instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit,
    // Draining: idle keep-alive sockets are closed, and a request that still arrives on an open
    // connection is answered (with Connection: close) rather than refused with a 503.
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    ...(deps.https ? { https: { ...deps.https, maxHeaderSize: MAX_HEADER_BYTES } } : {}),
  }) as unknown as FastifyInstance;

  // Kept on the request itself, not in a WeakMap keyed by it: V8's scavenger keeps the entries
  // of young keys alive, and promoted ~27 KB per scavenge to the old generation at 1,000 req/s
  // (measured with the bench and --trace-gc-nvp): more Mark-Compact pauses, a longer p99.
  app.decorateRequest('admissionRecord', null);
  const admissionDeps: AdmissionDeps = {
    ...deps,
    catalog: () => {
      // Never answer from a catalog that has not been loaded: a 503 lets failurePolicy decide.
      if (!deps.readiness.isMet('templates')) throw new HttpProblem(503, 'templates are not loaded yet');
      return deps.catalog();
    },
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== MUTATE_PATH) return;
    if (deps.clientCertificates) {
      const refusal = clientCertificateRefusal(request.raw.socket as TLSSocket);
      if (refusal) {
        request.admissionRecord = { outcome: 'invalid', message: refusal };
        return reply.code(401).send(failureStatus(401, refusal));
      }
    }
    // The content type never changes how the body is read; dropping it also keeps fastify from
    // refusing a malformed one with 415.
    delete request.headers['content-type'];
    deps.metrics.admissionsInFlight.inc();
    reply.raw.once('close', () => deps.metrics.admissionsInFlight.dec());
  });

  app.post(MUTATE_PATH, async (request, reply) => {
    const body = parseJson(request.body);
    if (!body.ok) return invalid(request, reply, body.message);
    const admission = admit(body.value, admissionDeps);
    if (!admission.ok) return invalid(request, reply, admission.message);
    const { request: review, result } = admission;
    request.admissionRecord = {
      uid: review.uid,
      namespace: review.namespace,
      ...podIdentity(review),
      operation: review.operation,
      dryRun: review.dryRun === true,
      outcome: result.outcome,
      selected: result.selected,
      injected: result.outcome === 'injected' ? result.injected : [],
      warnings: result.warnings,
      ...(result.outcome === 'denied' ? { message: result.message } : {}),
      ...(result.outcome === 'passthrough' ? { reason: result.reason } : {}),
    };
    // Same JSON fastify would write for the object, cheaper (see reviewText).
    return reply.type(JSON_CONTENT_TYPE).send(reviewText(admission.review));
  });

  function invalid(request: FastifyRequest, reply: FastifyReply, message: string) {
    request.admissionRecord = { outcome: 'invalid', message };
    return reply.code(400).send(failureStatus(400, message));
  }

  app.setErrorHandler((error, request, reply) => {
    const code = httpStatusOf(error, deps.bodyLimit);
    request.admissionRecord = {
      ...request.admissionRecord,
      outcome: code.status >= 500 ? 'error' : 'invalid',
      message: code.message,
      ...(code.status >= 500 ? { error } : {}),
    };
    return reply.code(code.status).send(failureStatus(code.status, code.message));
  });

  app.addHook('onSend', (_request, reply, payload, done) => {
    // While draining, a response to a request that was already in flight closes its connection
    // too, so the API server's pool does not keep a socket to a terminating pod.
    if (deps.readiness.draining) reply.header('connection', 'close');
    done(null, payload);
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url !== MUTATE_PATH) return;
    const record = request.admissionRecord ?? { outcome: 'error', message: 'no answer was recorded' };
    logAdmission(deps.logger, deps.metrics, record, reply.statusCode, reply.elapsedTime);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const status = deps.readiness.status();
    return reply.code(status.ready ? 200 : 503).send(status);
  });
  return app;
}

/** Why the connection's client certificate does not let it call /mutate, or undefined. */
function clientCertificateRefusal(socket: TLSSocket): string | undefined {
  if (socket.authorized) return undefined;
  const presented = Object.keys(socket.getPeerCertificate?.() ?? {}).length > 0;
  return presented
    ? `the client certificate is not signed by --client-ca: ${socket.authorizationError}`
    : 'a client certificate signed by --client-ca is required';
}

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

function parseJson(body: unknown): Parsed {
  if (!Buffer.isBuffer(body) || body.length === 0) return { ok: false, message: 'the request body is empty' };
  try {
    return { ok: true, value: parseReviewBody(body) };
  } catch (error) {
    return { ok: false, message: `the request body is not JSON: ${(error as Error).message}` };
  }
}
