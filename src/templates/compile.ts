// Turns one parsed SidecarTemplate object into a validated, precompiled template, or into the
// list of problems that a user can act on (each names the field: `spec.parameters[1].pattern: ...`).
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { deepFreeze } from '../shared/objects';
import { dnsLabelProblem, portKey, renderedProblems } from './kubernetesTypes';
import { compileLabelSelector, type LabelMatcher, labelSelectorProblems } from './labelSelector';
import { type CompiledParameter, compileParameter } from './parameters';
import { findPlaceholders, type ParameterValue, type PlaceholderUse, renderPlaceholders } from './placeholders';
import { Renderings } from './rendered';
import {
  type ModeName,
  type OnConflictName,
  type SidecarTemplate,
  SidecarTemplateSchema,
  type SidecarTemplateSpec,
} from './sidecarTemplate';

export interface CompiledTemplate {
  readonly name: string;
  /** Where it came from, for messages: a file path or `cluster`. */
  readonly source: string;
  readonly spec: Readonly<SidecarTemplateSpec>;
  readonly mode: ModeName;
  readonly onConflict: OnConflictName;
  readonly parameters: ReadonlyMap<string, CompiledParameter>;
  /** Has a `spec.selector`, so it is injected without being named. */
  readonly automatic: boolean;
  readonly matchesNamespace: LabelMatcher;
  readonly matchesPod: LabelMatcher;
  /** Names of everything it adds to `initContainers` and `containers`, and its volumes. */
  readonly containerNames: readonly string[];
  readonly volumeNames: readonly string[];
  /** `*` or the names of the pod's containers that receive `appContainers`. */
  readonly appContainerNames: '*' | readonly string[];
  /** What it renders for each set of parameter values, cached: owned by this template. */
  readonly renderings: Renderings;
}

export type CompileResult = { ok: true; template: CompiledTemplate } | { ok: false; name: string; problems: string[] };

const schemaCheck = TypeCompiler.Compile(SidecarTemplateSchema);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Fields where a pod author's value would widen what the sidecar can do; a parameter used there
// must be constrained by `enum` or `pattern`.
const SENSITIVE =
  /\.(image|securityContext|hostPath|hostPort|hostNetwork|namespace|serviceAccountName|privileged|capabilities)(\.|\[|$)/;

/** `/spec/parameters/1/pattern` → `spec.parameters[1].pattern` */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, seg) => (/^\d+$/.test(seg) ? `${path}[${seg}]` : path ? `${path}.${seg}` : seg), '');
}

const errorName = (raw: unknown): string => {
  const name = (raw as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === 'string' ? name : '<unnamed>';
};

export function compileTemplate(raw: unknown, source: string): CompileResult {
  if (!schemaCheck.Check(raw)) {
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const error of schemaCheck.Errors(raw)) {
      const line = `${fieldPath(error.path) || '(document)'}: ${error.message}`;
      if (!seen.has(line)) problems.push(line);
      seen.add(line);
    }
    return { ok: false, name: errorName(raw), problems };
  }
  return compileChecked(raw, source);
}

function compileChecked(template: SidecarTemplate, source: string): CompileResult {
  const name = template.metadata.name;
  const spec = template.spec;
  const problems: string[] = [];
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    problems.push(`metadata.name: ${JSON.stringify(name)} must be a DNS subdomain`);

  const parameters = compileParameters(spec, problems);
  const uses = checkPlaceholders(spec, parameters, problems);

  const containerNames: string[] = [];
  const seenPorts = new Map<string, string>();
  for (const list of ['initContainers', 'containers'] as const) {
    (spec[list] ?? []).forEach((c, i) => {
      const at = `spec.${list}[${i}]`;
      const nameProblem = dnsLabelProblem(c.name);
      if (nameProblem) problems.push(`${at}.name: ${nameProblem}`);
      if (containerNames.includes(c.name))
        problems.push(`${at}.name: duplicate container name ${JSON.stringify(c.name)}`);
      containerNames.push(c.name);
      if (c.restartPolicy !== undefined)
        problems.push(`${at}.restartPolicy: set by the injector from spec.mode; remove it`);
      for (const port of c.ports ?? []) {
        const key = portKey(port.containerPort, port.protocol);
        const other = seenPorts.get(key);
        if (other) problems.push(`${at}.ports: port ${key} is also used by container ${other}`);
        seenPorts.set(key, c.name);
      }
    });
  }
  const volumeNames: string[] = [];
  (spec.volumes ?? []).forEach((v, i) => {
    if (volumeNames.includes(v.name))
      problems.push(`spec.volumes[${i}].name: duplicate volume name ${JSON.stringify(v.name)}`);
    volumeNames.push(v.name);
  });
  (spec.appContainers?.volumeMounts ?? []).forEach((m, i) => {
    if (!volumeNames.includes(m.name)) {
      problems.push(
        `spec.appContainers.volumeMounts[${i}].name: ${JSON.stringify(m.name)} is not one of spec.volumes (${volumeNames.join(', ') || 'none'})`,
      );
    }
  });
  if (containerNames.length === 0 && volumeNames.length === 0 && !spec.appContainers) {
    problems.push('spec: injects nothing; add containers, initContainers, volumes or appContainers');
  }
  for (const use of uses) {
    if (/\.name$/.test(use.path) && /^spec\.(initContainers|containers|volumes)\[\d+\]\.name$/.test(use.path)) {
      problems.push(`${use.path}: container and volume names cannot be placeholders`);
    }
  }

  const selector = spec.selector;
  if (selector?.namespaceSelector)
    problems.push(...labelSelectorProblems(selector.namespaceSelector, 'spec.selector.namespaceSelector'));
  if (selector?.podSelector) problems.push(...labelSelectorProblems(selector.podSelector, 'spec.selector.podSelector'));

  if (problems.length === 0) trialRender(spec, parameters, problems);
  if (problems.length > 0) return { ok: false, name, problems };

  return {
    ok: true,
    template: deepFreeze({
      name,
      source,
      spec,
      mode: spec.mode ?? 'Auto',
      onConflict: spec.onConflict ?? 'Reject',
      parameters,
      automatic: selector !== undefined,
      matchesNamespace: compileLabelSelector(selector?.namespaceSelector),
      matchesPod: compileLabelSelector(selector?.podSelector),
      containerNames,
      volumeNames,
      appContainerNames: spec.appContainers?.containers?.includes('*') !== false ? '*' : spec.appContainers.containers,
      renderings: new Renderings(spec),
    }),
  };
}

