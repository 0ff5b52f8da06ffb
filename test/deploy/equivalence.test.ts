// The Helm chart and the kustomize variants install the same objects. Each values file in the
// chart's ci/ names its kustomize equivalent on its first line; the chart is rendered with it
// (`helm template --include-crds --skip-tests`), the kustomize directories are built with
// `kubectl kustomize`, and the objects must be equal after removing only what differs by design:
// - Helm's own labels (helm.sh/chart, app.kubernetes.io/managed-by, instance, version), wherever
//   labels are written or selected;
// - the manual overlays' Secret, which the chart expects to exist (certificates.source: secret);
//   its ca.crt is the chart's caBundle, so the webhook configurations are compared whole;
// - line breaks in caBundle (kustomize wraps base64 text; the API server decodes it ignoring them);
// - the order of a container's env entries, compared by name (kustomize releases differ in where
//   a patch's new entry goes; no entry here refers to another with $(NAME)).
// A change to one side without the other fails here, naming the object and the field.
//
// UPDATE_OBSERVABILITY=1 (npm run generate:observability) first writes deploy/observability's
// ServiceMonitor, PrometheusRule and dashboard from the chart, so that they compare equal.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { generateCertificates } from '../e2e/support/injector';
import { DEPLOY_DIR, type Doc } from '../unit/deploy/manifests';
import {
  CHART_DIR,
  type CiValues,
  ciValuesFiles,
  helmTemplate,
  manifestDifferences,
  parseKubeYaml,
  withoutHelmLabels,
} from './support/chart';
import { kubectlPath, runOk, TOOLS_TIMEOUT_MS, toolPath } from './support/tools';

const TIMEOUT_MS = 120_000;
const TLS_SECRET = 'sidecar-injector-tls';
const OBSERVABILITY = join(DEPLOY_DIR, 'observability');

let helm: string;
let kubectl: string;
let work: string;

beforeAll(async () => {
  [helm, kubectl] = await Promise.all([toolPath('helm'), kubectlPath()]);
  if (process.env.UPDATE_OBSERVABILITY === '1') await writeObservability();
  // A copy of deploy/ with certificates for the manual overlays, as deploy/README.md says.
  work = mkdtempSync(join(tmpdir(), 'sidecar-injector-equivalence-'));
  cpSync(DEPLOY_DIR, work, { recursive: true, filter: (src) => !/\/certs$/.test(src) });
  for (const overlay of readdirSync(join(work, 'overlays')).filter((o) => o.endsWith('-manual')))
    await generateCertificates(join(work, 'overlays', overlay, 'certs'));
}, TOOLS_TIMEOUT_MS);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `kubectl kustomize` of an overlay, with components added through a kustomization of its own. */
async function kustomizeBuild(root: string, name: string, target: NonNullable<CiValues['kustomize']>): Promise<Doc[]> {
  let dir = join(root, target.resource);
  if (target.components.length > 0) {
    dir = join(root, 'equivalence', name);
    mkdirSync(dir, { recursive: true });
    const kustomization = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [`../../${target.resource}`],
      components: target.components.map((c) => `../../${c}`),
    };
    writeFileSync(join(dir, 'kustomization.yaml'), stringify(kustomization));
  }
  return parseKubeYaml(await runOk(kubectl, ['kustomize', dir]), `kubectl kustomize ${target.resource}`);
}

/** The chart rendered for a ci/ values file, and the overlay's build, normalised (see the top). */
async function bothSides(ci: CiValues, deployDir: string, chartDir = CHART_DIR) {
  const target = ci.kustomize;
  if (!target) throw new Error(`ci/${ci.name} has no kustomize equivalent`);
  let kustomize = await kustomizeBuild(deployDir, ci.name.replace(/\.yaml$/, ''), target);
  const set: Record<string, string> = {};
  const secret = kustomize.find((d) => d.kind === 'Secret' && d.metadata.name === TLS_SECRET);
  if (secret) {
    // The chart takes the Secret as given and its CA as caBundle: the overlay's own.
    set['certificates.secret.caBundle'] = secret.data['ca.crt'];
    kustomize = kustomize.filter((d) => d !== secret);
  }
  const chart = await helmTemplate(helm, { chartDir, values: [ci.path], set, includeCrds: true, skipTests: true });
  const normalise = (doc: Doc) => envByName(unwrappedCaBundle(withoutHelmLabels(doc)));
  return { chart: chart.map(normalise), kustomize: kustomize.map(normalise), secret };
}

function envByName(doc: Doc): Doc {
  const podSpec = doc.spec?.template?.spec;
  if (!podSpec?.containers) return doc;
  for (const container of podSpec.containers as Doc[]) {
    if (container.env?.some((e: Doc) => typeof e.value === 'string' && e.value.includes('$(')))
      throw new Error(`${doc.kind} ${doc.metadata.name}: an env entry refers to another; its order matters`);
    container.env?.sort((a: Doc, b: Doc) => String(a.name).localeCompare(String(b.name)));
  }
  return doc;
}

