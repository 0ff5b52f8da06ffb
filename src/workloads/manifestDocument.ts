// The pod templates in one document of a manifest stream, for `render`: a Pod or a workload
// (podTemplate.ts), the items of a `kind: List`, or none. Every other document passes through
// unchanged; one that carries a pod template render does not inject (another kind, another
// apiVersion) is named, so that nobody believes it was injected.
import { pointerOf } from '../injection/pointer';
import { isObject } from '../shared/objects';
import { locatePodTemplate, type PodTemplateLocation, workloadApiVersion, workloadLabel } from './podTemplate';

export interface FoundPodTemplate extends PodTemplateLocation {
  /** The metadata.namespace of the object that holds the pod template (a List's item), if set. */
  readonly namespace: string | undefined;
}

export interface DocumentPodTemplates {
  /** Pod templates to inject into; pointers are from the document's root. */
  readonly locations: FoundPodTemplate[];
  /** `Kind name: why its pod template is not injected`, one per such pod template. */
  readonly notInjected: string[];
}

/** Throws UnsupportedWorkload for a workload whose pod template is not where its kind keeps it. */
export function podTemplatesOf(document: unknown): DocumentPodTemplates {
  const found: DocumentPodTemplates = { locations: [], notInjected: [] };
  collect(document, [], found);
  return found;
}

function collect(document: unknown, at: readonly (string | number)[], found: DocumentPodTemplates): void {
  if (!isObject(document)) return;
  const { kind, apiVersion } = document;
  if (kind === 'List' && Array.isArray(document.items)) {
    document.items.forEach((item, i) => {
      collect(item, [...at, 'items', i], found);
    });
    return;
  }
  const label = workloadLabel(document);
  const wanted = workloadApiVersion(kind);
  if (wanted !== undefined && apiVersion === wanted) {
    if (kind === 'Rollout' && isObject(document.spec) && document.spec.template === undefined) {
      if (document.spec.workloadRef !== undefined)
        found.notInjected.push(`${label}: its pods come from spec.workloadRef; render that workload instead`);
      return;
    }
    const location = locatePodTemplate(document);
    const metadata = isObject(document.metadata) ? document.metadata : {};
    const namespace =
      typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
    found.locations.push({ ...location, pointer: pointerOf(at) + location.pointer, namespace });
    return;
  }
  if (wanted !== undefined) {
    found.notInjected.push(
      `${label}: apiVersion ${JSON.stringify(apiVersion)} is not injected (render injects ${kind} ${wanted}); passed through unchanged`,
    );
  } else if (hasPodTemplate(document)) {
    found.notInjected.push(
      `${label}: has a pod template (spec.template), but render does not inject kind ${JSON.stringify(kind)}; passed through unchanged`,
    );
  }
}

function hasPodTemplate(document: Record<string, unknown>): boolean {
  const spec = document.spec;
  const template = isObject(spec) ? spec.template : undefined;
  return isObject(template) && isObject(template.spec) && Array.isArray(template.spec.containers);
}
