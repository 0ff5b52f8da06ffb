import { ClusterTemplates, type TemplateProblem } from '../../../src/sources/clusterTemplates';
import { WatchedNamespaceLabels } from '../../../src/sources/watchedNamespaceLabels';
import { Catalog } from '../../../src/templates/catalog';
import { compiled, template } from '../../support/templates';

const object = (name: string, resourceVersion: string, image: string) => ({
  ...(template(name, { containers: [{ name, image }] }) as object),
  metadata: { name, uid: `uid-${name}`, resourceVersion },
});

function setup() {
  const catalog = new Catalog(['cluster', 'files']);
  const problems: TemplateProblem[] = [];
  const cluster = new ClusterTemplates(catalog, (p) => problems.push(p));
  const image = (name: string) => catalog.snapshot().templates.get(name)?.spec.containers?.[0]?.image;
  return { catalog, problems, cluster, image };
}

test('objects become templates; an invalid edit keeps the last good version and is reported', () => {
  const { cluster, problems, image } = setup();
  cluster.update([object('proxy', '1', 'envoy:1')]);
  expect(image('proxy')).toBe('envoy:1');
  cluster.update([object('proxy', '2', '')]);
  expect(image('proxy')).toBe('envoy:1');
  expect(problems).toEqual([
    { object: 'SidecarTemplate/proxy', problems: ['spec.containers[0].image: must be a non-empty string'] },
  ]);
  cluster.update([object('proxy', '3', 'envoy:2')]);
  expect(image('proxy')).toBe('envoy:2');
  cluster.update([]);
  expect(image('proxy')).toBeUndefined();
});

test('a cluster object wins over a file template of the same name, and the clash is reported', () => {
  const { catalog, cluster, image } = setup();
  const clashes: string[] = [];
  catalog.onChange((_s, c) => clashes.push(...c.map((x) => `${x.name}: ${x.kept} over ${x.ignored}`)));
  catalog.replace('files', [compiled(object('proxy', '1', 'from-file'), 'deploy/templates/proxy.yaml')]);
  expect(image('proxy')).toBe('from-file');
  cluster.update([object('proxy', '1', 'from-cluster')]);
  expect(image('proxy')).toBe('from-cluster');
  expect(clashes).toContain('proxy: SidecarTemplate/proxy over deploy/templates/proxy.yaml');
});

test('namespace labels come from the watch, with the name label always present', () => {
  const labels = new WatchedNamespaceLabels();
  labels.update([{ metadata: { name: 'payments', labels: { team: 'payments' } } }]);
  expect(labels.labelsOf('payments')).toEqual({ team: 'payments', 'kubernetes.io/metadata.name': 'payments' });
  expect(labels.labelsOf('new')).toEqual({ 'kubernetes.io/metadata.name': 'new' });
});
