// fast-check generators of AdmissionReview bodies, as text (exactly the bytes sent): realistic
// reviews of pods that ask for the library's templates, then broken on purpose: wrong types in
// any field of the envelope or the pod, hostile annotation keys and values, huge strings, deep
// nesting, truncation, random JSON and random bytes.
import fc from 'fast-check';
import { EXCLUDE_ANNOTATION, INJECT_ANNOTATION, STATUS_ANNOTATION } from '../../../src/annotations';
import { INJECTOR_NAMESPACE, type Library } from './apps';

// ---------------------------------------------------------------------------------------------
// Deep nesting cannot go through JSON.stringify (it recurses), so a marker string stands in for
// it in the generated object and is replaced in the text.
export const NESTING_DEPTH = 10_000;
const DEEP_ARRAY = '\u0001deep-array\u0001';
const DEEP_OBJECT = '\u0001deep-object\u0001';
const NESTED: Record<string, string> = {
  [JSON.stringify(DEEP_ARRAY)]: `${'['.repeat(NESTING_DEPTH)}1${']'.repeat(NESTING_DEPTH)}`,
  [JSON.stringify(DEEP_OBJECT)]: `${'{"a":'.repeat(NESTING_DEPTH)}1${'}'.repeat(NESTING_DEPTH)}`,
};
const MARKER = /"\\u0001deep-(?:array|object)\\u0001"/g;

/** JSON text of `value`, with deep-nesting markers expanded. */
export function serialize(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.includes('\\u0001deep-') ? text.replace(MARKER, (m) => NESTED[m] ?? m) : text;
}

// ---------------------------------------------------------------------------------------------
// Strings a pod author might use against us.
const HOSTILE_FRAGMENTS = [
  '"',
  "'",
  '\\',
  '\n',
  '\r\n',
  '\t',
  '\u0000',
  '\u001b[31m',
  '${params.log-path}',
  '${params.x}',
  '${',
  '$${',
  '$${params.x}',
  '}',
  '{{ .Values.x }}',
  '- name: evil\n  image: evil:latest',
  'privileged: true',
  '", "privileged": true, "x": "',
  '{"a":1}',
  '[]',
  'a: b',
  '&anchor',
  '*alias',
  '!!binary',
  '---',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '~0',
  '~1',
  '/',
  '..',
  '../../etc',
  'é',
  '日本語',
  '🙂',
  '\u202e',
  '\ufeff',
  '\ud800',
  '\udfff',
  'true',
  'false',
  'null',
  '0',
  '-1',
  '65536',
  '9.5',
  '1e3',
  '64Mi',
  '/var/log/app',
  'sidecar.injector.dev',
  '.sidecar.injector.dev/',
];
const fragment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_FRAGMENTS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);
export const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.array(fragment, { maxLength: 5 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 5000 }).map((n) => 'k'.repeat(n)) },
);
/** Strings of 100 KiB to 700 KiB (some bodies go over the fuzz apps' 512 KiB limit). */
export const hugeString = fc
  .tuple(fc.integer({ min: 100 * 1024, max: 700 * 1024 }), fc.constantFrom('x', 'é', '"', '\n', '🙂'))
  .map(([n, c]) => c.repeat(Math.ceil(n / Buffer.byteLength(c))));
export const deepNesting = fc.constantFrom(DEEP_ARRAY, DEEP_OBJECT);

/** Objects whose keys trip naive code: no callable toString, prototype keys. */
const TRAP_OBJECTS: unknown[] = [
  { toString: 1 },
  { toString: 1, valueOf: 1 },
  { valueOf: {} },
  { constructor: 1 },
  JSON.parse('{"__proto__": {"polluted": true}}'),
  { name: { toString: 1 } },
  { length: 3 },
  { length: -1, 0: 'a' },
];
const SCALARS: unknown[] = [null, true, false, 0, -0, -1, 1.5, 65536, 2 ** 53 + 1, 1e308, '', 'x', 'CREATE', 'Pod'];
/** A value of the wrong type for wherever it lands. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SCALARS, [], {}, [null], [[]], [{}], ['x'], ...TRAP_OBJECTS) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...SCALARS, ...TRAP_OBJECTS), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }) },
);

// ---------------------------------------------------------------------------------------------
// Realistic pods that ask for the library's templates.
const CONTAINER_NAMES = ['app', 'worker', 'log-shipper', 'metrics', 'proxy', 'config-reloader', 'audit', 'x'];
const VOLUME_NAMES = ['data', 'config', 'app-logs', 'reloaded-config', 'tls-terminator-certs'];
const PORTS = [80, 8080, 8443, 9102, 9125, 9533, 10000, 15001];

/** Usually one of `common`; one time in five any of `all` (names and ports the templates use too). */
const mostly = <T>(common: T[], all: T[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...common) }, { weight: 1, arbitrary: fc.constantFrom(...all) });

