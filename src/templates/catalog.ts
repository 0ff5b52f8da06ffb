// The template catalog: immutable snapshots built from any number of sources. A request works
// on the snapshot it started with; sources only replace their own part after validating.
import type { CompiledTemplate } from './compile';
import { type Labels, requiredLabelKeys } from './labelSelector';

export interface CatalogSnapshot {
  readonly templates: ReadonlyMap<string, CompiledTemplate>;
  /** Templates with a selector, sorted by name: the order of automatic injection. */
  readonly automatic: readonly CompiledTemplate[];
  /** The automatic templates a pod with these labels may match, in `automatic` order. */
  automaticCandidates(podLabels: Labels): CompiledTemplate[];
}

export function snapshotOf(templates: Iterable<CompiledTemplate>): CatalogSnapshot {
  const byName = new Map<string, CompiledTemplate>();
  for (const t of templates) if (!byName.has(t.name)) byName.set(t.name, t);
  const automatic = Object.freeze(
    [...byName.values()].filter((t) => t.automatic).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  );
  const index = indexByRequiredLabel(automatic);
  return Object.freeze({
    templates: byName,
    automatic,
    automaticCandidates: (podLabels: Labels) => candidates(automatic, index, podLabels),
  });
}

/**
 * Automatic templates, each filed under one label key its pod selector requires (or under none),
 * so that a pod is checked only against templates it could match: a catalog of hundreds of
 * templates selecting on labels the pod does not carry costs next to nothing.
 */
interface AutomaticIndex {
  /** Positions in `automatic` of templates whose pod selector requires no label. */
  readonly always: readonly number[];
  readonly byKey: ReadonlyMap<string, readonly number[]>;
}

function indexByRequiredLabel(automatic: readonly CompiledTemplate[]): AutomaticIndex {
  const always: number[] = [];
  const byKey = new Map<string, number[]>();
  automatic.forEach((template, position) => {
    const [key] = requiredLabelKeys(template.spec.selector?.podSelector);
    if (key === undefined) always.push(position);
    else if (byKey.has(key)) byKey.get(key)?.push(position);
    else byKey.set(key, [position]);
  });
  return { always, byKey };
}

function candidates(
  automatic: readonly CompiledTemplate[],
  { always, byKey }: AutomaticIndex,
  podLabels: Labels,
): CompiledTemplate[] {
  const positions = [...always];
  for (const key of Object.keys(podLabels)) {
    const filed = byKey.get(key);
    if (filed) positions.push(...filed);
  }
  return positions.sort((a, b) => a - b).map((p) => automatic[p] as CompiledTemplate);
}

export const EMPTY_SNAPSHOT: CatalogSnapshot = snapshotOf([]);

export interface NameClash {
  name: string;
  kept: string;
  ignored: string;
}

/**
 * Merges the sources' templates. Sources are listed by precedence: when two define the same
 * name, the earlier source wins and the clash is reported.
 */
export class Catalog<Source extends string = string> {
  private readonly parts = new Map<Source, readonly CompiledTemplate[]>();
  private current: CatalogSnapshot = EMPTY_SNAPSHOT;
  private readonly listeners: Array<(snapshot: CatalogSnapshot, clashes: NameClash[]) => void> = [];

  constructor(private readonly precedence: readonly Source[]) {}

  snapshot(): CatalogSnapshot {
    return this.current;
  }

  /** Called after every change, with the clashes the merge resolved. */
  onChange(listener: (snapshot: CatalogSnapshot, clashes: NameClash[]) => void): void {
    this.listeners.push(listener);
  }

  replace(source: Source, templates: readonly CompiledTemplate[]): void {
    if (!this.precedence.includes(source)) throw new Error(`unknown template source ${source}`);
    this.parts.set(source, templates);
    const merged: CompiledTemplate[] = [];
    const owner = new Map<string, CompiledTemplate>();
    const clashes: NameClash[] = [];
    for (const name of this.precedence) {
      for (const t of this.parts.get(name) ?? []) {
        const kept = owner.get(t.name);
        if (kept) clashes.push({ name: t.name, kept: kept.source, ignored: t.source });
        else owner.set(t.name, t);
        merged.push(t);
      }
    }
    this.current = snapshotOf(merged);
    for (const listener of this.listeners) listener(this.current, clashes);
  }
}
