// Pod-level resources (`spec.resources`, beta and on by default since Kubernetes 1.34): the API
// server refuses a pod whose pod-level requests are below what its containers request together,
// so a sidecar with its own requests would break a pod that sets them. The pod-level requests
// and limits are grown by exactly what the injected containers add, aggregated as Kubernetes
// aggregates containers (k8s.io/component-helpers/resource): regular containers and native
// sidecars add up; a classic init container runs alone with the native sidecars started before
// it, so the pod needs the largest of those moments. The app keeps the budget its author gave.
import { isObject } from '../shared/objects';
import { formatQuantity, parseQuantity, type Quantity } from '../shared/quantity';
import type { AddOperation } from './patchBuilder';
import { quote, warning } from './warnings';

export interface PodResourceChange {
  readonly field: 'requests' | 'limits';
  readonly resource: string;
  /** The value as the pod wrote it; undefined for a request the pod leaves to the API server. */
  readonly from: string | undefined;
  readonly to: string;
}

export interface PodResourcePadding {
  /** New values for existing pod-level entries: an `add` on each replaces its value. */
  readonly changes: PodResourceChange[];
  readonly warnings: string[];
}

interface Containers {
  readonly init: readonly unknown[];
  readonly regular: readonly unknown[];
}

class NotAQuantity extends Error {}

/**
 * What `patch` (the injection's add operations against `pod`) does to the pod-level resources:
 * none when the pod sets none or the injected containers request nothing that it sets.
 */
export function padPodResources(pod: unknown, patch: readonly AddOperation[]): PodResourcePadding {
  const spec = isObject(pod) && isObject(pod.spec) ? pod.spec : undefined;
  const resources = spec && isObject(spec.resources) ? spec.resources : undefined;
  if (!spec || !resources) return { changes: [], warnings: [] };
  const podRequests = isObject(resources.requests) ? resources.requests : {};
  const podLimits = isObject(resources.limits) ? resources.limits : {};
  const before: Containers = { init: listOf(spec.initContainers), regular: listOf(spec.containers) };
  const { after, injected } = containersAfter(before, patch);

  const changes: PodResourceChange[] = [];
  const warnings: string[] = [];
  for (const resource of new Set([...Object.keys(podRequests), ...Object.keys(podLimits)])) {
    try {
      const request = podLevel(podRequests[resource], resource);
      const limit = podLevel(podLimits[resource], resource);
      const requestOf = (c: unknown) => containerAmount(c, resource, ['requests', 'limits']);
      const addedRequests = aggregate(after, requestOf) - aggregate(before, requestOf);
      // Limits: a container can never use more than the pod's limit, and one without a limit can
      // use all of it; so the pod's own containers count as that at most (an init container above
      // it, which Kubernetes allows, must not hide what a sidecar adds). Limits grow at least as
      // much as requests, so pod-level requests stay within pod-level limits.
      const limitOf = (c: unknown) => {
        if (!limit || injected.has(c)) return containerAmount(c, resource, ['limits']);
        const amount = containerAmount(c, resource, ['limits'], limit.quantity.nanos);
        return smaller(amount, limit.quantity.nanos);
      };
      const addedToLimits = aggregate(after, limitOf) - aggregate(before, limitOf);
      const addedLimits = larger(addedToLimits, addedRequests);
      if (request && addedRequests > 0n) changes.push(grown('requests', resource, request, addedRequests));
      else if (limit && addedRequests > 0n) {
        // A request left out is defaulted by the API server: to the containers' total when one of
        // them requests the resource, else to the limit. A sidecar that requests it would flip
        // that (a pod with a 1-CPU limit would request only the sidecar's 50m), so the default
        // the pod had is written out, grown like an explicit request.
        const defaulted = DEFAULTED_FROM_CONTAINERS.has(resource) && requestsAny(before, resource);
        const had = defaulted ? aggregate(before, requestOf) : limit.quantity.nanos;
        const to = formatQuantity({ nanos: had + addedRequests, format: limit.quantity.format });
        changes.push({ field: 'requests', resource, from: undefined, to });
      }
      if (limit && addedLimits > 0n) changes.push(grown('limits', resource, limit, addedLimits));
    } catch (error) {
      if (!(error instanceof NotAQuantity)) throw error;
      warnings.push(warning(`pod-level ${resource} not grown for the sidecars: ${error.message}`));
    }
  }
  if (changes.length > 0) warnings.push(warning(`spec.resources grown for the sidecars: ${described(changes)}`));
  return { changes, warnings };
}

