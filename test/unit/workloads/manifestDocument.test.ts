import { podTemplatesOf } from '../../../src/workloads/manifestDocument';
import { UnsupportedWorkload } from '../../../src/workloads/podTemplate';

const podSpec = { containers: [{ name: 'app', image: 'busybox:1.37' }] };
const deployment = (name: string, namespace?: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec: { template: { spec: podSpec } },
});

test('a List, even inside a List, has its items located from the document root, each with its namespace', () => {
  const found = podTemplatesOf({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } },
      deployment('a', 'shop'),
      { apiVersion: 'v1', kind: 'List', items: [deployment('b')] },
    ],
  });
  expect(found.locations.map((l) => [l.label, l.pointer, l.namespace])).toEqual([
    ['Deployment a', '/items/1/spec/template', 'shop'],
    ['Deployment b', '/items/2/items/0/spec/template', undefined],
  ]);
  expect(found.notInjected).toEqual([]);
});

test.each([
  ['text'],
  [null],
  [['a', 'list']],
  [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { template: 'x' } }],
  [{ kind: 'constructor', metadata: { name: 'proto' } }],
  [{ kind: 'toString', spec: { template: {} } }],
])('%j has no pod template and needs no word', (document) => {
  expect(podTemplatesOf(document)).toEqual({ locations: [], notInjected: [] });
});

test('a pod template in a kind render does not inject is named', () => {
  const found = podTemplatesOf({ ...deployment('x'), apiVersion: 'example.dev/v1', kind: 'Widget' });
  expect(found.locations).toEqual([]);
  expect(found.notInjected).toEqual([
    'Widget x: has a pod template (spec.template), but render does not inject kind "Widget"; passed through unchanged',
  ]);
});

test('a known workload with its pod template missing is an error', () => {
  expect(() => podTemplatesOf({ ...deployment('x'), spec: {} })).toThrow(UnsupportedWorkload);
});
