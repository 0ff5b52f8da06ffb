// Checks and freezing for values that arrive as untyped JSON or YAML.

/** A JSON object: not null, not an array. */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Freezes `value` and everything reachable from it (functions excepted); returns it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) if (typeof item !== 'function') deepFreeze(item);
  }
  return value;
}
