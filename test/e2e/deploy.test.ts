// deploy/ against the real tools: every overlay builds with `kubectl kustomize` (as `kubectl apply
// -k` would) into the workload, the generated CRD and a contract-conforming webhook, and every
// overlay passes `kubectl apply --dry-run=server -k` on a real kube-apiserver, which runs the
// API server's own validation of every object (and the CRD's structural schema checks).
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sidecarTemplateCrd } from '../../src/templates/crdSchema';
import {
  DEPLOY_DIR,
  type Doc,
  findAll,
  findOne,
  INJECTOR_NAMESPACE,
  parseYaml,
  type Scope,
  webhookContractProblems,
} from '../unit/deploy/manifests';
import { type ControlPlane, startControlPlane } from './support/controlPlane';
import { SETUP_TIMEOUT_MS } from './support/environment';
import { generateCertificates } from './support/injector';
import { Kube } from './support/kube';

const TIMEOUT_MS = 60_000;
/** Every overlay shipped, so a new one is covered without editing this test. */
const OVERLAYS = readdirSync(join(DEPLOY_DIR, 'overlays')).sort();
const needsCertificates = (overlay: string) => overlay.endsWith('-manual');
const scopeOf = (overlay: string): Scope => {
  if (overlay.startsWith('opt-in')) return 'opt-in';
  if (overlay.startsWith('cluster-wide')) return 'cluster-wide';
  throw new Error(`deploy/overlays/${overlay}: name says neither opt-in nor cluster-wide`);
};

/**
 * Stand-ins for cert-manager's CRDs (cert-manager is not installed here): just the kinds the
 * cert-manager component uses, with no schema, so the server-side dry run covers every object of
 * those overlays. What cert-manager itself would say about the Issuers and Certificates is not
 * tested here.
 */
