// Fault under load: the template file is edited into an invalid state (a schema error, then
// broken YAML) and then fixed, while admission traffic flows. Every pod meanwhile gets the last
// good version; the errors are logged and counted; the fixed version then takes over.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { metricValue } from './support/http';
import { decodedPatch } from './support/reviews';
import { eventually, startTestServer, TEST_TEMPLATES, type TestServer } from './support/server';
import { type Outcome, startTraffic } from './support/traffic';

const V1 = 'fluent/fluent-bit:3.2';
const V2 = 'fluent/fluent-bit:3.3';
// Would inject another image if it were ever loaded; invalid because it sets restartPolicy.
const SCHEMA_ERROR = TEST_TEMPLATES.replace(V1, 'busybox:invalid').replace(
  'image: busybox:invalid',
  'image: busybox:invalid\n      restartPolicy: Always',
);
const BROKEN_YAML = `${TEST_TEMPLATES.replace(V1, 'busybox:broken')}\n  containers: [ {name: \n`;
const FIXED = TEST_TEMPLATES.replace(V1, V2);

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

/** The image of the injected log-shipper. */
const injectedImage = (response: Record<string, unknown>) => {
  const added = decodedPatch(response as { patch?: string }) as Array<{ path: string; value: unknown }>;
  const sidecars = added
    .filter((op) => op.path === '/spec/containers/-' || op.path === '/spec/initContainers')
    .flatMap((op) => (Array.isArray(op.value) ? op.value : [op.value])) as Array<{ name: string; image: string }>;
  const image = sidecars.find((c) => c.name === 'log-shipper')?.image;
  if (!image) throw new Error(`log-shipper was not injected: ${JSON.stringify(response)}`);
  return image;
};

test('an invalid edit keeps the last good version in service, is reported, and the fix takes over', async () => {
  expect(SCHEMA_ERROR).toContain('restartPolicy: Always');
  const file = join(t.dir, 'templates', 'templates.yaml');
  const loadErrors = () =>
    metricValue(t.metricsPort, 'sidecar_injector_template_load_errors_total', { source: 'files' });
  const reported = (n: number) =>
    t.logs.filter((l) => l.level === 50 && /^invalid template file; keeping its last good version/.test(l.msg))
      .length >= n;
  const errorsBefore = await loadErrors();

  const traffic = startTraffic({ port: t.port, ca: t.ca, keepAliveLoops: 2, freshLoops: 1, check: injectedImage });
  const more = async (n: number) => {
    const at = traffic.outcomes.length;
    await traffic.until((o) => o.length >= at + n);
  };
  await more(100);

  writeFileSync(file, SCHEMA_ERROR);
  await eventually(async () => (reported(1) ? true : undefined), 'the schema error to be reported');
  await more(200);
  writeFileSync(file, BROKEN_YAML);
  await eventually(async () => (reported(2) ? true : undefined), 'the YAML error to be reported');
  await more(200);
  const invalidPhaseEnd = traffic.outcomes.length;

  writeFileSync(file, FIXED);
  await traffic.until((o) => o.some((x) => x.seen === V2));
  const firstV2 = traffic.outcomes.find((x) => x.seen === V2) as Outcome;
  await more(100);
  const outcomes = await traffic.stop();

  expect(outcomes.filter((o) => o.kind !== 'ok')).toEqual([]);
  expect(new Set(outcomes.map((o) => o.seen))).toEqual(new Set([V1, V2]));
  expect(outcomes.slice(0, invalidPhaseEnd).every((o) => o.seen === V1)).toBe(true);
  // Requests that started after the first answer with the fix all got the fix.
  const startedLater = outcomes.filter((o) => o.startedAfter > outcomes.indexOf(firstV2));
  expect(startedLater.length).toBeGreaterThanOrEqual(90);
  expect(startedLater.every((o) => o.seen === V2)).toBe(true);

  expect(await loadErrors()).toBeGreaterThanOrEqual(errorsBefore + 2);
  const lines = t.logs.filter((l) => l.level === 50 && /^invalid template file/.test(l.msg));
  expect(lines[0]).toMatchObject({ file, problems: [expect.stringMatching(/restartPolicy/)] });
  expect(lines.map((l) => l.msg)).toContain(
    'invalid template file; keeping its last good version (log-shipper, reloader)',
  );
}, 60_000);
