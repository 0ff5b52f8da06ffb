// The webhook's HTTP surface as a fastify app: the server options, the draining behaviour, and
// the routes (mutateRoute.ts, probeRoutes.ts). The caller listens; tests use inject().
import type { ServerOptions } from 'node:https';
import fastify, { type FastifyInstance, LogController } from 'fastify';
import { type MutateRouteDeps, mutateRoute } from './mutateRoute';
import { probeRoutes } from './probeRoutes';
import type { Readiness } from './readiness';

export { MUTATE_PATH } from './mutateRoute';

export interface AppDeps extends MutateRouteDeps {
  readonly readiness: Readiness;
  /** TLS options; without them the app speaks plain HTTP (unit tests with inject()). */
  readonly https?: ServerOptions;
}

/** Node's default, pinned so that `--max-http-header-size` cannot raise it: 431 above. */
export const MAX_HEADER_BYTES = 16 * 1024;

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = fastify({
    loggerInstance: deps.logger,
    // One line per admission is written by the mutate route's own onResponse hook instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit,
    // Draining: idle keep-alive sockets are closed, and a request that still arrives on an open
    // connection is answered (with Connection: close) rather than refused with a 503.
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    ...(deps.https ? { https: { ...deps.https, maxHeaderSize: MAX_HEADER_BYTES } } : {}),
  }) as unknown as FastifyInstance;

  app.addHook('onSend', (_request, reply, payload, done) => {
    // While draining, a response to a request that was already in flight closes its connection
    // too, so the API server's pool does not keep a socket to a terminating pod.
    if (deps.readiness.draining) reply.header('connection', 'close');
    done(null, payload);
  });
  app.register(mutateRoute, deps);
  app.register(probeRoutes, { readiness: deps.readiness });
  return app;
}
