// `drift --restart`: rolls out the Deployments, StatefulSets and DaemonSets whose pods have an
// outdated or missing sidecar, as `kubectl rollout restart` does (a pod-template annotation, so
// the controller replaces the pods at its own pace), a few at a time, each waited for. It never
// deletes a pod; the other workloads are reported with what to do instead.
import type { ApiClient } from '../cluster/apiClient';
import type { DriftState } from '../injection/drift';
import type { DriftReport, WorkloadDrift } from './report';
import { restartObstacle, rolloutStatus } from './rolloutStatus';

/** The annotation `kubectl rollout restart` sets; its change is what rolls the pods. */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

const RESOURCES: Readonly<Record<string, string>> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
};

/** What a restart heals: the pods would get what the templates inject today. */
const HEALED_BY_RESTART: ReadonlySet<DriftState> = new Set(['outdated', 'missing']);

const HINTS: Readonly<Record<string, string>> = {
  Pod: 'a bare pod is not recreated by anything: delete and create it again to heal it',
  Job: "a Job's pods run to completion: the next Job gets today's templates",
  CronJob: "the next scheduled Job gets today's templates",
  ReplicaSet: 'a ReplicaSet without a Deployment does not roll: replace its pods, or manage it with a Deployment',
  ReplicationController: 'a ReplicationController does not roll: replace its pods, or move to a Deployment',
};

export interface RestartPlan {
  /** Workloads to roll out, in the report's order. */
  readonly restart: readonly WorkloadDrift[];
  /** Drifted workloads drift does not roll, each with what to do. */
  readonly hints: ReadonlyArray<{ readonly workload: WorkloadDrift; readonly hint: string }>;
}

export function planRestarts(report: DriftReport): RestartPlan {
  const restart: WorkloadDrift[] = [];
  const hints: Array<{ workload: WorkloadDrift; hint: string }> = [];
  for (const workload of report.workloads) {
    if (!workload.templates.some((t) => HEALED_BY_RESTART.has(t.state))) continue;
    if (RESOURCES[workload.kind]) restart.push(workload);
    else
      hints.push({
        workload,
        hint: HINTS[workload.kind] ?? `drift does not roll a ${workload.kind}: replace its pods`,
      });
  }
  return { restart, hints };
}

export interface RestartOptions {
  readonly maxConcurrent: number;
  /** Per workload; 0 waits as long as it takes. */
  readonly timeoutMs: number;
  readonly dryRun: boolean;
  readonly log: (line: string) => void;
  readonly clock?: { now(): number; sleep(ms: number): Promise<void> };
  readonly pollMs?: number;
}

export interface RestartOutcome {
  readonly restarted: readonly string[];
  /** The first rollout that failed to progress (then no further one was started). */
  readonly failure?: { readonly workload: string; readonly message: string };
}

const realClock = {
  now: () => Date.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

export const describeWorkload = (w: Pick<WorkloadDrift, 'kind' | 'namespace' | 'name'>) =>
  `${w.kind} ${w.namespace}/${w.name}`;

function why(workload: WorkloadDrift): string {
  return workload.templates
    .filter((t) => HEALED_BY_RESTART.has(t.state))
    .map((t) => `${t.name} ${t.state} in ${t.pods} pod${t.pods === 1 ? '' : 's'}`)
    .join(', ');
}

export async function runRestarts(api: ApiClient, plan: RestartPlan, options: RestartOptions): Promise<RestartOutcome> {
  for (const { workload, hint } of plan.hints) {
    options.log(`not restarting ${describeWorkload(workload)} (${why(workload)}): ${hint}`);
  }
  if (options.dryRun) {
    for (const w of plan.restart) options.log(`would restart ${describeWorkload(w)} (${why(w)}) (dry run)`);
    return { restarted: [] };
  }
  const clock = options.clock ?? realClock;
  const queue = [...plan.restart];
  const restarted: string[] = [];
  let failure: RestartOutcome['failure'];
  const worker = async () => {
    for (let next = queue.shift(); next && !failure; next = queue.shift()) {
      const name = describeWorkload(next);
      try {
        options.log(`restarting ${name} (${why(next)})`);
        await restartOne(api, next, clock, options);
        restarted.push(name);
        options.log(`${name} rolled out`);
      } catch (error) {
        failure ??= { workload: name, message: (error as Error).message };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.maxConcurrent) }, worker));
  return failure ? { restarted, failure } : { restarted };
}

async function restartOne(
  api: ApiClient,
  workload: WorkloadDrift,
  clock: NonNullable<RestartOptions['clock']>,
  options: RestartOptions,
): Promise<void> {
  const path = `/apis/apps/v1/namespaces/${encodeURIComponent(workload.namespace)}/${RESOURCES[workload.kind]}/${encodeURIComponent(workload.name)}`;
  const obstacle = restartObstacle(workload.kind, await api.request('GET', path));
  if (obstacle) throw new Error(`not restarted: ${obstacle}`);
  const restartedAt = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  await api.request('PATCH', path, {
    contentType: 'application/strategic-merge-patch+json',
    body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } } },
  });
  const deadline = options.timeoutMs > 0 ? clock.now() + options.timeoutMs : Number.POSITIVE_INFINITY;
  let last = '';
  for (;;) {
    const status = rolloutStatus(workload.kind, await api.request('GET', path));
    if (status.phase === 'done') return;
    if (status.phase === 'stuck') throw new Error(status.message);
    if (status.message !== last) options.log(`  ${describeWorkload(workload)}: ${status.message}`);
    last = status.message;
    if (clock.now() >= deadline)
      throw new Error(`not rolled out after ${options.timeoutMs / 1000} s: ${status.message}`);
    await clock.sleep(options.pollMs ?? 2000);
  }
}
