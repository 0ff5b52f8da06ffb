// `serve --drift-report on`: adds the pod watch behind sidecar_injector_pods to the sources serve
// chose. Loaded only when it is on, like the client it needs.
import type * as ApiClientModule from '../cluster/apiClient';
import { loadKubeConfig } from '../cluster/kubeconfig';
import type * as LivePodDriftModule from '../drift/livePodDrift';
import type { SourceContext, Sources } from '../sources/templateSource';
import type { ServeOptions } from './serveFlags';

export function withDriftReport(sources: Sources, options: ServeOptions, context: SourceContext): Sources {
  let kubeConfig: ReturnType<typeof loadKubeConfig>;
  try {
    kubeConfig = loadKubeConfig('on', { env: options.env, kubeconfigPath: options.kubeconfig });
  } catch (error) {
    throw new Error(`--drift-report on needs the Kubernetes API: ${(error as Error).message}`);
  }
  const { KubeApiClient } = require('../cluster/apiClient') as typeof ApiClientModule;
  const { LivePodDrift } = require('../drift/livePodDrift') as typeof LivePodDriftModule;
  const podStates = new LivePodDrift({
    api: new KubeApiClient(kubeConfig as NonNullable<typeof kubeConfig>),
    catalog: context.catalog,
    namespaceLabels: sources.namespaceLabels,
    ...(options.config.injectorNamespace !== undefined ? { injectorNamespace: options.config.injectorNamespace } : {}),
    log: context.logger,
    onWatchError: context.onWatchError,
  });
  context.logger.info('drift report on: watching pods (metadata only) for sidecar_injector_pods');
  return { ...sources, podStates };
}
