// Every set the chart renders (each ci/ values file, CRD and helm test pod included) passes
// `kubectl apply --dry-run=server` on the real kube-apiserver of the e2e suite: the API server's
// own validation of every object, the Priority and NamespaceLifecycle admission plugins, and
// strict field validation. cert-manager and prometheus-operator are not installed here, so
// structural stand-ins for their CRDs (test/deploy/crds/, written for this) come first.
import { join } from 'node:path';
import { type ControlPlane, startControlPlane } from '../e2e/support/controlPlane';
import { Kube } from '../e2e/support/kube';
import { type Doc, findOne } from '../unit/deploy/manifests';
import { CHART_DIR, ciValuesFiles, helmTemplate, NAMESPACE } from './support/chart';
import { TOOLS_TIMEOUT_MS, toolPath } from './support/tools';

const TIMEOUT_MS = 120_000;
const STAND_IN_CRDS = join(__dirname, 'crds');

let cp: ControlPlane;
let kube: Kube;
let helm: string;

beforeAll(async () => {
  [helm, cp] = await Promise.all([toolPath('helm'), startControlPlane()]);
  kube = new Kube(cp);
  console.log(`deploy: kube-apiserver ${cp.version} at ${cp.apiserverUrl}`);
  await kube.ok(['apply', '-f', STAND_IN_CRDS]);
  // The chart's own CRD for real: the example SidecarTemplates need it served.
  await kube.ok(['apply', '-f', join(CHART_DIR, 'crds')]);
  await kube.ok(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  // A dry run creates nothing: namespaced objects need their namespace to exist already.
  await kube.createNamespace(NAMESPACE);
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  await cp?.stop();
});

/** `kubectl apply --dry-run=server`: each object's line, or the API server's refusal. */
async function dryRun(docs: readonly Doc[]): Promise<{ code: number; accepted: string[]; stderr: string }> {
  const result = await kube.run(
    ['apply', '--dry-run=server', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }),
  );
  const accepted = result.stdout.split('\n').filter((l) => l.endsWith('(server dry run)'));
  return { code: result.code, accepted, stderr: result.stderr };
}

describe('kubectl apply --dry-run=server of what the chart renders', () => {
  test.each(ciValuesFiles().map((c) => [c.name, c.path] as const))(
    'ci/%s: the API server accepts every object',
    async (_name, path) => {
      const docs = await helmTemplate(helm, { values: [path], includeCrds: true });
      const result = await dryRun(docs);
      expect([result.code, result.stderr]).toEqual([0, '']);
      // One line per object, e.g. "deployment.apps/sidecar-injector created (server dry run)".
      expect(result.accepted).toHaveLength(docs.length);
      for (const doc of docs) expect(result.accepted).toContainEqual(expect.stringContaining(`/${doc.metadata.name} `));
    },
    TIMEOUT_MS,
  );
});

describe('a planted mistake is refused by the API server', () => {
  const plants: ReadonlyArray<[string, (docs: Doc[]) => void, string]> = [
    [
      'a misspelt Certificate field (the stand-in CRDs are strict, as the real ones are)',
      (docs) => {
        const spec = findOne(docs, 'Certificate', 'sidecar-injector-serving').spec;
        spec.renewbefore = spec.renewBefore;
        delete spec.renewBefore;
      },
      'unknown field "renewbefore" in io.cert-manager.v1.Certificate.spec',
    ],
    [
      'a container port out of range in the Deployment',
      (docs) => {
        findOne(docs, 'Deployment').spec.template.spec.containers[0].ports[0].containerPort = 84430;
      },
      'containerPort: Invalid value: 84430: must be between 1 and 65535',
    ],
    [
      'an alert whose "for" is not a duration',
      (docs) => {
        findOne(docs, 'PrometheusRule').spec.groups[0].rules[0].for = 'five minutes';
      },
      'spec.groups[0].rules[0].for',
    ],
  ];

  test.each(plants)(
    '%s',
    async (_name, edit, message) => {
      const docs = await helmTemplate(helm, { values: [join(CHART_DIR, 'ci', 'observability-values.yaml')] });
      edit(docs);
      const result = await dryRun(docs);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(message);
    },
    TIMEOUT_MS,
  );
});
