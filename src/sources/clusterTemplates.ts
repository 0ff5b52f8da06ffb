// SidecarTemplate objects watched through the API: validated like files, last good version of
// each object kept when an edit makes it invalid, and handed to the catalog as source `cluster`.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Catalog } from '../templates/catalog';
import { type CompiledTemplate, compileTemplate } from '../templates/compile';
import type { SourceName } from './templateSource';

export interface TemplateProblem {
  /** `SidecarTemplate/<name>` */
  readonly object: string;
  readonly problems: readonly string[];
}

export class ClusterTemplates {
  /** uid → the compiled template of a resourceVersion, so unchanged objects are not recompiled. */
  private readonly compiled = new Map<string, { resourceVersion: string; template?: CompiledTemplate }>();
  private readonly lastGood = new Map<string, CompiledTemplate>();

  constructor(
    private readonly catalog: Catalog<SourceName>,
    private readonly onProblem: (problem: TemplateProblem) => void,
  ) {}

  /** The whole current list of objects, from the watch. */
  update(objects: readonly KubernetesObject[]): void {
    const live = new Set<string>();
    const templates: CompiledTemplate[] = [];
    for (const object of objects) {
      const uid = object.metadata?.uid ?? object.metadata?.name ?? '';
      const name = object.metadata?.name ?? '';
      const resourceVersion = object.metadata?.resourceVersion ?? '';
      live.add(uid);
      let entry = this.compiled.get(uid);
      if (!entry || entry.resourceVersion !== resourceVersion) {
        const result = compileTemplate(object, `SidecarTemplate/${name}`);
        entry = { resourceVersion, template: result.ok ? result.template : undefined };
        this.compiled.set(uid, entry);
        if (result.ok) this.lastGood.set(name, result.template);
        else this.onProblem({ object: `SidecarTemplate/${name}`, problems: result.problems });
      }
      const usable = entry.template ?? this.lastGood.get(name);
      if (usable) templates.push(usable);
    }
    for (const uid of [...this.compiled.keys()]) if (!live.has(uid)) this.compiled.delete(uid);
    const names = new Set(objects.map((o) => o.metadata?.name));
    for (const name of [...this.lastGood.keys()]) if (!names.has(name)) this.lastGood.delete(name);
    this.catalog.replace('cluster', templates);
  }
}
