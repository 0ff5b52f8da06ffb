// A template rendered with one set of parameter values: what it adds to a pod, the Kubernetes
// type problems of that, and the hash the status annotation records. Rendering, checking and
// hashing cost more than the rest of an injection, and the pods of one workload all carry the
// same values, so each distinct set is rendered once per template and then reused. Entries are
// deep-frozen (a caller can never change what the next request gets, and their JSON text is
// reused too) and bounded per template; they go away with the template when the catalog
// replaces it.
import { type CompiledTemplate, renderedProblems } from '../templates/compile';
import { type ParameterValue, renderPlaceholders } from '../templates/placeholders';
import type { SidecarTemplateSpec } from '../templates/sidecarTemplate';
import { freezeForReuse } from './reusableJson';
import { hashOf } from './status';

export type RenderedSpec = Pick<SidecarTemplateSpec, 'initContainers' | 'containers' | 'volumes' | 'appContainers'>;

export interface RenderedTemplate {
  readonly spec: RenderedSpec;
  /** Problems of the rendered objects against the Kubernetes types; empty when they are usable. */
  readonly problems: readonly string[];
  readonly hash: string;
}

/** Distinct value sets kept per template; beyond that the oldest is dropped. */
const ENTRIES_PER_TEMPLATE = 16;
const cache = new WeakMap<CompiledTemplate, Map<string, RenderedTemplate>>();

export function renderTemplate(
  template: CompiledTemplate,
  values: ReadonlyMap<string, ParameterValue>,
): RenderedTemplate {
  const key = keyOf(values);
  let entries = cache.get(template);
  const cached = entries?.get(key);
  if (cached) return cached;

  const { initContainers, containers, volumes, appContainers } = template.spec;
  const spec: RenderedSpec = renderPlaceholders({ initContainers, containers, volumes, appContainers }, values);
  const problems: string[] = [];
  renderedProblems(spec, problems);
  const rendered = freezeForReuse({ spec, problems, hash: hashOf(spec) });
  if (!entries) {
    entries = new Map();
    cache.set(template, entries);
  }
  if (entries.size >= ENTRIES_PER_TEMPLATE) entries.delete(entries.keys().next().value as string);
  entries.set(key, rendered);
  return rendered;
}

/** Unambiguous for any text: parameter names have no `=`, and each value carries its type and length. */
function keyOf(values: ReadonlyMap<string, ParameterValue>): string {
  let key = '';
  for (const [name, value] of values) {
    const text = String(value);
    key += `${name}=${typeof value}${text.length}:${text}`;
  }
  return key;
}
