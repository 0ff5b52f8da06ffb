// The drift report behind sidecar_injector_pods, against an in-memory API server: pods seen as
// metadata only, the few that need it fetched once, counts kept as pods, templates, namespace
// labels and the webhook's scope change; and the same numbers as the drift command.
import { applyPatch } from 'fast-json-patch';
import { LivePodDrift } from '../../../src/drift/livePodDrift';
import { buildReport } from '../../../src/drift/report';
import { scanDrift } from '../../../src/drift/scan';
import { inject } from '../../../src/injection/inject';
import { type CatalogSnapshot, snapshotOf } from '../../../src/templates/catalog';
import type { Labels } from '../../../src/templates/labelSelector';
import { compiled, template } from '../../support/templates';
import { FakeWatchApi, settled } from '../cluster/fakeWatchApi';

const PODS = '/api/v1/pods';
const WEBHOOKS = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const TEMPLATES = '/apis/sidecar.injector.dev/v1alpha1/sidecartemplates';
const NAMESPACES = '/api/v1/namespaces';
const METADATA = 'as=PartialObjectMetadata';

const logger = (image: string) =>
  template('logger', {
    selector: { podSelector: { matchLabels: { logs: 'on' } } },
    containers: [{ name: 'logger', image }],
  });
const proxy = template('proxy', {
  onConflict: 'Skip',
  containers: [{ name: 'proxy', image: 'envoy:1', ports: [{ containerPort: 8080 }] }],
});

const webhook = (namespaceSelector: unknown) => ({
  metadata: { name: 'sidecar-injector' },
  webhooks: [
    {
      name: 'inject.sidecar.injector.dev',
      rules: [{ operations: ['CREATE'], resources: ['pods'] }],
      namespaceSelector,
    },
  ],
});
const OPT_IN = { matchLabels: { 'sidecar.injector.dev/injection': 'enabled' } };

class TestCatalog {
  private listeners: Array<() => void> = [];
  constructor(public current: CatalogSnapshot) {}
  snapshot() {
    return this.current;
  }
  onChange(listener: () => void) {
    this.listeners.push(listener);
  }
  replace(templates: unknown[]) {
    this.current = snapshotOf(templates.map((t) => compiled(t)));
    for (const l of this.listeners) l();
  }
}

const namespaceLabels = new Map<string, Labels>();
const labelsOf = (namespace: string): Labels => ({
  'kubernetes.io/metadata.name': namespace,
  ...(namespaceLabels.get(namespace) ?? {}),
});

function pod(namespace: string, name: string, annotations: Record<string, string> = {}, labels = { logs: 'on' }) {
  return {
    metadata: {
      name,
      namespace,
      labels,
      annotations,
      managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }],
    },
    spec: {
      containers: [{ name: 'app', image: 'app:1', ports: [{ containerPort: 8080 }], env: [{ name: 'A', value: 'x' }] }],
    },
  };
}

function injected(raw: ReturnType<typeof pod>, catalog: CatalogSnapshot) {
  const result = inject(
    raw,
    { namespace: raw.metadata.namespace, namespaceLabels: labelsOf(raw.metadata.namespace), nativeSidecars: true },
    catalog,
  );
  if (result.outcome !== 'injected') throw new Error(result.outcome);
  return applyPatch(structuredClone(raw), result.patch).newDocument as ReturnType<typeof pod>;
}

function start(api: FakeWatchApi, catalog: TestCatalog) {
  const drift = new LivePodDrift({
    api,
    catalog,
    namespaceLabels: { labelsOf },
    log: { warn: () => {}, info: () => {} },
    onWatchError: () => {},
    recheckMs: 10,
    reclassifyDelayMs: 0,
  });
  drift.start();
  return drift;
}

const nonZero = (drift: LivePodDrift) =>
  Object.fromEntries(
    drift
      .counts()
      .filter((c) => c.pods > 0)
      .map((c) => [`${c.template} ${c.state}`, c.pods]),
  );

let api: FakeWatchApi;
let catalog: TestCatalog;
let drift: LivePodDrift | undefined;

