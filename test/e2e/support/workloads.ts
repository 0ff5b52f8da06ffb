// Workloads as users write them, and the pods their controllers create, for tests on a cluster
// with controllers and kwok nodes (startControlPlane({ controllers: true, nodes })).
import type { AuditEvent } from './controlPlane';
import type { Kube } from './kube';
import type { Container } from './pods';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects as stored
export type KubeObject = Record<string, any>;

export interface PodTemplate {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  containers: Container[];
}

const podTemplate = (t: PodTemplate, restartPolicy?: 'OnFailure' | 'Never') => ({
  metadata: { labels: t.labels, ...(t.annotations ? { annotations: t.annotations } : {}) },
  spec: {
    containers: t.containers,
    terminationGracePeriodSeconds: 0,
    ...(restartPolicy ? { restartPolicy } : {}),
  },
});

const meta = (namespace: string, name: string) => ({ name, namespace });

export function deployment(namespace: string, name: string, replicas: number, t: PodTemplate): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(namespace, name),
    spec: { replicas, selector: { matchLabels: t.labels }, template: podTemplate(t) },
  };
}

export function statefulSet(namespace: string, name: string, replicas: number, t: PodTemplate): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(namespace, name),
    spec: { replicas, serviceName: name, selector: { matchLabels: t.labels }, template: podTemplate(t) },
  };
}

export function daemonSet(namespace: string, name: string, t: PodTemplate): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta(namespace, name),
    spec: { selector: { matchLabels: t.labels }, template: podTemplate(t) },
  };
}

export function job(namespace: string, name: string, completions: number, t: PodTemplate): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(namespace, name),
    spec: { completions, parallelism: completions, backoffLimit: 0, template: podTemplate(t, 'Never') },
  };
}

/** Every minute (cron's finest step): its first Job comes within a minute of creation. */
export function cronJob(namespace: string, name: string, t: PodTemplate): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta(namespace, name),
    spec: {
      schedule: '* * * * *',
      concurrencyPolicy: 'Forbid',
      jobTemplate: { spec: { completions: 1, backoffLimit: 0, template: podTemplate(t, 'Never') } },
    },
  };
}

/** The service account each controller creates pods as (kube-controller-manager --use-service-account-credentials). */
export const CREATOR_BY_OWNER_KIND: Readonly<Record<string, string>> = {
  ReplicaSet: 'system:serviceaccount:kube-system:replicaset-controller',
  StatefulSet: 'system:serviceaccount:kube-system:statefulset-controller',
  DaemonSet: 'system:serviceaccount:kube-system:daemon-set-controller',
  Job: 'system:serviceaccount:kube-system:job-controller',
};

export function ownerKind(pod: KubeObject): string | undefined {
  return (pod.metadata.ownerReferences as KubeObject[] | undefined)?.find((o) => o.controller)?.kind;
}

export async function podsIn(kube: Kube, namespace: string, selector?: string): Promise<KubeObject[]> {
  const args = [
    'get',
    'pods',
    '-n',
    namespace,
    '-o',
    'json',
    '--show-managed-fields',
    ...(selector ? ['-l', selector] : []),
  ];
  return JSON.parse(await kube.ok(args)).items as KubeObject[];
}

export const isReady = (pod: KubeObject): boolean =>
  pod.status?.phase === 'Running' &&
  (pod.status?.conditions as KubeObject[] | undefined)?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** The audit record of the creation of `pod` (by the stored name: a generateName pod's name comes with the response). */
export function creationOf(pod: KubeObject, audit: readonly AuditEvent[]): AuditEvent | undefined {
  return audit.find(
    (e) =>
      e.verb === 'create' && e.stage === 'ResponseComplete' && e.responseObject?.metadata?.uid === pod.metadata.uid,
  );
}

/**
 * The mutating webhooks that changed the request, as the API server records them in the audit
 * event's annotations (`mutation.webhook.admission.k8s.io/round_N_index_M`).
 */
export function mutatingWebhooks(event: AuditEvent): Array<{ configuration: string; webhook: string }> {
  return Object.entries(event.annotations ?? {})
    .filter(([key]) => key.startsWith('mutation.webhook.admission.k8s.io/'))
    .map(([, value]) => JSON.parse(value) as { configuration: string; webhook: string; mutated: boolean })
    .filter((m) => m.mutated);
}
