// Pods as the tests write them and as the API server stores them.
import { randomBytes } from 'node:crypto';

export const INJECT = 'sidecar.injector.dev/inject';
export const STATUS = 'sidecar.injector.dev/status';

export interface Container {
  name: string;
  image?: string;
  restartPolicy?: string;
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  ports?: Array<{ containerPort: number }>;
}

export interface StoredPod {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: { containers: Container[]; initContainers?: Container[]; volumes?: Array<{ name: string }> };
}

export interface PodOptions {
  readonly namespace: string;
  readonly name?: string;
  readonly annotations?: Record<string, string>;
  readonly labels?: Record<string, string>;
  readonly containers?: Container[];
}

/** A unique name: pods cannot be recreated under the same name while the old one is stored. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export function podManifest(options: PodOptions): StoredPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name ?? uniqueName('pod'),
      namespace: options.namespace,
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: { containers: options.containers ?? [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
  };
}

/** Pod asking for templates by annotation. */
export function podNaming(namespace: string, templates: string, more: Partial<PodOptions> = {}): StoredPod {
  return podManifest({ namespace, ...more, annotations: { [INJECT]: templates, ...more.annotations } });
}

export const containerNames = (pod: StoredPod): string[] => pod.spec.containers.map((c) => c.name);
export const initContainerNames = (pod: StoredPod): string[] => (pod.spec.initContainers ?? []).map((c) => c.name);

/** Every container of the pod, init containers first. */
export const allContainers = (pod: StoredPod): Container[] => [
  ...(pod.spec.initContainers ?? []),
  ...pod.spec.containers,
];

export function container(pod: StoredPod, name: string): Container {
  const found = allContainers(pod).find((c) => c.name === name);
  if (!found) throw new Error(`pod ${pod.metadata.name} has no container ${name}: ${JSON.stringify(pod.spec)}`);
  return found;
}

/** Template names recorded in the status annotation, in order. */
export function injectedTemplates(pod: StoredPod): string[] {
  const status = pod.metadata.annotations?.[STATUS];
  if (!status) return [];
  return (JSON.parse(status) as { templates: Array<{ name: string }> }).templates.map((t) => t.name);
}