beforeEach(() => {
  namespaceLabels.clear();
  namespaceLabels.set('shop', { 'sidecar.injector.dev/injection': 'enabled' });
  catalog = new TestCatalog(snapshotOf([compiled(logger('logger:1')), compiled(proxy)]));
  api = new FakeWatchApi();
  api.put(WEBHOOKS, webhook(OPT_IN));
  api.put(PODS, injected(pod('shop', 'web-1'), catalog.current));
  api.put(PODS, injected(pod('shop', 'web-2'), catalog.current));
  api.put(PODS, pod('shop', 'missed'));
  api.put(PODS, pod('shop', 'conflicting', { 'sidecar.injector.dev/inject': 'proxy' }, { logs: 'off' }));
  api.put(PODS, pod('elsewhere', 'out-of-scope'));
});

afterEach(async () => {
  await drift?.stop();
  drift = undefined;
});

test('counts live pods by template and state; reads pods as metadata and fetches only those that need their spec', async () => {
  drift = start(api, catalog);
  await settled(() => nonZero(drift as LivePodDrift)['proxy skipped'] === 1, 'the fetched pods classified');
  expect(nonZero(drift)).toEqual({ 'logger current': 2, 'logger missing': 1, 'proxy skipped': 1 });
  expect(drift.counts()).toContainEqual({ template: 'proxy', state: 'outdated', pods: 0 });
  const podCalls = api.calls.filter((c) => c.path.includes('/pods'));
  expect(podCalls.filter((c) => c.kind !== 'get').every((c) => c.accept?.includes(METADATA))).toBe(true);
  expect(
    podCalls
      .filter((c) => c.kind === 'get')
      .map((c) => c.path)
      .sort(),
  ).toEqual(['/api/v1/namespaces/shop/pods/conflicting', '/api/v1/namespaces/shop/pods/missed']);
});

test('a template edit turns current pods outdated; deleted pods and pods being deleted leave the counts', async () => {
  drift = start(api, catalog);
  await settled(() => nonZero(drift as LivePodDrift)['proxy skipped'] === 1, 'the first counts');
  catalog.replace([logger('logger:2'), proxy]);
  await settled(() => nonZero(drift as LivePodDrift)['logger outdated'] === 2, 'the edit counted');
  api.delete(PODS, pod('shop', 'web-1'));
  api.put(PODS, {
    ...pod('shop', 'missed'),
    metadata: { ...pod('shop', 'missed').metadata, deletionTimestamp: '2026-12-01T00:00:00Z' },
  });
  expect(nonZero(drift)).toEqual({ 'logger outdated': 1, 'proxy skipped': 1 });
  expect(drift.size).toBe(3);
});

test('a namespace labelled into the scope, and a wider webhook scope, bring their pods in', async () => {
  drift = start(api, catalog);
  await settled(() => nonZero(drift as LivePodDrift)['logger missing'] === 1, 'the first counts');
  namespaceLabels.set('elsewhere', { 'sidecar.injector.dev/injection': 'enabled' });
  await settled(() => nonZero(drift as LivePodDrift)['logger missing'] === 2, 'the relabelled namespace');
  namespaceLabels.delete('elsewhere');
  await settled(() => nonZero(drift as LivePodDrift)['logger missing'] === 1, 'the label removed');
  api.put(WEBHOOKS, webhook({}));
  await settled(() => nonZero(drift as LivePodDrift)['logger missing'] === 2, 'the wider scope');
});

test('gives the numbers the drift command gives for the same cluster', async () => {
  for (const t of [logger('logger:1'), proxy]) api.put(TEMPLATES, t as Record<string, unknown>);
  for (const [name, labels] of [
    ['shop', namespaceLabels.get('shop')],
    ['elsewhere', {}],
  ] as const)
    api.put(NAMESPACES, { metadata: { name, labels } });
  catalog.replace([logger('logger:2'), proxy]);
  api.put(TEMPLATES, logger('logger:2') as Record<string, unknown>);
  drift = start(api, catalog);
  await settled(() => nonZero(drift as LivePodDrift)['proxy skipped'] === 1, 'the counts');
  const report = buildReport(await scanDrift(api, { templateDirs: [] }, () => {}));
  const fromCommand: Record<string, number> = {};
  for (const w of report.workloads)
    for (const t of w.templates)
      fromCommand[`${t.name} ${t.state}`] = (fromCommand[`${t.name} ${t.state}`] ?? 0) + t.pods;
  expect(nonZero(drift)).toEqual(fromCommand);
  expect(fromCommand).toEqual({ 'logger outdated': 2, 'logger missing': 1, 'proxy skipped': 1 });
});
