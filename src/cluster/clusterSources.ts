// Wires the Kubernetes sources: SidecarTemplate and Namespace watches, and the server version
// that decides `mode: Auto`. Requests never wait on any of this; readiness does.
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  makeInformer,
  VersionApi,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Catalog } from '../templates/catalog';
import { API_VERSION, GROUP, PLURAL, VERSION } from '../templates/sidecarTemplate';
import { ClusterTemplates, type TemplateProblem } from './clusterTemplates';
import { WatchedNamespaceLabels } from './namespaceInformer';
import { parseServerVersion, type ServerVersion } from './nativeSidecars';
import { type InformerLike, WatchedCollection } from './watchedCollection';

export interface ClusterSourceOptions {
  readonly kubeConfig: KubeConfig;
  readonly catalog: Catalog;
  readonly logger: Logger;
  readonly onTemplateProblem: (problem: TemplateProblem) => void;
  readonly onWatchError?: (resource: string) => void;
  readonly resyncMs?: number;
}

export interface ClusterSources {
  readonly namespaceLabels: WatchedNamespaceLabels;
  /** Resolves after the first list of both resources and the server version. */
  readonly ready: Promise<void>;
  readonly isReady: () => boolean;
  serverVersion(): ServerVersion | undefined;
  stop(): Promise<void>;
}

type Lister = () => Promise<{ items: KubernetesObject[]; metadata?: { resourceVersion?: string } }>;

function informerFor(kc: KubeConfig, path: string, list: Lister): InformerLike<KubernetesObject> {
  return makeInformer(kc, path, list as never);
}

export function startClusterSources(options: ClusterSourceOptions): ClusterSources {
  const { kubeConfig: kc, logger } = options;
  const templates = new ClusterTemplates(options.catalog, options.onTemplateProblem);
  const namespaceLabels = new WatchedNamespaceLabels();
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
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
        logger.warn({ resource, err: error, retryInMs }, 'watch failed; retrying');
        options.onWatchError?.(resource);
      },
    });
  const templateWatch = watch(
    'sidecartemplates',
    `/apis/${API_VERSION}/${PLURAL}`,
    () => custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL }),
    (o) => templates.update(o),
  );
  const namespaceWatch = watch(
    'namespaces',
    '/api/v1/namespaces',
    () => core.listNamespace() as never,
    (o) => namespaceLabels.update(o),
  );
  let version: ServerVersion | undefined;
  let stopped = false;

  const fetchVersion = async (): Promise<void> => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        const info = await kc.makeApiClient(VersionApi).getCode();
        version = parseServerVersion(info.major, info.minor);
        logger.info({ gitVersion: info.gitVersion }, 'Kubernetes API server version');
        return;
      } catch (error) {
        const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        logger.warn({ err: error, retryInMs: delay }, 'could not read the API server version; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  };

  void templateWatch.start();
  void namespaceWatch.start();
  const versionKnown = fetchVersion();
  const ready = Promise.all([templateWatch.ready, namespaceWatch.ready, versionKnown]).then(() => undefined);
  let isReady = false;
  void ready.then(() => {
    isReady = true;
  });
  return {
    namespaceLabels,
    ready,
    isReady: () => isReady,
    serverVersion: () => version,
    stop: async () => {
      stopped = true;
      await Promise.all([templateWatch.stop(), namespaceWatch.stop()]);
    },
  };
}

export type { TemplateProblem };
