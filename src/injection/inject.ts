// The injection core: a pod, its context and a catalog snapshot in; a patch, warnings or a
// denial out. No I/O, no clock: the webhook and `render` both call this and nothing else.
import { INJECTION_LABEL, STATUS_ANNOTATION } from '../annotations';
import type { CatalogSnapshot } from '../templates/catalog';
import type { Labels } from '../templates/labelSelector';
import { resolveParameters } from './parameters';
import { type AddOperation, PatchBuilder } from './patchBuilder';
import { applyPlan, planTemplate } from './plan';
import { padPodResources } from './podResources';
import { PodState } from './podState';
import { MalformedPod, type PodView, viewPod } from './podView';
import { selectTemplates } from './selection';
import { isAlreadyInjected, readStatus, serializeStatus } from './status';
import { warning } from './warnings';

export interface InjectionContext {
  /** `request.namespace`: the pod's own metadata.namespace may be empty. */
  readonly namespace: string;
  readonly namespaceLabels: Labels;
  /** Whether `mode: Auto` templates become native sidecars. */
  readonly nativeSidecars: boolean;
  /** The injector's own namespace: never mutated, so it cannot block its own restart. */
  readonly injectorNamespace?: string;
  /** The kind of workload the pod template comes from, when known (render). */
  readonly workloadKind?: string;
}

interface Common {
  readonly warnings: string[];
  /** Names of the templates the pod asked for or matched, for logs. */
  readonly selected: string[];
}
export type InjectionResult =
  /** Left alone before anything was looked at: mirror pods, hostNetwork pods, our namespace. */
  | (Common & { readonly outcome: 'passthrough'; readonly reason: string })
  /** Looked at, nothing to add (no template, or all already injected). */
  | (Common & { readonly outcome: 'unchanged' })
  | (Common & { readonly outcome: 'injected'; readonly patch: AddOperation[]; readonly injected: string[] })
  | (Common & { readonly outcome: 'denied'; readonly message: string });

const JOB_KINDS = new Set(['Job', 'CronJob']);

export function inject(pod: unknown, context: InjectionContext, catalog: CatalogSnapshot): InjectionResult {
  let view: PodView;
  try {
    view = viewPod(pod);
  } catch (error) {
    if (error instanceof MalformedPod) return denied(`the pod is malformed: ${error.message}`, [], []);
    throw error;
  }
  const passthrough = passthroughReason(view, context);
  if (passthrough)
    return { outcome: 'passthrough', reason: passthrough.reason, warnings: passthrough.warnings, selected: [] };

  const selection = selectTemplates(catalog, view.annotations, view.labels, context.namespaceLabels);
  if ('denial' in selection) return denied(selection.denial, [], []);
  const selected = selection.templates.map((t) => t.name);
  const { status, warnings: statusWarnings } = readStatus(view);
  const warnings = [...selection.warnings, ...statusWarnings];

  const pending = selection.templates.filter((t) => !isAlreadyInjected(t, status, view));
  if (pending.length === 0) return { outcome: 'unchanged', warnings, selected };
  const done = selection.templates.filter((t) => !pending.includes(t));
  const params = resolveParameters(pending, view.annotations, new Set(done.map((t) => t.name)));
  if ('denial' in params) return denied(params.denial, warnings, selected);
  warnings.push(...params.warnings);

  const injectedSidecars = new Set(done.flatMap((t) => t.containerNames));
  const state = new PodState(view, injectedSidecars);
  const patch = new PatchBuilder(pod);
  const options = {
    native: context.nativeSidecars,
    jobPod: view.ownerKinds.some((k) => JOB_KINDS.has(k)) || JOB_KINDS.has(context.workloadKind ?? ''),
  };
  // Records of templates still present in the pod are kept; new ones are appended.
  const records = status.templates.filter((r) => done.some((t) => t.name === r.name));
  const injected: string[] = [];
  for (const template of pending) {
    const plan = planTemplate(template, params.values.get(template.name) ?? new Map(), state, options);
    if (plan.kind === 'invalid') return denied(plan.message, warnings, selected);
    if (plan.kind === 'conflict') {
      if (template.onConflict === 'Reject') {
        return denied(
          `template ${template.name} conflicts with the pod: ${plan.conflicts.join('; ')}`,
          warnings,
          selected,
        );
      }
      warnings.push(warning(`template ${template.name} skipped: ${plan.conflicts[0]}`));
      continue;
    }
    warnings.push(...plan.warnings, ...applyPlan(template, plan, state, patch));
    records.push({ name: template.name, hash: plan.hash });
    injected.push(template.name);
  }
  if (injected.length === 0) return { outcome: 'unchanged', warnings, selected };
  const padding = padPodResources(pod, patch.patch());
  for (const change of padding.changes) patch.set(['spec', 'resources', change.field], change.resource, change.to);
  warnings.push(...padding.warnings);
  patch.set(['metadata', 'annotations'], STATUS_ANNOTATION, serializeStatus({ templates: records }));
  return { outcome: 'injected', patch: patch.patch(), injected, warnings, selected };
}

export function passthroughReason(
  pod: PodView,
  context: InjectionContext,
): { reason: string; warnings: string[] } | undefined {
  if (context.injectorNamespace !== undefined && context.namespace === context.injectorNamespace) {
    return { reason: 'the injector namespace', warnings: [] };
  }
  if (context.namespaceLabels[INJECTION_LABEL] === 'disabled')
    return { reason: 'namespace injection disabled', warnings: [] };
  if (pod.mirror) return { reason: 'mirror pod', warnings: [] };
  if (pod.hostNetwork) {
    return {
      reason: 'hostNetwork pod',
      warnings: [warning('sidecar injection skipped: hostNetwork pods are not injected')],
    };
  }
  return undefined;
}

function denied(message: string, warnings: string[], selected: string[]): InjectionResult {
  return { outcome: 'denied', message, warnings, selected };
}
