// A checked, read-only view of the fields of a pod the injector reads. The pod arrives as raw
// JSON and is never copied into a typed model (that would drop fields newer than us).
import { MIRROR_POD_ANNOTATION } from '../annotations';
import { isObject } from '../shared/objects';

export interface ContainerView {
  readonly name: string;
  /** The container-level restartPolicy; only `Always` makes an init container a native sidecar. */
  readonly restartPolicy: string | undefined;
  readonly ports: ReadonlyArray<{ port: number; protocol: string }>;
  readonly envNames: NameLookup;
  readonly mountPaths: ReadonlySet<string>;
}

export interface PodView {
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

/** Throws unless every item is an object (or null); the field name is built only for an error. */
function objects(items: unknown[], field: string): unknown[] {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item !== undefined && item !== null && !isObject(item))
      throw new MalformedPod(`${field}[${i}] must be an object`);
  }
  return items;
}

/** The string `key` of each object in a checked list (mount paths); items without one are skipped. */
function stringsOf(items: unknown[], key: string): Set<string> {
  const found = new Set<string>();
  for (const item of items) {
    const value = isObject(item) ? item[key] : undefined;
    if (typeof value === 'string') found.add(value);
  }
  return found;
}

export interface NameLookup {
  has(name: string): boolean;
}

/**
 * The `key` strings of a checked list of objects, looked up where they are. A container may carry
 * thousands of env vars while a template asks about one or two, so the list is scanned at first
 * and indexed only once it is asked often.
 */
class ListedNames implements NameLookup {
  private index: Set<string> | undefined;
  private lookups = 0;

  constructor(
    private readonly items: readonly unknown[],
    private readonly key: string,
  ) {}

  has(name: string): boolean {
    if (!this.index && ++this.lookups > 8) this.index = stringsOf(this.items as unknown[], this.key);
    if (this.index) return this.index.has(name);
    for (const item of this.items) if (isObject(item) && item[this.key] === name) return true;
    return false;
  }
}

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
  return {
    name: c.name,
    restartPolicy: typeof c.restartPolicy === 'string' ? c.restartPolicy : undefined,
    ports,
    envNames: new ListedNames(objects(list(c.env, `${field}.env`), `${field}.env`), 'name'),
    mountPaths: stringsOf(objects(list(c.volumeMounts, `${field}.volumeMounts`), `${field}.volumeMounts`), 'mountPath'),
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
  return {
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