function certManagerStandInCrd(kind: string, plural: string): Doc {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.cert-manager.io` },
    spec: {
      group: 'cert-manager.io',
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

let cp: ControlPlane;
let kube: Kube;
let work: string;

beforeAll(async () => {
  cp = await startControlPlane();
  kube = new Kube(cp);
  console.log(`e2e: kube-apiserver ${cp.version} at ${cp.apiserverUrl}`);
  // A copy of deploy/, so the manual overlays get certificates as deploy/README.md says, without
  // touching the checkout: `sidecar-injector certs --out <overlay>/certs`.
  work = mkdtempSync(join(tmpdir(), 'sidecar-injector-deploy-'));
  cpSync(DEPLOY_DIR, work, { recursive: true, filter: (src) => !/\/certs$/.test(src) });
  for (const overlay of OVERLAYS.filter(needsCertificates))
    await generateCertificates(join(work, 'overlays', overlay, 'certs'));
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await cp?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const build = async (overlay: string): Promise<Doc[]> =>
  parseYaml(await kube.ok(['kustomize', join(work, 'overlays', overlay)]), overlay);

describe('kubectl kustomize deploy/overlays/<variant>', () => {
  test.each(OVERLAYS)(
    '%s: the workload, the generated CRD and a contract-conforming webhook with its CA',
    async (overlay) => {
      const docs = await build(overlay);
      for (const kind of ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Service'])
        expect([kind, findAll(docs, kind).length]).toEqual([kind, 1]);
      expect(findOne(docs, 'CustomResourceDefinition')).toEqual(sidecarTemplateCrd());

      const webhook = findOne(docs, 'MutatingWebhookConfiguration', 'sidecar-injector');
      expect(webhookContractProblems(webhook, scopeOf(overlay))).toEqual([]);

      if (!needsCertificates(overlay)) {
        expect(webhook.metadata.annotations['cert-manager.io/inject-ca-from']).toBe(
          `${INJECTOR_NAMESPACE}/sidecar-injector-serving`,
        );
        expect(findOne(docs, 'Certificate', 'sidecar-injector-serving').spec.secretName).toBe('sidecar-injector-tls');
      } else {
        const own = join(work, 'overlays', overlay, 'certs');
        const file = (name: string) => readFileSync(join(own, name), 'utf8');
        const secret = findOne(docs, 'Secret', 'sidecar-injector-tls');
        expect(secret.metadata.namespace).toBe(INJECTOR_NAMESPACE);
        expect(secret.type).toBe('kubernetes.io/tls');
        const decoded = (b64: string) => Buffer.from(b64.replace(/\s/g, ''), 'base64').toString('utf8');
        expect(decoded(secret.data['tls.crt'])).toBe(file('tls.crt'));
        expect(decoded(secret.data['tls.key'])).toBe(file('tls.key'));
        // The API server decodes caBundle ignoring line breaks, as Go's base64 does.
        expect(decoded(webhook.webhooks[0].clientConfig.caBundle)).toBe(file('ca.crt'));
      }
    },
    TIMEOUT_MS,
  );
});

describe('kubectl apply --dry-run=server -k deploy/overlays/<variant>', () => {
  beforeAll(async () => {
    await kube.apply(certManagerStandInCrd('Issuer', 'issuers'), certManagerStandInCrd('Certificate', 'certificates'));
    await kube.ok([
      'wait',
      '--for=condition=Established',
      'crd/issuers.cert-manager.io',
      'crd/certificates.cert-manager.io',
    ]);
    // A dry run creates nothing, so the namespaced objects need their namespace to exist already
    // (the NamespaceLifecycle admission plugin); the overlay's Namespace itself is then dry-run updated.
    await kube.createNamespace(INJECTOR_NAMESPACE);
  }, TIMEOUT_MS);

  test.each(OVERLAYS)(
    '%s: the API server accepts every object',
    async (overlay) => {
      const docs = await build(overlay);
      const result = await kube.run(['apply', '--dry-run=server', '-k', join(work, 'overlays', overlay)]);
      expect([result.code, result.stderr]).toEqual([0, '']);
      const accepted = result.stdout.split('\n').filter((l) => l.endsWith('(server dry run)'));
      // One line per object, e.g. "deployment.apps/sidecar-injector created (server dry run)".
      expect(accepted).toHaveLength(docs.length);
      for (const doc of docs) expect(accepted).toContainEqual(expect.stringContaining(`/${doc.metadata.name} `));
    },
    TIMEOUT_MS,
  );

  test(
    'an overlay with both drift components: the report turned on, the CronJob, their RBAC; all accepted',
    async () => {
      const overlay = join(work, 'overlays', 'with-drift');
      mkdirSync(overlay);
      writeFileSync(
        join(overlay, 'kustomization.yaml'),
        [
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          'resources: [../opt-in-cert-manager]',
          'components: [../../components/drift-report, ../../components/drift-restart-cronjob]',
          '',
        ].join('\n'),
      );
      const docs = parseYaml(await kube.ok(['kustomize', overlay]), 'with-drift');
      const env = findOne(docs, 'Deployment', 'sidecar-injector').spec.template.spec.containers[0].env;
      // Merged by name; where kustomize puts the new entry differs between its versions.
      expect(env.map((e: Doc) => e.name).sort()).toEqual([
        'NODE_OPTIONS',
        'POD_NAMESPACE',
        'SIDECAR_INJECTOR_DRIFT_REPORT',
      ]);
      expect(env.find((e: Doc) => e.name === 'SIDECAR_INJECTOR_DRIFT_REPORT').value).toBe('on');
      expect(
        findAll(docs, 'ClusterRole')
          .map((r) => r.metadata.name)
          .sort(),
      ).toEqual(['sidecar-injector', 'sidecar-injector-drift-report', 'sidecar-injector-drift-restart']);
      expect(findOne(docs, 'CronJob', 'sidecar-injector-drift-restart').metadata.namespace).toBe(INJECTOR_NAMESPACE);
      const result = await kube.run(['apply', '--dry-run=server', '-k', overlay]);
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(result.stdout.split('\n').filter((l) => l.endsWith('(server dry run)'))).toHaveLength(docs.length);
    },
    TIMEOUT_MS,
  );
});
