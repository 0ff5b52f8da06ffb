// Real manifests against the real tools: YAML read as kubectl reads it (compared with kubectl's
// own reading), a template file and the same file applied with kubectl injecting the same pod,
// and every stream of test/corpus/ accepted by the API server (server-side dry run) before and
// after render.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKubernetesYaml } from '../../src/shared/kubernetesYaml';
import { isObject } from '../../src/shared/objects';
import { corpusFiles, corpusText } from '../support/corpus';
import { type Environment, e2eBeforeAll, e2eTest, SETUP_TIMEOUT_MS, startEnvironment } from './support/environment';
import { MAIN } from './support/injector';
import { podNaming, type StoredPod } from './support/pods';

const FIXTURES = join(__dirname, 'yaml-fixtures');
const NS = 'manifests';
let env: Environment;
let work: string;

e2eBeforeAll(async () => {
  env = await startEnvironment();
  work = mkdtempSync(join(tmpdir(), 'sidecar-injector-manifests-'));
  await env.kube.createNamespace(NS, { 'sidecar.injector.dev/injection': 'enabled' });
  // What the corpus streams need to exist for a dry run: their namespaces, and the CRDs of the
  // kinds they use that this API server does not serve (a server-side dry run creates nothing).
  for (const namespace of ['bookshop', 'queues', 'warehouse']) await env.kube.createNamespace(namespace);
  await env.kube.apply(standInCrd('argoproj.io', 'Rollout', 'rollouts', 'v1alpha1'));
  await env.kube.apply(standInCrd('example.dev', 'BatchPool', 'batchpools', 'v1'));
  await env.kube.ok(['wait', '--for=condition=Established', 'crd/rollouts.argoproj.io', 'crd/batchpools.example.dev']);
  await env.applyWebhookConfiguration('opt-in');
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('YAML is read as kubectl reads it', () => {
  const files = [
    join(FIXTURES, 'scalars.yaml'),
    join(FIXTURES, 'edge-template.yaml'),
    ...corpusFiles().map((f) => join(__dirname, '..', 'corpus', f)),
  ];
  for (const file of files) {
    e2eTest(`${file.split('/').slice(-2).join('/')}: every object has the values kubectl gives it`, async () => {
      const ours = readKubernetesYaml(readFileSync(file, 'utf8'));
      expect(ours.problems).toEqual([]);
      const theirs = jsonStream(
        await env.kube.ok(['annotate', '--local', '-f', file, '-o', 'json', 'e2e.sidecar.injector.dev/probe=1']),
      );
      const expected = ours.documents.flatMap(({ value }) => objectsOf(value)).map(probed);
      expect(theirs).toEqual(expected);
    });
  }
});

describe('a template file and the same file applied with kubectl inject the same thing', () => {
  e2eTest('render with the file, the webhook with the applied object: the same pod is stored', async () => {
    const file = join(FIXTURES, 'edge-template.yaml');
    await env.kube.ok(['apply', '-f', file]);
    const pod = podNaming(NS, 'yaml-edge');
    // Through the webhook, once it has the object from its watch.
    const { pod: fromCluster } = await env.kube.dryRunUntil(
      'the webhook to know the applied template',
      pod,
      (d) => d.pod?.metadata.annotations?.['sidecar.injector.dev/status']?.includes('yaml-edge') === true,
    );
    // Offline, from the file, then stored by the API server (the webhook sees it injected already).
    const rendered = await renderCli(
      ['-f', '-', '-o', 'json', '--templates-dir', FIXTURES, '--native-sidecars', 'always'],
      JSON.stringify(pod),
    );
    const { pod: fromFile, result } = await env.kube.dryRunPod(JSON.parse(rendered.stdout) as StoredPod);
    expect(result.stderr).toBe('');
    expect(fromFile?.spec).toEqual(fromCluster?.spec);
    expect(fromFile?.metadata.annotations).toEqual(fromCluster?.metadata.annotations);
    // What the YAML 1.1 forms mean, as the API server stored them.
    // biome-ignore lint/suspicious/noExplicitAny: the stored pod, read field by field
    const spec = fromCluster?.spec as unknown as Record<string, Array<Record<string, any>>>;
    expect(spec.volumes?.find((v) => v.name === 'yaml-edge-config')?.configMap).toEqual({
      name: 'yaml-edge',
      defaultMode: 0o444,
      optional: true,
    });
    const sidecar = spec.initContainers?.find((c) => c.name === 'yaml-edge');
    // tty: Off is false, which the API server leaves out.
    expect(sidecar).toMatchObject({ stdin: true, ports: [{ name: 'admin', containerPort: 9090 }] });
    expect(sidecar?.tty).toBeUndefined();
    expect(sidecar?.env).toEqual([
      { name: 'RELEASED', value: '2024-01-02' },
      { name: 'WINDOW', value: '1:30' },
      { name: 'MODE', value: '0644' },
    ]);
    expect(spec.initContainers?.find((c) => c.name === 'yaml-edge-helper')?.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
  });
});

describe('the corpus renders, and the API server accepts every stream before and after', () => {
  for (const file of corpusFiles()) {
    e2eTest(`${file}: server-side dry runs of the input and of render's output`, async () => {
      const input = corpusText(file);
      const before = await env.kube.run(['apply', '--dry-run=server', '-f', '-', '-o', 'json'], input);
      expect(before.stderr).toBe('');
      expect(before.code).toBe(0);
      const rendered = await renderCli(['-f', '-'], input);
      expect(rendered.code).toBe(0);
      const after = await env.kube.run(['apply', '--dry-run=server', '-f', '-', '-o', 'json'], rendered.stdout);
      expect(after.stderr).toBe('');
      expect(after.code).toBe(0);
      // The API server kept what render added: each object as dry-run stored it has every
      // container render's output gives it.
      const stored = itemsOf(JSON.parse(after.stdout));
      const written = readKubernetesYaml(rendered.stdout).documents.flatMap(({ value }) => objectsOf(value));
      const original = readKubernetesYaml(input).documents.flatMap(({ value }) => objectsOf(value));
      expect(stored.map(containerNames)).toEqual(written.map(containerNames));
      expect(written.flatMap(containerNames).length).toBeGreaterThan(original.flatMap(containerNames).length);
    });
  }
});

async function renderCli(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [MAIN, 'render', ...args],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin);
  });
}

