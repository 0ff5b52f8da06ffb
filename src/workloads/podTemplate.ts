// Where a workload keeps the pod it creates, so that `render` can inject into Deployments and
// CronJobs through the same code path as a Pod admission.
import { pointerOf } from '../injection/pointer';
import { isObject } from '../shared/objects';

interface WorkloadKind {
  readonly apiVersion: string;
  /** Path from the document to its pod template; empty for a Pod itself. */
  readonly path: readonly string[];
}

const KINDS: Readonly<Record<string, WorkloadKind>> = {
  Pod: { apiVersion: 'v1', path: [] },
  Deployment: { apiVersion: 'apps/v1', path: ['spec', 'template'] },
  StatefulSet: { apiVersion: 'apps/v1', path: ['spec', 'template'] },
  DaemonSet: { apiVersion: 'apps/v1', path: ['spec', 'template'] },
  ReplicaSet: { apiVersion: 'apps/v1', path: ['spec', 'template'] },
  Job: { apiVersion: 'batch/v1', path: ['spec', 'template'] },
  CronJob: { apiVersion: 'batch/v1', path: ['spec', 'jobTemplate', 'spec', 'template'] },
  ReplicationController: { apiVersion: 'v1', path: ['spec', 'template'] },
  // Argo Rollouts: a Deployment-like workload with its pod template in the same place.
  Rollout: { apiVersion: 'argoproj.io/v1alpha1', path: ['spec', 'template'] },
};

export const SUPPORTED_KINDS: readonly string[] = Object.keys(KINDS);

/** The apiVersion `render` injects a kind at, or undefined for a kind it does not inject. */
export function workloadApiVersion(kind: unknown): string | undefined {
  return typeof kind === 'string' && Object.hasOwn(KINDS, kind) ? KINDS[kind]?.apiVersion : undefined;
}

export interface PodTemplateLocation {
  readonly kind: string;
  /** `Deployment web`, for messages. */
  readonly label: string;
  /** JSON Pointer of the pod template in the document: `` for a Pod, `/spec/template`, ... */
  readonly pointer: string;
  /**
   * The pod template presented as a Pod. Its `metadata` and `spec` are the document's own
   * objects (not copies), so a patch against it addresses the same fields.
   */
  readonly pod: Record<string, unknown>;
}

type Obj = Record<string, unknown>;

export class UnsupportedWorkload extends Error {}

/** Finds the pod template of a Pod or workload document, or throws UnsupportedWorkload. */
export function locatePodTemplate(document: unknown): PodTemplateLocation {
  if (!isObject(document)) throw new UnsupportedWorkload('the document is not an object');
  const kind = typeof document.kind === 'string' ? document.kind : undefined;
  const label = workloadLabel(document);
  const known = kind !== undefined && Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
  if (!known) {
    throw new UnsupportedWorkload(
      `${label}: kind ${kind === undefined ? '(missing)' : JSON.stringify(kind)} has no pod template; supported kinds: ${SUPPORTED_KINDS.join(', ')}`,
    );
  }
  if (document.apiVersion !== known.apiVersion) {
    throw new UnsupportedWorkload(
      `${label}: apiVersion ${JSON.stringify(document.apiVersion)} is not supported for ${kind}; use ${known.apiVersion}`,
    );
  }
  let node: unknown = document;
  known.path.forEach((segment, i) => {
    node = (node as Obj)[segment];
    if (!isObject(node)) {
      throw new UnsupportedWorkload(`${label}: ${known.path.slice(0, i + 1).join('.')} is missing or not an object`);
    }
  });
  const template = node as Obj;
  const pod = known.path.length === 0 ? template : podOf(template);
  return { kind: kind as string, label, pointer: pointerOf(known.path), pod };
}

/** `Deployment web`: the kind and name (or generateName) of a document, for messages. */
export function workloadLabel(document: Obj): string {
  const metadata = isObject(document.metadata) ? document.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : (metadata.generateName ?? '<unnamed>');
  return `${typeof document.kind === 'string' ? document.kind : 'document'} ${name}`;
}

/** A PodTemplateSpec seen as a Pod; absent fields stay absent so the patch adds them whole. */
function podOf(template: Obj): Obj {
  const pod: Obj = { apiVersion: 'v1', kind: 'Pod' };
  if (template.metadata !== undefined) pod.metadata = template.metadata;
  if (template.spec !== undefined) pod.spec = template.spec;
  return pod;
}
