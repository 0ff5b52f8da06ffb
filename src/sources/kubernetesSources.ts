// The `cluster` source: SidecarTemplate and Namespace watches, and the server version that
// decides `mode: Auto`. Requests never wait on any of this; readiness does.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { clientNode } from '../cluster/clientNode';
import { parseServerVersion, type ServerVersion } from '../cluster/nativeSidecars';
import { type InformerLike, WatchedCollection } from '../cluster/watchedCollection';
import { backoffDelay } from '../shared/backoff';
import type { Catalog } from '../templates/catalog';
import { API_VERSION, GROUP, PLURAL, VERSION } from '../templates/sidecarTemplate';
import { ClusterTemplates, type TemplateProblem } from './clusterTemplates';
import type { SourceName, TemplateSource } from './templateSource';
import { WatchedNamespaceLabels } from './watchedNamespaceLabels';

export interface ClusterSourceOptions {
  readonly kubeConfig: KubeConfig;
  readonly catalog: Catalog<SourceName>;
  readonly logger: Logger;
  readonly onTemplateProblem: (problem: TemplateProblem) => void;
  readonly onWatchError?: (resource: string) => void;
  readonly resyncMs?: number;
}

type Lister = () => Promise<{ items: KubernetesObject[]; metadata?: { resourceVersion?: string } }>;

function informerFor(kc: KubeConfig, path: string, list: Lister): InformerLike<KubernetesObject> {
  return clientNode().makeInformer(kc, path, list as never);
}

/**
 * The Kubernetes template source. `start` resolves after the first list of SidecarTemplates and
 * Namespaces and the server version, which is what readiness waits for; after that requests are
 * answered from memory and the watches keep the catalog and labels current.
 */
export class KubernetesSources implements TemplateSource {
  readonly namespaceLabels = new WatchedNamespaceLabels();
  private version: ServerVersion | undefined;
  private stopped = false;
  private readonly watches: WatchedCollection<KubernetesObject>[];

  constructor(private readonly options: ClusterSourceOptions) {
    const { kubeConfig: kc, logger } = options;
    const templates = new ClusterTemplates(options.catalog, options.onTemplateProblem);
    const custom = kc.makeApiClient(clientNode().CustomObjectsApi);
    const core = kc.makeApiClient(clientNode().CoreV1Api);
    const watch = (
      resource: string,
      path: string,
      list: Lister,
      onChange: (objects: readonly KubernetesObject[]) => void,
    ) =>
      new WatchedCollection({
        informer: informerFor(kc, path, list),
        onChange,
        resyncMs: options.resyncMs,
        onError: (error, retryInMs) => {
          logger.warn({ resource, err: error, retryInMs }, `watch of ${resource} failed; retrying`);
          options.onWatchError?.(resource);
        },
      });
    this.watches = [
      watch(
        'sidecartemplates',
        `/apis/${API_VERSION}/${PLURAL}`,
        () => custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL }),
        (o) => templates.update(o),
      ),
      watch(
        'namespaces',
        '/api/v1/namespaces',
        () => core.listNamespace() as never,
        (o) => this.namespaceLabels.update(o),
      ),
    ];
  }

  serverVersion(): ServerVersion | undefined {
    return this.version;
  }

  async start(): Promise<void> {
    for (const w of this.watches) void w.start();
    await Promise.all([...this.watches.map((w) => w.ready), this.fetchVersion()]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.watches.map((w) => w.stop()));
  }

  private async fetchVersion(): Promise<void> {
    const { kubeConfig, logger } = this.options;
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const info = await kubeConfig.makeApiClient(clientNode().VersionApi).getCode();
        this.version = parseServerVersion(info.major, info.minor);
        logger.info({ gitVersion: info.gitVersion }, 'Kubernetes API server version');
        return;
      } catch (error) {
        const delay = backoffDelay(attempt);
        logger.warn({ err: error, retryInMs: delay }, 'could not read the API server version; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  }
}

export type { TemplateProblem };
