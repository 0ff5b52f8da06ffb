import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { serviceDnsNames } from '../../../src/certs/generate';
import {
  coversNamespace,
  DEPLOY_DIR,
  type Doc,
  findAll,
  findOne,
  INJECTOR_NAMESPACE,
  LABEL_INJECTION,
  manifestsIn,
  parseYaml,
  type Scope,
  webhookContractProblems,
  yamlFilesUnder,
} from './manifests';

// The chart's templates are Go templates, not YAML: helm checks them (npm run test:deploy).
const files = yamlFilesUnder(DEPLOY_DIR).filter(
  (f) =>
    !f.startsWith(join(DEPLOY_DIR, 'templates')) && !f.startsWith(join(DEPLOY_DIR, 'helm/sidecar-injector/templates')),
);
const manifests = manifestsIn(files);
const docsUnder = (dir: string) => manifests.filter((m) => m.file.startsWith(join(DEPLOY_DIR, dir))).map((m) => m.doc);
const base = docsUnder('base');
const kustomizations = manifests.filter((m) => /\/kustomization\.yaml$/.test(m.file));
const OVERLAYS = ['opt-in-cert-manager', 'cluster-wide-cert-manager', 'opt-in-manual', 'cluster-wide-manual'];

describe('every YAML file in deploy/', () => {
  test('parses, and every kustomization names files and directories that exist', () => {
    expect(kustomizations.length).toBeGreaterThanOrEqual(4 + 3 + 1);
    for (const { file, doc } of kustomizations) {
      const listed: string[] = [...(doc.resources ?? []), ...(doc.components ?? [])];
      for (const entry of listed)
        expect([relative(DEPLOY_DIR, file), existsSync(join(dirname(file), entry))]).toEqual([
          relative(DEPLOY_DIR, file),
          true,
        ]);
    }
  });

  test.each(OVERLAYS)('overlay %s builds on base and picks one scope', (overlay) => {
    const { doc } = kustomizations.find((k) => k.file === join(DEPLOY_DIR, 'overlays', overlay, 'kustomization.yaml'))!;
    expect(doc.resources).toEqual(['../../base']);
    const scope = overlay.startsWith('opt-in') ? 'webhook-opt-in' : 'webhook-cluster-wide';
    expect(doc.components).toContain(`../../components/${scope}`);
    expect(doc.components.includes('../../components/cert-manager')).toBe(overlay.endsWith('cert-manager'));
  });

  test('base has no webhook configuration (an overlay chooses the scope)', () => {
    expect(findAll(base, 'MutatingWebhookConfiguration')).toEqual([]);
  });
});

describe.each<[Scope, string]>([
  ['opt-in', 'webhook-opt-in'],
  ['cluster-wide', 'webhook-cluster-wide'],
])('the %s MutatingWebhookConfiguration', (scope, component) => {
  const config = findOne(docsUnder(`components/${component}`), 'MutatingWebhookConfiguration');

  test('matches CONTRACT.md §1 point by point', () => {
    expect(webhookContractProblems(config, scope)).toEqual([]);
  });

  test('never covers the injector namespace, whatever its labels', () => {
    for (const injection of [undefined, 'enabled', 'disabled'])
      expect(coversNamespace(config, INJECTOR_NAMESPACE, injection ? { [LABEL_INJECTION]: injection } : {})).toBe(
        false,
      );
  });

  test('skips namespaces labelled injection=disabled', () => {
    expect(coversNamespace(config, 'team-a', { [LABEL_INJECTION]: 'disabled' })).toBe(false);
  });

  test('covers a labelled namespace', () => {
    expect(coversNamespace(config, 'team-a', { [LABEL_INJECTION]: 'enabled' })).toBe(true);
  });

  if (scope === 'opt-in')
    test('skips an unlabelled namespace', () => {
      expect(coversNamespace(config, 'team-a')).toBe(false);
    });
  else
    test('covers an unlabelled namespace but never the control plane', () => {
      expect(coversNamespace(config, 'team-a')).toBe(true);
      for (const ns of ['kube-system', 'kube-public', 'kube-node-lease'])
        expect(coversNamespace(config, ns, { [LABEL_INJECTION]: 'enabled' })).toBe(false);
    });
});

