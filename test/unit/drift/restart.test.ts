// drift --restart against an in-memory API and a clock that only moves when the code sleeps:
// which workloads roll, the annotation kubectl sets, one at a time, stopping at the first stuck.
import type { WorkloadDrift } from '../../../src/drift/report';
import { buildReport } from '../../../src/drift/report';
import { planRestarts, RESTARTED_AT, type RestartOptions, runRestarts } from '../../../src/drift/restart';
import type { DriftState } from '../../../src/injection/drift';
import { FakeApi } from './fakeApi';

const workload = (kind: string, name: string, state: DriftState = 'outdated'): WorkloadDrift => ({
  namespace: 'shop',
  kind,
  name,
  pods: 2,
  templates: [{ name: 'log-shipper', state, pods: 2 }],
});

const path = (resource: string, name: string) => `/apis/apps/v1/namespaces/shop/${resource}/${name}`;

const rollingOut = { metadata: { generation: 2 }, spec: { replicas: 2 }, status: { observedGeneration: 1 } };
const rolledOut = {
  metadata: { generation: 2 },
  spec: { replicas: 2 },
  status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
};
const stuck = {
  metadata: { generation: 2 },
  spec: { replicas: 2 },
  status: {
    observedGeneration: 2,
    updatedReplicas: 1,
    conditions: [
      { type: 'Progressing', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet web-2 has timed out' },
    ],
  },
};

function options(overrides: Partial<RestartOptions> = {}) {
  const lines: string[] = [];
  let now = Date.parse('2026-12-01T10:00:00Z');
  const clock = {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
  return {
    lines,
    options: {
      maxConcurrent: 1,
      timeoutMs: 300_000,
      dryRun: false,
      log: (l: string) => lines.push(l),
      clock,
      ...overrides,
    },
  };
}

const plan = (...workloads: WorkloadDrift[]) => planRestarts({ ...buildReport([]), workloads });

test('Deployments, StatefulSets and DaemonSets with outdated or missing pods roll; other kinds get a hint', () => {
  const result = plan(
    workload('Deployment', 'web'),
    workload('StatefulSet', 'db', 'missing'),
    workload('DaemonSet', 'agent'),
    workload('Deployment', 'fine', 'skipped'),
    workload('Deployment', 'gone', 'removed'),
    workload('CronJob', 'nightly'),
    workload('Job', 'once'),
    workload('Pod', 'bare', 'missing'),
  );
  expect(result.restart.map((w) => w.name)).toEqual(['web', 'db', 'agent']);
  expect(result.hints.map((h) => `${h.workload.name}: ${h.hint}`)).toEqual([
    "nightly: the next scheduled Job gets today's templates",
    "once: a Job's pods run to completion: the next Job gets today's templates",
    'bare: a bare pod is not recreated by anything: delete and create it again to heal it',
  ]);
});

test('a restart sets the pod template annotation kubectl sets and waits until the rollout is complete', async () => {
  const api = new FakeApi().sequence(path('deployments', 'web'), [{ spec: {} }, rollingOut, rollingOut, rolledOut]);
  const { lines, options: opts } = options();
  const outcome = await runRestarts(api, plan(workload('Deployment', 'web')), opts);
  expect(outcome).toEqual({ restarted: ['Deployment shop/web'] });
  const patch = api.requests.find((r) => r.method === 'PATCH');
  expect(patch?.options).toEqual({
    contentType: 'application/strategic-merge-patch+json',
    body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: '2026-12-01T10:00:00Z' } } } } },
  });
  expect(api.requests.filter((r) => r.method === 'GET')).toHaveLength(4);
  expect(lines).toEqual([
    'restarting Deployment shop/web (log-shipper outdated in 2 pods)',
    '  Deployment shop/web: waiting for the controller to observe the change',
    'Deployment shop/web rolled out',
  ]);
});

test('one at a time by default: the next rollout starts after the previous one completed', async () => {
  const api = new FakeApi()
    .sequence(path('deployments', 'a'), [{}, rollingOut, rolledOut])
    .sequence(path('deployments', 'b'), [{}, rolledOut]);
  await runRestarts(api, plan(workload('Deployment', 'a'), workload('Deployment', 'b')), options().options);
  const order = api.requests.map((r) => `${r.method} ${r.path.split('/').pop()}`);
  expect(order).toEqual(['GET a', 'PATCH a', 'GET a', 'GET a', 'GET b', 'PATCH b', 'GET b']);
});

test('--max-concurrent 2 starts the second rollout before the first has completed', async () => {
  const api = new FakeApi()
    .sequence(path('deployments', 'a'), [{}, rollingOut, rolledOut])
    .sequence(path('deployments', 'b'), [{}, rollingOut, rolledOut]);
  const workloads = plan(workload('Deployment', 'a'), workload('Deployment', 'b'));
  await runRestarts(api, workloads, options({ maxConcurrent: 2 }).options);
  const order = api.requests.map((r) => `${r.method} ${r.path.split('/').pop()}`);
  expect(order.indexOf('PATCH b')).toBeLessThan(order.lastIndexOf('GET a'));
});

test('the first rollout that does not progress stops the rest, and says why', async () => {
  const api = new FakeApi()
    .sequence(path('deployments', 'web'), [{}, stuck])
    .sequence(path('deployments', 'next'), [{}, rolledOut]);
  const outcome = await runRestarts(
    api,
    plan(workload('Deployment', 'web'), workload('Deployment', 'next')),
    options().options,
  );
  expect(outcome.failure).toEqual({
    workload: 'Deployment shop/web',
    message: 'exceeded its progress deadline (ReplicaSet web-2 has timed out)',
  });
  expect(api.requests.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual([path('deployments', 'web')]);
});

test('a rollout that has not completed within --timeout fails', async () => {
  const api = new FakeApi().sequence(path('statefulsets', 'db'), [{}, rollingOut]);
  const outcome = await runRestarts(api, plan(workload('StatefulSet', 'db')), options({ timeoutMs: 60_000 }).options);
  expect(outcome.failure?.message).toBe('not rolled out after 60 s: waiting for the controller to observe the change');
});

test('a paused Deployment or an OnDelete StatefulSet is not patched: it would not roll', async () => {
  const api = new FakeApi()
    .object(path('deployments', 'web'), { spec: { paused: true } })
    .object(path('statefulsets', 'db'), { spec: { updateStrategy: { type: 'OnDelete' } } });
  const paused = await runRestarts(api, plan(workload('Deployment', 'web')), options().options);
  expect(paused.failure?.message).toBe('not restarted: it is paused (kubectl rollout resume first)');
  const onDelete = await runRestarts(api, plan(workload('StatefulSet', 'db')), options().options);
  expect(onDelete.failure?.message).toMatch(/OnDelete: its pods change only when deleted/);
  expect(api.requests.some((r) => r.method === 'PATCH')).toBe(false);
});

test('--dry-run says what it would restart and changes nothing', async () => {
  const api = new FakeApi();
  const { lines, options: opts } = options({ dryRun: true });
  const outcome = await runRestarts(api, plan(workload('Deployment', 'web'), workload('Pod', 'bare')), opts);
  expect(outcome).toEqual({ restarted: [] });
  expect(api.requests).toEqual([]);
  expect(lines).toEqual([
    'not restarting Pod shop/bare (log-shipper outdated in 2 pods): a bare pod is not recreated by anything: delete and create it again to heal it',
    'would restart Deployment shop/web (log-shipper outdated in 2 pods) (dry run)',
  ]);
});
