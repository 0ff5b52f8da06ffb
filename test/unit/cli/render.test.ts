import { applyPatch } from 'fast-json-patch';
import { parse, parseAllDocuments } from 'yaml';
import { cli, tempDir } from './support';

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata:
      labels: { app: web, sidecar.injector.dev/logs: enabled }
      annotations:
        log-shipper.sidecar.injector.dev/log-path: /var/log/nginx
        note: "yes"
    spec:
      containers:
        - { name: web, image: "nginx:1.27", ports: [ { containerPort: 80 } ] }
`;

const cronJob = `
apiVersion: batch/v1
kind: CronJob
metadata: { name: report }
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          annotations: { sidecar.injector.dev/inject: metrics-exporter }
        spec:
          restartPolicy: OnFailure
          containers: [ { name: report, image: "busybox:1.37" } ]
`;

const pod = (name: string, annotations: Record<string, string> = {}) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations },
    spec: { containers: [{ name: 'app', image: 'busybox:1.37' }] },
  });

const names = (list: unknown) => ((list as Array<{ name: string }> | undefined) ?? []).map((c) => c.name);

describe('render', () => {
  const files = tempDir({
    'deployment.yaml': deployment,
    'cronjob.yaml': cronJob,
    'two.yaml': `${deployment}---\n${cronJob}`,
  });
  afterAll(() => files.cleanup());

  it('injects the automatically selected log shipper into a Deployment', async () => {
    const run = await cli(['render', '-f', files.path('deployment.yaml')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = parse(run.stdout);
    const spec = out.spec.template.spec;
    expect(names(spec.containers)).toEqual(['web', 'log-shipper']);
    expect(spec.containers[1].args).toContain('path=/var/log/nginx/*.log');
    expect(spec.containers[0].volumeMounts).toEqual([{ name: 'app-logs', mountPath: '/var/log/nginx' }]);
    expect(names(spec.volumes)).toEqual(['app-logs']);
    expect(out.spec.template.metadata.annotations['sidecar.injector.dev/status']).toContain('log-shipper');
    // The rest of the document is untouched.
    expect(out.metadata).toEqual({ name: 'web', namespace: 'shop' });
    expect(out.spec.selector).toEqual({ matchLabels: { app: 'web' } });
  });

  it('keeps strings that YAML 1.1 readers would take for booleans quoted', async () => {
    const run = await cli(['render', '-f', files.path('deployment.yaml')]);
    expect(run.stdout).toContain('note: "yes"');
  });

  it('prints a patch that turns the input into the yaml output', async () => {
    const asPatch = await cli(['render', '-f', files.path('deployment.yaml'), '-o', 'patch']);
    const asYaml = await cli(['render', '-f', files.path('deployment.yaml')]);
    expect(asPatch.code).toBe(0);
    const patch = JSON.parse(asPatch.stdout);
    expect(patch.length).toBeGreaterThan(0);
    for (const op of patch) {
      expect(op.op).toBe('add');
      expect(op.path.startsWith('/spec/template/')).toBe(true);
    }
    const patched = applyPatch(parse(deployment), patch, true, false).newDocument;
    expect(patched).toEqual(parse(asYaml.stdout));
  });

  it('injects into a CronJob pod template, as a native sidecar when asked', async () => {
    const run = await cli(['render', '-f', files.path('cronjob.yaml'), '--native-sidecars', 'always', '-o', 'json']);
    expect(run.code).toBe(0);
    const spec = JSON.parse(run.stdout).spec.jobTemplate.spec.template.spec;
    expect(names(spec.initContainers)).toEqual(['metrics-exporter']);
    expect(spec.initContainers[0].restartPolicy).toBe('Always');
    expect(names(spec.containers)).toEqual(['report']);

    const patch = JSON.parse((await cli(['render', '-f', files.path('cronjob.yaml'), '-o', 'patch'])).stdout);
    expect(patch.map((op: { path: string }) => op.path)).toContain('/spec/jobTemplate/spec/template/spec/containers/-');
  });

  it('warns about classic sidecars in Job pods', async () => {
    const run = await cli(['render', '-f', files.path('cronjob.yaml'), '--native-sidecars', 'never']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^Warning: .*Job/m);
  });

  it('prints several documents in input order, and a v1 List as json', async () => {
    const yamlRun = await cli(['render', '-f', files.path('two.yaml')]);
    expect(yamlRun.code).toBe(0);
    const docs = parseAllDocuments(yamlRun.stdout).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(['Deployment', 'CronJob']);

    const jsonRun = await cli(['render', '-f', files.path('two.yaml'), '-o', 'json']);
    const list = JSON.parse(jsonRun.stdout);
    expect(list.apiVersion).toBe('v1');
    expect(list.kind).toBe('List');
    expect(list.items.map((d: { kind: string }) => d.kind)).toEqual(['Deployment', 'CronJob']);
    expect(names(list.items[0].spec.template.spec.containers)).toContain('log-shipper');
  });

  it('refuses --output patch for more than one document', async () => {
    const run = await cli(['render', '-f', files.path('two.yaml'), '-o', 'patch']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/exactly one input document.*has 2/);
  });

  it('exits 1 with the denial on stderr and prints nothing', async () => {
    const run = await cli(['render', '-f', '-'], {
      stdin: pod('p', { 'sidecar.injector.dev/inject': 'no-such-template' }),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Error: Pod p denied: .*no-such-template/m);
  });

  it('reads stdin with -f - and passes a pod that asks for nothing through unchanged', async () => {
    const input = pod('plain');
    const run = await cli(['render', '-f', '-', '-o', 'json'], { stdin: input });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(JSON.parse(input));
    const patch = await cli(['render', '-f', '-', '-o', 'patch'], { stdin: input });
    expect(JSON.parse(patch.stdout)).toEqual([]);
  });

  it('takes the output format from SIDECAR_INJECTOR_OUTPUT', async () => {
    const run = await cli(['render', '-f', files.path('deployment.yaml')], {
      env: { SIDECAR_INJECTOR_OUTPUT: 'json' },
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).kind).toBe('Deployment');
  });

  it('reports YAML syntax errors with their line', async () => {
    const run = await cli(['render', '-f', '-'], { stdin: 'apiVersion: v1\nkind: Pod\nmetadata: { name: [x\n' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: -: line \d+, column \d+: /m);
  });

  describe('namespace', () => {
    const team = tempDir({
      'payments.yaml': `
