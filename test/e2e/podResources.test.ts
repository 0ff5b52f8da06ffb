// Pod-level resources on the real API server: pods that set spec.resources get sidecars with
// their own requests and limits through the webhook and are accepted, with pod-level values
// grown by what the sidecars add; and for generated pods, every one the API server accepts is
// still accepted once injected (the property of test/unit/injection/podResources.properties,
// with the API server instead of a model as the judge).
import fc from 'fast-check';
import { applyPatch } from 'fast-json-patch';
import { inject } from '../../src/injection/inject';
import { snapshotOf } from '../../src/templates/catalog';
import { resourcePod, resourceTemplate } from '../support/podResources';
import { compiled } from '../support/templates';
import { type Environment, e2eBeforeAll, e2eTest, SETUP_TIMEOUT_MS, startEnvironment } from './support/environment';
import { podNaming, type StoredPod, uniqueName } from './support/pods';

const NS = 'pod-resources';
/** Not labelled for injection: the pods of the property test reach the API server as written. */
const PLAIN_NS = 'pod-resources-plain';
let env: Environment;

const template = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'sidecar.injector.dev/v1alpha1',
  kind: 'SidecarTemplate',
  metadata: { name },
  spec,
});
const TEMPLATES = [
  template('sized-native', {
    mode: 'Native',
    containers: [
      {
        name: 'sized-native',
        image: 'registry.k8s.io/pause:3.10',
        resources: { requests: { cpu: '100m', memory: '16Mi' }, limits: { memory: '32Mi' } },
      },
    ],
  }),
  template('sized-classic', {
    mode: 'Classic',
    containers: [
      {
        name: 'sized-classic',
        image: 'registry.k8s.io/pause:3.10',
        resources: { requests: { cpu: '50m', memory: '24Mi' }, limits: { memory: '48Mi' } },
      },
    ],
  }),
  template('sized-init', {
    mode: 'Native',
    initContainers: [
      { name: 'sized-setup', image: 'registry.k8s.io/pause:3.10', resources: { requests: { memory: '300Mi' } } },
    ],
    containers: [
      { name: 'sized-init', image: 'registry.k8s.io/pause:3.10', resources: { requests: { memory: '50Mi' } } },
    ],
  }),
  template('bare', { containers: [{ name: 'bare', image: 'registry.k8s.io/pause:3.10' }] }),
];

e2eBeforeAll(async () => {
  env = await startEnvironment();
  await env.kube.createNamespace(NS, { 'sidecar.injector.dev/injection': 'enabled' });
  await env.kube.createNamespace(PLAIN_NS);
  await env.kube.apply(...TEMPLATES);
  await env.applyWebhookConfiguration('opt-in');
  await env.kube.dryRunUntil('the webhook to know the templates', podNaming(NS, 'bare'), (d) =>
    [...(d.pod?.spec.containers ?? []), ...(d.pod?.spec.initContainers ?? [])].some((c) => c.name === 'bare'),
  );
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await env?.stop();
});

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };
interface SizedPod extends StoredPod {
  spec: StoredPod['spec'] & { resources?: Resources };
}

function sizedPod(templates: string, resources: Resources, app: Resources = {}, initContainers: unknown[] = []) {
  const pod = podNaming(NS, templates, {
    containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', ...({ resources: app } as object) }],
  }) as SizedPod;
  pod.spec.resources = resources;
  if (initContainers.length > 0) (pod.spec as Record<string, unknown>).initContainers = initContainers;
  return pod;
}

