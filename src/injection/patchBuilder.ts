// Builds an RFC 6902 patch of `add` operations only, against the document as it was received.
// A missing array or map is added whole, once: later additions to it go into the value of that
// one operation, so several templates compose without replacing each other's work.
import { escapePointerSegment, pointerOf } from './pointer';

export interface AddOperation {
  op: 'add';
  path: string;
  value: unknown;
}

type Path = readonly (string | number)[];
type Container = Record<string | number, unknown> | unknown[];

const absent = (v: unknown) => v === undefined || v === null;

export class PatchBuilder {
  private readonly operations: AddOperation[] = [];
  /** Pointer → a map or array this patch creates; it is ours to fill in. */
  private readonly created = new Map<string, Container>();

  /** `document` is never modified. */
  constructor(private readonly document: unknown) {}

  patch(): AddOperation[] {
    return this.operations;
  }

  append(path: Path, value: unknown): void {
    const target = this.locate(path, () => []);
    if (target.created) (target.created as unknown[]).push(value);
    else this.operations.push({ op: 'add', path: `${target.pointer}/-`, value });
  }

  insert(path: Path, index: number, value: unknown): void {
    const target = this.locate(path, () => []);
    if (target.created) (target.created as unknown[]).splice(index, 0, value);
    else this.operations.push({ op: 'add', path: pointerOf([...path, index]), value });
  }

  /** Sets a key of a map; `add` replaces a key that exists, which is what a status update wants. */
  set(path: Path, key: string, value: unknown): void {
    const target = this.locate(path, () => ({}));
    if (target.created) (target.created as Record<string, unknown>)[key] = value;
    else this.operations.push({ op: 'add', path: pointerOf([...path, key]), value });
  }

  /**
   * Finds the container at `path`: either in the document (so operations address it) or one
   * this patch creates. What is missing is created whole, with one operation at its top.
   */
  private locate(path: Path, make: () => Container): { pointer: string; created?: Container } {
    let node: unknown = this.document;
    let pointer = '';
    for (let depth = 0; depth < path.length; depth++) {
      pointer += `/${escapePointerSegment(path[depth] as string | number)}`;
      const ours = this.created.get(pointer);
      if (ours) return { pointer, created: descend(ours, path.slice(depth + 1), make) };
      const next = (node as Record<string | number, unknown>)[path[depth] as string | number];
      if (absent(next)) {
        const rest = path.slice(depth + 1);
        const top: Container = rest.length === 0 ? make() : {};
        this.created.set(pointer, top);
        this.operations.push({ op: 'add', path: pointer, value: top });
        return { pointer, created: descend(top, rest, make) };
      }
      node = next;
    }
    return { pointer };
  }
}

function descend(from: Container, rest: Path, make: () => Container): Container {
  let node = from as Record<string | number, unknown>;
  rest.forEach((segment, i) => {
    if (absent(node[segment])) node[segment] = i === rest.length - 1 ? make() : {};
    node = node[segment] as Record<string | number, unknown>;
  });
  return node as Container;
}
