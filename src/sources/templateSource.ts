// What every template source is, which sources there are, and which wins a name clash.
import type { Logger } from 'pino';
import type { NamespaceLabelSource } from '../admission/decide';
import type { ServerVersion } from '../cluster/nativeSidecars';
import type { Catalog } from '../templates/catalog';

/** The catalog's sources: SidecarTemplate objects through the API, and `--templates-dir` files. */
export type SourceName = 'cluster' | 'files';

/** By precedence: a cluster template wins over a file of the same name. */
export const SOURCE_PRECEDENCE: readonly SourceName[] = ['cluster', 'files'];

/** A source of templates: `start` resolves after its first full load. */
export interface TemplateSource {
  start(): Promise<void>;
  stop(): void | Promise<void>;
}

/** Where templates and namespace labels come from, as `serve` chose them. */
export interface Sources {
  readonly templates: readonly TemplateSource[];
  readonly namespaceLabels: NamespaceLabelSource;
  /** The API server's version when known, for `--native-sidecars auto`. */
  readonly serverVersion?: () => ServerVersion | undefined;
  /** Stops whatever else the sources started (informers, clients). */
  readonly stop?: () => void | Promise<void>;
  /** Pods by template and drift state (`--drift-report on`), from a watch of their own. */
  readonly podStates?: PodStates;
}

/** One (template, state) count of the gauge sidecar_injector_pods. */
export interface PodStateCount {
  readonly template: string;
  readonly state: string;
  readonly pods: number;
}

/**
 * Live pods counted by template and drift state. Started once the templates are loaded, so that
 * its first counts use them; readiness never waits on it and admissions never touch it.
 */
export interface PodStates {
  start(): void;
  stop(): Promise<void>;
  counts(): readonly PodStateCount[];
}

/** What sources report to: the catalog they fill, the log, and problem counters. */
export interface SourceContext {
  readonly catalog: Catalog<SourceName>;
  readonly logger: Logger;
  readonly onTemplateLoadError: (source: SourceName) => void;
  readonly onWatchError: (resource: string) => void;
}
