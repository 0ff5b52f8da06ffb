// The Helm chart through helm itself (built from helm.sh/helm/v4): `helm lint --strict` and
// `helm template` for every values file in ci/, the values schema and the templates' own checks
// refusing wrong values with a message that names the value, and what the values turn on.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from '../../src/cli/flags';
import { SERVE_FLAGS, serveOptions } from '../../src/cli/serveFlags';
import { DEPLOY_DIR, type Doc, findAll, findOne } from '../unit/deploy/manifests';
import { CHART_DIR, ciValuesFiles, helmTemplate, helmTemplateArgs, parseKubeYaml } from './support/chart';
import { run, TOOLS_TIMEOUT_MS, toolPath } from './support/tools';

const TIMEOUT_MS = 60_000;
let helm: string;

beforeAll(async () => {
  helm = await toolPath('helm');
}, TOOLS_TIMEOUT_MS);

const ci = ciValuesFiles();
const lint = (chartDir: string, values: string[] = []) =>
  run(helm, [
    'lint',
    '--strict',
    chartDir,
    '--namespace',
    'sidecar-injector',
    ...values.flatMap((v) => ['--values', v]),
  ]);

describe('helm lint --strict and helm template, for each values file in ci/', () => {
  test.each(ci.map((c) => [c.name, c.path] as const))(
    'ci/%s',
    async (_name, path) => {
      const linted = await lint(CHART_DIR, [path]);
      expect([linted.code, linted.stderr]).toEqual([0, '']);
      expect(linted.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
      const docs = await helmTemplate(helm, { values: [path] });
      for (const kind of ['ServiceAccount', 'ClusterRole', 'Deployment', 'Service', 'MutatingWebhookConfiguration'])
        expect([kind, findAll(docs, kind).length >= 1]).toEqual([kind, true]);
    },
    TIMEOUT_MS,
  );

  test(
    'a broken template fails the lint (shown once on a copy of the chart)',
    async () => {
      const copy = mkdtempSync(join(tmpdir(), 'sidecar-injector-chart-'));
      cpSync(CHART_DIR, copy, { recursive: true });
      const service = join(copy, 'templates', 'service.yaml');
      writeFileSync(service, readFileSync(service, 'utf8').replace('      port: 443', '    port: 443'));
      const linted = await lint(copy);
      rmSync(copy, { recursive: true, force: true });
      expect(linted.code).not.toBe(0);
      expect(linted.stdout).toMatch(/\[ERROR\] templates\/service\.yaml: unable to parse YAML/);
    },
    TIMEOUT_MS,
  );
});

/** `helm template` that must fail: its error output. */
async function refused(set: Record<string, string>): Promise<string> {
  const args = helmTemplateArgs();
  for (const [key, value] of Object.entries(set)) args.push('--set', `${key}=${value}`);
  const result = await run(helm, args);
  expect(result.code).not.toBe(0);
  return result.stderr;
}

describe('wrong values are refused with a message that names them', () => {
  test.each([
    [{ 'webhook.scope': 'everywhere' }, "at '/webhook/scope': value must be one of 'optIn', 'clusterWide'"],
    [{ 'webhook.failurePolicy': 'Sometimes' }, "at '/webhook/failurePolicy': value must be one of 'Fail', 'Ignore'"],
    [{ 'webhook.timeoutSeconds': '60' }, "at '/webhook/timeoutSeconds': maximum: got 60, want 30"],
    [{ replicas: '0' }, "at '/replicas': minimum: got 0, want 1"],
    [{ 'webhok.scope': 'optIn' }, "additional properties 'webhok' not allowed"],
    [{ 'certificates.source': 'vault' }, "at '/certificates/source': value must be one of 'certManager', 'secret'"],
    [{ 'image.digest': 'latest' }, "at '/image/digest': 'latest' does not match pattern"],
    [{ 'driftReport.enabled': 'yes' }, "at '/driftReport/enabled': got string, want boolean"],
    [{ 'templates.files.notes\\.txt': 'x' }, 'templates.files: "notes.txt" is not a template file name'],
    [
      { 'certificates.source': 'secret' },
      'certificates.secret.caBundle is required when certificates.source is secret',
    ],
    [
      { 'certificates.source': 'secret', 'certificates.secret.caBundle': '-----BEGIN' },
      'certificates.secret.caBundle must be the base64 of a PEM certificate (base64 -w0 ca.crt',
    ],
    [{ replicas: '1' }, 'podDisruptionBudget.minAvailable (1) must be below the replica count (1)'],
    [
      { 'autoscaling.enabled': 'true', 'autoscaling.minReplicas': '4', 'autoscaling.maxReplicas': '3' },
      'autoscaling.minReplicas (4) must not exceed autoscaling.maxReplicas (3)',
    ],
  ])(
    '%j',
    async (set, message) => {
      expect(await refused(set)).toContain(message);
    },
    TIMEOUT_MS,
  );
});

describe('what the values install', () => {
  const everything = () =>
    helmTemplate(helm, {
      values: [join(CHART_DIR, 'ci', 'everything-values.yaml')],
      release: 'platform',
      namespace: 'platform',
    });

  test(
    'the defaults: opt-in scope, cert-manager certificates, no optional objects; the image is the appVersion',
    async () => {
      const docs = await helmTemplate(helm);
      expect(docs.map((d) => d.kind).sort()).toEqual(
        [
          'Certificate',
          'Certificate',
          'ClusterRole',
          'ClusterRoleBinding',
          'ConfigMap',
          'Deployment',
          'Issuer',
          'Issuer',
          'MutatingWebhookConfiguration',
          'Pod', // the helm test hook
          'PodDisruptionBudget',
          'Service',
          'ServiceAccount',
        ].sort(),
      );
      const deployment = findOne(docs, 'Deployment');
      const chart = parseKubeYaml(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8'), 'Chart.yaml')[0] as Doc;
      expect(deployment.spec.template.spec.containers[0].image).toBe(
        `ghcr.io/sidecar-injector/sidecar-injector:${chart.appVersion}`,
      );
      expect(deployment.spec.replicas).toBe(2);
    },
    TIMEOUT_MS,
  );

  test(
    'image by digest, autoscaling instead of a replica count, the drift report with its RBAC, extra selectors',
    async () => {
      const docs = await everything();
      const deployment = findOne(docs, 'Deployment');
      const container = deployment.spec.template.spec.containers[0];
      expect(container.image).toBe(
        'ghcr.io/sidecar-injector/sidecar-injector:0.1.0-rc.1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      );
      expect(deployment.spec.replicas).toBeUndefined();
      expect(findOne(docs, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 3, maxReplicas: 6 });
      expect(container.args.join(' ')).toContain('--log-level warn --native-sidecars always --body-limit 7Mi');
      expect(container.env).toContainEqual({
        name: 'NODE_OPTIONS',
        value: '--max-old-space-size=192 --max-semi-space-size=8',
      });
      expect(container.env).toContainEqual({ name: 'SIDECAR_INJECTOR_DRIFT_REPORT', value: 'on' });

      const drift = findOne(docs, 'ClusterRole', 'platform-sidecar-injector-drift-report');
      expect(drift.rules).toEqual([
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
        {
          apiGroups: ['admissionregistration.k8s.io'],
          resources: ['mutatingwebhookconfigurations'],
          verbs: ['list', 'watch'],
        },
      ]);
      expect(findOne(docs, 'ClusterRoleBinding', 'platform-sidecar-injector-drift-report').subjects).toEqual([
        { kind: 'ServiceAccount', name: 'platform-sidecar-injector', namespace: 'platform' },
      ]);

      const webhook = findOne(docs, 'MutatingWebhookConfiguration').webhooks[0];
      expect(webhook).toMatchObject({ failurePolicy: 'Ignore', timeoutSeconds: 10 });
      expect(webhook.namespaceSelector).toEqual({
        matchLabels: { environment: 'production' },
        matchExpressions: [
          { key: 'sidecar.injector.dev/injection', operator: 'NotIn', values: ['disabled'] },
          // The release namespace, whatever it is called.
          {
            key: 'kubernetes.io/metadata.name',
            operator: 'NotIn',
            values: ['kube-system', 'kube-public', 'kube-node-lease', 'platform'],
          },
          { key: 'team', operator: 'Exists' },
        ],
      });
      expect(webhook.objectSelector).toEqual({
        matchExpressions: [{ key: 'sidecar.injector.dev/skip', operator: 'DoesNotExist' }],
      });
      expect(webhook.clientConfig.service).toEqual({
        name: 'platform-sidecar-injector',
        namespace: 'platform',
        path: '/mutate',
        port: 443,
      });
      // An existing Secret: no cert-manager objects, and the Deployment mounts that Secret.
      expect(findAll(docs, 'Certificate')).toEqual([]);
      expect(deployment.spec.template.spec.volumes[0]).toEqual({
        name: 'tls',
        secret: { secretName: 'injector-serving', defaultMode: 288 },
      });
    },
    TIMEOUT_MS,
  );

  test(
    'without the drift report there is no pod access at all',
    async () => {
      const docs = await helmTemplate(helm);
      const rules = findAll(docs, 'ClusterRole').flatMap((r) => r.rules);
      expect(rules.flatMap((r: Doc) => r.resources).sort()).toEqual(['namespaces', 'sidecartemplates']);
      const container = findOne(docs, 'Deployment').spec.template.spec.containers[0];
      expect(container.env.map((e: Doc) => e.name)).not.toContain('SIDECAR_INJECTOR_DRIFT_REPORT');
    },
    TIMEOUT_MS,
  );

  test(
    'the example templates are deploy/templates as objects, and template files go into the ConfigMap',
    async () => {
      const docs = await everything();
      const examples = readdirSync(join(DEPLOY_DIR, 'templates')).flatMap((f) =>
        parseKubeYaml(readFileSync(join(DEPLOY_DIR, 'templates', f), 'utf8'), f),
      );
      const installed = findAll(docs, 'SidecarTemplate');
      expect(installed.map((t) => ({ ...t, metadata: { name: t.metadata.name } }))).toEqual(
        expect.arrayContaining(examples),
      );
      expect(installed).toHaveLength(examples.length);
      expect(findOne(docs, 'ConfigMap', 'platform-sidecar-injector-templates').data['hello.yaml']).toContain(
        'name: hello',
      );
    },
    TIMEOUT_MS,
  );

  test("the chart's copies of the example templates are deploy/templates' files, byte for byte", () => {
    for (const file of readdirSync(join(DEPLOY_DIR, 'templates')))
      expect([file, readFileSync(join(CHART_DIR, 'files', 'examples', file), 'utf8')]).toEqual([
        file,
        readFileSync(join(DEPLOY_DIR, 'templates', file), 'utf8'),
      ]);
    expect(readdirSync(join(CHART_DIR, 'files', 'examples'))).toEqual(readdirSync(join(DEPLOY_DIR, 'templates')));
  });

  test(
    'the NetworkPolicy lets in the webhook and metrics ports and out only to the API server',
    async () => {
      const policy = findOne(await everything(), 'NetworkPolicy');
      expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(policy.spec.ingress).toEqual([
        { ports: [{ port: 'https', protocol: 'TCP' }] },
        {
          ports: [{ port: 'metrics', protocol: 'TCP' }],
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        },
      ]);
      expect(policy.spec.egress).toEqual([
        { ports: [{ port: 6443, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '10.0.0.1/32' } }] },
      ]);
    },
    TIMEOUT_MS,
  );
});

describe("the Deployment's arguments are what serve accepts", () => {
  test.each(ci.map((c) => [c.name, c.path] as const))(
    'ci/%s: serve parses them (the real flag parser)',
    async (_name, path) => {
      const container = findOne(await helmTemplate(helm, { values: [path] }), 'Deployment').spec.template.spec
        .containers[0];
      expect(container.args[0]).toBe('serve');
      // The flags and their SIDECAR_INJECTOR_* variables, as serve reads them in the pod.
      const env: Record<string, string> = Object.fromEntries(
        container.env.filter((e: Doc) => e.value !== undefined).map((e: Doc) => [e.name, e.value]),
      );
      env.POD_NAMESPACE = 'sidecar-injector';
      const options = serveOptions(parseFlags(SERVE_FLAGS, container.args.slice(1), env).values, env);
      expect(options.config).toMatchObject({ port: 8443, metricsPort: 9090, shutdownTimeoutMs: 25_000 });
      expect(options).toMatchObject({ kubernetes: 'on', templateDirs: ['/etc/sidecar-injector/templates'] });
      expect([path, options.driftReport]).toEqual([
        path,
        /driftReport:\s+enabled: true/.test(readFileSync(path, 'utf8')),
      ]);
    },
    TIMEOUT_MS,
  );
});
