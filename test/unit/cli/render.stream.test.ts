// render on whole manifest streams: every document passes through, in order and as written,
// except the pod templates it injects; a List stays a List; YAML is read as kubectl reads it.
import { parse, parseAllDocuments } from 'yaml';
import { readKubernetesYaml } from '../../../src/shared/kubernetesYaml';
import { cli, tempDir } from './support';

const service = `# The front door.
apiVersion: v1
kind: Service
metadata:
  name: web   # keeps its spacing
spec:
  ports: [{port: 80, targetPort: 8080}]
`;
const configMap = `apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data:
  mode: "0644"
  enabled: 'yes'
`;
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      # Asks for the metrics exporter.
      annotations: {sidecar.injector.dev/inject: metrics-exporter}
      labels: {app: web}
    spec:
      containers:
      - name: web   # the app itself
        image: nginx:1.27
      volumes:
      - name: config
        configMap: {name: web-config, defaultMode: 0644}
`;

// biome-ignore lint/suspicious/noExplicitAny: manifests read back, checked field by field
type Json = Record<string, any>;
const values = (yaml: string) => readKubernetesYaml(yaml).documents.map((d) => d.value);
const names = (list: unknown) => ((list as Array<{ name: string }> | undefined) ?? []).map((c) => c.name);
const render = (stdin: string, ...args: string[]) => cli(['render', '-f', '-', ...args], { stdin });

describe('documents without a pod template', () => {
  it('pass through unchanged, byte for byte, in input order, comments and all', async () => {
    const input = `${service}---\n${configMap}---\n${deployment}`;
    const run = await render(input);
    expect(run.code).toBe(0);
    const [first, second] = run.stdout.split('---\n');
    expect(first).toBe(service);
    expect(second).toBe(configMap);
    expect(values(run.stdout).map((d) => (d as { kind: string }).kind)).toEqual(['Service', 'ConfigMap', 'Deployment']);
  });

  it('a stream with nothing to inject comes out as it went in', async () => {
    const input = `${service}---\n${configMap}...\n# a trailing comment\n`;
    const run = await render(input);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(input);
  });

  it.each([
    ['apiextensions.k8s.io/v1', 'CustomResourceDefinition'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
    ['v1', 'Secret'],
    ['policy/v1', 'PodDisruptionBudget'],
    ['storage.k8s.io/v1', 'StorageClass'],
    ['networking.k8s.io/v1', 'NetworkPolicy'],
  ])('%s %s is passed through without a word', async (apiVersion, kind) => {
    const input = `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: x}\n`;
    const run = await render(input, '-o', 'json');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(parse(input));
  });

  it('a kind render does not inject, carrying a pod template, passes through with a warning naming it', async () => {
    const input = `apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: legacy}
spec:
  template:
    metadata: {annotations: {sidecar.injector.dev/inject: metrics-exporter}}
    spec:
      containers: [{name: app, image: "busybox:1.37"}]
`;
    const run = await render(input);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(input);
    expect(run.stderr).toBe(
      'Warning: document 1: DeploymentConfig legacy: has a pod template (spec.template), but render does not inject kind "DeploymentConfig"; passed through unchanged\n',
    );
  });

  it('so does a workload at an apiVersion render does not inject', async () => {
    const input = deployment.replace('apps/v1', 'extensions/v1beta1');
    const run = await render(input);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(input);
    expect(run.stderr).toMatch(
      /Deployment web: apiVersion "extensions\/v1beta1" is not injected \(render injects Deployment apps\/v1\)/,
    );
  });
});

describe('workloads', () => {
  it.each([
    ['v1', 'ReplicationController'],
    ['argoproj.io/v1alpha1', 'Rollout'],
  ])('%s %s has its spec.template injected', async (apiVersion, kind) => {
    const input = deployment.replace('apps/v1', apiVersion).replace('kind: Deployment', `kind: ${kind}`);
    const run = await render(input, '-o', 'json');
    expect(run.code).toBe(0);
    expect(names(JSON.parse(run.stdout).spec.template.spec.containers)).toEqual(['web', 'metrics-exporter']);
  });

  it('a Rollout that takes its pods from a workloadRef is passed through, saying where to look', async () => {
    const input =
      'apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n';
    const run = await render(input);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(input);
    expect(run.stderr).toMatch(/Rollout r: its pods come from spec.workloadRef; render that workload instead/);
  });

  it('a workload whose pod template is missing is an error, and nothing is printed', async () => {
    const run = await render(
      `${service}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: broken}\nspec: {}\n`,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/document 2: Deployment broken: spec\.template is missing/);
  });
});

