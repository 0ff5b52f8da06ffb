// POST /mutate, as a fastify plugin: everything that is only about admission requests (the body
// read as bytes, the client certificate check, the in-flight gauge, the error answers and the
// one log line per request) is scoped to this route. The body is read as bytes whatever its
// content type and parsed here, so fastify's Ajv never touches it and the pod reaches the
// injector as sent (but for managedFields, see admission/reviewJson.ts).
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { admit, podIdentity } from '../admission/admit';
import type { AdmissionDeps } from '../admission/decide';
import { reviewText } from '../admission/response';
import { parseReviewBody } from '../admission/reviewJson';
import { type AdmissionRecord, logAdmission } from './admissionLog';
import { bodyReader } from './bodyReader';
import { failureStatus, httpStatusOf } from './httpErrors';
import type { Metrics } from './metrics';

export const MUTATE_PATH = '/mutate';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export interface MutateRouteDeps extends AdmissionDeps {
  readonly bodyLimit: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** POST /mutate needs a client certificate that TLS verified (--client-ca; `requestCert` in TLS). */
  readonly clientCertificates?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** What the admission log line and metrics say about this request, once known. */
    admissionRecord: AdmissionRecord | null;
  }
}

export async function mutateRoute(app: FastifyInstance, deps: MutateRouteDeps): Promise<void> {
  // Kept on the request itself, not in a WeakMap keyed by it: V8's scavenger keeps the entries of
  // young keys alive, which promoted them to the old generation under load (more Mark-Compact
  // pauses, a longer p99).
  app.decorateRequest('admissionRecord', null);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', bodyReader(deps.bodyLimit));

  app.addHook('onRequest', async (request, reply) => {
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
    if (!body.ok) return refuse(request, reply, 400, body.message);
    const admission = admit(body.value, deps);
    if (admission.kind === 'invalid') return refuse(request, reply, 400, admission.message);
    const { request: review } = admission;
    if (admission.kind === 'notReady') {
      request.admissionRecord = { uid: review.uid, outcome: 'error', message: admission.message };
      return reply.code(503).send(failureStatus(503, admission.message));
    }
    const { result } = admission;
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

  app.addHook('onResponse', async (request, reply) => {
    const record = request.admissionRecord ?? { outcome: 'error', message: 'no answer was recorded' };
    logAdmission(deps.logger, deps.metrics, record, reply.statusCode, reply.elapsedTime);
  });
}

function refuse(request: FastifyRequest, reply: FastifyReply, status: number, message: string) {
  request.admissionRecord = { outcome: 'invalid', message };
  return reply.code(status).send(failureStatus(status, message));
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
