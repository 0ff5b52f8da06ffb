// A list+watch that hands over each object and each change, not the whole list: for thousands
// of pods, where the informer's "here is everything again" costs a copy per event. Lists page by
// page; watches from the list's resourceVersion with bookmarks; a watch the server ends is
// resumed where it stopped, one that fails is retried with back-off, and an expired
// resourceVersion (410 Gone) starts over with a fresh list.
import { type Backoff, backoffDelay, DEFAULT_BACKOFF } from '../shared/backoff';
import { type ApiClient, ApiError, type Query, type WatchEvent } from './apiClient';

/** Receives a list (start, each item, end), then the changes after it. */
export interface ListWatchHandler {
  listStart(): void;
  listItem(object: Record<string, unknown>): void;
  /** The list is complete: whatever was not listed since listStart is gone. */
  listEnd(): void;
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Record<string, unknown>): void;
}

export interface ListWatchOptions {
  readonly api: ApiClient;
  readonly path: string;
  readonly query?: Query;
  /** Accept headers of the list and of the watch (metadata only: METADATA_LIST_ONLY, METADATA_ONLY). */
  readonly listAccept?: string;
  readonly watchAccept?: string;
  readonly handler: ListWatchHandler;
  readonly onError: (error: unknown, retryInMs: number) => void;
  readonly backoff?: Backoff;
  readonly pageSize?: number;
  /** Waits between retries; injectable so that tests need not wait. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

class Gone extends Error {}

const PAGE_SIZE = 500;
const QUICK_END_MS = 1000;
/** How long the server keeps a watch open: 5 to 10 minutes, spread as client-go spreads them. */
const watchSeconds = () => 300 + Math.floor(Math.random() * 300);

export class ListWatch {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private firstList!: () => void;
  /** Resolves after the first complete list. */
  readonly synced: Promise<void> = new Promise((resolve) => {
    this.firstList = resolve;
  });

  constructor(private readonly options: ListWatchOptions) {}

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { signal } = this.abort;
    let resourceVersion: string | undefined;
    let failures = 0;
    let quickEnds = 0;
    while (!signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          resourceVersion = await this.list();
          this.firstList();
        }
        const started = Date.now();
        resourceVersion = await this.watch(resourceVersion);
        failures = 0;
        // A server that ends watches at once would otherwise be asked again in a tight loop.
        quickEnds = Date.now() - started < QUICK_END_MS ? quickEnds + 1 : 0;
        if (quickEnds > 0) await (this.options.sleep ?? sleep)(backoffDelay(quickEnds - 1), signal);
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof Gone) {
          resourceVersion = undefined;
          continue;
        }
        const delay = backoffDelay(failures++, this.options.backoff ?? DEFAULT_BACKOFF);
        this.options.onError(error, delay);
        await (this.options.sleep ?? sleep)(delay, signal);
      }
    }
  }

  /** One consistent list, page by page; returns its resourceVersion. */
  private async list(): Promise<string> {
    const { api, path, handler } = this.options;
    let next: string | undefined;
    let resourceVersion = '';
    let started = false;
    do {
      const page = await api.request<{
        items?: Record<string, unknown>[];
        metadata?: { continue?: string; resourceVersion?: string };
      }>('GET', path, {
        query: { ...this.options.query, limit: this.options.pageSize ?? PAGE_SIZE, continue: next },
        ...(this.options.listAccept ? { accept: this.options.listAccept } : {}),
      });
      // The handler hears of a list only once its first page is in: a failed list changes nothing.
      if (!started) handler.listStart();
      started = true;
      for (const item of page.items ?? []) handler.listItem(item);
      next = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (next);
    handler.listEnd();
    return resourceVersion;
  }

  /** Watches until the server ends the watch; returns the last resourceVersion seen. */
  private async watch(from: string): Promise<string> {
    const { api, path, handler } = this.options;
    let resourceVersion = from;
    const onEvent = (event: WatchEvent) => {
      const version = (event.object?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
      if (event.type === 'ERROR') {
        const status = event.object as { code?: number; message?: string };
        if (status.code === 410) throw new Gone(status.message ?? 'resourceVersion too old');
        throw new Error(`watch of ${path}: ${status.message ?? JSON.stringify(status)}`);
      }
      if (version) resourceVersion = version;
      if (event.type !== 'BOOKMARK') handler.event(event.type, event.object);
    };
    const query = {
      ...this.options.query,
      resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: watchSeconds(),
    };
    try {
      await api.watch(path, query, onEvent, this.abort.signal, this.options.watchAccept);
    } catch (error) {
      if (error instanceof ApiError && error.status === 410) throw new Gone(error.message);
      throw error;
    }
    return resourceVersion;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