function unwrappedCaBundle(doc: Doc): Doc {
  if (doc.kind !== 'MutatingWebhookConfiguration') return doc;
  const webhooks = doc.webhooks.map((w: Doc) =>
    typeof w.clientConfig?.caBundle === 'string'
      ? { ...w, clientConfig: { ...w.clientConfig, caBundle: w.clientConfig.caBundle.replace(/\s/g, '') } }
      : w,
  );
  return { ...doc, webhooks };
}

const equivalent = ciValuesFiles().filter((ci) => ci.kustomize);

describe('the chart and the kustomize variants install the same objects', () => {
  test.each(equivalent.map((ci) => [ci.name, ci] as const))(
    'ci/%s',
    async (_name, ci) => {
      const { chart, kustomize, secret } = await bothSides(ci, work);
      expect(manifestDifferences({ chart, kustomize })).toEqual([]);
      if (ci.kustomize?.resource.endsWith('-manual')) {
        // The overlay's Secret is the one the chart's Deployment mounts.
        expect(secret?.type).toBe('kubernetes.io/tls');
        const deployment = chart.find((d) => d.kind === 'Deployment');
        const tls = deployment?.spec.template.spec.volumes.find((v: Doc) => v.name === 'tls');
        expect(tls.secret.secretName).toBe(TLS_SECRET);
      }
    },
    TIMEOUT_MS,
  );

  test('every overlay in deploy/overlays has a values file in ci/ that equals it', () => {
    const covered = new Set(equivalent.map((ci) => ci.kustomize?.resource));
    const overlays = readdirSync(join(DEPLOY_DIR, 'overlays')).map((o) => `overlays/${o}`);
    expect(overlays.filter((o) => !covered.has(o))).toEqual([]);
  });
});

describe('a change on one side only is found', () => {
  const ci = () => equivalent.find((c) => c.name === 'opt-in-cert-manager-values.yaml') as CiValues;

  test('the chart with another default timeoutSeconds differs from the overlay in exactly that field', async () => {
    const chartCopy = join(work, 'chart-planted');
    cpSync(CHART_DIR, chartCopy, { recursive: true });
    const values = join(chartCopy, 'values.yaml');
    writeFileSync(values, readFileSync(values, 'utf8').replace('timeoutSeconds: 5', 'timeoutSeconds: 7'));
    const { chart, kustomize } = await bothSides(ci(), work, chartCopy);
    expect(manifestDifferences({ chart, kustomize })).toEqual([
      'MutatingWebhookConfiguration sidecar-injector: webhooks[0].timeoutSeconds: 7 ≠ 5 (chart ≠ kustomize)',
    ]);
  });

  test('the kustomize base with another Service port differs from the chart in exactly that field', async () => {
    const deployCopy = mkdtempSync(join(tmpdir(), 'sidecar-injector-planted-'));
    cpSync(work, deployCopy, { recursive: true });
    const service = join(deployCopy, 'base', 'service.yaml');
    writeFileSync(service, readFileSync(service, 'utf8').replace('port: 9090', 'port: 9091'));
    const { chart, kustomize } = await bothSides(ci(), deployCopy);
    rmSync(deployCopy, { recursive: true, force: true });
    expect(manifestDifferences({ chart, kustomize })).toEqual([
      'Service sidecar-injector/sidecar-injector: spec.ports[1].port: 9090 ≠ 9091 (chart ≠ kustomize)',
    ]);
  });
});

/** deploy/observability from the chart: its ServiceMonitor and PrometheusRule, and the dashboard. */
async function writeObservability(): Promise<void> {
  const ci = ciValuesFiles().find((c) => c.kustomize?.components.includes('observability'));
  if (!ci) throw new Error('no ci/ values file equals an overlay plus deploy/observability');
  const header = '# generated from deploy/helm/sidecar-injector by npm run generate:observability; do not edit\n';
  for (const [template, file] of [
    ['templates/servicemonitor.yaml', 'servicemonitor.yaml'],
    ['templates/prometheusrule.yaml', 'prometheusrule.yaml'],
  ] as const) {
    const [doc] = await helmTemplate(helm, { values: [ci.path], showOnly: [template] });
    writeFileSync(
      join(OBSERVABILITY, file),
      header + stringify(withoutHelmLabels(doc as Doc), { version: '1.1', lineWidth: 0 }),
    );
  }
  cpSync(
    join(CHART_DIR, 'files', 'dashboards', 'sidecar-injector.json'),
    join(OBSERVABILITY, 'sidecar-injector-dashboard.json'),
  );
}