const container = fc.record(
  {
    name: mostly(['app', 'worker'], CONTAINER_NAMES),
    image: fc.constantFrom('nginx:1.27', 'api:1'),
    ports: fc.array(
      fc.record(
        { containerPort: mostly([80, 8080], PORTS), protocol: fc.constantFrom('TCP', 'UDP'), name: fc.constant('p') },
        { requiredKeys: ['containerPort'] },
      ),
      { maxLength: 2 },
    ),
    env: fc.array(
      fc.record({
        name: fc.constantFrom('A', 'HTTP_PROXY', 'STATSD_HOST', 'LOG_DIR'),
        value: fc.string({ maxLength: 4 }),
      }),
      { maxLength: 2 },
    ),
    volumeMounts: fc.array(
      fc.record({
        name: mostly(['data'], VOLUME_NAMES),
        mountPath: fc.constantFrom('/var/log/app', '/data', '/etc/app/config', '/config'),
      }),
      { maxLength: 2 },
    ),
    resources: fc.constant({ limits: { cpu: '1', memory: '128Mi' } }),
    securityContext: fc.constant({ runAsNonRoot: true }),
  },
  { requiredKeys: ['name', 'image'] },
);
const uniqueByName = <T extends { name: string }>(items: T[]) =>
  items.filter((c, i) => items.findIndex((d) => d.name === c.name) === i);

const PARAMETER_SUFFIX = '.sidecar.injector.dev/';
const PLAUSIBLE_VALUES = [
  '/var/log/nginx',
  '/data',
  '9103',
  '2000',
  'true',
  'false',
  '128Mi',
  '1Gi',
  'app-config',
  'my-tls',
];

/** `arbitrary` one time in `every`, else undefined. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, every: number) =>
  fc.oneof({ weight: every - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

/** Annotations of a pod: template choice, parameters (good, bad, hostile), forged status, traps. */
function annotations(lib: Library): fc.Arbitrary<Record<string, string>> {
  const names = lib.templates.map((t) => t.name);
  const nameList = fc.oneof(
    { weight: 4, arbitrary: fc.subarray(names, { minLength: 1 }).map((n) => n.join(', ')) },
    { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'none', 'FALSE', '', ' , ', 'no-such-template') },
    { weight: 1, arbitrary: hostileString },
  );
  const declared = lib.templates.flatMap((t) => t.parameters);
  const hostileKey = fc
    .tuple(
      fc.oneof(fc.constantFrom(...names), hostileString),
      fc.oneof(fc.constantFrom('image', 'namespace'), hostileString),
    )
    .map(([t, p]) => `${t}${PARAMETER_SUFFIX}${p}`);
  const value = fc.oneof(fc.constantFrom(...PLAUSIBLE_VALUES), hostileString);
  const required = declared.filter((p) => p.required).map((p) => [p.annotation, p.goodValue] as const);
  // Mostly values the declarations accept, so that many pods get injected; the rest hostile.
  const parameter = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...declared).map((p) => [p.annotation, p.goodValue] as const) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...declared.map((p) => p.annotation)), value) },
    { weight: 1, arbitrary: fc.tuple(hostileKey, value) },
  );
  const forgedStatus = fc.oneof(
    fc.subarray(names).map((n) => JSON.stringify({ templates: n.map((name) => ({ name, hash: 'forged' })) })),
    fc.constantFrom('', '{}', 'null', '[]', '{"templates":{}}', '{"templates":[{"name":1}]}', '{"templates":[null]}'),
    hostileString,
  );
  const otherKey = fc.oneof(
    fc.constantFrom('__proto__', 'constructor', 'toString', 'kubernetes.io/config.mirror', 'a/b~c', ''),
    hostileString,
  );
  return fc
    .record(
      {
        inject: nameList,
        exclude: sometimes(nameList, 5),
        status: sometimes(forgedStatus, 3),
        parameters: fc.array(parameter, { maxLength: 4 }),
        requiredSet: fc.constantFrom(true, true, true, false),
        others: fc.array(fc.tuple(otherKey, hostileString), { maxLength: 1 }),
      },
      { requiredKeys: ['inject', 'parameters', 'others', 'requiredSet'] },
    )
    .map((a) =>
      // fromEntries makes `__proto__` an own key, as JSON.parse does on the server.
      Object.fromEntries([
        ...(a.requiredSet ? required : []),
        ...a.others,
        ...a.parameters,
        ...(a.inject !== undefined ? [[INJECT_ANNOTATION, a.inject]] : []),
        ...(a.exclude !== undefined ? [[EXCLUDE_ANNOTATION, a.exclude]] : []),
        ...(a.status !== undefined ? [[STATUS_ANNOTATION, a.status]] : []),
      ]),
    );
}