describe('through the webhook', () => {
  e2eTest('requests only: the pod is accepted with its requests grown by the native sidecar, and says so', async () => {
    const pod = sizedPod(
      'sized-native',
      { requests: { cpu: '500m', memory: '64Mi' } },
      { requests: { cpu: '500m', memory: '64Mi' } },
    );
    const { pod: stored, stderr } = await env.kube.createPod(pod);
    expect((stored as SizedPod).spec.resources?.requests).toEqual({ cpu: '600m', memory: '80Mi' });
    expect(stderr).toMatch(/Warning: spec\.resources grown for the sidecars: requests cpu 600m memory 80Mi/);
  });

  e2eTest(
    'limits only: the API server defaults the requests, the webhook grows both by the classic sidecar',
    async () => {
      const { pod: stored } = await env.kube.createPod(
        sizedPod('sized-classic', { limits: { cpu: '1', memory: '128Mi' } }),
      );
      // Defaulted to the limits (no container requests anything), then grown: requests by 50m and
      // 24Mi; limits by the sidecar's 48Mi limit, and by its 50m request where it sets no limit.
      expect((stored as SizedPod).spec.resources).toEqual({
        requests: { cpu: '1050m', memory: '152Mi' },
        limits: { cpu: '1050m', memory: '176Mi' },
      });
    },
  );

  e2eTest('both, with init containers: a template init container counts only above the pod peak', async () => {
    const pod = sizedPod(
      'sized-init',
      { requests: { memory: '200Mi' }, limits: { memory: '1Gi' } },
      { requests: { memory: '100Mi' } },
      [{ name: 'migrate', image: 'registry.k8s.io/pause:3.10', resources: { requests: { memory: '200Mi' } } }],
    );
    const { pod: stored } = await env.kube.createPod(pod);
    // Peak before: max(100, 200) = 200Mi; after: max(100 + 50, 300, 50 + 200) = 300Mi.
    expect((stored as SizedPod).spec.resources?.requests).toEqual({ memory: '300Mi' });
    expect(
      (stored as unknown as { spec: { initContainers: Array<{ name: string }> } }).spec.initContainers.map(
        (c) => c.name,
      ),
    ).toEqual(['sized-setup', 'sized-init', 'migrate']);
  });

  e2eTest('a template without resources leaves pod-level resources as they were', async () => {
    const resources = { requests: { cpu: '250m' }, limits: { cpu: '500m' } };
    const { pod: stored, stderr } = await env.kube.createPod(sizedPod('bare', resources));
    expect((stored as SizedPod).spec.resources).toEqual(resources);
    expect(stderr).not.toMatch(/spec\.resources/);
  });
});

describe('for generated pods, judged by the API server', () => {
  const scenarios = fc.sample(
    fc.record({
      pod: resourcePod,
      templates: fc
        .tuple(resourceTemplate('first'), resourceTemplate('second'))
        .chain((both) => fc.subarray(both, { minLength: 1 })),
    }),
    { numRuns: 40, seed: 20261204 },
  );

  e2eTest(
    'every pod the API server accepts is accepted once injected',
    async () => {
      let accepted = 0;
      const refused: string[] = [];
      for (const { pod, templates } of scenarios) {
        const named = {
          ...pod,
          metadata: {
            name: uniqueName('sized'),
            namespace: PLAIN_NS,
            annotations: { 'sidecar.injector.dev/inject': templates.map((t) => t.metadata.name).join(',') },
          },
        };
        const before = await env.kube.dryRunPod(named as unknown as StoredPod);
        if (!before.pod) continue;
        accepted++;
        const result = inject(
          named,
          { namespace: PLAIN_NS, namespaceLabels: {}, nativeSidecars: true },
          snapshotOf(templates.map((t) => compiled(t))),
        );
        if (result.outcome !== 'injected') throw new Error(`not injected: ${JSON.stringify(result)}`);
        const injected = applyPatch(structuredClone(named), result.patch).newDocument;
        const after = await env.kube.dryRunPod(injected as unknown as StoredPod);
        if (!after.pod) refused.push(`${JSON.stringify(named.spec)}\n-> ${after.result.stderr}`);
      }
      expect(refused).toEqual([]);
      // The generator makes pods the API server accepts (its model of the rules holds).
      expect(accepted).toBe(scenarios.length);
    },
    300_000,
  );
});
