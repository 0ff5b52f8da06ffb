// drift's pass over a cluster, against an in-memory API: templates from the cluster and from
// files, the webhook's scope, pages of pods, and each pod's workload through its owners.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPatch } from 'fast-json-patch';
import { stringify } from 'yaml';
import { buildReport } from '../../../src/drift/report';
import { LIVE_PODS, scanDrift } from '../../../src/drift/scan';
import { inject } from '../../../src/injection/inject';
import { catalogFrom, template } from '../../support/templates';
import { FakeApi } from './fakeApi';

const TEMPLATES = '/apis/sidecar.injector.dev/v1alpha1/sidecartemplates';
const WEBHOOKS = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const PODS = '/api/v1/pods';

const logger = (image: string) =>
  template('logger', { selector: {}, containers: [{ name: 'logger', image }] }) as Record<string, unknown>;

const optInWebhook = {
  metadata: { name: 'sidecar-injector' },
  webhooks: [
    {
      name: 'inject.sidecar.injector.dev',
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      namespaceSelector: { matchLabels: { 'sidecar.injector.dev/injection': 'enabled' } },
    },
  ],
};

const namespaces = [
  { metadata: { name: 'shop', labels: { 'sidecar.injector.dev/injection': 'enabled' } } },
  { metadata: { name: 'kube-system', labels: {} } },
];

let serial = 0;
function pod(namespace: string, owner?: { kind: string; name: string }, extra: Record<string, unknown> = {}) {
  serial++;
  return {
    metadata: {
      name: `pod-${serial}`,
      namespace,
      labels: { app: 'x' },
      ...(owner ? { ownerReferences: [{ apiVersion: 'v1', ...owner, controller: true, uid: 'u' }] } : {}),
      ...extra,
    },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
  };
}

/** The pod as the webhook injected it when the template was `image`. */
function injectedWith(image: string, raw: ReturnType<typeof pod>) {
  const result = inject(
    raw,
    { namespace: raw.metadata.namespace, namespaceLabels: {}, nativeSidecars: true },
    catalogFrom([logger(image)]),
  );
  if (result.outcome !== 'injected') throw new Error(result.outcome);
  return applyPatch(structuredClone(raw), result.patch).newDocument;
}

function cluster() {
  const webPods = [
    injectedWith('logger:1', pod('shop', { kind: 'ReplicaSet', name: 'web-7d9' })),
    injectedWith('logger:1', pod('shop', { kind: 'ReplicaSet', name: 'web-7d9' })),
    injectedWith('logger:2', pod('shop', { kind: 'ReplicaSet', name: 'web-5c4' })),
  ];
  const pods = [
    ...webPods,
    pod('shop', { kind: 'Job', name: 'report-2900' }),
    pod('shop'),
    injectedWith('logger:2', pod('shop', { kind: 'StatefulSet', name: 'db' })),
    pod('shop', { kind: 'ReplicaSet', name: 'orphan-rs' }),
    pod('shop', undefined, { deletionTimestamp: '2026-01-01T00:00:00Z' }),
    pod('kube-system', { kind: 'DaemonSet', name: 'proxy' }),
  ];
  return new FakeApi()
    .list(TEMPLATES, [logger('logger:2')])
    .list(WEBHOOKS, [optInWebhook])
    .list('/api/v1/namespaces', namespaces)
    .list(PODS, pods)
    .object('/apis/apps/v1/namespaces/shop/replicasets/web-7d9', ownedBy('Deployment', 'web'))
    .object('/apis/apps/v1/namespaces/shop/replicasets/web-5c4', ownedBy('Deployment', 'web'))
    .object('/apis/batch/v1/namespaces/shop/jobs/report-2900', ownedBy('CronJob', 'report'));
}

const ownedBy = (kind: string, name: string) => ({
  metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind, name, controller: true, uid: 'u' }] },
});

test('pods are grouped under their top owner, in the webhook scope only, live pods only', async () => {
  const warnings: string[] = [];
  const api = cluster();
  const report = buildReport(await scanDrift(api, { templateDirs: [] }, (w) => warnings.push(w)));
  const rows = report.workloads.flatMap((w) =>
    w.templates.map((t) => `${w.namespace} ${w.kind}/${w.name} (${w.pods}) ${t.name} ${t.state} ${t.pods}`),
  );
  expect(rows).toEqual([
    'shop CronJob/report (1) logger missing 1',
    'shop Deployment/web (3) logger current 1',
    'shop Deployment/web (3) logger outdated 2',
    `shop Pod/pod-${serial - 4} (1) logger missing 1`,
    'shop ReplicaSet/orphan-rs (1) logger missing 1',
    'shop StatefulSet/db (1) logger current 1',
  ]);
  expect(report.summary).toEqual({ current: 2, outdated: 2, missing: 3, skipped: 0, removed: 0 });
  expect(warnings).toEqual([]);
  const podLists = api.requests.filter((r) => r.path === PODS);
  expect(podLists.every((r) => r.options.query?.fieldSelector === LIVE_PODS)).toBe(true);
});

