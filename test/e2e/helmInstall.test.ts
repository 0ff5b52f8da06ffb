// The Helm chart installed with `helm install` (helm 4, built by test/tools/build.sh) into a
// whole cluster: kube-controller-manager, kube-scheduler and kwok nodes. The README's way
// (a labelled namespace, an existing Secret and its CA) with every optional object on: the
// Deployment rolls out Ready on the simulated nodes under Pod Security `restricted`, the
// PodDisruptionBudget counts it, the example templates are served, and upgrade and uninstall
// work. kwok runs no containers, so the injector itself does not answer here and `helm test`
// is not run (test/deploy/helmTest.test.ts runs that pod's script against a real server).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHART_DIR } from '../deploy/support/chart';
import { type RunResult, run, TOOLS_TIMEOUT_MS, toolPath } from '../deploy/support/tools';
import { type ControlPlane, startControlPlane } from './support/controlPlane';
import { generateCertificates } from './support/injector';
import { Kube } from './support/kube';
import { until } from './support/poll';
import { isReady, type KubeObject, podsIn } from './support/workloads';

const NS = 'sidecar-injector';
const RELEASE = 'sidecar-injector';
const TIMEOUT_MS = 300_000;
const EXAMPLES = 5;

let cp: ControlPlane;
let kube: Kube;
let helm: string;
let work: string;

const helmRun = (args: string[]): Promise<RunResult> =>
  run(helm, [...args, '--kubeconfig', cp.kubeconfigPath], { timeoutMs: TIMEOUT_MS });

async function helmOk(args: string[]): Promise<string> {
  const result = await helmRun(args);
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed (exit ${result.code}):\n${result.stderr}`);
  return result.stdout;
}

const injectorPods = () => podsIn(kube, NS, 'app.kubernetes.io/name=sidecar-injector');
const get = async (kind: string, name: string, namespace?: string): Promise<KubeObject> =>
  JSON.parse(await kube.ok(['get', kind, name, '-o', 'json', ...(namespace ? ['-n', namespace] : [])]));

beforeAll(async () => {
  [helm, cp] = await Promise.all([toolPath('helm'), startControlPlane({ controllers: true, nodes: 2 })]);
  kube = new Kube(cp);
  console.log(`e2e: helm install on kube-apiserver ${cp.version} with ${cp.nodes.length} kwok nodes`);
  work = mkdtempSync(join(tmpdir(), 'sidecar-injector-helm-'));
  // prometheus-operator's kinds, as test:deploy's dry run has them, for the optional objects.
  await kube.ok(['apply', '-f', join(__dirname, '..', 'deploy', 'crds', 'prometheus-operator.yaml')]);
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  await cp?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

test(
  "helm install as the README says: Ready on the simulated nodes under Pod Security 'restricted'",
  async () => {
    await kube.createNamespace(NS, {
      'sidecar.injector.dev/injection': 'disabled',
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    const certificates = await generateCertificates(join(work, 'certs'));
    await kube.ok([
      '-n',
      NS,
      'create',
      'secret',
      'tls',
      'sidecar-injector-tls',
      '--cert',
      certificates.certFile,
      '--key',
      certificates.keyFile,
    ]);

    const output = await helmOk([
      'install',
      RELEASE,
      CHART_DIR,
      '--namespace',
      NS,
      '--set',
      'certificates.source=secret',
      '--set-string',
      `certificates.secret.caBundle=${certificates.caBundle}`,
      '--set',
      'templates.examples=true,driftReport.enabled=true,networkPolicy.enabled=true',
      '--set',
      'metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true,metrics.dashboard.enabled=true',
      '--wait',
      '--timeout',
      '4m',
    ]);
    expect(output).toContain('STATUS: deployed');

    const deployment = await get('deployment', RELEASE, NS);
    expect(deployment.status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2 });
    const pods = await injectorPods();
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(cp.nodes).toContain(pod.spec.nodeName);
      expect(isReady(pod)).toBe(true);
    }
    // The disruption controller counts the PDB: one of two may go.
    await until('the PodDisruptionBudget to allow one disruption', async () =>
      (await get('pdb', RELEASE, NS)).status?.disruptionsAllowed === 1 ? true : undefined,
    );

    const webhook = await get('mutatingwebhookconfiguration', RELEASE);
    expect(webhook.webhooks[0].clientConfig).toEqual({
      caBundle: certificates.caBundle,
      service: { name: RELEASE, namespace: NS, path: '/mutate', port: 443 },
    });
    const templates = JSON.parse(await kube.ok(['get', 'sidecartemplates', '-o', 'json'])).items;
    expect(templates).toHaveLength(EXAMPLES);
    for (const kind of ['servicemonitor', 'prometheusrule', 'networkpolicy', 'configmap/sidecar-injector-dashboard'])
      expect((await kube.run(['get', '-n', NS, kind.includes('/') ? kind : `${kind}/${RELEASE}`])).code).toBe(0);
    // The CRD came from the chart's crds/, which is deploy/base/crd.yaml.
    expect((await get('crd', 'sidecartemplates.sidecar.injector.dev')).metadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'sidecar-injector',
    });
  },
  TIMEOUT_MS,
);

test(
  'helm upgrade to three replicas rolls out; helm uninstall removes the webhook configuration and keeps the CRD',
  async () => {
    await helmOk([
      'upgrade',
      RELEASE,
      CHART_DIR,
      '--namespace',
      NS,
      '--reuse-values',
      '--set',
      'replicas=3',
      '--wait',
      '--timeout',
      '4m',
    ]);
    expect((await get('deployment', RELEASE, NS)).status).toMatchObject({ readyReplicas: 3 });
    expect((await injectorPods()).filter(isReady)).toHaveLength(3);

    await helmOk(['uninstall', RELEASE, '--namespace', NS, '--wait', '--timeout', '4m']);
    expect((await kube.run(['get', 'mutatingwebhookconfiguration', RELEASE])).stderr).toContain('NotFound');
    expect((await kube.run(['get', 'deployment', RELEASE, '-n', NS])).stderr).toContain('NotFound');
    // crds/ is never deleted by Helm: the CRD (and any SidecarTemplate not from the chart) stay.
    expect((await kube.run(['get', 'crd', 'sidecartemplates.sidecar.injector.dev'])).code).toBe(0);
  },
  TIMEOUT_MS,
);
