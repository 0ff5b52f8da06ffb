// `drift`'s flags: what is a usage error (exit 2) and what is an error (exit 1), before any
// cluster is reached. The command against a real API server is in test/e2e/drift*.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../../../src/cli/flags';
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

test.each([
  [['--dry-run'], /--dry-run: only with --restart/],
  [['--timeout', '1m', '--max-concurrent', '2'], /--max-concurrent, --timeout: only with --restart/],
  [['--restart', '--timeout', '5 minutes'], /--timeout: "5 minutes" is not a duration such as 90s, 5m or 1h30m/],
  [['--restart', '--max-concurrent', '0'], /--max-concurrent: "0" is not a whole number of 1 or more/],
])('drift %j is a usage error', async (flags, message) => {
  const run = await cli(['drift', ...flags]);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(message);
});

test('durations read as kubectl reads them', () => {
  expect([
    parseDuration('90s', 't'),
    parseDuration('5m', 't'),
    parseDuration('1h30m', 't'),
    parseDuration('0', 't'),
  ]).toEqual([90_000, 300_000, 5_400_000, 0]);
});
