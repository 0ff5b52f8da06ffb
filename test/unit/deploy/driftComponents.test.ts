// The opt-in drift components: no overlay includes them, and each brings exactly the
// permissions its command needs (read-only but for the pod-template patch of a restart).
import { join } from 'node:path';
import { DEPLOY_DIR, type Doc, findAll, findOne, INJECTOR_NAMESPACE, manifestsIn, yamlFilesUnder } from './manifests';

const docsOf = (dir: string) => manifestsIn(yamlFilesUnder(join(DEPLOY_DIR, dir))).map((m) => m.doc);
const overlays = manifestsIn(yamlFilesUnder(join(DEPLOY_DIR, 'overlays'))).map((m) => m.doc);
const WRITES = ['create', 'update', 'patch', 'delete', 'deletecollection', '*'];

function rulesOf(docs: Doc[], name: string): Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> {
  const binding = findOne(docs, 'ClusterRoleBinding', name);
  expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
  expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name, namespace: INJECTOR_NAMESPACE }]);
  return findOne(docs, 'ClusterRole', name).rules;
}

test('no overlay turns a drift component on: each is opt-in', () => {
  for (const overlay of overlays) {
    expect(JSON.stringify(overlay.components ?? [])).not.toMatch(/drift/);
  }
});

describe('drift-restart-cronjob', () => {
  const docs = docsOf('components/drift-restart-cronjob');
  const cronJob = findOne(docs, 'CronJob', 'sidecar-injector-drift-restart');
  const pod = cronJob.spec.jobTemplate.spec.template.spec;

  test('runs drift --restart over every namespace, one run at a time, not retried at once', () => {
    expect(pod.containers[0].args.slice(0, 3)).toEqual(['drift', '--all-namespaces', '--restart']);
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    expect(cronJob.spec.jobTemplate.spec.backoffLimit).toBe(0);
    expect(pod.restartPolicy).toBe('Never');
  });

  test('with the templates the webhook loads, under its own ServiceAccount, locked down', () => {
    const webhook = findOne(docsOf('base'), 'Deployment', 'sidecar-injector').spec.template.spec;
    const templates = (p: Doc) => p.volumes.find((v: Doc) => v.name === 'templates');
    expect(templates(pod)).toEqual(templates(webhook));
    expect(pod.containers[0].args).toContain('--templates-dir=/etc/sidecar-injector/templates');
    expect(pod.serviceAccountName).toBe('sidecar-injector-drift-restart');
    expect(pod.containers[0].image).toBe(webhook.containers[0].image);
    expect(pod.containers[0].securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
  });

  test('may read what drift reads and patch only Deployments, StatefulSets and DaemonSets; never delete', () => {
    const rules = rulesOf(docs, 'sidecar-injector-drift-restart');
    const writes = rules.filter((r) => r.verbs.some((v) => WRITES.includes(v)));
    expect(writes).toEqual([
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'patch'] },
    ]);
    expect(rules.flatMap((r) => r.resources)).not.toContain('secrets');
    expect(findAll(docs, 'ServiceAccount').map((s) => s.metadata.name)).toEqual(['sidecar-injector-drift-restart']);
  });
});

describe('drift-report', () => {
  const docs = docsOf('components/drift-report');

  test("grants the webhook's ServiceAccount pods (get, list, watch) and webhook configurations (list, watch), read-only", () => {
    const binding = findOne(docs, 'ClusterRoleBinding', 'sidecar-injector-drift-report');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'sidecar-injector', namespace: INJECTOR_NAMESPACE },
    ]);
    expect(findOne(docs, 'ClusterRole', 'sidecar-injector-drift-report').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['mutatingwebhookconfigurations'],
        verbs: ['list', 'watch'],
      },
    ]);
  });

  test("turns the report on through the flag's environment variable", () => {
    const patch = findOne(docs, 'Deployment', 'sidecar-injector');
    expect(patch.spec.template.spec.containers).toEqual([
      { name: 'sidecar-injector', env: [{ name: 'SIDECAR_INJECTOR_DRIFT_REPORT', value: 'on' }] },
    ]);
  });
});
