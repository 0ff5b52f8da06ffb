// Drift: for one pod, the state of each template it records or selects today. Built on the
// webhook's own selection, parameter, render and conflict code, so that what it calls `current`
// is exactly what the webhook would inject into this pod now, and `missing` what it would add.
import { INJECT_ANNOTATION } from '../annotations';
import { isObject } from '../shared/objects';
import type { CatalogSnapshot } from '../templates/catalog';
import type { CompiledTemplate } from '../templates/compile';
import type { Labels } from '../templates/labelSelector';
import type { ParameterValue } from '../templates/placeholders';
import { passthroughReason } from './inject';
import { resolveParameters } from './parameters';
import { PatchBuilder } from './patchBuilder';
import { applyPlan, planTemplate } from './plan';
import { PodState } from './podState';
import { MalformedPod, type PodView, viewPod } from './podView';

import { parseNameList, type Selection, selectTemplates } from './selection';
import { type InjectedRecord, readStatus } from './status';

export const DRIFT_STATES = ['current', 'outdated', 'missing', 'skipped', 'removed'] as const;
export type DriftState = (typeof DRIFT_STATES)[number];

/** The states that call for a restart (or a fix): `drift` exits 3 when any is found. */
export const DRIFTED_STATES: ReadonlySet<DriftState> = new Set(['outdated', 'missing', 'removed']);

export interface TemplateDrift {
  readonly template: string;
  readonly state: DriftState;
  /** The hash the pod's status annotation records (current, outdated, removed). */
  readonly recordedHash?: string;
  /** What the template renders today for this pod's parameters, whenever it exists and can. */
  readonly currentHash?: string;
  /**
   * Why: the conflict that skips a template; why a missing one would be denied as the pod
   * stands; why there is no current hash (the pod's parameters no longer fit the template).
   */
  readonly reason?: string;
}

export type PodDrift =
  /** Passed through by the webhook, or neither records nor selects a template. */
  | { readonly kind: 'unlisted'; readonly reason: string }
  /** Known from metadata alone: a selected template is not recorded, and only the spec tells why. */
  | { readonly kind: 'needsSpec' }
  | { readonly kind: 'listed'; readonly templates: readonly TemplateDrift[] };

export interface DriftContext {
  readonly namespace: string;
  readonly namespaceLabels: Labels;
  readonly injectorNamespace?: string;
  /**
   * False when the pod came as metadata only (the server's pod watch). Templates it records are
   * classified from metadata; whether a selected, unrecorded one is missing, skipped, or not due
   * (a hostNetwork pod) needs the spec, and the answer is then `needsSpec`.
   */
  readonly specKnown: boolean;
}

export function classifyPod(pod: unknown, context: DriftContext, catalog: CatalogSnapshot): PodDrift {
  let view: PodView;
  try {
    view = viewPod(pod);
  } catch (error) {
    if (error instanceof MalformedPod) return { kind: 'unlisted', reason: `malformed pod: ${error.message}` };
    throw error;
  }
  const passthrough = passthroughReason(view, { ...context, nativeSidecars: false });
  // A hostNetwork pod is never injected, but one that records templates anyway is classified by
  // them: metadata alone then gives the same answer as the whole pod.
  if (passthrough && !view.hostNetwork) return { kind: 'unlisted', reason: passthrough.reason };

  const records = firstRecordOfEach(readStatus(view).status.templates);
  const selected = selectKnown(catalog, view, context.namespaceLabels).filter(
    (t) => !view.hostNetwork || records.has(t.name),
  );
  const unrecorded = selected.filter((t) => !records.has(t.name));
  if (unrecorded.length > 0 && !context.specKnown) return { kind: 'needsSpec' };

  const drift: TemplateDrift[] = [];
  for (const template of selected) {
    const record = records.get(template.name);
    if (!record) continue;
    const today = renderToday(template, view);
    const state = today.currentHash === record.hash ? 'current' : 'outdated';
    drift.push({ template: template.name, state, recordedHash: record.hash, ...today });
  }
  drift.push(...unrecordedDrift(unrecorded, selected, records, view, pod));
  const selectedNames = new Set(selected.map((t) => t.name));
  for (const record of records.values()) {
    if (selectedNames.has(record.name)) continue;
    const template = catalog.templates.get(record.name);
    drift.push({
      template: record.name,
      state: 'removed',
      recordedHash: record.hash,
      ...(template ? renderToday(template, view) : {}),
    });
  }
  if (drift.length === 0) return { kind: 'unlisted', reason: 'no template recorded or selected' };
  return { kind: 'listed', templates: drift };
}

