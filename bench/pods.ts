// AdmissionReviews of realistic pods, built deterministically to a target size: a ReplicaSet's
// pod with labels, annotations, several containers with env vars, probes and mounts, and the
// managedFields bulk the API server adds (one `k:{"name":...}` entry per env var, as it does).
import { INJECT_ANNOTATION } from '../src/annotations';

/** The bench templates (copies of deploy/templates) a pod asks for, with their required parameters. */
export const ONE_TEMPLATE = ['log-shipper'];
export const FIVE_TEMPLATES = ['log-shipper', 'metrics-exporter', 'proxy', 'tls-terminator', 'config-reloader'];

const PARAMETER_ANNOTATIONS: Readonly<Record<string, Record<string, string>>> = {
  'log-shipper': { 'log-shipper.sidecar.injector.dev/log-path': '/var/log/checkout' },
  'config-reloader': { 'config-reloader.sidecar.injector.dev/config-map': 'checkout-config' },
  'tls-terminator': { 'tls-terminator.sidecar.injector.dev/secret-name': 'checkout-tls' },
};

export interface PodShape {
  /** Templates named in the inject annotation. */
  readonly templates: readonly string[];
  /** The app's containers (the first is `app`); at least 1. */
  readonly containers: number;
  /** Env vars of each container (beyond the few every container has). */
  readonly envPerContainer: number;
  /** A padding annotation that brings the review to an exact size. */
  readonly padding?: number;
  /** Small pods leave out probes, security contexts, affinity and most of managedFields. */
  readonly compact?: boolean;
}

type Obj = Record<string, unknown>;

const CONTAINER_NAMES = ['app', 'worker', 'cache-warmer', 'grpc-gateway', 'event-relay', 'audit-forwarder'];

function containerName(i: number): string {
  return CONTAINER_NAMES[i] ?? `helper-${i}`;
}

function envName(container: number, i: number): string {
  return `CHECKOUT_${container}_SETTING_${String(i).padStart(4, '0')}`;
}

function container(index: number, envCount: number, compact: boolean): Obj {
  const name = containerName(index);
  const env: Obj[] = compact
    ? []
    : [
        { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
        { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'checkout-db', key: 'password' } } },
      ];
  for (let i = 0; i < envCount; i++) env.push({ name: envName(index, i), value: `value-${i}-${'x'.repeat(i % 17)}` });
  if (compact) {
    return {
      name,
      image: `registry.example.com/shop/${name}:v2.41.${index}`,
      ports: [{ name: `http-${index}`, containerPort: 8080 + index, protocol: 'TCP' }],
      env,
      resources: { requests: { cpu: '100m', memory: '128Mi' } },
      volumeMounts: [
        { name: 'kube-api-access-7xk2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
      ],
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'IfNotPresent',
    };
  }
  return {
    name,
    image: `registry.example.com/shop/${name}:v2.41.${index}@sha256:${'0123456789abcdef'.repeat(4)}`,
    imagePullPolicy: 'IfNotPresent',
    args: ['--config=/etc/checkout/config.yaml', `--listen=:${8080 + index}`, '--log-format=json'],
    ports: [
      { name: `http-${index}`, containerPort: 8080 + index, protocol: 'TCP' },
      { name: `grpc-${index}`, containerPort: 7070 + index, protocol: 'TCP' },
    ],
    env,
    envFrom: [{ configMapRef: { name: 'checkout-env' } }],
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    livenessProbe: {
      httpGet: { path: '/healthz', port: 8080 + index, scheme: 'HTTP' },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    },
    readinessProbe: {
      httpGet: { path: '/readyz', port: 8080 + index, scheme: 'HTTP' },
      periodSeconds: 5,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/checkout', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'kube-api-access-7xk2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ],
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10001,
      capabilities: { drop: ['ALL'] },
    },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
}