/** kubectl prints several objects as JSON documents one after another. */
function jsonStream(text: string): unknown[] {
  return text
    .split(/^}$/m)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => JSON.parse(`${part}\n}`) as unknown);
}

/** The objects of a document as kubectl handles them: a List's items, one by one. */
function objectsOf(value: unknown): unknown[] {
  if (value === null) return [];
  if (isObject(value) && value.kind === 'List' && Array.isArray(value.items)) return value.items.flatMap(objectsOf);
  return [value];
}

const itemsOf = (output: unknown): unknown[] =>
  isObject(output) && output.kind === 'List' && Array.isArray(output.items) ? output.items : [output];

function probed(value: unknown): unknown {
  const object = structuredClone(value) as { metadata?: { annotations?: Record<string, string> } };
  object.metadata = {
    ...object.metadata,
    annotations: { ...object.metadata?.annotations, 'e2e.sidecar.injector.dev/probe': '1' },
  };
  return object;
}

/** The names of the containers of an object's pod template, wherever its kind keeps it. */
function containerNames(object: unknown): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObject(node)) {
      for (const [key, child] of Object.entries(node)) {
        if ((key === 'containers' || key === 'initContainers') && Array.isArray(child))
          for (const c of child) if (isObject(c) && typeof c.name === 'string') found.push(`${key}/${c.name}`);
        visit(child);
      }
    }
  };
  visit(object);
  // In the order of the pod: the API server writes an object's keys in an order of its own.
  return found.sort();
}

function standInCrd(group: string, kind: string, plural: string, version: string): unknown {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      scope: 'Namespaced',
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}
