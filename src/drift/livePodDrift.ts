// `serve --drift-report on`: every live pod's drift, kept current from a metadata-only watch and
// counted by template and state for the gauge sidecar_injector_pods. A pod is kept as its name,
// labels and our annotations (shared between the pods that have the same ones); the few whose
// state depends on their spec (a selected template they do not record: missing, skipped, or a
// hostNetwork pod) are fetched once and keep only what classification reads of the spec.
import { DOMAIN, MIRROR_POD_ANNOTATION } from '../annotations';
import { type ApiClient, ApiError, METADATA_LIST_ONLY, METADATA_ONLY } from '../cluster/apiClient';
import { ListWatch, type ListWatchHandler } from '../cluster/listWatch';
import { classifyPod, DRIFT_STATES, specForClassification } from '../injection/drift';
import type { PodStateCount, PodStates } from '../sources/templateSource';
import type { CatalogSnapshot } from '../templates/catalog';
import type { Labels } from '../templates/labelSelector';
import { Interner } from './interner';
import { LIVE_PODS } from './scan';
import { defaultScope, scopeOf, type WebhookScope } from './webhookScope';

type Obj = Record<string, unknown>;

export interface LivePodDriftOptions {
  readonly api: ApiClient;
  readonly catalog: { snapshot(): CatalogSnapshot; onChange(listener: () => void): void };
  readonly namespaceLabels: { labelsOf(namespace: string): Labels };
  readonly injectorNamespace?: string;
  readonly log: {
    warn(details: Obj, message: string): void;
    info(details: Obj, message: string): void;
  };
  readonly onWatchError: (resource: string) => void;
  /** How often namespace labels are compared and failed spec reads retried. */
  readonly recheckMs?: number;
  /** How long changes to the templates or the scope are gathered before every pod is classified again. */
  readonly reclassifyDelayMs?: number;
}

interface PodEntry {
  readonly namespace: string;
  readonly name: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** What classification reads of the spec, once fetched. */
  spec?: Obj;
  /** `template\tstate` of each listed template, shared between pods in the same states. */
  states: readonly string[];
}

const NO_STATES: readonly string[] = Object.freeze([]);
const SPEC_READS_AT_ONCE = 4;
const POD_PAGE_SIZE = 100;
const RECLASSIFY_DELAY_MS = 200;
const WEBHOOKS = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';

/** The annotations classification reads: ours (inject, exclude, status, parameters) and the mirror mark. */
function relevantAnnotations(annotations: unknown): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries((annotations ?? {}) as Record<string, string>)) {
    if (key.startsWith(`${DOMAIN}/`) || key.includes(`.${DOMAIN}/`) || key === MIRROR_POD_ANNOTATION) kept[key] = value;
  }
  return kept;
}

export class LivePodDrift implements PodStates {
  private readonly pods = new Map<string, PodEntry>();
  /** `template\tstate` → pods. */
  private readonly podsByState = new Map<string, number>();
  private readonly maps = new Interner<Readonly<Record<string, string>>>();
  private readonly stateLists = new Interner<readonly string[]>();
  private readonly strings = new Map<string, string>();
  private scope: WebhookScope | undefined;
  private listing: Set<string> | undefined;
  private readonly specWanted = new Set<string>();
  private readonly specReading = new Set<string>();
  private namespaceLabelText = new Map<string, string>();
  private reclassifyTimer: NodeJS.Timeout | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly podWatch: ListWatch;
  private readonly webhookWatch: ListWatch;
  private readonly webhookConfigurations = new Map<string, unknown>();

  constructor(private readonly options: LivePodDriftOptions) {
    const retrying = (resource: string) => (error: unknown, retryInMs: number) => {
      options.log.warn({ resource, err: error, retryInMs }, `drift report: watch of ${resource} failed; retrying`);
      options.onWatchError(resource);
    };
    this.podWatch = new ListWatch({
      api: options.api,
      path: '/api/v1/pods',
      query: { fieldSelector: LIVE_PODS },
      listAccept: METADATA_LIST_ONLY,
      watchAccept: METADATA_ONLY,
      // Small pages: each is parsed whole, and the heap V8 grows to hold one stays committed.
      pageSize: POD_PAGE_SIZE,
      handler: this.podHandler(),
      onError: retrying('pods'),
    });
    this.webhookWatch = new ListWatch({
      api: options.api,
      path: WEBHOOKS,
      handler: this.webhookHandler(),
      onError: (error, retryInMs) => {
        if (error instanceof ApiError && error.status === 403 && !this.scope) {
          this.scope = defaultScope(`cannot read MutatingWebhookConfigurations (${error.message})`);
          options.log.warn({}, `drift report: ${this.scope.description}`);
          this.podWatch.start();
        }
        retrying('mutatingwebhookconfigurations')(error, retryInMs);
      },
    });
  }

