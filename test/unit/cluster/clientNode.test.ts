// The webhook loads client-node from the bundle `npm run build` makes (npm test builds first),
// which must offer what the package offers for every name the webhook takes from it.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ClientNodePackage from '@kubernetes/client-node';
import { CLIENT_NODE_BUNDLE, CLIENT_NODE_EXPORTS } from '../../../src/cluster/clientNode';
import { modulesLoadedBy } from '../../support/loadedModules';

const root = join(__dirname, '../../..');

describe('client-node, bundled', () => {
  const bundle = require(join(root, CLIENT_NODE_BUNDLE)) as Record<string, unknown>;
  const clientNodePackage = require('@kubernetes/client-node') as Record<string, unknown>;

  it.each(CLIENT_NODE_EXPORTS)('exports %s as the package does', (name) => {
    expect(typeof bundle[name]).toBe('function');
    expect(typeof clientNodePackage[name]).toBe('function');
    expect(Object.keys(bundle)).toContain(name);
    // Minified, but with names kept: an error's class name is what the logs show (err.type).
    expect((bundle[name] as { name: string }).name).toBe((clientNodePackage[name] as { name: string }).name);
  });

  it('reads a kubeconfig and makes API clients', () => {
    const { KubeConfig, CoreV1Api } = bundle as unknown as typeof ClientNodePackage;
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false }, { name: 'u' });
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    expect(kc.makeApiClient(CoreV1Api)).toBeInstanceOf(CoreV1Api);
  });

  it('is what the built cluster sources load, and none of the package modules, without warnings', () => {
    const script = [
      `const { clientNode } = require(${JSON.stringify(join(root, 'dist/src/cluster/clientNode.js'))});`,
      `require(${JSON.stringify(join(root, 'dist/src/sources/kubernetesSources.js'))});`,
      'new (clientNode().KubeConfig)();',
    ].join('\n');
    // Throws on anything written to stderr: Node 22+ warned about the bundle's punycode once.
    const loaded = modulesLoadedBy(['-e', script]);
    expect(loaded).toContain(join(root, CLIENT_NODE_BUNDLE));
    // Loaded from the package, its entry point would be here (its ES modules are not listed).
    expect(loaded.filter((path) => path.includes('@kubernetes'))).toEqual([]);
  });

  it('works alone, as in the image where client-node and its dependencies are pruned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundle-alone-'));
    try {
      // No node_modules above this directory: anything the bundle still required from a package would fail.
      const alone = join(dir, 'client-node.js');
      copyFileSync(join(root, CLIENT_NODE_BUNDLE), alone);
      const script = [
        `const k8s = require(${JSON.stringify(alone)});`,
        'const kc = new k8s.KubeConfig();',
        "kc.loadFromClusterAndUser({ name: 'c', server: 'https://127.0.0.1:6443' }, { name: 'u', token: 't' });",
        'const core = kc.makeApiClient(k8s.CoreV1Api);',
        "k8s.makeInformer(kc, '/api/v1/namespaces', () => core.listNamespace());",
        'kc.makeApiClient(k8s.CustomObjectsApi); kc.makeApiClient(k8s.VersionApi);',
      ].join('\n');
      const loaded = modulesLoadedBy(['-e', script]);
      expect(loaded.filter((path) => path.includes('node_modules'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("ships the licence files of the packages in it, client-node's Apache licence among them", () => {
    const licenses = join(root, 'dist', 'vendor', 'licenses');
    const index = readFileSync(join(licenses, 'INDEX.tsv'), 'utf8').trim().split('\n');
    expect(index.length).toBeGreaterThan(10);
    for (const line of index) {
      const [pkg = '', license, files = ''] = line.split('\t');
      expect(license).toMatch(/\S/);
      if (files !== '(no licence file)')
        for (const file of files.split(' ')) expect(existsSync(join(licenses, pkg, file))).toBe(true);
    }
    const version = (require('@kubernetes/client-node/package.json') as { version: string }).version;
    expect(index).toContain(`@kubernetes/client-node@${version}\tApache-2.0\tLICENSE`);
    expect(readFileSync(join(licenses, `@kubernetes/client-node@${version}`, 'LICENSE'), 'utf8')).toContain(
      'Apache License',
    );
  });
});