test('the outdated entry carries the hashes the pods record and the one they would get today', async () => {
  const report = buildReport(await scanDrift(cluster(), { templateDirs: [] }, () => {}));
  const web = report.workloads.find((w) => w.name === 'web');
  const outdated = web?.templates.find((t) => t.state === 'outdated');
  const current = web?.templates.find((t) => t.state === 'current');
  expect(outdated?.recordedHashes).toHaveLength(1);
  expect(outdated?.currentHash).toBe(current?.recordedHashes?.[0]);
  expect(outdated?.recordedHashes?.[0]).not.toBe(outdated?.currentHash);
});

test('thousands of pods are read page by page', async () => {
  const many = Array.from({ length: 1203 }, () => pod('shop'));
  const api = cluster().list(PODS, many);
  const records = await scanDrift(api, { templateDirs: [] }, () => {});
  expect(records).toHaveLength(1203);
  expect(api.requests.filter((r) => r.path === PODS).map((r) => r.options.query?.continue)).toEqual([
    undefined,
    '500',
    '1000',
  ]);
});

test('one namespace is read by name; a missing one is an error that says so', async () => {
  const api = cluster()
    .object('/api/v1/namespaces/shop', namespaces[0] as Record<string, unknown>)
    .list('/api/v1/namespaces/shop/pods', [pod('shop')]);
  expect(await scanDrift(api, { namespace: 'shop', templateDirs: [] }, () => {})).toHaveLength(1);
  await expect(scanDrift(cluster(), { namespace: 'nowhere', templateDirs: [] }, () => {})).rejects.toThrow(
    'namespace nowhere not found',
  );
});

test('without a readable webhook configuration the shipped cluster-wide scope stands in, with a warning', async () => {
  const warnings: string[] = [];
  const api = cluster().fail(WEBHOOKS, 403, 'Forbidden');
  const records = await scanDrift(api, { templateDirs: [] }, (w) => warnings.push(w));
  expect(records.some((r) => r.namespace === 'kube-system')).toBe(false);
  expect(warnings).toEqual([
    expect.stringMatching(/cannot read MutatingWebhookConfigurations.*assuming every namespace but kube-system/),
  ]);
});

test('ReplicaSets that may not be read leave their pods under the ReplicaSet, with one warning', async () => {
  const warnings: string[] = [];
  const api = cluster()
    .fail('/apis/apps/v1/namespaces/shop/replicasets/web-7d9', 403, 'Forbidden')
    .fail('/apis/apps/v1/namespaces/shop/replicasets/web-5c4', 403, 'Forbidden');
  const records = await scanDrift(api, { templateDirs: [] }, (w) => warnings.push(w));
  expect(
    records
      .filter((r) => r.workload.kind === 'ReplicaSet')
      .map((r) => r.workload.name)
      .sort(),
  ).toEqual(['orphan-rs', 'web-5c4', 'web-7d9', 'web-7d9']);
  expect(warnings).toEqual([expect.stringContaining('cannot read ReplicaSets')]);
});

describe('template files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'drift-templates-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('add to the cluster templates; the cluster one wins a clash, with a warning', async () => {
    const sidecar = template('sidecar-from-file', {
      selector: {},
      containers: [{ name: 'file-sidecar', image: 'f:1' }],
    });
    writeFileSync(join(dir, 'templates.yaml'), `${stringify(logger('logger:9'))}---\n${stringify(sidecar)}`);
    const warnings: string[] = [];
    const api = cluster().list(PODS, [injectedWith('logger:2', pod('shop', { kind: 'StatefulSet', name: 'db' }))]);
    const [record] = await scanDrift(api, { templateDirs: [dir] }, (w) => warnings.push(w));
    expect(record?.templates.map((t) => `${t.template} ${t.state}`)).toEqual([
      'logger current',
      'sidecar-from-file missing',
    ]);
    expect(warnings).toEqual([
      `template logger is defined twice; using SidecarTemplate/logger, not ${join(dir, 'templates.yaml')}#0`,
    ]);
  });

  test('an invalid one is an error naming the file: half the templates would report the rest as removed', async () => {
    writeFileSync(join(dir, 'broken.yaml'), 'kind: SidecarTemplate\nmetadata: {name: x}\nspec: {containers: 3}\n');
    await expect(scanDrift(cluster(), { templateDirs: [dir] }, () => {})).rejects.toThrow(
      /invalid templates:\n.*broken\.yaml/,
    );
  });
});

test('without the SidecarTemplate resource, the files are the templates (with a warning)', async () => {
  const warnings: string[] = [];
  const api = cluster().fail(TEMPLATES, 404, 'NotFound');
  const records = await scanDrift(api, { templateDirs: [] }, (w) => warnings.push(w));
  // No files either: what the pods record is removed, and nothing is missing.
  expect(records.flatMap((r) => r.templates.map((t) => t.state))).toEqual(['removed', 'removed', 'removed', 'removed']);
  expect(warnings).toEqual([expect.stringContaining('SidecarTemplate resource is not installed')]);
});