test('the contract checker finds departures (so the tests above can fail)', () => {
  const config = findOne(docsUnder('components/webhook-opt-in'), 'MutatingWebhookConfiguration');
  const broken: Doc = structuredClone(config);
  broken.webhooks[0].rules[0].resources = ['pods', 'pods/exec'];
  broken.webhooks[0].reinvocationPolicy = 'Never';
  broken.webhooks[0].namespaceSelector.matchExpressions.pop();
  const problems = webhookContractProblems(broken, 'opt-in').join('\n');
  expect(problems).toMatch(/no subresources/);
  expect(problems).toMatch(/reinvocationPolicy IfNeeded/);
  expect(problems).toMatch(/namespaceSelector of the opt-in scope/);
  expect(webhookContractProblems(config, 'cluster-wide').join('\n')).toMatch(/namespaceSelector/);
});

describe('base', () => {
  test('the injector namespace is labelled injection=disabled', () => {
    expect(findOne(base, 'Namespace', INJECTOR_NAMESPACE).metadata.labels[LABEL_INJECTION]).toBe('disabled');
  });

  test('the ClusterRole grants exactly get, list, watch on sidecartemplates and namespaces', () => {
    expect(findAll(base, 'Role')).toEqual([]);
    const rules = findOne(base, 'ClusterRole', 'sidecar-injector').rules;
    expect(rules).toEqual([
      { apiGroups: ['sidecar.injector.dev'], resources: ['sidecartemplates'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
    ]);
    const binding = findOne(base, 'ClusterRoleBinding', 'sidecar-injector');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'sidecar-injector',
    });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'sidecar-injector', namespace: INJECTOR_NAMESPACE },
    ]);
  });

  const deployment = findOne(base, 'Deployment', 'sidecar-injector');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const arg = (flag: string) => container.args[container.args.indexOf(flag) + 1];

  test('the Deployment runs two replicas under the ServiceAccount, spread over nodes, with a PDB', () => {
    expect(deployment.metadata.namespace).toBe(INJECTOR_NAMESPACE);
    expect(deployment.spec.replicas).toBe(2);
    expect(pod.serviceAccountName).toBe(findOne(base, 'ServiceAccount').metadata.name);
    expect(pod.topologySpreadConstraints).toEqual([
      expect.objectContaining({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' }),
    ]);
    const pdb = findOne(base, 'PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
  });

  test('the container is locked down: non-root 65532, read-only root, no privilege escalation, no capabilities', () => {
    expect(pod.containers).toHaveLength(1);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext.capabilities.add).toBeUndefined();
    expect(pod.hostNetwork).toBeUndefined();
    expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
  });

  test("V8's heap is bounded inside the memory limit, young generation included", () => {
    // Unbounded, Node 24 grew to 200-300 MiB under load (npm run bench -- --only memory).
    const env = container.env as Array<{ name: string; value?: string }>;
    const flags = (env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '').split(' ');
    const mebibytes = (flag: string) => Number(flags.find((f) => f.startsWith(`${flag}=`))?.split('=')[1]);
    const limitMiB = Number(/^(\d+)Mi$/.exec(container.resources.limits.memory)?.[1]);
    expect(mebibytes('--max-old-space-size') + 3 * mebibytes('--max-semi-space-size')).toBeLessThan(limitMiB / 1.5);
  });

  test('serves HTTPS on 8443 with probes on /readyz and /healthz, and metrics on 9090', () => {
    expect(container.ports).toEqual([
      { name: 'https', containerPort: 8443, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ]);
    const https = { port: 'https', scheme: 'HTTPS' };
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', ...https });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', ...https });
    expect(container.startupProbe.httpGet).toMatchObject(https);
    const service = findOne(base, 'Service', 'sidecar-injector');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(service.spec.ports).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'https', port: 443, targetPort: 'https' })]),
    );
  });

  test('drains before the grace period ends, without a shell', () => {
    expect(container.lifecycle.preStop).toEqual({ sleep: { seconds: 5 } });
    const drain = Number(arg('--shutdown-timeout'));
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(5 + drain);
  });

  test('serves with the mounted certificate and templates, watching the cluster', () => {
    expect(container.args[0]).toBe('serve');
    const mounts = Object.fromEntries(container.volumeMounts.map((m: Doc) => [m.name, m]));
    const volumes = Object.fromEntries(pod.volumes.map((v: Doc) => [v.name, v]));
    expect(arg('--tls-cert')).toBe(`${mounts.tls.mountPath}/tls.crt`);
    expect(arg('--tls-key')).toBe(`${mounts.tls.mountPath}/tls.key`);
    expect(arg('--templates-dir')).toBe(mounts.templates.mountPath);
    expect(arg('--kubernetes')).toBe('on');
    expect(mounts.tls.readOnly).toBe(true);
    expect(volumes.tls.secret.secretName).toBe('sidecar-injector-tls');
    expect(volumes.templates.configMap.name).toBe(findOne(base, 'ConfigMap').metadata.name);
    expect(container.env).toContainEqual({
      name: 'POD_NAMESPACE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
  });
});

