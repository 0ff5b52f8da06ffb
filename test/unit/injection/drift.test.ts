// Each drift state from a pod a user could have: injected and unchanged since, injected before a
// template edit, created while the webhook was down, skipped by a conflict, or left with a
// template that is gone.
import { applyPatch } from 'fast-json-patch';
import { STATUS_ANNOTATION } from '../../../src/annotations';
import { classifyPod, type DriftContext, type PodDrift } from '../../../src/injection/drift';
import { inject } from '../../../src/injection/inject';
import type { CatalogSnapshot } from '../../../src/templates/catalog';
import { catalogFrom, template } from '../../support/templates';

const logger = (image = 'fluent/fluent-bit:3.2') =>
  template('logger', {
    selector: { podSelector: { matchLabels: { logs: 'on' } } },
    parameters: [{ name: 'path', default: '/var/log/app', pattern: '^/[a-z/]+$' }],
    containers: [{ name: 'logger', image, args: ['${params.path}'] }],
  });
const proxy = template('proxy', {
  onConflict: 'Skip',
  containers: [{ name: 'proxy', image: 'envoy:1', ports: [{ containerPort: 15001 }] }],
});
const strictProxy = template('strict-proxy', {
  containers: [{ name: 'strict-proxy', image: 'envoy:1', ports: [{ containerPort: 15001 }] }],
});

const context: DriftContext = { namespace: 'shop', namespaceLabels: { team: 'shop' }, specKnown: true };

function pod(annotations: Record<string, string> = {}, labels: Record<string, string> = { logs: 'on' }) {
  return {
    metadata: { name: 'web-1', namespace: 'shop', labels, annotations },
    spec: { containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: 15001 }] }] },
  };
}

/** The pod as the webhook would have created it with `catalog`. */
function injectedWith(catalog: CatalogSnapshot, raw: ReturnType<typeof pod>) {
  const result = inject(raw, { ...context, nativeSidecars: true }, catalog);
  if (result.outcome !== 'injected') throw new Error(`expected an injection, got ${result.outcome}`);
  return applyPatch(structuredClone(raw), result.patch).newDocument;
}

function listed(drift: PodDrift) {
  if (drift.kind !== 'listed') throw new Error(`expected the pod to be listed, got ${JSON.stringify(drift)}`);
  return drift.templates;
}

test('a pod injected with the template as it is today is current, with the hash it records', () => {
  const catalog = catalogFrom([logger()]);
  const [drift] = listed(classifyPod(injectedWith(catalog, pod()), context, catalog));
  expect(drift).toEqual({
    template: 'logger',
    state: 'current',
    recordedHash: expect.stringMatching(/^[0-9a-f]{16}$/),
    currentHash: drift?.recordedHash,
  });
});

test('a template edited after injection makes the pod outdated, with both hashes', () => {
  const injectedPod = injectedWith(catalogFrom([logger()]), pod());
  const [drift] = listed(classifyPod(injectedPod, context, catalogFrom([logger('fluent/fluent-bit:3.3')])));
  expect(drift?.state).toBe('outdated');
  expect(drift?.currentHash).toMatch(/^[0-9a-f]{16}$/);
  expect(drift?.currentHash).not.toBe(drift?.recordedHash);
});

test("the current hash uses the pod's own parameter values", () => {
  const catalog = catalogFrom([logger()]);
  const custom = injectedWith(catalog, pod({ 'logger.sidecar.injector.dev/path': '/srv/logs' }));
  const usual = injectedWith(catalog, pod());
  const [customDrift] = listed(classifyPod(custom, context, catalog));
  const [usualDrift] = listed(classifyPod(usual, context, catalog));
  expect(customDrift?.state).toBe('current');
  expect(customDrift?.currentHash).not.toBe(usualDrift?.currentHash);
});

test('a template whose parameters no longer accept the pod is outdated, with the reason and no current hash', () => {
  const injectedPod = injectedWith(catalogFrom([logger()]), pod({ 'logger.sidecar.injector.dev/path': '/srv/logs' }));
  const stricter = template('logger', {
    selector: { podSelector: { matchLabels: { logs: 'on' } } },
    parameters: [{ name: 'path', default: '/var/log/app', enum: ['/var/log/app'] }],
    containers: [{ name: 'logger', image: 'fluent/fluent-bit:3.2', args: ['${params.path}'] }],
  });
  const [drift] = listed(classifyPod(injectedPod, context, catalogFrom([stricter])));
  expect(drift).toEqual({
    template: 'logger',
    state: 'outdated',
    recordedHash: expect.any(String),
    reason: expect.stringContaining('parameter path'),
  });
});

test('a pod created while the webhook was down is missing what it selects', () => {
  const catalog = catalogFrom([logger()]);
  expect(listed(classifyPod(pod(), context, catalog))).toEqual([
    { template: 'logger', state: 'missing', currentHash: expect.stringMatching(/^[0-9a-f]{16}$/) },
  ]);
});

