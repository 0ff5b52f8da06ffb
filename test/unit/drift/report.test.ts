// The DriftReport's shape (CONTRACT.md section 7) and how drift prints it.
import { parse } from 'yaml';
import { formatReport } from '../../../src/drift/output';
import { buildReport, hasDrift, type PodDriftRecord } from '../../../src/drift/report';
import type { TemplateDrift } from '../../../src/injection/drift';

const web = { kind: 'Deployment', name: 'web' };
const record = (name: string, templates: TemplateDrift[], workload = web, namespace = 'shop'): PodDriftRecord => ({
  namespace,
  name,
  workload,
  templates,
});
const outdated = (recordedHash: string): TemplateDrift => ({
  template: 'log-shipper',
  state: 'outdated',
  recordedHash,
  currentHash: 'cccc',
});

test('one entry per workload, template and state, with the pods counted and the hashes gathered', () => {
  const report = buildReport([
    record('web-1', [outdated('aaaa')]),
    record('web-2', [outdated('bbbb')]),
    record('web-3', [
      outdated('aaaa'),
      { template: 'proxy', state: 'skipped', currentHash: 'pppp', reason: 'port 80/TCP' },
    ]),
  ]);
  expect(report).toEqual({
    apiVersion: 'sidecar.injector.dev/v1alpha1',
    kind: 'DriftReport',
    workloads: [
      {
        namespace: 'shop',
        kind: 'Deployment',
        name: 'web',
        pods: 3,
        templates: [
          { name: 'log-shipper', state: 'outdated', pods: 3, recordedHashes: ['aaaa', 'bbbb'], currentHash: 'cccc' },
          { name: 'proxy', state: 'skipped', pods: 1, currentHash: 'pppp', reasons: ['port 80/TCP'] },
        ],
      },
    ],
    summary: { current: 0, outdated: 3, missing: 0, skipped: 1, removed: 0 },
  });
});

test('workloads come sorted by namespace, kind and name; a bare pod is a workload of its own', () => {
  const current: TemplateDrift = { template: 't', state: 'current', recordedHash: 'h', currentHash: 'h' };
  const report = buildReport([
    record('z', [current], { kind: 'Pod', name: 'z' }, 'b'),
    record('web-1', [current]),
    record('db-0', [current], { kind: 'StatefulSet', name: 'db' }, 'a'),
  ]);
  expect(report.workloads.map((w) => `${w.namespace}/${w.kind}/${w.name}`)).toEqual([
    'a/StatefulSet/db',
    'b/Pod/z',
    'shop/Deployment/web',
  ]);
});

test('--template keeps only the named templates, in the entries and in the summary', () => {
  const report = buildReport(
    [record('web-1', [outdated('aaaa'), { template: 'proxy', state: 'missing', currentHash: 'pppp' }])],
    new Set(['proxy']),
  );
  expect(report.workloads[0]?.templates.map((t) => t.name)).toEqual(['proxy']);
  expect(report.summary).toEqual({ current: 0, outdated: 0, missing: 1, skipped: 0, removed: 0 });
});

test('drift is found when anything is outdated, missing or removed; current and skipped are fine', () => {
  const only = (state: TemplateDrift['state']) => buildReport([record('p', [{ template: 't', state }])]);
  expect(['current', 'skipped'].map((s) => hasDrift(only(s as TemplateDrift['state'])))).toEqual([false, false]);
  expect(['outdated', 'missing', 'removed'].map((s) => hasDrift(only(s as TemplateDrift['state'])))).toEqual([
    true,
    true,
    true,
  ]);
});

test('json and yaml print the report itself; the table one line per entry and the summary', () => {
  const report = buildReport([
    record('web-1', [outdated('aaaa')]),
    record('job-1', [{ template: 'proxy', state: 'skipped', reason: 'port 80/TCP is taken' }], {
      kind: 'CronJob',
      name: 'nightly',
    }),
  ]);
  expect(JSON.parse(formatReport(report, 'json'))).toEqual(report);
  expect(parse(formatReport(report, 'yaml'))).toEqual(report);
  expect(formatReport(report, 'table')).toBe(
    [
      'NAMESPACE  WORKLOAD         TEMPLATE     STATE     PODS  REASON',
      'shop       CronJob/nightly  proxy        skipped   1     port 80/TCP is taken',
      'shop       Deployment/web   log-shipper  outdated  1',
      '',
      'Pods by template: 0 current, 1 outdated, 0 missing, 1 skipped, 0 removed',
      '',
    ].join('\n'),
  );
  expect(formatReport(buildReport([]), 'table')).toMatch(/^No pod records or selects a template\./);
});
