// Pods with pod-level resources, and templates whose containers carry resources, generated for
// property tests; and a model of what the API server checks about them (defaulting, then
// validatePodResourceConsistency and requests <= limits), written as "the pod's peak over its
// life" rather than as the injector's running sums. The e2e suite asks the real API server.
import fc from 'fast-check';
import { formatQuantity, parseQuantity } from '../../src/shared/quantity';

export const RESOURCES = ['cpu', 'memory'] as const;
type Resource = (typeof RESOURCES)[number];
type ResourceList = Partial<Record<string, string>>;

export interface Requirements {
  requests?: ResourceList;
  limits?: ResourceList;
}
export interface Container {
  name: string;
  image: string;
  restartPolicy?: 'Always';
  resources?: Requirements;
}
export interface ResourcePod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { containers: Container[]; initContainers?: Container[]; resources?: Requirements };
}

const amount = (resource: Resource) =>
  resource === 'cpu'
    ? fc.integer({ min: 1, max: 4000 }).map((m) => (m % 1000 === 0 ? String(m / 1000) : `${m}m`))
    : fc.oneof(
        fc.integer({ min: 1, max: 2048 }).map((n) => `${n}Mi`),
        fc.integer({ min: 1, max: 2000 }).map((n) => `${n}M`),
        fc.integer({ min: 1, max: 4 }).map((n) => `${n}Gi`),
      );

const nanos = (q: string | undefined): bigint => (q === undefined ? 0n : (parseQuantity(q)?.nanos ?? 0n));

/** One resource of a container: nothing, a request, a limit, or both (request <= limit). */
const containerResource = (resource: Resource) =>
  fc.oneof(
    fc.constant({}),
    amount(resource).map((r) => ({ requests: r })),
    amount(resource).map((l) => ({ limits: l })),
    fc.tuple(amount(resource), amount(resource)).map(([a, b]) => {
      const [low, high] = nanos(a) <= nanos(b) ? [a, b] : [b, a];
      return { requests: low, limits: high };
    }),
  );

export const requirements: fc.Arbitrary<Requirements | undefined> = fc
  .tuple(...RESOURCES.map(containerResource))
  .map((parts) => {
    const result: Requirements = {};
    parts.forEach((part, i) => {
      const resource = RESOURCES[i] as Resource;
      if ('requests' in part) result.requests = { ...result.requests, [resource]: part.requests };
      if ('limits' in part) result.limits = { ...result.limits, [resource]: part.limits };
    });
    return Object.keys(result).length > 0 ? result : undefined;
  });

const withResources = (c: Omit<Container, 'resources'>, resources: Requirements | undefined): Container =>
  resources ? { ...c, resources } : c;

/** How a pod-level value is set from the containers: left out, or their total plus slack. */
const podLevelChoice = fc.record({
  requests: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  limits: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
});

/** Valid pods with pod-level resources on cpu, memory or both. */
export const resourcePod: fc.Arbitrary<ResourcePod> = fc
  .record({
    containers: fc.array(requirements, { minLength: 1, maxLength: 3 }),
    initContainers: fc.array(fc.tuple(fc.boolean(), requirements), { maxLength: 3 }),
    podLevel: fc.tuple(...RESOURCES.map(() => podLevelChoice)),
  })
  .map(({ containers, initContainers, podLevel }) => {
    const spec: ResourcePod['spec'] = {
      containers: containers.map((r, i) => withResources({ name: `app-${i}`, image: 'nginx:1.27' }, r)),
    };
    if (initContainers.length > 0) {
      spec.initContainers = initContainers.map(([native, r], i) =>
        withResources(
          { name: `init-${i}`, image: 'busybox:1.37', ...(native ? { restartPolicy: 'Always' as const } : {}) },
          r,
        ),
      );
    }
    const resources: Requirements = {};
    RESOURCES.forEach((resource, i) => {
      const choice = podLevel[i] as { requests?: number; limits?: number };
      const total = aggregateRequests(spec, resource);
      // Slack in whole eighths of a unit, so that amounts stay easy to read.
      const unit = resource === 'cpu' ? 125_000_000n : 8n * 2n ** 20n * 1_000_000_000n;
      const request = total + BigInt(choice.requests ?? 0) * unit;
      if (choice.requests !== undefined)
        resources.requests = { ...resources.requests, [resource]: show(request, resource) };
      if (choice.limits !== undefined) {
        const highest = spec.containers.reduce((m, c) => max(m, nanos(c.resources?.limits?.[resource])), request);
        resources.limits = { ...resources.limits, [resource]: show(highest + BigInt(choice.limits) * unit, resource) };
      }
    });
    if (Object.keys(resources).length > 0) spec.resources = resources;
    return { apiVersion: 'v1' as const, kind: 'Pod' as const, metadata: { name: 'sized' }, spec };
  })
  .filter((pod) => pod.spec.resources !== undefined && resourceProblems(pod).length === 0);