/** The managedFields entry of the ReplicaSet controller: every field of the spec, as the API server records it. */
function managedFields(containers: Obj[], compact: boolean): Obj[] {
  const leaf = {};
  const containerFields: Obj = {};
  for (const c of containers) {
    const env: Obj = { '.': leaf };
    for (const e of c.env as Obj[]) {
      env[`k:{"name":"${e.name}"}`] = {
        '.': leaf,
        'f:name': leaf,
        [e.value !== undefined ? 'f:value' : 'f:valueFrom']: leaf,
      };
    }
    const ports: Obj = { '.': leaf };
    for (const p of c.ports as Obj[]) {
      ports[`k:{"containerPort":${p.containerPort},"protocol":"TCP"}`] = {
        '.': leaf,
        'f:containerPort': leaf,
        'f:name': leaf,
        'f:protocol': leaf,
      };
    }
    containerFields[`k:{"name":"${c.name}"}`] = {
      '.': leaf,
      'f:args': leaf,
      'f:env': env,
      'f:envFrom': leaf,
      'f:image': leaf,
      'f:imagePullPolicy': leaf,
      'f:livenessProbe': { '.': leaf, 'f:httpGet': { '.': leaf, 'f:path': leaf, 'f:port': leaf, 'f:scheme': leaf } },
      'f:name': leaf,
      'f:ports': ports,
      'f:readinessProbe': { '.': leaf, 'f:httpGet': { '.': leaf, 'f:path': leaf, 'f:port': leaf, 'f:scheme': leaf } },
      'f:resources': { '.': leaf, 'f:limits': { '.': leaf, 'f:cpu': leaf, 'f:memory': leaf } },
      'f:securityContext': { '.': leaf, 'f:capabilities': leaf, 'f:runAsUser': leaf },
      'f:volumeMounts': { '.': leaf, 'k:{"mountPath":"/etc/checkout"}': { '.': leaf, 'f:mountPath': leaf } },
    };
  }
  return [
    {
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'v1',
      time: '2025-06-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': {
          'f:annotations': { '.': leaf },
          'f:generateName': leaf,
          'f:labels': { '.': leaf, 'f:app': leaf, 'f:pod-template-hash': leaf },
          'f:ownerReferences': { '.': leaf, 'k:{"uid":"5f0c2a9e-3b7d-4c1e-9a8f-2d6b4e1c7a90"}': leaf },
        },
        ...(compact
          ? {}
          : {
              'f:spec': {
                'f:containers': containerFields,
                'f:volumes': { '.': leaf, 'k:{"name":"config"}': { '.': leaf, 'f:configMap': leaf, 'f:name': leaf } },
              },
            }),
      },
    },
  ];
}

const FULL_SPEC_EXTRAS = {
  securityContext: { fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
  affinity: {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            labelSelector: { matchLabels: { app: 'checkout' } },
            topologyKey: 'kubernetes.io/hostname',
          },
        },
      ],
    },
  },
};

export function buildPod(shape: PodShape): Obj {
  const compact = shape.compact === true;
  const containers = Array.from({ length: Math.max(1, shape.containers) }, (_, i) =>
    container(i, shape.envPerContainer, compact),
  );
  const annotations: Record<string, string> = {
    [INJECT_ANNOTATION]: shape.templates.join(','),
    ...(compact
      ? {}
      : {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': '8080',
          'kubectl.kubernetes.io/restartedAt': '2025-06-01T09:58:12Z',
          'checksum/config': 'c1f0e6a29b3d4f7e8a5c6b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f',
        }),
  };
  for (const name of shape.templates) Object.assign(annotations, PARAMETER_ANNOTATIONS[name]);
  if (shape.padding) annotations['bench.example.com/notes'] = 'n'.repeat(shape.padding);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'checkout-7d9f8b6c5d-',
      namespace: 'shop',
      labels: {
        app: 'checkout',
        'app.kubernetes.io/name': 'checkout',
        'app.kubernetes.io/part-of': 'shop',
        'app.kubernetes.io/version': '2.41.0',
        'pod-template-hash': '7d9f8b6c5d',
        team: 'payments',
        tier: 'backend',
      },
      annotations,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'checkout-7d9f8b6c5d',
          uid: '5f0c2a9e-3b7d-4c1e-9a8f-2d6b4e1c7a90',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: managedFields(containers, compact),
    },
    spec: {
      volumes: [
        ...(compact
          ? []
          : [
              { name: 'config', configMap: { name: 'checkout-config', defaultMode: 420 } },
              { name: 'tmp', emptyDir: {} },
            ]),
        {
          name: 'kube-api-access-7xk2p',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              {
                downwardAPI: {
                  items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
                },
              },
            ],
          },
        },
      ],
      containers,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'checkout',
      serviceAccount: 'checkout',
      ...(compact ? {} : FULL_SPEC_EXTRAS),
      schedulerName: 'default-scheduler',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
  };
}