describe('a List', () => {
  const list = `apiVersion: v1
kind: List
items:
- ${service.split('\n').slice(1).join('\n  ').trimEnd()}
- ${deployment.split('\n').join('\n  ').trimEnd()}
`;

  it('stays a List, with its items injected in place', async () => {
    const run = await render(list);
    expect(run.code).toBe(0);
    const [out] = values(run.stdout) as Array<{ kind: string; items: Array<Json> }>;
    expect(out?.kind).toBe('List');
    expect(out?.items.map((i) => i.kind)).toEqual(['Service', 'Deployment']);
    expect(names(out?.items[1]?.spec.template.spec.containers)).toEqual(['web', 'metrics-exporter']);
    expect(out?.items[0]).toEqual((values(list)[0] as { items: unknown[] }).items[0]);
  });

  it('as json it is the List itself, and its patch addresses the item', async () => {
    const json = JSON.parse((await render(list, '-o', 'json')).stdout);
    expect(json.kind).toBe('List');
    expect(json.items).toHaveLength(2);
    const patch = JSON.parse((await render(list, '-o', 'patch')).stdout) as Array<{ path: string }>;
    expect(patch.length).toBeGreaterThan(0);
    for (const op of patch) expect(op.path.startsWith('/items/1/spec/template/')).toBe(true);
  });

  it("uses each item's own namespace", async () => {
    const twoNamespaces = `apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Pod, metadata: {name: a, namespace: billing}, spec: {containers: [{name: app, image: x}]}}
- {apiVersion: v1, kind: Pod, metadata: {name: b, namespace: shop}, spec: {containers: [{name: app, image: x}]}}
`;
    const billingOnly =
      'apiVersion: sidecar.injector.dev/v1alpha1\nkind: SidecarTemplate\nmetadata: {name: audit}\nspec:\n  selector: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: billing}}}\n  containers: [{name: audit, image: "busybox:1.37"}]\n';
    const dir = tempDir({ 'audit.yaml': billingOnly });
    try {
      const run = await cli(['render', '-f', '-', '-o', 'json', '--templates-dir', dir.dir], { stdin: twoNamespaces });
      const items = JSON.parse(run.stdout).items;
      expect(names(items[0].spec.containers)).toEqual(['app', 'audit']);
      expect(names(items[1].spec.containers)).toEqual(['app']);
    } finally {
      dir.cleanup();
    }
  });
});

describe('a changed document', () => {
  it('keeps the comments and the text of what is not changed', async () => {
    const run = await render(deployment);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('# Asks for the metrics exporter.\n');
    expect(run.stdout).toContain('- name: web # the app itself\n');
    // YAML 1.1 text that render does not change is written as it was: 0644, not 420 or "0644".
    expect(run.stdout).toContain('configMap: {name: web-config, defaultMode: 0644}');
    // kubectl's own list style (`- ` under the key) is kept for what is added, too.
    expect(run.stdout).toMatch(/\n {6}- name: metrics-exporter\n/);
    const [out] = values(run.stdout) as Array<Json>;
    expect(out?.spec.template.spec.volumes[0].configMap.defaultMode).toBe(0o644);
  });

  it('a comment above its first key is written once, where it was', async () => {
    const input = `# The web tier.\n# Two lines.\n${deployment}`;
    const run = await render(input);
    expect(run.stdout.startsWith(`# The web tier.\n# Two lines.\napiVersion: apps/v1\n`)).toBe(true);
    expect(run.stdout.split('# The web tier.')).toHaveLength(2);
  });

  it('written as JSON, it comes out as block YAML rather than one long flow line', async () => {
    const input = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', annotations: { 'sidecar.injector.dev/inject': 'metrics-exporter' } },
      spec: { containers: [{ name: 'app', image: 'x' }] },
    });
    const run = await render(input);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^apiVersion: v1\nkind: Pod\nmetadata:\n/);
    expect(run.stdout).toContain('\n    - name: metrics-exporter\n');
    const json = JSON.parse((await render(input, '-o', 'json')).stdout);
    expect(values(run.stdout)).toEqual([json]);
  });

  it('outside the document, the text around it is as written', async () => {
    const input = `${service}---\n# before the deployment\n${deployment}# after it\n---\n${configMap}`;
    const run = await render(input);
    expect(run.stdout.startsWith(`${service}---\n# before the deployment\napiVersion: apps/v1\n`)).toBe(true);
    expect(run.stdout.endsWith(`# after it\n---\n${configMap}`)).toBe(true);
  });

  it('is written anew from its values when the patch would go through an alias, with a warning', async () => {
    const input = `apiVersion: v1
kind: List
items:
- &pod {apiVersion: v1, kind: Pod, metadata: {name: a, annotations: {sidecar.injector.dev/inject: metrics-exporter}}, spec: {containers: [{name: app, image: x}]}}
- *pod
`;
    const run = await render(input);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/document 1: written anew from its values, without its comments/);
    const [out] = values(run.stdout) as Array<{ items: Array<Json> }>;
    expect(names(out?.items[0]?.spec.containers)).toEqual(['app', 'metrics-exporter']);
    expect(names(out?.items[1]?.spec.containers)).toEqual(['app', 'metrics-exporter']);
  });
});

