// Graceful stop of the HTTPS app: stop accepting, let in-flight requests finish, close idle
// keep-alive sockets, and cut whatever is left at the deadline.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

export async function drain(app: FastifyInstance, timeoutMs: number, logger: Logger): Promise<void> {
  const closed = app.close();
  // server.close() already closes idle sockets in Node >= 19; this also reaps any that became
  // idle in between.
  app.server.closeIdleConnections();
  let deadline: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    deadline = setTimeout(() => resolve(true), timeoutMs);
  });
  if (await Promise.race([closed.then(() => false), timedOut])) {
    logger.warn({ timeoutMs }, 'shutdown timeout reached; closing the remaining connections');
    app.server.closeAllConnections();
    await closed;
  }
  clearTimeout(deadline);
}
