// SidecarTemplate objects through the API: created and edited with kubectl, picked up by the
// running webhook without a restart; an invalid edit keeps the last good version; the watch
// survives the API server going away and coming back, and requests keep being answered from
// memory, under steady traffic, while it is away.
import { decodedPatch } from '../integration/support/reviews';
import { startTraffic } from '../integration/support/traffic';
import { type Environment, e2eBeforeAll, e2eTest, SETUP_TIMEOUT_MS, startEnvironment } from './support/environment';
import { container, injectedTemplates, podNaming, type StoredPod } from './support/pods';

const NS = 'live';
const NAME = 'e2e-live';
let env: Environment;

function liveTemplate(image: string, args: string[] = []) {
  return {
    apiVersion: 'sidecar.injector.dev/v1alpha1',
    kind: 'SidecarTemplate',
    metadata: { name: NAME },
    spec: {
      description: 'e2e: edited while the webhook runs',
      containers: [{ name: NAME, image, ...(args.length > 0 ? { args } : {}) }],
    },
  };
}

const imageOf = (pod: StoredPod | undefined) =>
  pod && injectedTemplates(pod).includes(NAME) ? container(pod, NAME).image : undefined;

/** The image of the container named NAME anywhere in a patch (added alone, or in a whole new list). */
function imageIn(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.map(imageIn).find(Boolean);
  if (value === null || typeof value !== 'object') return undefined;
  const object = value as Record<string, unknown>;
  if (object.name === NAME && typeof object.image === 'string') return object.image;
  return Object.values(object).map(imageIn).find(Boolean);
}

/** Polls with dry runs until the webhook injects `image` (edits arrive through its watch). */
async function injectsImage(image: string, timeoutMs = 30_000): Promise<void> {
  await env.kube.dryRunUntil(
    `${NAME} with image ${image}`,
    podNaming(NS, NAME),
    (d) => imageOf(d.pod) === image,
    timeoutMs,
  );
}

e2eBeforeAll(async () => {
  env = await startEnvironment();
  await env.kube.createNamespace(NS, { 'sidecar.injector.dev/injection': 'enabled' });
  await env.applyWebhookConfiguration('opt-in');
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await env?.stop();
});

e2eTest('a SidecarTemplate created with kubectl apply is used for the next pod', async () => {
  await env.kube.apply(liveTemplate('example.com/live:1'));
  await injectsImage('example.com/live:1');
  const { pod } = await env.kube.createPod(podNaming(NS, NAME));
  expect(container(pod, NAME).image).toBe('example.com/live:1');
});

e2eTest('an edit (a new image) reaches the next pod without a restart', async () => {
  await env.kube.apply(liveTemplate('example.com/live:2'));
  await injectsImage('example.com/live:2');
  const { pod } = await env.kube.createPod(podNaming(NS, NAME));
  expect(container(pod, NAME).image).toBe('example.com/live:2');
});

e2eTest('an invalid edit that the CRD schema accepts keeps the last good version', async () => {
  const loadErrorsBefore = await env.injector.metric('sidecar_injector_template_load_errors_total', {
    source: 'cluster',
  });
  // An undeclared placeholder: a string to the CRD schema, an error to the webhook's validation.
  await env.kube.apply(liveTemplate('example.com/live:3', ['--level=${params.undeclared}']));
  const problem = await env.injector.waitForLog('the invalid edit to be reported', (l) =>
    String(l.msg).startsWith(`SidecarTemplate/${NAME} is invalid`),
  );
  expect(JSON.stringify(problem.problems)).toContain('undeclared');
  expect(
    await env.injector.metric('sidecar_injector_template_load_errors_total', { source: 'cluster' }),
  ).toBeGreaterThan(loadErrorsBefore);

  const { pod } = await env.kube.createPod(podNaming(NS, NAME));
  expect(container(pod, NAME).image).toBe('example.com/live:2');
  expect(container(pod, NAME).args).toBeUndefined();
});

e2eTest(
  'the API server goes away under traffic: answers come from memory; it comes back: the watch is restored',
  async () => {
    const watchFailures = env.injector.logs.filter((l) => String(l.msg).startsWith('watch of sidecartemplates failed'));
    // What the API server would send for pods naming the template, without pause from before the
    // API server stops until an edit made after it is back has reached the webhook.
    const traffic = startTraffic({
      port: env.injector.port,
      ca: [env.certificates.caCert],
      keepAliveLoops: 2,
      freshLoops: 1,
      // About 100 admissions a second: steady, and leaving the CPU to the restarting API server.
      pauseMs: 25,
      object: () => podNaming(NS, NAME),
      check: (response) => {
        const image = imageIn(decodedPatch(response as { patch?: string }));
        if (!image) throw new Error(`${NAME} was not injected`);
        return image;
      },
    });
    try {
      await traffic.until((o) => o.length >= 20);
      await env.cp.stopApiserver();
      try {
        expect((await env.injector.get('/healthz')).status).toBe(200);
        expect((await env.injector.get('/readyz')).status).toBe(200);
        // The watch noticed, and answers kept coming from the last good version.
        await env.injector.waitForLog(
          'the SidecarTemplate watch to fail',
          (l) => String(l.msg).startsWith('watch of sidecartemplates failed') && !watchFailures.includes(l),
        );
        const sinceFailure = traffic.outcomes.length;
        await traffic.until((o) => o.length >= sinceFailure + 20);
      } finally {
        await env.cp.startApiserver();
      }

      // A valid edit made after the restart reaches the webhook only through a restored watch.
      await env.kube.apply(liveTemplate('example.com/live:4'));
      await injectsImage('example.com/live:4', 90_000);
      const seenLive4 = traffic.outcomes.length;
      await traffic.until((o) => o.length >= seenLive4 + 10);
    } finally {
      await traffic.stop();
    }

    const outcomes = traffic.outcomes;
    expect(outcomes.filter((o) => o.kind !== 'ok').map((o) => `${o.kind}: ${o.detail}`)).toEqual([]);
    // Every answer injected the last good version: 2 until the edit arrived, 4 after, never back.
    const seen = outcomes.map((o) => o.seen);
    expect(new Set(seen)).toEqual(new Set(['example.com/live:2', 'example.com/live:4']));
    const firstLive4 = seen.indexOf('example.com/live:4');
    const backwards = outcomes.filter((o) => o.seen === 'example.com/live:2' && o.startedAfter > firstLive4);
    expect(backwards).toEqual([]);
    const { pod } = await env.kube.createPod(podNaming(NS, NAME));
    expect(container(pod, NAME).image).toBe('example.com/live:4');
  },
  180_000,
);

e2eTest('deleting the SidecarTemplate makes its name unknown again', async () => {
  await env.kube.ok(['delete', 'sidecartemplate', NAME]);
  const { result } = await env.kube.dryRunUntil('the deletion to reach the webhook', podNaming(NS, NAME), (d) =>
    d.result.stderr.includes('denied the request'),
  );
  expect(result.stderr).toContain(NAME);
});
