// AdmissionReview requests as the API server sends them.
import { randomUUID } from 'node:crypto';
import { applyPatch, type Operation } from 'fast-json-patch';

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  spec: Record<string, unknown>;
}

export function pod(overrides: Partial<Pod['metadata']> = {}, spec: Record<string, unknown> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', ...overrides },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...spec },
  };
}

export function review(object: unknown, request: Record<string, unknown> = {}) {
  const metadata = (object as Pod).metadata ?? {};
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      name: metadata.name ?? '',
      namespace: 'default',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
      ...request,
    },
  };
}

/** The JSON Patch of an answer. */
export function decodedPatch(response: { patch?: string }): unknown[] {
  return JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString('utf8'));
}

export interface PatchedPod {
  metadata: { annotations?: Record<string, string> };
  spec: { containers: Array<{ name: string }>; initContainers?: Array<{ name: string }> };
}

/** request.object with the answer's patch applied, as the API server would (strict). */
export function patchedPod(object: unknown, response: { patch?: string }): PatchedPod {
  return applyPatch(structuredClone(object), decodedPatch(response) as Operation[], true, false)
    .newDocument as PatchedPod;
}

export const containerNames = (p: PatchedPod) => p.spec.containers.map((c) => c.name);
