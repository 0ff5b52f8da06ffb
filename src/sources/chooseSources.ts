// Chooses the template and namespace-label sources for `serve`: template files always;
// SidecarTemplate and Namespace watches as well with a cluster to watch.
import type { KubeConfig } from '@kubernetes/client-node';
import { type KubernetesMode, loadKubeConfig } from '../cluster/kubeconfig';
import { FileTemplateSource } from './fileTemplateSource';
import type * as KubernetesSourcesModule from './kubernetesSources';
import { nameOnlyNamespaceLabels } from './namespaceLabels';
import type { SourceContext, Sources } from './templateSource';

export interface SourceOptions {
  readonly templateDirs: string[];
  readonly kubernetes: KubernetesMode;
  readonly kubeconfig?: string;
  /** The environment the kubeconfig is looked up in (KUBECONFIG, in-cluster variables). */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Chooses the template and namespace-label sources: template files always; SidecarTemplate and
 * Namespace watches as well for `--kubernetes on`, and for `auto` when a kubeconfig or in-cluster
 * configuration is found (cluster templates win name clashes, see SOURCE_PRECEDENCE).
 */
export function chooseSources(options: SourceOptions, context: SourceContext): Sources {
  // Throws when --kubernetes on finds no configuration: serve reports that and exits 1.
  const kubeConfig: KubeConfig | undefined = loadKubeConfig(options.kubernetes, {
    env: options.env,
    kubeconfigPath: options.kubeconfig,
  });
  const files = new FileTemplateSource({
    dirs: options.templateDirs,
    catalog: context.catalog,
    logger: context.logger,
    onError: () => context.onTemplateLoadError('files'),
  });
  if (!kubeConfig) {
    context.logger.info('not watching the Kubernetes API: file templates only, namespaces known by name only');
    return { templates: [files], namespaceLabels: nameOnlyNamespaceLabels };
  }
  // Loaded only with a cluster to watch, like the client it needs (see loadKubeConfig).
  const { KubernetesSources } = require('./kubernetesSources') as typeof KubernetesSourcesModule;
  const cluster = new KubernetesSources({
    kubeConfig,
    catalog: context.catalog,
    logger: context.logger,
    onTemplateProblem: (problem) => {
      context.logger.error(problem, `${problem.object} is invalid; keeping its last good version`);
      context.onTemplateLoadError('cluster');
    },
    onWatchError: context.onWatchError,
  });
  context.logger.info({ server: kubeConfig.getCurrentCluster()?.server }, 'watching SidecarTemplates and Namespaces');
  return {
    templates: [files, cluster],
    namespaceLabels: cluster.namespaceLabels,
    serverVersion: () => cluster.serverVersion(),
  };
}
