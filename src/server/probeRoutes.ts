// GET /healthz (the process answers) and GET /readyz (certificates and templates loaded, not
// draining; the reasons when not), for the kubelet's probes.
import type { FastifyInstance } from 'fastify';
import type { Readiness } from './readiness';

export async function probeRoutes(app: FastifyInstance, { readiness }: { readiness: Readiness }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const status = readiness.status();
    return reply.code(status.ready ? 200 : 503).send(status);
  });
}
