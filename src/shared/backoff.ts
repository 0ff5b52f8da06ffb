// Exponential back-off between retries of a list, a watch or a version request.

export interface Backoff {
  readonly minMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { minMs: 500, maxMs: 30_000 };

/** The wait before retry number `attempt` (0 for the first): min, 2·min, 4·min, ... capped at max. */
export function backoffDelay(attempt: number, { minMs, maxMs }: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(Math.max(attempt, 0), 16));
}
