// Hashes: the one the status annotation records (short enough to read, long enough never to
// collide between two versions of one template), and a file's content fingerprint.
import { createHash } from 'node:crypto';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The first 16 hex digits of the SHA-256 of `value`'s JSON with the keys of every object sorted:
 * the same template hashes the same whether it was read from a file or from the API server,
 * which writes keys in its own order.
 */
export function shortHash(value: unknown): string {
  return sha256Hex(JSON.stringify(value, sortedKeys)).slice(0, 16);
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    Object.defineProperty(sorted, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return sorted;
}
