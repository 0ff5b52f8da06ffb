// JSON for patches whose values are mostly shared, immutable objects (rendered templates reused
// across requests). `freezeForReuse` deep-freezes a value and marks each of its objects; the
// serializer writes a marked object from the text it produced for it the first time, so the
// same container is not serialized again for every pod. The output is exactly JSON.stringify's.
const reusable = new WeakSet<object>();
const texts = new WeakMap<object, string>();

const isObject = (v: unknown): v is object => v !== null && typeof v === 'object';

/** Freezes `value` deeply and marks its objects for reuse; returns it. */
export function freezeForReuse<T>(value: T): T {
  if (isObject(value) && !reusable.has(value)) {
    for (const item of Object.values(value)) freezeForReuse(item);
    Object.freeze(value);
    reusable.add(value);
  }
  return value;
}

/**
 * JSON.stringify(operations) for a JSON patch of `{op, path, value}` objects in that key order,
 * as PatchBuilder makes them, taking marked objects' text from the cache. Writing the fixed frame
 * directly is twice as fast as walking the operations as generic objects (10 KB pod, 1 template:
 * 5 µs against 10-12 µs; JSON.stringify alone 8-10).
 */
export function stringifyOperations(operations: readonly { op: string; path: string; value: unknown }[]): string {
  let out = '[';
  for (let i = 0; i < operations.length; i++) {
    const { op, path, value } = operations[i] as { op: string; path: string; value: unknown };
    out += `${i > 0 ? ',' : ''}{"op":${JSON.stringify(op)},"path":${JSON.stringify(path)}`;
    const text = write(value);
    if (text !== undefined) out += `,"value":${text}`;
    out += '}';
  }
  return `${out}]`;
}

/** JSON text of a value, or undefined where JSON.stringify leaves it out (undefined, functions, symbols). */
function write(value: unknown): string | undefined {
  if (!isObject(value)) return JSON.stringify(value);
  if (reusable.has(value)) {
    let text = texts.get(value);
    if (text === undefined) {
      text = JSON.stringify(value);
      texts.set(value, text);
    }
    return text;
  }
  // Anything but plain objects and arrays (toJSON, boxed primitives, class instances) is left to JSON.stringify.
  const prototype = Object.getPrototypeOf(value);
  const plain = Array.isArray(value)
    ? prototype === Array.prototype
    : prototype === Object.prototype || prototype === null;
  if (!plain || typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(value);
  // Nothing nested to reuse: one native call is cheaper than a call per field.
  if (!Object.values(value).some(isObject)) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i > 0 ? ',' : ''}${write(value[i]) ?? 'null'}`;
    return `${out}]`;
  }
  let out = '';
  for (const key of Object.keys(value)) {
    const text = write((value as Record<string, unknown>)[key]);
    if (text !== undefined) out += `${out ? ',' : ''}${JSON.stringify(key)}:${text}`;
  }
  return `{${out}}`;
}