  /** Starts the watches; pods are classified once the webhook's scope is known. */
  start(): void {
    if (this.stopped) return;
    this.options.catalog.onChange(() => this.reclassifySoon());
    this.webhookWatch.start();
    const recheck = () => {
      this.recheckNamespaces();
      for (const key of this.specWanted) this.readSpec(key);
      this.recheckTimer = setTimeout(recheck, this.options.recheckMs ?? 5000);
      this.recheckTimer.unref();
    };
    recheck();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reclassifyTimer);
    clearTimeout(this.recheckTimer);
    await Promise.all([this.podWatch.stop(), this.webhookWatch.stop()]);
  }

  /** Every template in the catalog with all five states (0 included), and whatever pods record. */
  counts(): PodStateCount[] {
    const all = new Map<string, number>();
    for (const name of this.options.catalog.snapshot().templates.keys())
      for (const state of DRIFT_STATES) all.set(`${name}\t${state}`, 0);
    for (const [key, pods] of this.podsByState) all.set(key, pods);
    return [...all].map(([key, pods]) => {
      const [template, state] = key.split('\t') as [string, string];
      return { template, state, pods };
    });
  }

  /** Pods held, for tests and the memory benchmark. */
  get size(): number {
    return this.pods.size;
  }

  private webhookHandler(): ListWatchHandler {
    const changed = () => {
      const first = this.scope === undefined;
      this.scope = scopeOf([...this.webhookConfigurations.values()]);
      if (first) {
        if (!this.scope.fromCluster) this.options.log.warn({}, `drift report: ${this.scope.description}`);
        this.podWatch.start();
      } else this.reclassifySoon();
    };
    let listed: Map<string, unknown> | undefined;
    return {
      listStart: () => {
        listed = new Map();
      },
      listItem: (o) => listed?.set(nameOf(o), o),
      listEnd: () => {
        this.webhookConfigurations.clear();
        for (const [name, o] of listed ?? []) this.webhookConfigurations.set(name, o);
        listed = undefined;
        changed();
      },
      event: (type, o) => {
        if (type === 'DELETED') this.webhookConfigurations.delete(nameOf(o));
        else this.webhookConfigurations.set(nameOf(o), o);
        changed();
      },
    };
  }

  private podHandler(): ListWatchHandler {
    return {
      listStart: () => {
        this.listing = new Set();
      },
      listItem: (o) => {
        const key = this.upsert(o);
        if (key) this.listing?.add(key);
      },
      listEnd: () => {
        const listed = this.listing ?? new Set();
        this.listing = undefined;
        for (const key of [...this.pods.keys()]) if (!listed.has(key)) this.remove(key);
        this.options.log.info({ pods: this.pods.size }, 'drift report: pods listed');
      },
      event: (type, o) => {
        if (type === 'DELETED') this.remove(keyOf(o));
        else this.upsert(o);
      },
    };
  }

  /** Adds or updates a pod from its metadata; returns its key unless it is being deleted. */
  private upsert(object: Obj): string | undefined {
    const metadata = (object.metadata ?? {}) as Obj;
    const key = keyOf(object);
    if (metadata.deletionTimestamp) {
      this.remove(key);
      return undefined;
    }
    const labels = this.maps.take((metadata.labels ?? {}) as Record<string, string>);
    const annotations = this.maps.take(relevantAnnotations(metadata.annotations));
    let entry = this.pods.get(key);
    if (entry) {
      this.maps.release(entry.labels);
      this.maps.release(entry.annotations);
      const unchanged = entry.labels === labels && entry.annotations === annotations;
      entry.labels = labels;
      entry.annotations = annotations;
      if (unchanged) return key;
    } else {
      const namespace = this.intern(String(metadata.namespace ?? ''));
      entry = { namespace, name: String(metadata.name ?? ''), labels, annotations, states: NO_STATES };
      this.pods.set(key, entry);
    }
    this.classify(key, entry);
    return key;
  }

  private remove(key: string): void {
    const entry = this.pods.get(key);
    if (!entry) return;
    this.setStates(entry, NO_STATES);
    this.maps.release(entry.labels);
    this.maps.release(entry.annotations);
    this.pods.delete(key);
    this.specWanted.delete(key);
  }

  private classify(key: string, entry: PodEntry): void {
    const scope = this.scope;
    if (!scope) return;
    const namespaceLabels = this.options.namespaceLabels.labelsOf(entry.namespace);
    if (!scope.inScope(namespaceLabels, entry.labels)) {
      this.setStates(entry, NO_STATES);
      return;
    }
    const pod = {
      metadata: { name: entry.name, namespace: entry.namespace, labels: entry.labels, annotations: entry.annotations },
      ...(entry.spec ? { spec: entry.spec } : {}),
    };
    const drift = classifyPod(
      pod,
      {
        namespace: entry.namespace,
        namespaceLabels,
        specKnown: entry.spec !== undefined,
        ...(this.options.injectorNamespace !== undefined ? { injectorNamespace: this.options.injectorNamespace } : {}),
      },
      this.options.catalog.snapshot(),
    );
    if (drift.kind === 'needsSpec') {
      // Counted once its spec is in; until then it keeps what it had.
      this.specWanted.add(key);
      this.readSpec(key);
      return;
    }
    const states = drift.kind === 'listed' ? drift.templates.map((t) => `${t.template}\t${t.state}`) : NO_STATES;
    this.setStates(entry, states);
  }

  private setStates(entry: PodEntry, states: readonly string[]): void {
    const next = states.length === 0 ? NO_STATES : this.stateLists.take(states);
    if (next === entry.states) {
      if (next !== NO_STATES) this.stateLists.release(next);
      return;
    }
    for (const key of entry.states) this.podsByState.set(key, (this.podsByState.get(key) ?? 0) - 1);
    for (const key of next) this.podsByState.set(key, (this.podsByState.get(key) ?? 0) + 1);
    for (const key of entry.states) if (this.podsByState.get(key) === 0) this.podsByState.delete(key);
    if (entry.states !== NO_STATES) this.stateLists.release(entry.states);
    entry.states = next;
  }

  /** Reads a pod's spec (a few at a time); failures are retried on the next recheck. */
  private readSpec(key: string): void {
    if (this.stopped || this.specReading.has(key) || this.specReading.size >= SPEC_READS_AT_ONCE) return;
    const entry = this.pods.get(key);
    if (!entry) return;
    this.specReading.add(key);
    const path = `/api/v1/namespaces/${encodeURIComponent(entry.namespace)}/pods/${encodeURIComponent(entry.name)}`;
    this.options.api
      .request<Obj>('GET', path)
      .then(
        (pod) => {
          if (this.pods.get(key) !== entry) return;
          entry.spec = specForClassification(pod.spec);
          this.specWanted.delete(key);
          this.classify(key, entry);
        },
        (error) => {
          if (error instanceof ApiError && error.status === 404) return;
          this.options.log.warn({ err: error, pod: key }, 'drift report: cannot read a pod; retrying later');
        },
      )
      .finally(() => {
        this.specReading.delete(key);
        // The next waiting pod, if any.
        for (const waiting of this.specWanted) {
          if (this.specReading.size >= SPEC_READS_AT_ONCE) break;
          if (!this.specReading.has(waiting)) this.readSpec(waiting);
        }
      });
  }

  private reclassifySoon(): void {
    if (this.reclassifyTimer || this.stopped) return;
    this.reclassifyTimer = setTimeout(() => {
      this.reclassifyTimer = undefined;
      for (const [key, entry] of this.pods) this.classify(key, entry);
    }, this.options.reclassifyDelayMs ?? RECLASSIFY_DELAY_MS);
    this.reclassifyTimer.unref();
  }

  /** Namespace labels change without telling: compare them now and then, per namespace. */
  private recheckNamespaces(): void {
    const now = new Map<string, string>();
    for (const entry of this.pods.values()) {
      if (!now.has(entry.namespace))
        now.set(entry.namespace, JSON.stringify(this.options.namespaceLabels.labelsOf(entry.namespace)));
    }
    const changed = new Set<string>();
    // A namespace seen for the first time is recounted too: its labels may have changed between
    // its pods' classification and now.
    for (const [namespace, text] of now) if (this.namespaceLabelText.get(namespace) !== text) changed.add(namespace);
    this.namespaceLabelText = now;
    if (changed.size === 0) return;
    for (const [key, entry] of this.pods) if (changed.has(entry.namespace)) this.classify(key, entry);
  }

  private intern(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    this.strings.set(text, text);
    return text;
  }
}

const nameOf = (o: Obj) => String((o.metadata as Obj | undefined)?.name ?? '');
const keyOf = (o: Obj) => {
  const metadata = (o.metadata ?? {}) as Obj;
  return `${String(metadata.namespace ?? '')}/${String(metadata.name ?? '')}`;
};