function compileParameters(spec: SidecarTemplateSpec, problems: string[]): Map<string, CompiledParameter> {
  const parameters = new Map<string, CompiledParameter>();
  for (const [i, decl] of (spec.parameters ?? []).entries()) {
    const at = `spec.parameters[${i}]`;
    if (parameters.has(decl.name)) {
      problems.push(`${at}.name: duplicate parameter ${JSON.stringify(decl.name)}`);
      continue;
    }
    let compiled: CompiledParameter;
    try {
      compiled = compileParameter(decl);
    } catch (error) {
      problems.push(`${at}.pattern: not a valid regular expression: ${(error as Error).message}`);
      continue;
    }
    const numeric = compiled.type === 'integer' || compiled.type === 'quantity';
    if (!numeric && (decl.minimum !== undefined || decl.maximum !== undefined)) {
      problems.push(`${at}: minimum and maximum apply only to integer and quantity parameters`);
    }
    for (const bound of ['minimum', 'maximum'] as const) {
      if (numeric && decl[bound] !== undefined && compiled[bound] === undefined) {
        problems.push(`${at}.${bound}: ${JSON.stringify(decl[bound])} is not a valid ${compiled.type}`);
      }
    }
    if (compiled.minimum !== undefined && compiled.maximum !== undefined && compiled.minimum > compiled.maximum) {
      problems.push(`${at}.minimum: ${decl.minimum} is above maximum ${decl.maximum}`);
    }
    decl.enum?.forEach((value, j) => {
      const problem = compiled.check(value);
      if (problem) problems.push(`${at}.enum[${j}]: ${problem}`);
    });
    if (decl.default !== undefined) {
      const problem = compiled.check(decl.default);
      if (problem) problems.push(`${at}.default: ${problem}`);
      if (decl.required) problems.push(`${at}: a required parameter cannot have a default`);
    } else if (compiled.defaultValue === undefined && !decl.required) {
      problems.push(`${at}: a ${compiled.type} parameter needs a default or required: true`);
    }
    parameters.set(decl.name, compiled);
  }
  return parameters;
}

/** Every placeholder must name a declared parameter of a type that fits where it stands. */
function checkPlaceholders(
  spec: SidecarTemplateSpec,
  parameters: Map<string, CompiledParameter>,
  problems: string[],
): PlaceholderUse[] {
  const uses: PlaceholderUse[] = [];
  for (const key of ['initContainers', 'containers', 'volumes', 'appContainers'] as const) {
    findPlaceholders(spec[key], `spec.${key}`, uses, problems);
  }
  const declared = [...parameters.keys()].join(', ') || 'none';
  for (const use of uses) {
    const param = parameters.get(use.name);
    const decl = spec.parameters?.find((p) => p.name === use.name);
    // A declared parameter that failed to compile has been reported already.
    if (!param && spec.parameters?.some((p) => p.name === use.name)) continue;
    if (!param) {
      problems.push(`${use.path}: \${params.${use.name}} is not a declared parameter (declared: ${declared})`);
      continue;
    }
    if (/\.containerPort$/.test(use.path) && !(use.whole && param.type === 'integer')) {
      problems.push(`${use.path}: must be exactly one placeholder of an integer parameter`);
    }
    if (/\.readOnly$/.test(use.path) && !(use.whole && param.type === 'boolean')) {
      problems.push(`${use.path}: must be exactly one placeholder of a boolean parameter`);
    }
    if (SENSITIVE.test(use.path) && decl?.enum === undefined && decl?.pattern === undefined) {
      problems.push(`${use.path}: parameter ${use.name} sets a sensitive field, so it must declare enum or pattern`);
    }
  }
  return uses;
}

/** Renders with the defaults when every parameter has one, and checks the Kubernetes types. */
function trialRender(spec: SidecarTemplateSpec, parameters: Map<string, CompiledParameter>, problems: string[]): void {
  const values = new Map<string, ParameterValue>();
  for (const [name, p] of parameters) {
    if (p.defaultValue === undefined) return;
    values.set(name, p.defaultValue);
  }
  renderedProblems(renderPlaceholders(spec, values), problems);
}
