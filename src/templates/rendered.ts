// A template rendered with one set of parameter values: what it adds to a pod, the Kubernetes
// type problems of that, and the hash the status annotation records. Rendering, checking and
// hashing cost more than the rest of an injection, and the pods of one workload all carry the
// same values, so each compiled template keeps its renderings (a bounded number of value sets)
// and they go away with it when the catalog replaces it. Renderings are deep-frozen, with their
// JSON text (shared/frozenJson.ts): a caller can never change what the next request gets.
import { freezeWithJson } from '../shared/frozenJson';
import { shortHash } from '../shared/hash';
import { renderedProblems } from './kubernetesTypes';
import { type ParameterValue, renderPlaceholders } from './placeholders';
import type { SidecarTemplateSpec } from './sidecarTemplate';

export type RenderedSpec = Pick<SidecarTemplateSpec, 'initContainers' | 'containers' | 'volumes' | 'appContainers'>;

export interface RenderedTemplate {
  readonly spec: RenderedSpec;
  /** Problems of the rendered objects against the Kubernetes types; empty when they are usable. */
  readonly problems: readonly string[];
  readonly hash: string;
}

/** Distinct value sets kept per template; beyond that the oldest is dropped. */
const ENTRIES_PER_TEMPLATE = 16;

/** The renderings of one compiled template, by parameter values. */
export class Renderings {
  private readonly entries = new Map<string, RenderedTemplate>();

  constructor(private readonly spec: Readonly<SidecarTemplateSpec>) {}

  of(values: ReadonlyMap<string, ParameterValue>): RenderedTemplate {
    const key = keyOf(values);
    const cached = this.entries.get(key);
    if (cached) return cached;
    const { initContainers, containers, volumes, appContainers } = this.spec;
    const spec: RenderedSpec = renderPlaceholders({ initContainers, containers, volumes, appContainers }, values);
    const problems: string[] = [];
    renderedProblems(spec, problems);
    const rendered = freezeWithJson({ spec, problems, hash: shortHash(spec) });
    if (this.entries.size >= ENTRIES_PER_TEMPLATE) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, rendered);
    return rendered;
  }
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
