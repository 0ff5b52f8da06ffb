// What to do with one admission request. Requests the webhook has no business with (not a Pod
// CREATE, or a subresource) are let through before anything else is looked at, so that a
// misconfigured webhook rule can never block updates or deletes.
import { type InjectionResult, inject } from '../injection/inject';
import type { CatalogSnapshot } from '../templates/catalog';
import type { Labels } from '../templates/labelSelector';
import type { AdmissionRequest } from './review';

/** Where the labels of a pod's namespace come from (sources/namespaceLabels.ts has them). */
export interface NamespaceLabelSource {
  /** Answered from memory: never waits on the network. */
  labelsOf(namespace: string): Labels;
}

export interface AdmissionDeps {
  /**
   * The catalog as of now, or undefined until templates have loaded once; a request works on the
   * snapshot it started with.
   */
  readonly catalog: () => CatalogSnapshot | undefined;
  readonly namespaceLabels: NamespaceLabelSource;
  /** Whether `mode: Auto` templates become native sidecars. */
  readonly nativeSidecars: () => boolean;
  readonly injectorNamespace?: string;
}

/** The injection's result, or: no answer can be given yet (the HTTP layer says 503). */
export type Decision = InjectionResult | { readonly outcome: 'notReady'; readonly message: string };

export function decide(request: AdmissionRequest, deps: AdmissionDeps): Decision {
  const notOurs = notOurBusiness(request);
  if (notOurs) return { outcome: 'passthrough', reason: notOurs, warnings: [], selected: [] };
  // Never answer from a catalog that has not been loaded: a 503 lets failurePolicy decide.
  const catalog = deps.catalog();
  if (!catalog) return { outcome: 'notReady', message: 'templates are not loaded yet' };
  const namespace = request.namespace ?? '';
  return inject(
    request.object,
    {
      namespace,
      namespaceLabels: deps.namespaceLabels.labelsOf(namespace),
      nativeSidecars: deps.nativeSidecars(),
      ...(deps.injectorNamespace !== undefined ? { injectorNamespace: deps.injectorNamespace } : {}),
    },
    catalog,
  );
}

function notOurBusiness(request: AdmissionRequest): string | undefined {
  if (request.operation !== 'CREATE') return `operation ${request.operation ?? 'none'}`;
  if (request.subResource) return `subresource ${request.subResource}`;
  const kind = request.kind;
  if (kind?.group !== '' || kind.version !== 'v1' || kind.kind !== 'Pod') {
    return `kind ${[kind?.group, kind?.version, kind?.kind].filter(isText).join('/') || 'none'}`;
  }
  const resource = request.resource;
  if (resource !== undefined && (resource.group !== '' || resource.resource !== 'pods')) {
    return `resource ${isText(resource.resource) ? resource.resource : 'none'}`;
  }
  return undefined;
}

/** Only strings go into the reason: the fields are unchecked JSON (objects, deep lists). */
const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';