/** One template: Native or Classic, maybe an init container, sidecars with resources. */
export const resourceTemplate = (name: string) =>
  fc
    .record({
      mode: fc.constantFrom('Native', 'Classic'),
      init: fc.option(requirements, { nil: null }),
      sidecars: fc.array(requirements, { minLength: 1, maxLength: 2 }),
    })
    .map(({ mode, init, sidecars }) => ({
      apiVersion: 'sidecar.injector.dev/v1alpha1',
      kind: 'SidecarTemplate',
      metadata: { name },
      spec: {
        mode,
        ...(init !== null
          ? { initContainers: [withResources({ name: `${name}-init`, image: 'busybox:1.37' }, init)] }
          : {}),
        containers: sidecars.map((r, i) => withResources({ name: `${name}-${i}`, image: 'busybox:1.37' }, r)),
      },
    }));

const max = (a: bigint, b: bigint) => (a > b ? a : b);

const show = (value: bigint, resource: string): string =>
  formatQuantity({ nanos: value, format: resource === 'memory' ? 'binary' : 'decimal' });

/** Requests as the API server defaults them: a request left out takes the limit. */
const effectiveRequest = (c: Container, resource: string): bigint =>
  nanos(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource]);

/**
 * The most the pod's containers ask for at any moment of its life: while each classic init
 * container runs (with the native sidecars listed before it), and once the app runs (all
 * regular containers and all native sidecars).
 */
export function peak(spec: ResourcePod['spec'], amountOf: (c: Container) => bigint): bigint {
  const init = spec.initContainers ?? [];
  const moments: bigint[] = [];
  init.forEach((c, i) => {
    if (c.restartPolicy === 'Always') return;
    const sidecarsBefore = init.slice(0, i).filter((s) => s.restartPolicy === 'Always');
    moments.push(sidecarsBefore.reduce((sum, s) => sum + amountOf(s), amountOf(c)));
  });
  const running = [...init.filter((c) => c.restartPolicy === 'Always'), ...spec.containers];
  moments.push(running.reduce((sum, c) => sum + amountOf(c), 0n));
  return moments.reduce(max, 0n);
}

export const aggregateRequests = (spec: ResourcePod['spec'], resource: string) =>
  peak(spec, (c) => effectiveRequest(c, resource));

/** Pod-level requests after the API server's defaulting (only when pod-level limits are set). */
export function defaultedPodRequests(spec: ResourcePod['spec']): ResourceList {
  const requests: ResourceList = { ...spec.resources?.requests };
  const limits = spec.resources?.limits ?? {};
  if (Object.keys(limits).length === 0) return requests;
  const containers = [...spec.containers, ...(spec.initContainers ?? [])];
  for (const resource of RESOURCES) {
    if (requests[resource] !== undefined) continue;
    const requested = containers.some(
      (c) => c.resources?.requests?.[resource] !== undefined || c.resources?.limits?.[resource] !== undefined,
    );
    if (requested) requests[resource] = show(aggregateRequests(spec, resource), resource);
    else if (limits[resource] !== undefined) requests[resource] = limits[resource];
  }
  return requests;
}

/** What the API server would say about the pod's resources; empty when it accepts them. */
export function resourceProblems(pod: ResourcePod): string[] {
  const { spec } = pod;
  const problems: string[] = [];
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    for (const [resource, limit] of Object.entries(c.resources?.limits ?? {})) {
      const request = c.resources?.requests?.[resource];
      if (request !== undefined && nanos(request) > nanos(limit))
        problems.push(`${c.name}: request ${resource} above its limit`);
    }
  }
  if (!spec.resources) return problems;
  const requests = defaultedPodRequests(spec);
  const limits = spec.resources.limits ?? {};
  for (const resource of RESOURCES) {
    const request = requests[resource];
    const limit = limits[resource];
    if (request !== undefined && aggregateRequests(spec, resource) > nanos(request))
      problems.push(`spec.resources.requests[${resource}] below the containers' ${aggregateRequests(spec, resource)}n`);
    if (request !== undefined && limit !== undefined && nanos(request) > nanos(limit))
      problems.push(`spec.resources.requests[${resource}] above the pod's limit`);
    for (const c of spec.containers) {
      const own = c.resources?.limits?.[resource];
      if (limit !== undefined && own !== undefined && nanos(own) > nanos(limit))
        problems.push(`${c.name}: limit ${resource} above the pod's limit`);
    }
  }
  return problems;
}
