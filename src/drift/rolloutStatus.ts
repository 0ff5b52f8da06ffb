// Whether a Deployment, StatefulSet or DaemonSet has finished rolling out, judged as
// `kubectl rollout status` judges it (kubectl's polymorphichelpers/rollout_status.go).
type Obj = Record<string, unknown>;

export type RolloutStatus =
  | { readonly phase: 'done' }
  | { readonly phase: 'progressing'; readonly message: string }
  /** It will not finish by waiting: stop and say why. */
  | { readonly phase: 'stuck'; readonly message: string };

const num = (value: unknown, fallback = 0): number => (typeof value === 'number' ? value : fallback);
const obj = (value: unknown): Obj => (value !== null && typeof value === 'object' ? (value as Obj) : {});

export function rolloutStatus(kind: string, object: unknown): RolloutStatus {
  const { metadata, spec, status } = obj(object) as { metadata?: Obj; spec?: Obj; status?: Obj };
  const s = obj(status);
  if (num(obj(metadata).generation) > num(s.observedGeneration)) {
    return { phase: 'progressing', message: 'waiting for the controller to observe the change' };
  }
  if (kind === 'Deployment') return deploymentStatus(obj(spec), s);
  if (kind === 'StatefulSet') return statefulSetStatus(obj(spec), s);
  if (kind === 'DaemonSet') return daemonSetStatus(s);
  return { phase: 'stuck', message: `cannot follow the rollout of a ${kind}` };
}

function deploymentStatus(spec: Obj, status: Obj): RolloutStatus {
  const progressing = (Array.isArray(status.conditions) ? status.conditions : []).find(
    (c) => obj(c).type === 'Progressing',
  );
  if (obj(progressing).reason === 'ProgressDeadlineExceeded') {
    return { phase: 'stuck', message: `exceeded its progress deadline (${String(obj(progressing).message ?? '')})` };
  }
  const replicas = num(spec.replicas, 1);
  const updated = num(status.updatedReplicas);
  if (updated < replicas) return { phase: 'progressing', message: `${updated} of ${replicas} new replicas updated` };
  const old = num(status.replicas) - updated;
  if (old > 0) return { phase: 'progressing', message: `${old} old replicas pending termination` };
  const available = num(status.availableReplicas);
  if (available < updated)
    return { phase: 'progressing', message: `${available} of ${updated} updated replicas available` };
  return { phase: 'done' };
}

function statefulSetStatus(spec: Obj, status: Obj): RolloutStatus {
  const replicas = num(spec.replicas, 1);
  const ready = num(status.readyReplicas);
  if (ready < replicas) return { phase: 'progressing', message: `${ready} of ${replicas} pods ready` };
  const partition = obj(obj(spec.updateStrategy).rollingUpdate).partition;
  if (typeof partition === 'number' && partition > 0) {
    const updated = num(status.updatedReplicas);
    const wanted = replicas - partition;
    if (updated < wanted)
      return { phase: 'progressing', message: `${updated} of ${wanted} pods updated (partition ${partition})` };
    return { phase: 'done' };
  }
  if (status.updateRevision !== status.currentRevision) {
    return { phase: 'progressing', message: `${num(status.updatedReplicas)} of ${replicas} pods updated` };
  }
  return { phase: 'done' };
}

function daemonSetStatus(status: Obj): RolloutStatus {
  const desired = num(status.desiredNumberScheduled);
  const updated = num(status.updatedNumberScheduled);
  if (updated < desired) return { phase: 'progressing', message: `${updated} of ${desired} new pods updated` };
  const available = num(status.numberAvailable);
  if (available < desired)
    return { phase: 'progressing', message: `${available} of ${desired} updated pods available` };
  return { phase: 'done' };
}

/** Why a restart through the pod template would not roll this workload out, if it would not. */
export function restartObstacle(kind: string, object: unknown): string | undefined {
  const spec = obj(obj(object).spec);
  if (kind === 'Deployment' && spec.paused === true) return 'it is paused (kubectl rollout resume first)';
  const strategy = obj(spec.updateStrategy).type;
  if ((kind === 'StatefulSet' || kind === 'DaemonSet') && strategy === 'OnDelete') {
    return 'its updateStrategy is OnDelete: its pods change only when deleted, which drift never does';
  }
  return undefined;
}
