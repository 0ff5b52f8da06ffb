// One template against one pod: render it, find what it would collide with, and, when it fits,
// add it to the patch and to the pod state so the next template sees it.
import type { CompiledTemplate } from '../templates/compile';
import { portKey } from '../templates/kubernetesTypes';
import type { ParameterValue } from '../templates/placeholders';
import type { RenderedSpec } from '../templates/rendered';
import type { PatchBuilder } from './patchBuilder';
import type { AppContainerState, PodState } from './podState';
import { quote, warning } from './warnings';

type Obj = Record<string, unknown>;

export interface PlanOptions {
  /** Where `mode: Auto` puts sidecars. */
  readonly native: boolean;
  /** The pod belongs to a Job (classic sidecars keep it from completing). */
  readonly jobPod: boolean;
}

export type TemplatePlan =
  | { kind: 'invalid'; message: string }
  | { kind: 'conflict'; conflicts: string[] }
  | {
      kind: 'ready';
      /** Shared between requests and frozen: copy before changing. */
      rendered: RenderedSpec;
      /** Hash of `rendered`, for the status annotation. */
      hash: string;
      native: boolean;
      targets: AppContainerState[];
      warnings: string[];
    };

export function planTemplate(
  template: CompiledTemplate,
  values: ReadonlyMap<string, ParameterValue>,
  state: PodState,
  options: PlanOptions,
): TemplatePlan {
  const { spec: rendered, problems, hash } = template.renderings.of(values);
  if (problems.length > 0)
    return { kind: 'invalid', message: `template ${template.name}: ${problems.slice(0, 3).join('; ')}` };

  const warnings: string[] = [];
  const conflicts: string[] = [];
  const takenPorts = new Map<string, string>();
  for (const c of [...(rendered.initContainers ?? []), ...(rendered.containers ?? [])]) {
    const holder = state.containerNames.get(c.name);
    if (holder) conflicts.push(`container name ${c.name} is already used by ${holder}`);
    for (const p of c.ports ?? []) {
      const key = portKey(p.containerPort, p.protocol);
      const portHolder = state.ports.get(key) ?? takenPorts.get(key);
      if (portHolder) conflicts.push(`port ${key} of container ${c.name} is already used by ${portHolder}`);
      takenPorts.set(key, `container ${c.name}`);
    }
  }
  const templateVolumes = new Set((rendered.volumes ?? []).map((v) => v.name));
  for (const name of templateVolumes) {
    const holder = state.volumes.get(name);
    if (holder) conflicts.push(`volume ${name} already exists in the pod`);
  }
  for (const c of [...(rendered.initContainers ?? []), ...(rendered.containers ?? [])]) {
    for (const m of c.volumeMounts ?? []) {
      if (!templateVolumes.has(m.name) && !state.volumes.has(m.name)) {
        return {
          kind: 'invalid',
          message: `template ${template.name}: container ${c.name} mounts volume ${quote(m.name)}, which neither the template nor the pod defines`,
        };
      }
    }
  }

  const targets = appContainerTargets(template, state, warnings);
  for (const target of targets) {
    for (const m of rendered.appContainers?.volumeMounts ?? []) {
      const holder = target.mountPaths.get(m.mountPath);
      if (holder)
        conflicts.push(`mountPath ${quote(m.mountPath)} in container ${target.name} is already used by ${holder}`);
    }
  }
  if (conflicts.length > 0) return { kind: 'conflict', conflicts };

  const native = template.mode === 'Native' || (template.mode === 'Auto' && options.native);
  if (!native && options.jobPod && (rendered.containers?.length ?? 0) > 0) {
    warnings.push(
      warning(`template ${template.name}: a classic sidecar keeps this Job's pods from completing; use mode: Native`),
    );
  }
  return { kind: 'ready', rendered, hash, native, targets, warnings };
}

function appContainerTargets(template: CompiledTemplate, state: PodState, warnings: string[]): AppContainerState[] {
  if (!template.spec.appContainers) return [];
  if (template.appContainerNames === '*') return state.appContainers;
  const wanted = template.appContainerNames;
  for (const name of wanted) {
    if (!state.appContainers.some((c) => c.name === name)) {
      warnings.push(warning(`template ${template.name}: app container ${quote(name)} is not in the pod`));
    }
  }
  return state.appContainers.filter((c) => wanted.includes(c.name));
}

/** Adds a ready plan to the patch, in the contract's order, and records what it takes. */
export function applyPlan(
  template: CompiledTemplate,
  plan: Extract<TemplatePlan, { kind: 'ready' }>,
  state: PodState,
  patch: PatchBuilder,
): string[] {
  const warnings: string[] = [];
  const { rendered, native } = plan;
  const claim = (c: { name: string; ports?: Array<{ containerPort: unknown; protocol?: string }> }) => {
    state.containerNames.set(c.name, `container ${c.name} of template ${template.name}`);
    for (const p of c.ports ?? [])
      state.ports.set(portKey(p.containerPort, p.protocol), `container ${c.name} of template ${template.name}`);
  };
  // initContainers: this template's init containers, then its native sidecars, then what follows.
  const intoInit: Obj[] = [...(rendered.initContainers ?? [])];
  if (native) for (const c of rendered.containers ?? []) intoInit.push({ ...c, restartPolicy: 'Always' });
  for (const c of intoInit) {
    patch.insert(['spec', 'initContainers'], state.initInsertAt++, c);
    claim(c as { name: string });
  }
  if (!native) {
    for (const c of rendered.containers ?? []) {
      patch.append(['spec', 'containers'], c);
      claim(c);
    }
  }
  for (const v of rendered.volumes ?? []) {
    patch.append(['spec', 'volumes'], v);
    state.volumes.set(v.name, `volume ${v.name} of template ${template.name}`);
  }
  for (const target of plan.targets) {
    for (const m of rendered.appContainers?.volumeMounts ?? []) {
      // Each container gets its own copy: shared objects would come out as YAML anchors.
      patch.append(['spec', 'containers', target.index, 'volumeMounts'], { ...m });
      target.mountPaths.set(m.mountPath, `template ${template.name}`);
    }
    for (const e of rendered.appContainers?.env ?? []) {
      if (target.envNames.has(e.name)) {
        warnings.push(
          warning(`template ${template.name}: container ${target.name} already sets ${e.name}; keeping its value`),
        );
        continue;
      }
      patch.append(['spec', 'containers', target.index, 'env'], { ...e });
      target.envNames.add(e.name);
    }
  }
  return warnings;
}