// Strings that some reader (kubectl's, YAML 1.1, YAML 1.2) takes for something else when plain.
const TRICKY_ARGS = ['yes', 'no', 'on', '0755', '1:30', '2024-01-02', '~', '1e3', '0x1F', 'y', '<<', '0o17', '08'];

describe('YAML as kubectl reads it', () => {
  it('reads octal, yes/no and merge keys as kubectl does, so the pod is the one kubectl would send', async () => {
    const input = `apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: &labels {app: web}
  annotations:
    <<: *labels
    sidecar.injector.dev/inject: metrics-exporter
spec:
  automountServiceAccountToken: no
  containers:
  - name: app
    image: nginx:1.27
    volumeMounts: [{name: c, mountPath: /c, readOnly: yes}]
  volumes:
  - {name: c, configMap: {name: c, defaultMode: 0755}}
`;
    const out = JSON.parse((await render(input, '-o', 'json')).stdout);
    expect(out.spec.automountServiceAccountToken).toBe(false);
    expect(out.spec.containers[0].volumeMounts[0].readOnly).toBe(true);
    expect(out.spec.volumes[0].configMap.defaultMode).toBe(0o755);
    expect(out.metadata.annotations.app).toBe('web');
    expect(names(out.spec.containers)).toEqual(['app', 'metrics-exporter']);
  });

  it('a duplicate key keeps its last value, with a warning', async () => {
    const run = await render(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  k: one\n  k: two\n',
      '-o',
      'json',
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).data).toEqual({ k: 'two' });
    expect(run.stderr).toMatch(
      /^Warning: -: line 6, column 3: map keys must be unique; "k" is written twice; the last value is used, as kubectl does$/m,
    );
  });

  it('what render writes reads back to the same values under YAML 1.1, YAML 1.2 and kubectl', async () => {
    const dir = tempDir({
      'tricky.yaml': `apiVersion: sidecar.injector.dev/v1alpha1
kind: SidecarTemplate
metadata: {name: tricky}
spec:
  containers:
  - name: tricky
    image: "busybox:1.37"
    args: ${JSON.stringify(TRICKY_ARGS)}
    env: [{name: MODE, value: "0644"}, {name: FLAG, value: "off"}]
`,
    });
    try {
      const input =
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {sidecar.injector.dev/inject: tricky}}\nspec: {containers: [{name: app, image: x}]}\n';
      const run = await cli(['render', '-f', '-', '--templates-dir', dir.dir], { stdin: input });
      expect(run.code).toBe(0);
      const expected = JSON.parse(
        (await cli(['render', '-f', '-', '-o', 'json', '--templates-dir', dir.dir], { stdin: input })).stdout,
      );
      expect(expected.spec.containers[1].args).toEqual(TRICKY_ARGS);
      expect(values(run.stdout)[0]).toEqual(expected);
      for (const version of ['1.1', '1.2'] as const)
        expect(parseAllDocuments(run.stdout, { version })[0]?.toJS()).toEqual(expected);
    } finally {
      dir.cleanup();
    }
  });
});
