// A checked, read-only view of the fields of a pod the injector reads. The pod arrives as raw
// JSON and is never copied into a typed model (that would drop fields newer than us).
import { MIRROR_POD_ANNOTATION } from '../annotations';

export interface ContainerView {
  readonly name: string;
  readonly ports: ReadonlyArray<{ port: number; protocol: string }>;
  readonly envNames: ReadonlySet<string>;
  readonly mountPaths: ReadonlySet<string>;
}

export interface PodView {
  /** `name` or, for controller-made pods, `generateName` followed by `*`. */
  readonly displayName: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly containers: readonly ContainerView[];
  readonly initContainers: readonly ContainerView[];
  readonly ephemeralContainerNames: readonly string[];
  readonly volumeNames: ReadonlySet<string>;
  readonly hostNetwork: boolean;
  readonly mirror: boolean;
  readonly ownerKinds: readonly string[];
}

export class MalformedPod extends Error {}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function object(value: unknown, field: string): Obj {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new MalformedPod(`${field} must be an object`);
  return value;
}

function list(value: unknown, field: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new MalformedPod(`${field} must be a list`);
  return value;
}

function stringMap(value: unknown, field: string): Record<string, string> {
  const map = object(value, field);
  for (const [key, v] of Object.entries(map)) {
    if (typeof v !== 'string') throw new MalformedPod(`${field}[${JSON.stringify(key).slice(0, 60)}] must be a string`);
  }
  return map as Record<string, string>;
}

/** A port as a number; anything but a number or a numeric string (an object, a list) is none. */
const portNumber = (value: unknown): number =>
  typeof value === 'number' || typeof value === 'string' ? Number(value) : Number.NaN;

function containerView(raw: unknown, field: string): ContainerView {
  const c = object(raw, field);
  if (typeof c.name !== 'string') throw new MalformedPod(`${field}.name must be a string`);
  const ports = list(c.ports, `${field}.ports`).map((p, i) => {
    const port = object(p, `${field}.ports[${i}]`);
    return {
      port: portNumber(port.containerPort),
      protocol: typeof port.protocol === 'string' ? port.protocol : 'TCP',
    };
  });
  const env = list(c.env, `${field}.env`).map((e, i) => object(e, `${field}.env[${i}]`).name);
  const mounts = list(c.volumeMounts, `${field}.volumeMounts`).map(
    (m, i) => object(m, `${field}.volumeMounts[${i}]`).mountPath,
  );
  return {
    name: c.name,
    ports,
    envNames: new Set(env.filter((n): n is string => typeof n === 'string')),
    mountPaths: new Set(mounts.filter((p): p is string => typeof p === 'string')),
  };
}

/** Throws MalformedPod, naming the field, when the pod is not shaped like a pod. */
export function viewPod(pod: unknown): PodView {
  const root = object(pod, 'pod');
  const metadata = object(root.metadata, 'metadata');
  const spec = object(root.spec, 'spec');
  const annotations = stringMap(metadata.annotations, 'metadata.annotations');
  const containers = list(spec.containers, 'spec.containers').map((c, i) => containerView(c, `spec.containers[${i}]`));
  const initContainers = list(spec.initContainers, 'spec.initContainers').map((c, i) =>
    containerView(c, `spec.initContainers[${i}]`),
  );
  const ephemeralContainerNames = list(spec.ephemeralContainers, 'spec.ephemeralContainers')
    .map((c, i) => object(c, `spec.ephemeralContainers[${i}]`).name)
    .filter((n): n is string => typeof n === 'string');
  const volumeNames = list(spec.volumes, 'spec.volumes').map((v, i) => object(v, `spec.volumes[${i}]`).name);
  const ownerKinds = list(metadata.ownerReferences, 'metadata.ownerReferences').map(
    (o, i) => object(o, `metadata.ownerReferences[${i}]`).kind,
  );
  const name = typeof metadata.name === 'string' && metadata.name ? metadata.name : undefined;
  const generateName = typeof metadata.generateName === 'string' ? metadata.generateName : '';
  return {
    displayName: name ?? `${generateName}*`,
    annotations,
    labels: stringMap(metadata.labels, 'metadata.labels'),
    containers,
    initContainers,
    ephemeralContainerNames,
    volumeNames: new Set(volumeNames.filter((n): n is string => typeof n === 'string')),
    hostNetwork: spec.hostNetwork === true,
    mirror: Object.hasOwn(annotations, MIRROR_POD_ANNOTATION),
    ownerKinds: ownerKinds.filter((k): k is string => typeof k === 'string'),
  };
}
