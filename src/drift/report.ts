// The DriftReport: pods' template states summed up per workload (its top owner) and state.

import { DRIFT_STATES, DRIFTED_STATES, type DriftState, type TemplateDrift } from '../injection/drift';
import { API_VERSION } from '../templates/sidecarTemplate';

export interface Workload {
  /** The top owner's kind (Deployment, CronJob, ...), or `Pod` for a pod without a controller. */
  readonly kind: string;
  readonly name: string;
}

/** One listed pod: where it belongs and its templates' states. */
export interface PodDriftRecord {
  readonly namespace: string;
  readonly name: string;
  readonly workload: Workload;
  readonly templates: readonly TemplateDrift[];
}

export interface TemplateEntry {
  readonly name: string;
  readonly state: DriftState;
  /** Pods of the workload in this state for this template. */
  readonly pods: number;
  /** The distinct hashes the pods record (current, outdated, removed). */
  readonly recordedHashes?: string[];
  /** What the template renders today for these pods' parameters (the one most pods get). */
  readonly currentHash?: string;
  /** Why, where the state has a reason: the conflict of a skip, why a render fails. */
  readonly reasons?: string[];
}

export interface WorkloadDrift extends Workload {
  readonly namespace: string;
  /** Its pods that record or select a template (of those asked about). */
  readonly pods: number;
  readonly templates: TemplateEntry[];
}

export type DriftSummary = Record<DriftState, number>;

export interface DriftReport {
  readonly apiVersion: string;
  readonly kind: 'DriftReport';
  readonly workloads: WorkloadDrift[];
  /** (pod, template) pairs in each state. */
  readonly summary: DriftSummary;
}

interface Bucket {
  pods: number;
  recorded: Set<string>;
  current: Map<string, number>;
  reasons: Set<string>;
}

/** `templates`, when given, limits the report to those template names. */
export function buildReport(pods: Iterable<PodDriftRecord>, templates?: ReadonlySet<string>): DriftReport {
  const summary = Object.fromEntries(DRIFT_STATES.map((s) => [s, 0])) as DriftSummary;
  const workloads = new Map<string, { workload: WorkloadDrift; buckets: Map<string, Bucket> }>();
  for (const pod of pods) {
    const entries = templates ? pod.templates.filter((t) => templates.has(t.template)) : pod.templates;
    if (entries.length === 0) continue;
    const key = JSON.stringify([pod.namespace, pod.workload.kind, pod.workload.name]);
    let group = workloads.get(key);
    if (!group) {
      const workload = { namespace: pod.namespace, ...pod.workload, pods: 0, templates: [] };
      group = { workload, buckets: new Map() };
      workloads.set(key, group);
    }
    (group.workload as { pods: number }).pods++;
    for (const entry of entries) {
      summary[entry.state]++;
      const bucketKey = JSON.stringify([entry.template, entry.state]);
      let bucket = group.buckets.get(bucketKey);
      if (!bucket) {
        bucket = { pods: 0, recorded: new Set(), current: new Map(), reasons: new Set() };
        group.buckets.set(bucketKey, bucket);
      }
      bucket.pods++;
      if (entry.recordedHash !== undefined) bucket.recorded.add(entry.recordedHash);
      if (entry.currentHash !== undefined)
        bucket.current.set(entry.currentHash, (bucket.current.get(entry.currentHash) ?? 0) + 1);
      if (entry.reason !== undefined) bucket.reasons.add(entry.reason);
    }
  }
  const result: WorkloadDrift[] = [];
  for (const { workload, buckets } of workloads.values()) {
    for (const [key, bucket] of buckets) {
      const [name, state] = JSON.parse(key) as [string, DriftState];
      workload.templates.push({
        name,
        state,
        pods: bucket.pods,
        ...(bucket.recorded.size > 0 ? { recordedHashes: [...bucket.recorded].sort() } : {}),
        ...(bucket.current.size > 0 ? { currentHash: mostCommon(bucket.current) } : {}),
        ...(bucket.reasons.size > 0 ? { reasons: [...bucket.reasons].sort() } : {}),
      });
    }
    workload.templates.sort(
      (a, b) => compare(a.name, b.name) || DRIFT_STATES.indexOf(a.state) - DRIFT_STATES.indexOf(b.state),
    );
    result.push(workload);
  }
  result.sort((a, b) => compare(a.namespace, b.namespace) || compare(a.kind, b.kind) || compare(a.name, b.name));
  return { apiVersion: API_VERSION, kind: 'DriftReport', workloads: result, summary };
}

/** Whether anything is outdated, missing or removed: `drift` then exits 3. */
export function hasDrift(report: DriftReport): boolean {
  return [...DRIFTED_STATES].some((state) => report.summary[state] > 0);
}

function mostCommon(counts: ReadonlyMap<string, number>): string {
  let best: [string, number] | undefined;
  for (const [value, count] of counts) {
    if (!best || count > best[1] || (count === best[1] && value < best[0])) best = [value, count];
  }
  return (best as [string, number])[0];
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
