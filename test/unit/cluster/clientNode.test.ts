// The webhook loads client-node from the bundle `npm run build` makes (npm test builds first),
// which must offer what the package offers for every name the webhook takes from it.
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
      `require(${JSON.stringify(join(root, 'dist/src/cluster/clusterSources.js'))});`,
      'new (clientNode().KubeConfig)();',
    ].join('\n');
    // Throws on anything written to stderr: Node 22+ warned about the bundle's punycode once.
    const loaded = modulesLoadedBy(['-e', script]);
    expect(loaded).toContain(join(root, CLIENT_NODE_BUNDLE));
    // Loaded from the package, its entry point would be here (its ES modules are not listed).
    expect(loaded.filter((path) => path.includes('@kubernetes'))).toEqual([]);
  });
});
