// `drift`'s flags: what is a usage error (exit 2) and what is an error (exit 1), before any
// cluster is reached. The command against a real API server is in test/e2e/drift*.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from './support';

test('--namespace and --all-namespaces together are a usage error', async () => {
  const run = await cli(['drift', '-n', 'shop', '-A']);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/--namespace and --all-namespaces exclude each other/);
});

test('an unknown output format is a usage error', async () => {
  const run = await cli(['drift', '-o', 'wide']);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/--output: "wide" is not one of table, json, yaml/);
});

test('without a kubeconfig it says where it looked and exits 1', async () => {
  const home = tempDir();
  try {
    const run = await cli(['drift'], { env: { HOME: home.dir } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no kubeconfig found \(--kubeconfig, KUBECONFIG, ~\/.kube\/config\)/);
  } finally {
    home.cleanup();
  }
});

test('the package installs a kubectl plugin binary next to its own: kubectl sidecar-injector runs it', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
  expect(manifest.bin).toEqual({
    'sidecar-injector': 'dist/src/cli/main.js',
    'kubectl-sidecar_injector': 'dist/src/cli/main.js',
  });
});
