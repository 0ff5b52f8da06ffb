// Builds every overlay with `kubectl kustomize`, as `kubectl apply -k` would. Needs a kubectl:
// the one test/e2e/controlplane/build.sh caches, else one on PATH; skipped when there is none.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GeneratedCertificates, generateCertificates } from '../../../src/certs/generate';
import { sidecarTemplateCrd } from '../../../src/templates/crdSchema';
import {
  DEPLOY_DIR,
  type Doc,
  findAll,
  findOne,
  INJECTOR_NAMESPACE,
  parseYaml,
  type Scope,
  webhookContractProblems,
} from './manifests';

function findKubectl(): string | undefined {
  const cache = process.env.SIDECAR_INJECTOR_CACHE ?? join(homedir(), '.cache', 'sidecar-injector');
  const cached = existsSync(cache)
    ? readdirSync(cache)
        .filter((d) => d.startsWith('k8s-'))
        .sort()
        .reverse()
        .map((d) => join(cache, d, 'bin', 'kubectl'))
        .find((p) => existsSync(p))
    : undefined;
  if (cached) return cached;
  const onPath = spawnSync('kubectl', ['version', '--client'], { timeout: 20_000, stdio: 'ignore' });
  return onPath.status === 0 ? 'kubectl' : undefined;
}

const kubectl = findKubectl();
const describeWithKubectl = kubectl ? describe : describe.skip;
const BUILD_TIMEOUT_MS = 60_000;

describeWithKubectl('kubectl kustomize deploy/overlays/<variant>', () => {
  let work: string;
  let certs: GeneratedCertificates;
  const build = (overlay: string): Doc[] => {
    const out = execFileSync(kubectl as string, ['kustomize', join(work, 'overlays', overlay)], {
      timeout: BUILD_TIMEOUT_MS,
      encoding: 'utf8',
    });
    return parseYaml(out, overlay);
  };

  beforeAll(async () => {
    // A copy of deploy/, so that the manual overlays get certificates without touching the checkout.
    work = mkdtempSync(join(tmpdir(), 'sidecar-injector-deploy-'));
    cpSync(DEPLOY_DIR, work, { recursive: true, filter: (src) => !/\/certs$/.test(src) });
    certs = await generateCertificates({ service: 'sidecar-injector', namespace: INJECTOR_NAMESPACE, days: 1 });
    for (const overlay of ['opt-in-manual', 'cluster-wide-manual']) {
      const dir = join(work, 'overlays', overlay, 'certs');
      mkdirSync(dir);
      writeFileSync(join(dir, 'ca.crt'), certs.caCert);
      writeFileSync(join(dir, 'tls.crt'), certs.cert);
      writeFileSync(join(dir, 'tls.key'), certs.key);
    }
  }, BUILD_TIMEOUT_MS);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test.each<[string, Scope]>([
    ['opt-in-cert-manager', 'opt-in'],
    ['cluster-wide-cert-manager', 'cluster-wide'],
    ['opt-in-manual', 'opt-in'],
    ['cluster-wide-manual', 'cluster-wide'],
  ])(
    '%s: the workload, the generated CRD and a contract-conforming %s webhook with its CA',
    (overlay, scope) => {
      const docs = build(overlay);
      for (const kind of ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Service'])
        expect([kind, findAll(docs, kind).length]).toEqual([kind, 1]);
      expect(findOne(docs, 'CustomResourceDefinition')).toEqual(sidecarTemplateCrd());

      const webhook = findOne(docs, 'MutatingWebhookConfiguration', 'sidecar-injector');
      expect(webhookContractProblems(webhook, scope)).toEqual([]);

      if (overlay.endsWith('cert-manager')) {
        expect(webhook.metadata.annotations['cert-manager.io/inject-ca-from']).toBe(
          `${INJECTOR_NAMESPACE}/sidecar-injector-serving`,
        );
        expect(findOne(docs, 'Certificate', 'sidecar-injector-serving').spec.secretName).toBe('sidecar-injector-tls');
      } else {
        const secret = findOne(docs, 'Secret', 'sidecar-injector-tls');
        expect(secret.metadata.namespace).toBe(INJECTOR_NAMESPACE);
        expect(secret.type).toBe('kubernetes.io/tls');
        const decoded = (b64: string) => Buffer.from(b64.replace(/\s/g, ''), 'base64').toString('utf8');
        expect(decoded(secret.data['tls.crt'])).toBe(certs.cert);
        expect(decoded(secret.data['tls.key'])).toBe(certs.key);
        // The API server decodes caBundle ignoring line breaks, as Go's base64 does.
        expect(decoded(webhook.webhooks[0].clientConfig.caBundle)).toBe(certs.caCert);
      }
    },
    BUILD_TIMEOUT_MS,
  );
});
