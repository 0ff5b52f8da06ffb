// Equal values held once: the pods of one workload carry the same labels, annotations and
// states, so thousands of pods share a handful of frozen objects. Counted, so that a value no
// pod holds any more is dropped.
export class Interner<T extends object> {
  private readonly byText = new Map<string, { readonly value: T; refs: number }>();
  private readonly textOf = new WeakMap<T, string>();

  /** The shared (frozen) value equal to `value`; `value` itself is frozen when it is the first. */
  take(value: T): T {
    const text = JSON.stringify(value);
    const known = this.byText.get(text);
    if (known) {
      known.refs++;
      return known.value;
    }
    const frozen = Object.freeze(value);
    this.byText.set(text, { value: frozen, refs: 1 });
    this.textOf.set(frozen, text);
    return frozen;
  }

  /** One holder fewer; a value without holders is forgotten. */
  release(value: T): void {
    const text = this.textOf.get(value);
    const known = text === undefined ? undefined : this.byText.get(text);
    if (known && --known.refs === 0) this.byText.delete(text as string);
  }

  /** Distinct values held. */
  get size(): number {
    return this.byText.size;
  }
}