function pod(lib: Library) {
  return fc.record(
    {
      apiVersion: fc.constant('v1'),
      kind: fc.constant('Pod'),
      metadata: fc.record(
        {
          name: fc.constantFrom('web', ''),
          generateName: fc.constant('web-7d9f-'),
          labels: fc.dictionary(
            fc.constantFrom('app', 'reload', 'sidecar.injector.dev/logs', 'tier'),
            fc.constantFrom('enabled', 'api'),
            { maxKeys: 3 },
          ),
          annotations: annotations(lib),
          ownerReferences: fc.array(
            fc.record({
              apiVersion: fc.constant('apps/v1'),
              kind: fc.constantFrom('ReplicaSet', 'Job', 'StatefulSet'),
              name: fc.constant('owner'),
              uid: fc.uuid(),
            }),
            { maxLength: 1 },
          ),
          // Checked but never built by the server's parser: it must agree with JSON.parse on it.
          managedFields: fc.array(
            fc.record({
              manager: fc.constantFrom('kube-controller-manager', 'kubectl'),
              operation: fc.constant('Update'),
              fieldsType: fc.constant('FieldsV1'),
              fieldsV1: fc.jsonValue({ maxDepth: 4 }),
            }),
            { maxLength: 2 },
          ),
        },
        { requiredKeys: ['annotations'] },
      ),
      spec: fc.record(
        {
          initContainers: fc.array(container, { maxLength: 2 }).map(uniqueByName),
          containers: fc.array(container, { minLength: 1, maxLength: 3 }).map(uniqueByName),
          volumes: fc
            .array(fc.record({ name: mostly(['data', 'config'], VOLUME_NAMES), emptyDir: fc.constant({}) }), {
              maxLength: 2,
            })
            .map(uniqueByName),
          hostNetwork: fc.oneof(
            { weight: 9, arbitrary: fc.constant(false) },
            { weight: 1, arbitrary: fc.constant(true) },
          ),
          restartPolicy: fc.constantFrom('Always', 'Never'),
        },
        { requiredKeys: ['containers'] },
      ),
    },
    { requiredKeys: ['apiVersion', 'kind', 'metadata', 'spec'] },
  );
}

const POD_GVK = { group: '', version: 'v1', kind: 'Pod' };
const PODS_GVR = { group: '', version: 'v1', resource: 'pods' };

/** An AdmissionReview as the API server sends it, mostly pod CREATEs. */
export function review(lib: Library) {
  return fc.record({
    apiVersion: fc.constant('admission.k8s.io/v1'),
    kind: fc.constant('AdmissionReview'),
    request: fc.record({
      uid: fc.oneof(
        { weight: 9, arbitrary: fc.uuid() },
        { weight: 1, arbitrary: hostileString.filter((s) => s !== '') },
      ),
      kind: fc.constant(POD_GVK),
      resource: fc.constant(PODS_GVR),
      requestKind: fc.constant(POD_GVK),
      requestResource: fc.constant(PODS_GVR),
      name: fc.constantFrom('web', ''),
      namespace: fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom('default', 'payments', 'shop') },
        { weight: 1, arbitrary: fc.constant(INJECTOR_NAMESPACE) },
      ),
      operation: fc.oneof(
        { weight: 19, arbitrary: fc.constant('CREATE') },
        fc.constantFrom('UPDATE', 'DELETE', 'CONNECT'),
      ),
      userInfo: fc.constant({ username: 'system:serviceaccount:kube-system:replicaset-controller' }),
      object: pod(lib),
      oldObject: fc.constant(null),
      dryRun: fc.boolean(),
      options: fc.constant({ apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' }),
    }),
  });
}

// ---------------------------------------------------------------------------------------------
// Breaking a review: set or delete the value at a path.
type Path = ReadonlyArray<string | number>;

export const ENVELOPE_PATHS: Path[] = [
  [],
  ['apiVersion'],
  ['kind'],
  ['request'],
  ['request', 'uid'],
  ['request', 'kind'],
  ['request', 'kind', 'group'],
  ['request', 'kind', 'version'],
  ['request', 'kind', 'kind'],
  ['request', 'resource'],
  ['request', 'resource', 'group'],
  ['request', 'resource', 'resource'],
  ['request', 'subResource'],
  ['request', 'operation'],
  ['request', 'namespace'],
  ['request', 'name'],
  ['request', 'object'],
  ['request', 'oldObject'],
  ['request', 'dryRun'],
  ['request', 'userInfo'],
  ['request', 'options'],
];

