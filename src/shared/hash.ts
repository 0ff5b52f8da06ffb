// Hashes: the one the status annotation records (short enough to read, long enough never to
// collide between two versions of one template), and a file's content fingerprint.
import { createHash } from 'node:crypto';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The first 16 hex digits of the SHA-256 of `value`'s JSON. */
export function shortHash(value: unknown): string {
  return sha256Hex(JSON.stringify(value)).slice(0, 16);
}
