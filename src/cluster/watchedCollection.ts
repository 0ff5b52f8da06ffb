// A list+watch of one resource that keeps going: restarted with back-off after errors, and
// resynced (its cache handed over again) on a period. Consumers only ever see the whole list.
import type { KubernetesObject } from '@kubernetes/client-node';
import { backoffDelay, DEFAULT_BACKOFF } from '../shared/backoff';

export interface InformerLike<T extends KubernetesObject> {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void;
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  list(): ReadonlyArray<T>;
}

export interface WatchOptions<T extends KubernetesObject> {
  readonly informer: InformerLike<T>;
  /** Called with the whole cached list after every change and every resync. */
  readonly onChange: (objects: readonly T[]) => void;
  readonly onError: (error: unknown, retryInMs: number) => void;
  readonly resyncMs?: number;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Timers are injectable so tests need not wait. */
  readonly setTimer?: (fn: () => void, ms: number) => { unref?: () => void };
  readonly clearTimer?: (t: unknown) => void;
}

export class WatchedCollection<T extends KubernetesObject> {
  private synced = false;
  private stopped = false;
  private failures = 0;
  private retry: unknown;
  private resync: unknown;
  private firstSync!: () => void;
  /** Resolves once a list has succeeded; readiness waits on it. */
  readonly ready: Promise<void> = new Promise((resolve) => {
    this.firstSync = resolve;
  });

  constructor(private readonly options: WatchOptions<T>) {
    const changed = () => this.options.onChange([...this.options.informer.list()]);
    for (const verb of ['add', 'update', 'delete'] as const) options.informer.on(verb, changed);
    options.informer.on('error', (error) => this.failed(error));
  }

  get isSynced(): boolean {
    return this.synced;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const setTimer = this.options.setTimer ?? setTimeout;
    const period = this.options.resyncMs ?? 10 * 60_000;
    const tick = () => {
      if (this.stopped) return;
      if (this.synced) this.options.onChange([...this.options.informer.list()]);
      this.resync = setTimer(tick, period);
      (this.resync as { unref?: () => void }).unref?.();
    };
    this.resync = setTimer(tick, period);
    (this.resync as { unref?: () => void }).unref?.();
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const clear = this.options.clearTimer ?? ((t: unknown) => clearTimeout(t as NodeJS.Timeout));
    clear(this.retry);
    clear(this.resync);
    await this.options.informer.stop();
  }

  private async connect(): Promise<void> {
    const failuresBefore = this.failures;
    await this.options.informer.start();
    // start() reports a failed list through 'error' and still resolves.
    if (this.failures === failuresBefore && !this.stopped) {
      this.failures = 0;
      this.synced = true;
      this.options.onChange([...this.options.informer.list()]);
      this.firstSync();
    }
  }

  private failed(error: unknown): void {
    if (this.stopped) return;
    this.failures++;
    const delay = backoffDelay(this.failures - 1, {
      minMs: this.options.minBackoffMs ?? DEFAULT_BACKOFF.minMs,
      maxMs: this.options.maxBackoffMs ?? DEFAULT_BACKOFF.maxMs,
    });
    this.options.onError(error, delay);
    const setTimer = this.options.setTimer ?? setTimeout;
    this.retry = setTimer(() => {
      if (!this.stopped) void this.connect();
    }, delay);
  }
}