test('a conflict under onConflict Skip is skipped, with the conflict as the reason', () => {
  const catalog = catalogFrom([proxy]);
  const raw = pod({ 'sidecar.injector.dev/inject': 'proxy' });
  expect(inject(raw, { ...context, nativeSidecars: true }, catalog).outcome).toBe('unchanged');
  expect(listed(classifyPod(raw, context, catalog))).toEqual([
    { template: 'proxy', state: 'skipped', currentHash: expect.any(String), reason: expect.stringContaining('15001') },
  ]);
});

test('a conflict under onConflict Reject is no excuse: missing, with the conflict as the reason', () => {
  const catalog = catalogFrom([strictProxy]);
  const [drift] = listed(classifyPod(pod({ 'sidecar.injector.dev/inject': 'strict-proxy' }), context, catalog));
  expect(drift).toMatchObject({ state: 'missing', reason: expect.stringContaining('conflicts with the pod: port') });
});

test('a template that comes first takes what a later one wants: the later one is skipped', () => {
  const first = template('a-logger', { containers: [{ name: 'shared', image: 'x:1' }] });
  const second = template('b-logger', { onConflict: 'Skip', containers: [{ name: 'shared', image: 'y:1' }] });
  const catalog = catalogFrom([first, second]);
  const states = listed(
    classifyPod(pod({ 'sidecar.injector.dev/inject': 'a-logger, b-logger' }), context, catalog),
  ).map((d) => [d.template, d.state]);
  expect(states).toEqual([
    ['a-logger', 'missing'],
    ['b-logger', 'skipped'],
  ]);
});

test('a recorded template that was deleted is removed, without a current hash', () => {
  const injectedPod = injectedWith(catalogFrom([logger()]), pod());
  expect(listed(classifyPod(injectedPod, context, catalogFrom([proxy])))).toEqual([
    { template: 'logger', state: 'removed', recordedHash: expect.any(String) },
  ]);
});

test('a recorded template the pod no longer selects is removed, with its current hash', () => {
  const catalog = catalogFrom([logger()]);
  const injectedPod = injectedWith(catalog, pod()) as ReturnType<typeof pod>;
  injectedPod.metadata.labels = { logs: 'off' };
  const [drift] = listed(classifyPod(injectedPod, context, catalog));
  expect(drift).toMatchObject({ state: 'removed', currentHash: drift?.recordedHash });
});

test('a pod naming a template that does not exist is still classified by the rest, never an error', () => {
  const catalog = catalogFrom([logger(), proxy]);
  const raw = pod({ 'sidecar.injector.dev/inject': 'gone, proxy' });
  expect(inject(raw, { ...context, nativeSidecars: true }, catalog).outcome).toBe('denied');
  expect(listed(classifyPod(raw, context, catalog)).map((d) => d.template)).toEqual(['proxy', 'logger']);
});

test('pods the webhook passes through, and pods that select and record nothing, are not listed', () => {
  const catalog = catalogFrom([logger()]);
  const unlisted = (p: unknown, ctx: DriftContext = context) => classifyPod(p, ctx, catalog).kind;
  expect(unlisted(pod({}, { app: 'web' }))).toBe('unlisted');
  expect(unlisted(pod({ 'sidecar.injector.dev/inject': 'false' }))).toBe('unlisted');
  expect(unlisted(pod({ 'kubernetes.io/config.mirror': 'x' }))).toBe('unlisted');
  expect(unlisted(pod(), { ...context, namespaceLabels: { 'sidecar.injector.dev/injection': 'disabled' } })).toBe(
    'unlisted',
  );
  expect(unlisted(pod(), { ...context, injectorNamespace: 'shop' })).toBe('unlisted');
  const onHost = pod();
  expect(unlisted({ ...onHost, spec: { ...onHost.spec, hostNetwork: true } })).toBe('unlisted');
});

test('a hostNetwork pod lists only what it records', () => {
  const raw = pod({
    'sidecar.injector.dev/inject': 'proxy',
    [STATUS_ANNOTATION]: JSON.stringify({ templates: [{ name: 'proxy', hash: 'aaaa' }] }),
  });
  const onHost = { ...raw, spec: { ...raw.spec, hostNetwork: true } };
  const drift = listed(classifyPod(onHost, context, catalogFrom([logger(), proxy])));
  expect(drift.map((d) => [d.template, d.state])).toEqual([['proxy', 'outdated']]);
});

test('from metadata alone, a pod with a selected template it does not record needs its spec', () => {
  const catalog = catalogFrom([logger()]);
  const metadataOnly = { metadata: pod().metadata };
  expect(classifyPod(metadataOnly, { ...context, specKnown: false }, catalog)).toEqual({ kind: 'needsSpec' });
  const injected = injectedWith(catalog, pod()) as ReturnType<typeof pod>;
  expect(classifyPod({ metadata: injected.metadata }, { ...context, specKnown: false }, catalog)).toEqual(
    classifyPod(injected, context, catalog),
  );
});
