// A pod's workload: its controller, followed up one level where that controller is itself
// managed (a Deployment's ReplicaSet, a CronJob's Job), as `kubectl rollout` thinks of it.
import { type ApiClient, ApiError, METADATA_ONLY } from '../cluster/apiClient';
import type { Workload } from './report';

interface OwnerReference {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly controller?: boolean;
}

interface Metadata {
  readonly name?: string;
  readonly ownerReferences?: readonly OwnerReference[];
}

/** The controlling owner in an object's metadata, if it has one. */
export function controllerOf(
  metadata: Metadata | undefined,
): Required<Pick<OwnerReference, 'kind' | 'name'>> | undefined {
  const owner = metadata?.ownerReferences?.find((o) => o.controller === true);
  return owner?.kind && owner.name ? { kind: owner.kind, name: owner.name } : undefined;
}

/** Controllers that are themselves managed, and where to read their metadata. */
const MANAGED: Readonly<Record<string, (namespace: string, name: string) => string>> = {
  ReplicaSet: (ns, name) =>
    `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/replicasets/${encodeURIComponent(name)}`,
  Job: (ns, name) => `/apis/batch/v1/namespaces/${encodeURIComponent(ns)}/jobs/${encodeURIComponent(name)}`,
};

/**
 * Resolves pods' workloads, reading each ReplicaSet and Job once (metadata only). A ReplicaSet
 * or Job that is gone, or that may not be read, is the workload itself (with one warning).
 */
export class OwnerResolver {
  private readonly cache = new Map<string, Promise<Workload>>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly api: ApiClient,
    private readonly warn: (message: string) => void,
  ) {}

  workloadOf(namespace: string, pod: Metadata): Promise<Workload> {
    const owner = controllerOf(pod);
    if (!owner) return Promise.resolve({ kind: 'Pod', name: pod.name ?? '' });
    const path = MANAGED[owner.kind];
    if (!path) return Promise.resolve(owner);
    const key = `${namespace}/${owner.kind}/${owner.name}`;
    let found = this.cache.get(key);
    if (!found) {
      found = this.topOwner(path(namespace, owner.name), owner);
      this.cache.set(key, found);
    }
    return found;
  }

  private async topOwner(path: string, owner: Workload): Promise<Workload> {
    try {
      const object = await this.api.request<{ metadata?: Metadata }>('GET', path, { accept: METADATA_ONLY });
      return controllerOf(object.metadata) ?? owner;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return owner;
      if (error instanceof ApiError && error.status === 403) {
        if (!this.warned.has(owner.kind)) {
          this.warned.add(owner.kind);
          this.warn(`cannot read ${owner.kind}s (${error.message}); their pods are reported under the ${owner.kind}`);
        }
        return owner;
      }
      throw error;
    }
  }
}
