// Fuzzing POST /mutate through the real fastify app (inject(), no network): over 100,000
// generated and broken AdmissionReviews against the shipped example templates and the golden
// library, in native and classic mode. Every answer is checked by the oracle in
// support/answers.ts; after each batch the app must still inject a known-good pod.
import fc from 'fast-check';
import { exampleLibrary, type FuzzApp, fuzzApp, goldenLibrary } from './support/apps';
import {
  brokenReview,
  deepNesting,
  ENVELOPE_PATHS,
  hostileString,
  hugeString,
  NESTING_DEPTH,
  POD_PATHS,
  randomBody,
  review,
  serialize,
  truncatedReview,
} from './support/arbitraries';
import { fuzz, KNOWN_GOOD, runs, sendAndCheck, stillServes, Tally } from './support/drive';

/** Runs per batch; together at least 100,000 (the fuzz project must finish in about 3 minutes). */
const RUNS = {
  random: 8_000,
  truncated: 8_000,
  envelope: 20_000,
  pod: 32_000,
  annotations: 32_000,
  hugeAndDeep: 800,
};
const BODY_LIMIT = 512 * 1024;
const BATCH_TIMEOUT = 120_000;

let apps: FuzzApp[] = [];
const tally = new Tally();
const unhandled: unknown[] = [];
const onUnhandled = (error: unknown) => unhandled.push(error);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  const libraries = [await exampleLibrary(), goldenLibrary()];
  for (const library of libraries)
    for (const native of [true, false]) apps.push(await fuzzApp(library, native, BODY_LIMIT));
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
  await Promise.all(apps.map((a) => a.app.close()));
  apps = [];
});
afterEach(() => {
  expect(unhandled).toEqual([]);
});

describe('every answer is a valid AdmissionReview for the same uid, or a 400/413 Status', () => {
  test(
    'random JSON, random text and random bytes',
    () => fuzz(apps, () => randomBody, RUNS.random, tally),
    BATCH_TIMEOUT,
  );

  test(
    'reviews cut short anywhere',
    () => fuzz(apps, (a) => truncatedReview(a.library), RUNS.truncated, tally),
    BATCH_TIMEOUT,
  );

  test(
    'wrong types in any field of the envelope',
    () => fuzz(apps, (a) => brokenReview(a.library, ENVELOPE_PATHS), RUNS.envelope, tally),
    BATCH_TIMEOUT,
  );

  test(
    'wrong types in any field of the pod (metadata, annotations, labels, ownerReferences, spec, containers, env, ports, volumeMounts, initContainers, volumes)',
    () => fuzz(apps, (a) => brokenReview(a.library, POD_PATHS), RUNS.pod, tally),
    BATCH_TIMEOUT,
  );

  test(
    'hostile annotation keys and values on pods that ask for templates',
    () => fuzz(apps, (a) => review(a.library).map(serialize), RUNS.annotations, tally),
    BATCH_TIMEOUT,
  );

  test(
    'huge strings and 10,000-level nesting anywhere',
    () =>
      fuzz(
        apps,
        (a) => brokenReview(a.library, [...ENVELOPE_PATHS, ...POD_PATHS], fc.oneof(hugeString, deepNesting)),
        RUNS.hugeAndDeep,
        tally,
      ),
    BATCH_TIMEOUT,
  );
});

describe('edge cases named in the practices, sent as such', () => {
  const deep = (open: string, close: string) => `${open.repeat(NESTING_DEPTH)}1${close.repeat(NESTING_DEPTH)}`;
  // biome-ignore lint/suspicious/noExplicitAny: the test reaches into arbitrary fields
  type Body = Record<string, any>;
  /** KNOWN_GOOD with the nesting put where `place` writes the marker. */
  const nestedAt = (place: (body: Body) => void, nested: string) => {
    const body: Body = structuredClone(KNOWN_GOOD);
    place(body);
    return JSON.stringify(body).replace('"@@"', nested);
  };
  const places: Array<[string, (body: Body) => void]> = [
    ['apiVersion', (b) => (b.apiVersion = '@@')],
    ['request', (b) => (b.request = '@@')],
    ['request.uid', (b) => (b.request.uid = '@@')],
    ['request.kind.group', (b) => (b.request.kind.group = '@@')],
    ['request.object', (b) => (b.request.object = '@@')],
    ['metadata.labels', (b) => (b.request.object.metadata.labels = '@@')],
    ['an annotation value', (b) => (b.request.object.metadata.annotations.x = '@@')],
    ['the container name', (b) => (b.request.object.spec.containers[0].name = '@@')],
    ['an unknown pod field', (b) => (b.request.object.spec.extra = '@@')],
  ];
  const nestings = [deep('[', ']'), deep('{"a":', '}')];
  test.each(places)('%s nested 10,000 levels deep', async (_where, place) => {
    for (const nested of nestings)
      for (const target of apps) await sendAndCheck(target, nestedAt(place, nested), tally);
  });

  test('a whole body nested 10,000 levels deep', async () => {
    for (const nested of nestings) for (const target of apps) await sendAndCheck(target, nested, tally);
  });

  test('a body just over the limit gets 413, just under it is answered', async () => {
    const [target] = apps;
    if (!target) throw new Error('no app');
    const padded = (size: number) => {
      const base = JSON.stringify({ ...KNOWN_GOOD, pad: '' });
      return base.replace('"pad":""', `"pad":"${'x'.repeat(size - Buffer.byteLength(base))}"`);
    };
    await sendAndCheck(target, padded(BODY_LIMIT), tally);
    await sendAndCheck(target, padded(BODY_LIMIT + 1), tally);
    expect(tally.counts.get('413')).toBeGreaterThan(0);
  });

  test('hostile values in every declared parameter still give a checked answer', async () => {
    for (const target of apps) {
      const parameters = target.library.templates.flatMap((t) => t.parameters.map((p) => [t.name, p.name] as const));
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...parameters), hostileString, async ([template, parameter], value) => {
          const body = structuredClone(KNOWN_GOOD);
          const annotations: Record<string, string> = body.request.object.metadata.annotations;
          annotations['sidecar.injector.dev/inject'] = template;
          annotations[`${template}.sidecar.injector.dev/${parameter}`] = value;
          await sendAndCheck(target, JSON.stringify(body), tally);
        }),
        runs(250),
      );
    }
  });
});

test('the batches reached every kind of answer, and the apps still inject', async () => {
  for (const target of apps) await stillServes(target);
  for (const kind of ['injected', 'allowed', 'denied', '400', '413'] as const)
    expect(tally.counts.get(kind) ?? 0).toBeGreaterThan(0);
  expect(tally.total).toBeGreaterThanOrEqual(100_000);
  // For the report: how the generated requests were answered.
  process.stdout.write(`fuzz answers: ${JSON.stringify(Object.fromEntries(tally.counts))} (${tally.total} in all)\n`);
});
