// Fault under load: the serving certificate is rotated twice while admission traffic flows on
// keep-alive connections (as the API server's pool) and on new connections. Not one request
// may fail: pooled connections keep the certificate they were opened with, new ones get the
// newest pair.
import { makeCertificate } from './support/certs';
import { metricValue } from './support/http';
import { startTestServer, type TestServer } from './support/server';
import { type Outcome, startTraffic } from './support/traffic';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

const injectsLogShipper = (response: Record<string, unknown>) => {
  if (response.patchType !== 'JSONPatch') throw new Error(`no patch: ${JSON.stringify(response)}`);
  return 'injected';
};

test('two rotations under traffic: zero failed requests, and new connections see each new certificate', async () => {
  const second = makeCertificate('second');
  const third = makeCertificate('third');
  const successes = await metricValue(t.metricsPort, 'sidecar_injector_certificate_reloads_total', {
    result: 'success',
  });
  // The client trusts all three from the start, so its pooled connections are reused throughout.
  const traffic = startTraffic({
    port: t.port,
    ca: [t.ca[0] as string, second.cert, third.cert],
    keepAliveLoops: 4,
    freshLoops: 2,
    check: injectsLogShipper,
  });
  const count = (o: readonly Outcome[]) => o.length;
  const freshSaw = (name: string) => (o: readonly Outcome[]) => o.some((x) => x.freshConnection && x.peer === name);

  await traffic.until((o) => count(o) >= 300);
  t.useCertificate(second);
  await traffic.until(freshSaw('second'));
  const afterFirst = traffic.outcomes.length;
  await traffic.until((o) => count(o) >= afterFirst + 300);
  t.useCertificate(third);
  await traffic.until(freshSaw('third'));
  const afterSecond = traffic.outcomes.length;
  await traffic.until((o) => count(o) >= afterSecond + 300);
  const outcomes = await traffic.stop();

  expect(outcomes.filter((o) => o.kind !== 'ok')).toEqual([]);
  // Keep-alive connections carried traffic across both rotations with their first certificate.
  const pooled = outcomes.filter((o) => !o.freshConnection);
  expect(pooled.length).toBeGreaterThan(300);
  expect(pooled.slice(-10).some((o) => o.peer === 'first')).toBe(true);
  expect(await metricValue(t.metricsPort, 'sidecar_injector_certificate_reloads_total', { result: 'success' })).toBe(
    successes + 2,
  );
}, 60_000);
