// The JSON text of a patch, as the response carries it (base64). Most of a patch's values are
// rendered template objects shared between requests, which carry their own JSON text
// (shared/frozenJson.ts): they are written from it instead of being serialized again for every
// pod. The output is exactly JSON.stringify's.
import { jsonTextOf } from '../shared/frozenJson';

const isJsonContainer = (v: unknown): v is object => v !== null && typeof v === 'object';

/**
 * JSON.stringify(operations) for a JSON patch of `{op, path, value}` objects in that key order,
 * as the injection core makes them. Writing the fixed frame directly is about twice as fast as
 * walking the operations as generic objects (see the README's Performance section).
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
  if (!isJsonContainer(value)) return JSON.stringify(value);
  const known = jsonTextOf(value);
  if (known !== undefined) return known;
  // Anything but plain objects and arrays (toJSON, boxed primitives, class instances) is left to JSON.stringify.
  const prototype = Object.getPrototypeOf(value);
  const plain = Array.isArray(value)
    ? prototype === Array.prototype
    : prototype === Object.prototype || prototype === null;
  if (!plain || typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(value);
  // Nothing nested to reuse: one native call is cheaper than a call per field.
  if (!Object.values(value).some(isJsonContainer)) return JSON.stringify(value);
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
