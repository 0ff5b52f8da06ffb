// The template catalog: immutable snapshots built from any number of sources. A request works
// on the snapshot it started with; sources only replace their own part after validating.
import type { CompiledTemplate } from './compile';

export interface CatalogSnapshot {
  readonly templates: ReadonlyMap<string, CompiledTemplate>;
  /** Templates with a selector, sorted by name: the order of automatic injection. */
  readonly automatic: readonly CompiledTemplate[];
}

export function snapshotOf(templates: Iterable<CompiledTemplate>): CatalogSnapshot {
  const byName = new Map<string, CompiledTemplate>();
  for (const t of templates) if (!byName.has(t.name)) byName.set(t.name, t);
  const automatic = [...byName.values()]
    .filter((t) => t.automatic)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return Object.freeze({ templates: byName, automatic: Object.freeze(automatic) });
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
export class Catalog {
  private readonly parts = new Map<string, readonly CompiledTemplate[]>();
  private current: CatalogSnapshot = EMPTY_SNAPSHOT;
  private readonly listeners: Array<(snapshot: CatalogSnapshot, clashes: NameClash[]) => void> = [];

  constructor(private readonly precedence: readonly string[]) {}

  snapshot(): CatalogSnapshot {
    return this.current;
  }

  /** Called after every change, with the clashes the merge resolved. */
  onChange(listener: (snapshot: CatalogSnapshot, clashes: NameClash[]) => void): void {
    this.listeners.push(listener);
  }

  replace(source: string, templates: readonly CompiledTemplate[]): void {
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
