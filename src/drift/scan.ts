// One pass of `drift` over the cluster: list the pods page by page, classify each with the
// core's classifyPod against the templates and namespace labels read at the start, and keep only
// the listed pods' states and workloads (a page of full pods is dropped once classified).
import type { ApiClient } from '../cluster/apiClient';
import { classifyPod, type TemplateDrift } from '../injection/drift';
import { listAll, loadCatalog, namespaceLabels, type Warn, webhookScope } from './clusterState';
import { OwnerResolver } from './owners';
import type { PodDriftRecord } from './report';

export interface ScanOptions {
  /** One namespace, or every namespace when undefined. */
  readonly namespace?: string;
  readonly templateDirs: readonly string[];
}

/**
 * Pods that are finished or being deleted run no sidecar that matters: left out, as a field
 * selector so that they do not even travel (the server's watch uses the same one).
 */
export const LIVE_PODS = 'status.phase!=Succeeded,status.phase!=Failed';

interface PodMetadata {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly deletionTimestamp?: string;
  readonly ownerReferences?: ReadonlyArray<{ kind?: string; name?: string; controller?: boolean }>;
}

interface PodObject {
  readonly metadata?: PodMetadata;
}

export async function scanDrift(api: ApiClient, options: ScanOptions, warn: Warn): Promise<PodDriftRecord[]> {
  const [catalog, namespaces, scope] = await Promise.all([
    loadCatalog(api, options.templateDirs, warn),
    namespaceLabels(api, options.namespace),
    webhookScope(api, warn),
  ]);
  const path =
    options.namespace === undefined
      ? '/api/v1/pods'
      : `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods`;
  const listed: Array<{ namespace: string; metadata: PodMetadata; templates: readonly TemplateDrift[] }> = [];
  for await (const pod of listAll<PodObject>(api, path, undefined, { fieldSelector: LIVE_PODS })) {
    const metadata = pod.metadata ?? {};
    const namespace = metadata.namespace ?? '';
    if (metadata.deletionTimestamp) continue;
    const labels = namespaces.get(namespace);
    // A namespace created after the list of namespaces: it is looked at on the next run.
    if (!labels || !scope.inScope(labels, metadata.labels ?? {})) continue;
    const drift = classifyPod(pod, { namespace, namespaceLabels: labels, specKnown: true }, catalog);
    if (drift.kind !== 'listed') continue;
    // Only what the owner lookup needs: the page it came in is then free to go.
    const { name, ownerReferences } = metadata;
    listed.push({ namespace, metadata: { name, ownerReferences }, templates: drift.templates });
  }
  const owners = new OwnerResolver(api, warn);
  return Promise.all(
    listed.map(async ({ namespace, metadata, templates }) => ({
      namespace,
      name: metadata.name ?? '',
      workload: await owners.workloadOf(namespace, metadata),
      templates,
    })),
  );
}
