// `sidecar-injector drift` as a user runs it (the built binary, a kubeconfig), and the objects
// a controller would have made: workloads, their ReplicaSets and Jobs, and pods owned by them.
import { execFile } from 'node:child_process';
import type { DriftReport } from '../../../src/drift/report';
import { metricsText } from '../../integration/support/http';
import { MAIN } from './injector';
import type { Kube } from './kube';
import { type StoredPod, uniqueName } from './pods';
import { until } from './poll';

export interface DriftRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/src/cli/main.js drift ARGS` (or `file ARGS` when given) with `env`. */
export function runCommand(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<DriftRun> {
  return new Promise((resolve) => {
    execFile(file, [...args], { env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function runDrift(kubeconfig: string, args: readonly string[]): Promise<DriftRun> {
  return runCommand(process.execPath, [MAIN, 'drift', '--kubeconfig', kubeconfig, ...args], { PATH: process.env.PATH });
}

/** `drift -o json`: the exit code and the parsed report (stderr on a parse failure). */
export async function driftReport(
  kubeconfig: string,
  args: readonly string[],
): Promise<{ code: number; report: DriftReport; stderr: string }> {
  const run = await runDrift(kubeconfig, [...args, '-o', 'json']);
  try {
    return { code: run.code, report: JSON.parse(run.stdout) as DriftReport, stderr: run.stderr };
  } catch {
    throw new Error(`drift ${args.join(' ')} exited ${run.code} without a report:\n${run.stdout}\n${run.stderr}`);
  }
}

/** (template, state) → pods over all workloads of a report. */
function podsByTemplateState(report: DriftReport): string {
  const counts = new Map<string, number>();
  for (const w of report.workloads)
    for (const t of w.templates) counts.set(`${t.name} ${t.state}`, (counts.get(`${t.name} ${t.state}`) ?? 0) + t.pods);
  return JSON.stringify([...counts].sort());
}

/** The gauge sidecar_injector_pods as (template, state) → pods, zeros left out. */
async function gaugeByTemplateState(metricsPort: number): Promise<string> {
  const gauge = new Map<string, number>();
  const text = await metricsText(metricsPort);
  for (const [, template, state, value] of text.matchAll(
    /^sidecar_injector_pods\{template="([^"]+)",state="([^"]+)"\} (\d+)$/gm,
  ))
    if (Number(value) > 0) gauge.set(`${template} ${state}`, Number(value));
  return JSON.stringify([...gauge].sort());
}

/**
 * Waits until the webhook's gauge sidecar_injector_pods (--drift-report on) counts what
 * `drift -A` reports, pair by pair (both are read again on each try: pods come and go).
 */
export async function gaugeAgreesWithDrift(kubeconfig: string, metricsPort: () => number): Promise<void> {
  let gauge = '';
  let drift = '';
  await until(
    'the gauge sidecar_injector_pods to count what drift reports',
    async () => {
      drift = podsByTemplateState((await driftReport(kubeconfig, ['-A'])).report);
      gauge = await gaugeByTemplateState(metricsPort());
      return gauge === drift ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\ngauge: ${gauge}\ndrift: ${drift}`);
  });
}

/** Rows `Kind/name template state pods` of a report, for compact assertions. */
export const rowsOf = (report: DriftReport): string[] =>
  report.workloads.flatMap((w) => w.templates.map((t) => `${w.kind}/${w.name} ${t.name} ${t.state} ${t.pods}`));

interface Owner {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

/** Creates an object with kubectl and returns its owner reference (with its uid). */
export async function createOwner(kube: Kube, object: Record<string, unknown>): Promise<Owner> {
  const created = JSON.parse(await kube.ok(['create', '-f', '-', '-o', 'json'], JSON.stringify(object)));
  return { apiVersion: created.apiVersion, kind: created.kind, name: created.metadata.name, uid: created.metadata.uid };
}

export const ownedBy = (owner: Owner) => ({ ...owner, controller: true, blockOwnerDeletion: true });

/** A pod owned by `owner`, as its controller would create it. */
export function ownedPod(
  namespace: string,
  owner: Owner,
  labels: Record<string, string>,
  more: Partial<StoredPod['metadata']> = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: uniqueName(owner.name), namespace, labels, ownerReferences: [ownedBy(owner)], ...more },
    spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 8080 }] }] },
  } as StoredPod;
}