describe('certificates', () => {
  const certManager = docsUnder('components/cert-manager');
  const kustomization = certManager.find((d) => d.kind === 'Component') as Doc;

  test('cert-manager: the serving Certificate writes sidecar-injector-tls for every Service DNS name', () => {
    const serving = findOne(certManager, 'Certificate', 'sidecar-injector-serving');
    expect(serving.metadata.namespace).toBe(INJECTOR_NAMESPACE);
    expect(serving.spec.secretName).toBe('sidecar-injector-tls');
    expect([...serving.spec.dnsNames].sort()).toEqual(serviceDnsNames('sidecar-injector', INJECTOR_NAMESPACE).sort());
    const caIssuer = findOne(certManager, 'Issuer', serving.spec.issuerRef.name);
    const ca = findOne(certManager, 'Certificate', 'sidecar-injector-ca');
    expect(caIssuer.spec.ca.secretName).toBe(ca.spec.secretName);
    expect(ca.spec.isCA).toBe(true);
    expect(findOne(certManager, 'Issuer', ca.spec.issuerRef.name).spec.selfSigned).toEqual({});
  });

  test('cert-manager: the webhook gets the CA from that Certificate', () => {
    const [patch] = kustomization.patches;
    expect(patch.target).toMatchObject({ kind: 'MutatingWebhookConfiguration', name: 'sidecar-injector' });
    const [patched] = parseYaml(patch.patch, 'cert-manager patch');
    expect(patched?.metadata.annotations).toEqual({
      'cert-manager.io/inject-ca-from': `${INJECTOR_NAMESPACE}/sidecar-injector-serving`,
    });
  });

  test.each(['opt-in-manual', 'cluster-wide-manual'])(
    'manual (%s): the Secret comes from certs/ and its ca.crt becomes the caBundle',
    (overlay) => {
      const dir = join(DEPLOY_DIR, 'overlays', overlay);
      const doc = kustomizations.find((k) => k.file === join(dir, 'kustomization.yaml'))!.doc;
      expect(doc.secretGenerator).toEqual([
        expect.objectContaining({
          name: 'sidecar-injector-tls',
          namespace: INJECTOR_NAMESPACE,
          type: 'kubernetes.io/tls',
          files: ['certs/tls.crt', 'certs/tls.key', 'certs/ca.crt'],
          options: expect.objectContaining({ disableNameSuffixHash: true }),
        }),
      ]);
      expect(doc.replacements).toEqual([
        {
          source: { kind: 'Secret', name: 'sidecar-injector-tls', fieldPath: 'data.[ca.crt]' },
          targets: [
            {
              select: { kind: 'MutatingWebhookConfiguration', name: 'sidecar-injector' },
              fieldPaths: ['webhooks.*.clientConfig.caBundle'],
              options: { create: true },
            },
          ],
        },
      ]);
      // Private keys written there must not be committed by accident.
      expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toMatch(/^certs\/$/m);
    },
  );
});