apiVersion: sidecar.injector.dev/v1alpha1
kind: SidecarTemplate
metadata: { name: payments-audit }
spec:
  selector: { namespaceSelector: { matchLabels: { team: payments } } }
  containers: [ { name: audit, image: "busybox:1.37" } ]
---
apiVersion: sidecar.injector.dev/v1alpha1
kind: SidecarTemplate
metadata: { name: in-billing }
spec:
  selector: { namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: billing } } }
  containers: [ { name: billing-audit, image: "busybox:1.37" } ]
`,
    });
    afterAll(() => team.cleanup());
    const injected = async (args: string[], input: string) => {
      const run = await cli(['render', '-f', '-', '-o', 'json', '--templates-dir', team.dir, ...args], {
        stdin: input,
      });
      expect(run.code).toBe(0);
      return names(JSON.parse(run.stdout).spec.containers).slice(1);
    };

    it('matches namespace selectors against --namespace-labels', async () => {
      expect(await injected([], pod('p'))).toEqual([]);
      expect(await injected(['--namespace-labels', 'team=payments,tier=1'], pod('p'))).toEqual(['audit']);
    });

    it('uses --namespace, else the document namespace, else default', async () => {
      const inBilling = JSON.stringify({ ...JSON.parse(pod('p')), metadata: { name: 'p', namespace: 'billing' } });
      expect(await injected([], inBilling)).toEqual(['billing-audit']);
      expect(await injected(['--namespace', 'shop'], inBilling)).toEqual([]);
      expect(await injected(['--namespace', 'billing'], pod('p'))).toEqual(['billing-audit']);
    });

    it('rejects malformed namespace labels as a usage error', async () => {
      const run = await cli(['render', '-f', '-', '--namespace-labels', 'team'], { stdin: pod('p') });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--namespace-labels: "team" is not key=value/);
      expect(run.stderr).toMatch(/sidecar-injector render --help/);
    });
  });

  it('warns about template files it cannot load and goes on with the others', async () => {
    const dir = tempDir({
      'broken.yaml':
        'apiVersion: sidecar.injector.dev/v1alpha1\nkind: SidecarTemplate\nmetadata: { name: broken }\nspec: { mode: Sometimes }\n',
    });
    try {
      const run = await cli(['render', '-f', '-', '--templates-dir', dir.dir], { stdin: pod('p') });
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^Warning: template file not used: .*broken\.yaml: broken: spec\.mode/m);
    } finally {
      dir.cleanup();
    }
  });
});