/** The review the API server sends for a controller's pod CREATE (no name: generateName). */
export function admissionReview(pod: Obj, uid = '4b7f2c1e-9d3a-4e8b-a6c5-0f1e2d3c4b5a'): Obj {
  const kind = { group: '', version: 'v1', kind: 'Pod' };
  const resource = { group: '', version: 'v1', resource: 'pods' };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind,
      resource,
      requestKind: kind,
      requestResource: resource,
      name: '',
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        uid: '0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
}

const reviewBytes = (shape: PodShape) => Buffer.byteLength(JSON.stringify(admissionReview(buildPod(shape))));

/**
 * The shape whose review is exactly `targetBytes`: containers grow with the size (2 at 3 KB, up
 * to 6 at 100 KB), then env vars are added while the review still fits, then a padding annotation.
 */
export function shapeForSize(targetBytes: number, templates: readonly string[]): PodShape {
  const containers = targetBytes < 5_000 ? 1 : targetBytes < 15_000 ? 2 : targetBytes < 50_000 ? 3 : 6;
  let shape: PodShape = { templates, containers, envPerContainer: 0, compact: targetBytes < 5_000 };
  // "About" the size: the five-template pod's longer annotations may take the smallest pod a little over.
  if (reviewBytes(shape) > targetBytes * 1.1) throw new Error(`the smallest pod is bigger than ${targetBytes} bytes`);
  while (reviewBytes({ ...shape, envPerContainer: shape.envPerContainer + 1 }) <= targetBytes) {
    shape = { ...shape, envPerContainer: shape.envPerContainer + 1 };
  }
  // The padding annotation's key and quotes cost bytes too; fill what remains exactly.
  const overhead = reviewBytes({ ...shape, padding: 1 }) - 1;
  const rest = targetBytes - overhead;
  return rest > 0 ? { ...shape, padding: rest } : shape;
}

export interface Workload {
  readonly id: string;
  readonly label: string;
  readonly templates: readonly string[];
  readonly body: Buffer;
}

function workload(id: string, label: string, templates: readonly string[], pod: Obj): Workload {
  return { id, label, templates, body: Buffer.from(JSON.stringify(admissionReview(pod))) };
}

export function sizedWorkload(kib: number, templates: readonly string[]): Workload {
  const id = `${kib}k-${templates.length}t`;
  return workload(id, `${kib} KB, ${templates.length} tpl`, templates, buildPod(shapeForSize(kib * 1024, templates)));
}

/** One app container with 1,500 env vars (and their managedFields entries), one template. */
export function manyEnvWorkload(envVars = 1500): Workload {
  return workload(
    `env${envVars}`,
    `${envVars.toLocaleString('en-US')} env vars, 1 tpl`,
    ONE_TEMPLATE,
    buildPod({ templates: ONE_TEMPLATE, containers: 1, envPerContainer: envVars - 3 }),
  );
}

export const SIZES_KIB = [3, 10, 20, 100] as const;

export function standardWorkloads(): Workload[] {
  const sized = SIZES_KIB.flatMap((kib) => [sizedWorkload(kib, ONE_TEMPLATE), sizedWorkload(kib, FIVE_TEMPLATES)]);
  return [...sized, manyEnvWorkload()];
}