const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Resources whose pod-level request the API server defaults from the containers (overcommittable). */
const DEFAULTED_FROM_CONTAINERS = new Set(['cpu', 'memory']);

/** Whether a container requests `resource` (or limits it, which defaults its request). */
function requestsAny(containers: Containers, resource: string): boolean {
  return [...containers.init, ...containers.regular].some((c) => {
    const resources = isObject(c) && isObject(c.resources) ? c.resources : {};
    return (['requests', 'limits'] as const).some(
      (f) => isObject(resources[f]) && resources[f][resource] !== undefined,
    );
  });
}

/** The pod's container lists once the patch's container operations are applied, in their order. */
function containersAfter(
  before: Containers,
  patch: readonly AddOperation[],
): { after: Containers; injected: ReadonlySet<unknown> } {
  const init = [...before.init];
  const regular = [...before.regular];
  const injected = new Set<unknown>();
  for (const op of patch) {
    const match = /^\/spec\/(initContainers|containers)(?:\/(\d+|-))?$/.exec(op.path);
    if (!match) continue;
    const list = match[1] === 'initContainers' ? init : regular;
    const added = match[2] === undefined ? listOf(op.value) : [op.value];
    if (match[2] === undefined) list.length = 0;
    list.splice(match[2] === undefined || match[2] === '-' ? list.length : Number(match[2]), 0, ...added);
    for (const c of added) injected.add(c);
  }
  return { after: { init, regular }, injected };
}

/**
 * A resource summed over the containers that run together, as AggregateContainerRequests does:
 * regular containers and native sidecars for the pod's life; each classic init container with the
 * native sidecars before it; the pod needs the larger.
 */
function aggregate(containers: Containers, amount: (container: unknown) => bigint): bigint {
  let total = 0n;
  let sidecars = 0n;
  let initPeak = 0n;
  for (const c of containers.regular) total += amount(c);
  for (const c of containers.init) {
    const value = amount(c);
    const native = isObject(c) && c.restartPolicy === 'Always';
    if (native) {
      total += value;
      sidecars += value;
    }
    initPeak = larger(initPeak, native ? sidecars : sidecars + value);
  }
  return larger(total, initPeak);
}

// Math.max and Math.min take no BigInt.
function larger(a: bigint, b: bigint): bigint {
  if (a > b) return a;
  return b;
}

function smaller(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}

/**
 * A container's amount of `resource` from the first of `fields` that sets it (a request left out
 * is defaulted to the limit by the API server), else `unset`.
 */
function containerAmount(
  container: unknown,
  resource: string,
  fields: readonly ('requests' | 'limits')[],
  unset = 0n,
): bigint {
  const resources = isObject(container) && isObject(container.resources) ? container.resources : {};
  for (const field of fields) {
    const list = resources[field];
    if (!isObject(list) || list[resource] === undefined) continue;
    const quantity = parseQuantity(list[resource]);
    if (!quantity) throw new NotAQuantity(`${field} ${quote(String(list[resource]))} is not a quantity`);
    return quantity.nanos;
  }
  return unset;
}

interface PodLevelValue {
  readonly text: string;
  readonly quantity: Quantity;
}

function podLevel(value: unknown, resource: string): PodLevelValue | undefined {
  if (value === undefined) return undefined;
  const quantity = parseQuantity(value);
  if (!quantity) throw new NotAQuantity(`the pod's ${quote(String(value))} for ${resource} is not a quantity`);
  return { text: String(value), quantity };
}

function grown(field: 'requests' | 'limits', resource: string, from: PodLevelValue, added: bigint): PodResourceChange {
  const { nanos, format } = from.quantity;
  return { field, resource, from: from.text, to: formatQuantity({ nanos: nanos + added, format }) };
}

/** `requests cpu 600m memory 80Mi, limits memory 160Mi`: the new values, short enough for a warning. */
function described(changes: readonly PodResourceChange[]): string {
  return (['requests', 'limits'] as const)
    .map((field) => {
      const values = changes.filter((c) => c.field === field).map((c) => `${c.resource} ${c.to}`);
      return values.length > 0 ? `${field} ${values.join(' ')}` : '';
    })
    .filter((part) => part !== '')
    .join(', ');
}
