// Pod-level resources, for every generated pod that the API server's rules accept: after
// injection the pod is still accepted, the app keeps the slack its author left, and templates
// without resources change nothing. (test/e2e/podResources.test.ts asks the real API server.)
import fc from 'fast-check';
import { applyPatch } from 'fast-json-patch';
import { inject } from '../../../src/injection/inject';
import { parseQuantity } from '../../../src/shared/quantity';
import { snapshotOf } from '../../../src/templates/catalog';
import {
  aggregateRequests,
  defaultedPodRequests,
  RESOURCES,
  type ResourcePod,
  resourcePod,
  resourceProblems,
  resourceTemplate,
} from '../../support/podResources';
import { compiled } from '../../support/templates';

const context = { namespace: 'default', namespaceLabels: {}, nativeSidecars: true };
const nanos = (q: string | undefined) => (q === undefined ? undefined : parseQuantity(q)?.nanos);

const scenario = fc.record({
  pod: resourcePod,
  templates: fc
    .tuple(resourceTemplate('first'), resourceTemplate('second'))
    .chain((both) => fc.subarray(both, { minLength: 1 })),
});

function injectInto(pod: ResourcePod, templates: unknown[]) {
  const named: ResourcePod = {
    ...pod,
    metadata: {
      ...pod.metadata,
      annotations: {
        'sidecar.injector.dev/inject': templates
          .map((t) => (t as { metadata: { name: string } }).metadata.name)
          .join(','),
      },
    },
  };
  const result = inject(named, context, snapshotOf(templates.map((t) => compiled(t))));
  if (result.outcome !== 'injected') throw new Error(`not injected: ${JSON.stringify(result)}`);
  return { before: named, after: applyPatch(structuredClone(named), result.patch).newDocument, result };
}

test('a pod the API server accepts is still accepted after injection', () => {
  fc.assert(
    fc.property(scenario, ({ pod, templates }) => {
      const { after } = injectInto(pod, templates);
      expect(resourceProblems(after)).toEqual([]);
    }),
    { numRuns: 400 },
  );
});

test('pod-level requests, as the API server defaults them, keep the slack the app had over its containers', () => {
  fc.assert(
    fc.property(scenario, ({ pod, templates }) => {
      const { before, after } = injectInto(pod, templates);
      for (const resource of RESOURCES) {
        const was = nanos(defaultedPodRequests(before.spec)[resource]);
        const now = nanos(defaultedPodRequests(after.spec)[resource]);
        if (was === undefined) {
          // Not set at pod level: the API server may still default it, to what the containers
          // (now with a sidecar) request together.
          if (now !== undefined) expect(now).toBe(aggregateRequests(after.spec, resource));
          continue;
        }
        expect(now! - aggregateRequests(after.spec, resource)).toBe(was - aggregateRequests(before.spec, resource));
      }
    }),
    { numRuns: 300 },
  );
});

test('templates without resources leave pod-level resources as they are, without a warning', () => {
  const bare = resourceTemplate('bare').map((t) => ({
    ...t,
    spec: {
      ...t.spec,
      containers: t.spec.containers.map(({ resources: _, ...c }) => c),
      ...(t.spec.initContainers ? { initContainers: t.spec.initContainers.map(({ resources: _, ...c }) => c) } : {}),
    },
  }));
  fc.assert(
    fc.property(resourcePod, bare, (pod, template) => {
      const { before, after, result } = injectInto(pod, [template]);
      expect(after.spec.resources).toEqual(before.spec.resources);
      expect(result.warnings.filter((w) => w.includes('spec.resources'))).toEqual([]);
    }),
    { numRuns: 100 },
  );
});

test('the generated pods cover what matters: native and classic init containers, requests and limits', () => {
  const pods = fc.sample(resourcePod, { numRuns: 300, seed: 7 });
  const some = (f: (p: ResourcePod) => boolean) => pods.some(f);
  expect(some((p) => (p.spec.initContainers ?? []).some((c) => c.restartPolicy === 'Always'))).toBe(true);
  expect(some((p) => (p.spec.initContainers ?? []).some((c) => c.restartPolicy === undefined))).toBe(true);
  expect(some((p) => p.spec.resources?.requests !== undefined && p.spec.resources.limits === undefined)).toBe(true);
  expect(some((p) => p.spec.resources?.limits !== undefined && p.spec.resources.requests === undefined)).toBe(true);
  expect(some((p) => p.spec.resources?.limits !== undefined && p.spec.resources.requests !== undefined)).toBe(true);
});
