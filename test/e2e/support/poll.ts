// Bounded polling: the API server and the webhook's watches converge quickly but not at once.
// Never a blind sleep: every wait names what it waits for and gives up at a deadline.

export interface PollOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

/** Calls `probe` until it returns something other than undefined; throws after the deadline. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 200 }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt finished';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = 'not yet';
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