const CONTAINER_FIELDS: Path[] = [
  [],
  ['name'],
  ['image'],
  ['env'],
  ['env', 0],
  ['env', 0, 'name'],
  ['env', 0, 'value'],
  ['ports'],
  ['ports', 0],
  ['ports', 0, 'containerPort'],
  ['ports', 0, 'protocol'],
  ['volumeMounts'],
  ['volumeMounts', 0],
  ['volumeMounts', 0, 'name'],
  ['volumeMounts', 0, 'mountPath'],
  ['resources'],
];
const ANNOTATION_KEYS = [
  INJECT_ANNOTATION,
  EXCLUDE_ANNOTATION,
  STATUS_ANNOTATION,
  'log-shipper.sidecar.injector.dev/log-path',
];
const POD_FIELDS: Path[] = [
  [],
  ['apiVersion'],
  ['kind'],
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'generateName'],
  ['metadata', 'namespace'],
  ['metadata', 'annotations'],
  ...ANNOTATION_KEYS.map((k) => ['metadata', 'annotations', k]),
  ['metadata', 'labels'],
  ['metadata', 'labels', 'app'],
  ['metadata', 'labels', 'reload'],
  ['metadata', 'ownerReferences'],
  ['metadata', 'ownerReferences', 0],
  ['metadata', 'ownerReferences', 0, 'kind'],
  ['metadata', 'managedFields'],
  ['metadata', 'managedFields', 0],
  ['spec'],
  ['spec', 'hostNetwork'],
  ['spec', 'containers'],
  ...CONTAINER_FIELDS.map((f) => ['spec', 'containers', 0, ...f]),
  ...CONTAINER_FIELDS.map((f) => ['spec', 'containers', 1, ...f]),
  ['spec', 'initContainers'],
  ...CONTAINER_FIELDS.map((f) => ['spec', 'initContainers', 0, ...f]),
  ['spec', 'volumes'],
  ['spec', 'volumes', 0],
  ['spec', 'volumes', 0, 'name'],
  ['spec', 'ephemeralContainers'],
  ['spec', 'ephemeralContainers', 0],
  ['spec', 'ephemeralContainers', 0, 'name'],
];
export const POD_PATHS: Path[] = POD_FIELDS.map((p) => ['request', 'object', ...p]);

export interface Mutation {
  readonly path: Path;
  /** `undefined` deletes the field. */
  readonly value: unknown;
}

export function mutations(paths: Path[], values: fc.Arbitrary<unknown>) {
  const mutation = fc.record({
    path: fc.constantFrom(...paths),
    value: fc.option(values, { freq: 6, nil: undefined }),
  });
  return fc.array(mutation, { minLength: 1, maxLength: 3 });
}

/**
 * Applies the mutations to a copy of `value` (fast-check's values are never changed) and
 * returns the result; a path through something that is not a container is skipped.
 */
export function mutated(value: unknown, changes: readonly Mutation[]): unknown {
  let root: unknown = structuredClone(value);
  for (const change of changes) {
    const { path } = change;
    // Copied too: a generated value may be a shared constant, and later changes write into it.
    const next = structuredClone(change.value);
    if (path.length === 0) {
      root = next;
      continue;
    }
    let node = root as Record<string | number, unknown>;
    for (const segment of path.slice(0, -1)) {
      if (node === null || typeof node !== 'object') break;
      if (node[segment] === undefined) node[segment] = typeof segment === 'number' ? [] : {};
      node = node[segment] as Record<string | number, unknown>;
    }
    if (node === null || typeof node !== 'object') continue;
    const last = path[path.length - 1] as string | number;
    if (next === undefined) delete node[last];
    else Object.defineProperty(node, last, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return root;
}

/** A valid review of the library, broken at 1 to 3 of `paths`, as text. */
export function brokenReview(lib: Library, paths: Path[], values: fc.Arbitrary<unknown> = wrongValue) {
  return fc.tuple(review(lib), mutations(paths, values)).map(([r, m]) => serialize(mutated(r, m)));
}

/** A valid review of the library cut short anywhere. */
export function truncatedReview(lib: Library) {
  return fc.tuple(review(lib), fc.double({ min: 0, max: 1, noNaN: true })).map(([r, at]) => {
    const text = serialize(r);
    return text.slice(0, Math.floor(text.length * at));
  });
}

/** Anything at all: random JSON values, random text, random bytes. */
export const randomBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
  fc.json(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc
    .record({
      apiVersion: fc.constant('admission.k8s.io/v1'),
      kind: fc.constant('AdmissionReview'),
      request: fc.jsonValue(),
    })
    .map((v) => JSON.stringify(v)),
);
