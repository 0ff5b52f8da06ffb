// Failures inside the webhook: a 500 (so failurePolicy applies) and a process that stays up; and
// no answer from a catalog that has not loaded yet.

import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/server/app';
import { Metrics } from '../../src/server/metrics';
import { Readiness } from '../../src/server/readiness';
import { type RunningServer, startServer } from '../../src/server/start';
import { secureContextOptions } from '../../src/server/tls';
import { nameOnlyNamespaceLabels } from '../../src/sources/namespaceLabels';
import type { TemplateSource } from '../../src/sources/templateSource';
import { EMPTY_SNAPSHOT } from '../../src/templates/catalog';
import { compiled, template } from '../support/templates';
import { makeCertificate } from './support/certs';
import { call, metric, metricValue, postJson } from './support/http';
import { pod, review } from './support/reviews';
import { capturingLogger, type LogLine } from './support/server';

const pair = makeCertificate('failures');
const ca = [pair.cert];

describe('an exception while deciding', () => {
  const logs: LogLine[] = [];
  const metrics = new Metrics({ processMetrics: false });
  let broken = true;
  const readiness = new Readiness([]);
  const app = buildApp({
    catalog: () => {
      if (broken) throw new Error('catalog exploded');
      return EMPTY_SNAPSHOT;
    },
    namespaceLabels: nameOnlyNamespaceLabels,
    nativeSidecars: () => false,
    bodyLimit: 1024 * 1024,
    logger: capturingLogger(logs),
    metrics,
    readiness,
    https: secureContextOptions({ cert: Buffer.from(pair.cert), key: Buffer.from(pair.key) }),
  });
  let port = 0;
  beforeAll(async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(() => app.close());

  test('gets a 500 Status naming the failure, logged once with the stack, and the next request works', async () => {
    const body = review(pod());
    const answer = await postJson(port, body, ca);
    expect(answer.status).toBe(500);
    expect(answer.json).toMatchObject({ kind: 'Status', code: 500, reason: 'InternalError' });
    expect(answer.json.message).toContain('catalog exploded');
    const lines = logs.filter((l) => l.msg === 'admission failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.err?.stack).toContain('catalog exploded');
    expect(metric(await metrics.render(), 'sidecar_injector_admission_requests_total', { result: 'error' })).toBe(1);

    broken = false;
    const next = await postJson(port, review(pod()), ca);
    expect(next.status).toBe(200);
    expect(next.json.response.allowed).toBe(true);
  });

  test('while draining, /readyz says so with 503 and answers close their connection', async () => {
    readiness.startDraining();
    const answer = await call(port, '/readyz', { ca, headers: { connection: 'keep-alive' } });
    expect(answer.status).toBe(503);
    expect(answer.json.reasons).toEqual([expect.stringMatching(/^shutting down since /)]);
    expect(answer.headers.connection).toBe('close');
  });

  test('pass-through requests never reach the catalog', async () => {
    broken = true;
    const answer = await postJson(port, review(pod(), { operation: 'UPDATE' }), ca);
    expect(answer.status).toBe(200);
    expect(answer.json.response.allowed).toBe(true);
  });
});

/** A template source whose first load finishes when the test says so. */
function gatedSource(load: () => void): TemplateSource & { open(): void } {
  let open: () => void = () => {};
  const loaded = new Promise<void>((resolve) => {
    open = () => {
      load();
      resolve();
    };
  });
  return { start: () => loaded, stop: () => {}, open };
}

describe('before the templates are loaded', () => {
  let server: RunningServer;
  let gate: ReturnType<typeof gatedSource>;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'si-gated-'));
    writeFileSync(join(dir, 'tls.crt'), pair.cert);
    writeFileSync(join(dir, 'tls.key'), pair.key);
    server = await startServer({
      port: 0,
      metricsPort: 0,
      bindAddress: '127.0.0.1',
      tlsCert: join(dir, 'tls.crt'),
      tlsKey: join(dir, 'tls.key'),
      bodyLimit: 1024 * 1024,
      nativeSidecars: 'never',
      shutdownTimeoutMs: 5000,
      logger: capturingLogger([]),
      sources: ({ catalog }) => {
        gate = gatedSource(() =>
          catalog.replace('files', [
            compiled(template('late', { selector: {}, containers: [{ name: 'late', image: 'busybox' }] })),
          ]),
        );
        return { templates: [gate], namespaceLabels: nameOnlyNamespaceLabels };
      },
    });
  });
  afterAll(() => server.close());

  test('the server is live, not ready, and refuses pods with 503 until they are', async () => {
    expect((await call(server.port, '/healthz', { ca })).status).toBe(200);
    const notReady = await call(server.port, '/readyz', { ca });
    expect(notReady.status).toBe(503);
    expect(notReady.json).toEqual({ ready: false, reasons: ['templates are not loaded yet'] });
    const refused = await postJson(server.port, review(pod()), ca);
    expect(refused.status).toBe(503);
    expect(refused.json.message).toMatch(/templates are not loaded yet/);
    // Requests that need no template are still answered.
    expect((await postJson(server.port, review(pod(), { operation: 'DELETE' }), ca)).status).toBe(200);

    gate.open();
    await server.templatesLoaded;
    expect((await call(server.port, '/readyz', { ca })).json).toEqual({ ready: true, reasons: [] });
    const answer = await postJson(server.port, review(pod()), ca);
    expect(answer.json.response.patchType).toBe('JSONPatch');
    expect(await metricValue(server.metricsPort, 'sidecar_injector_templates')).toBe(1);
  });
});