function firstRecordOfEach(records: readonly InjectedRecord[]): Map<string, InjectedRecord> {
  const byName = new Map<string, InjectedRecord>();
  for (const record of records) if (!byName.has(record.name)) byName.set(record.name, record);
  return byName;
}

/**
 * The webhook's selection. It denies a pod that names an unknown template; such a pod exists
 * only if it came in while the webhook was down or the template was deleted since, and drift
 * never fails on it: the unknown names are left out and the rest is selected as usual.
 */
function selectKnown(catalog: CatalogSnapshot, view: PodView, namespaceLabels: Labels): CompiledTemplate[] {
  let selection: Selection = selectTemplates(catalog, view.annotations, view.labels, namespaceLabels);
  if ('denial' in selection) {
    const known = parseNameList(view.annotations[INJECT_ANNOTATION]).filter(
      (name) => catalog.templates.has(name) || name.toLowerCase() === 'true',
    );
    const annotations = { ...view.annotations, [INJECT_ANNOTATION]: known.join(',') };
    selection = selectTemplates(catalog, annotations, view.labels, namespaceLabels);
  }
  return 'templates' in selection ? selection.templates : [];
}

/** The pod's values for this template's parameters, checked as the webhook checks them. */
function parametersOf(
  template: CompiledTemplate,
  view: PodView,
): { values: ReadonlyMap<string, ParameterValue> } | { reason: string } {
  const params = resolveParameters([template], view.annotations);
  if ('denial' in params) return { reason: params.denial };
  return { values: params.values.get(template.name) ?? new Map() };
}

/** The hash the webhook would record for this template in this pod today. */
function renderToday(template: CompiledTemplate, view: PodView): Pick<TemplateDrift, 'currentHash' | 'reason'> {
  const params = parametersOf(template, view);
  if ('reason' in params) return params;
  return { currentHash: template.renderings.of(params.values).hash };
}

/**
 * Selected templates the pod does not record, tried in the webhook's order against the pod plus
 * those tried before them: a conflict under `Skip` is `skipped`; anything else is `missing`.
 */
function unrecordedDrift(
  unrecorded: readonly CompiledTemplate[],
  selected: readonly CompiledTemplate[],
  records: ReadonlyMap<string, InjectedRecord>,
  view: PodView,
  pod: unknown,
): TemplateDrift[] {
  if (unrecorded.length === 0) return [];
  const injectedSidecars = new Set(selected.filter((t) => records.has(t.name)).flatMap((t) => t.containerNames));
  const state = new PodState(view, injectedSidecars);
  // The plans are applied to a scratch patch only so that each template sees the ones before it.
  const scratch = new PatchBuilder(pod);
  const options = { native: false, jobPod: false };
  return unrecorded.map((template): TemplateDrift => {
    const params = parametersOf(template, view);
    if ('reason' in params) return { template: template.name, state: 'missing', reason: params.reason };
    const missing = { template: template.name, state: 'missing' as const };
    const currentHash = template.renderings.of(params.values).hash;
    const plan = planTemplate(template, params.values, state, options);
    if (plan.kind === 'invalid') return { ...missing, currentHash, reason: plan.message };
    if (plan.kind === 'conflict') {
      const conflict = plan.conflicts.join('; ');
      if (template.onConflict === 'Skip') return { ...missing, state: 'skipped', currentHash, reason: conflict };
      return { ...missing, currentHash, reason: `conflicts with the pod: ${conflict}` };
    }
    applyPlan(template, plan, state, scratch);
    return { ...missing, currentHash };
  });
}

/**
 * The parts of a pod's spec that classifyPod reads (names, ports, volumes, mount paths,
 * hostNetwork), for a watch that keeps thousands of pods: the same answer from a fraction of
 * the memory.
 */
export function specForClassification(spec: unknown): Record<string, unknown> {
  if (!isObject(spec)) return {};
  const objects = (value: unknown) => (Array.isArray(value) ? value.filter(isObject) : undefined);
  const containers = (value: unknown) =>
    objects(value)?.map((c) => ({
      name: c.name,
      ports: objects(c.ports)?.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol })),
      volumeMounts: objects(c.volumeMounts)?.map((m) => ({ name: m.name, mountPath: m.mountPath })),
    }));
  return {
    hostNetwork: spec.hostNetwork,
    containers: containers(spec.containers),
    initContainers: containers(spec.initContainers),
    ephemeralContainers: objects(spec.ephemeralContainers)?.map((c) => ({ name: c.name })),
    volumes: objects(spec.volumes)?.map((v) => ({ name: v.name })),
  };
}
