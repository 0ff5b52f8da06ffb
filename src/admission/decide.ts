// What to do with one admission request. Requests the webhook has no business with (not a Pod
// CREATE, or a subresource) are let through before anything else is looked at, so that a
// misconfigured webhook rule can never block updates or deletes.
import type { NamespaceLabelSource } from '../cluster/namespaceLabels';
import { type InjectionResult, inject } from '../injection/inject';
import type { CatalogSnapshot } from '../templates/catalog';
import type { AdmissionRequest } from './review';

export interface AdmissionDeps {
  /** The catalog as of now; a request works on the snapshot it started with. */
  readonly catalog: () => CatalogSnapshot;
  readonly namespaceLabels: NamespaceLabelSource;
  /** Whether `mode: Auto` templates become native sidecars. */
  readonly nativeSidecars: () => boolean;
  readonly injectorNamespace?: string;
}

export function decide(request: AdmissionRequest, deps: AdmissionDeps): InjectionResult {
  const notOurs = notOurBusiness(request);
  if (notOurs) return { outcome: 'passthrough', reason: notOurs, warnings: [], selected: [] };
  const namespace = request.namespace ?? '';
  return inject(
    request.object,
    {
      namespace,
      namespaceLabels: deps.namespaceLabels.labelsOf(namespace),
      nativeSidecars: deps.nativeSidecars(),
      ...(deps.injectorNamespace !== undefined ? { injectorNamespace: deps.injectorNamespace } : {}),
    },
    deps.catalog(),
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
