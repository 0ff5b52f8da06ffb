// An API server in memory for list+watch consumers: collections listed page by page with a
// resourceVersion, watches that receive the changes made afterwards and that a test can end,
// break or expire (410), and GETs of single objects. Every call is recorded.
import {
  type ApiClient,
  ApiError,
  type Query,
  type RequestOptions,
  type WatchEvent,
} from '../../../src/cluster/apiClient';

type Obj = Record<string, unknown>;

interface OpenWatch {
  readonly path: string;
  readonly query: Query;
  readonly accept: string | undefined;
  readonly onEvent: (event: WatchEvent) => void;
  readonly end: (error?: Error) => void;
}

export class FakeWatchApi implements ApiClient {
  readonly calls: Array<{ kind: 'list' | 'watch' | 'get'; path: string; query?: Query; accept?: string }> = [];
  private readonly collections = new Map<string, Map<string, Obj>>();
  private readonly failures = new Map<string, ApiError[]>();
  private version = 100;
  private watches: OpenWatch[] = [];

  /** Puts or replaces an object; open watches of its collection hear of it. */
  put(collection: string, object: Obj): void {
    const items = this.collection(collection);
    const key = keyOf(object);
    const type = items.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = this.stamp(object);
    items.set(key, stored);
    this.emit(collection, type, stored);
  }

  delete(collection: string, object: Obj): void {
    const items = this.collection(collection);
    const stored = items.get(keyOf(object));
    if (!stored) return;
    items.delete(keyOf(object));
    this.emit(collection, 'DELETED', this.stamp(stored));
  }

  /** The next requests to `path` fail with these errors, in turn. */
  failNext(path: string, ...errors: ApiError[]): void {
    this.failures.set(path, [...(this.failures.get(path) ?? []), ...errors]);
  }

  /** Open watches of a collection. */
  watching(collection: string): OpenWatch[] {
    return this.watches.filter((w) => w.path === collection);
  }

  /** Ends every open watch of a collection, as the server does at its timeout (or with `error`). */
  endWatches(collection: string, error?: Error): void {
    for (const w of this.watching(collection)) w.end(error);
  }

  /** Sends an ERROR event (410 Gone) to the open watches of a collection. */
  expireWatches(collection: string): void {
    for (const w of this.watching(collection))
      w.onEvent({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old resource version' } });
  }

  bookmark(collection: string): void {
    this.version++;
    for (const w of this.watching(collection))
      w.onEvent({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(this.version) } } });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const failure = this.failures.get(path)?.shift();
    if (failure) throw failure;
    // A list asks for a page (limit); a collection nothing was put in yet is empty.
    const collection = options.query?.limit !== undefined ? this.collection(path) : undefined;
    if (method === 'GET' && collection) {
      this.calls.push({
        kind: 'list',
        path,
        query: options.query ?? {},
        ...(options.accept ? { accept: options.accept } : {}),
      });
      const items = [...collection.values()];
      const limit = Number(options.query?.limit ?? items.length);
      const from = Number(options.query?.continue ?? 0);
      const next = from + limit < items.length ? String(from + limit) : undefined;
      return {
        items: items.slice(from, from + limit).map((o) => this.asAccepted(o, options.accept)),
        metadata: { resourceVersion: String(this.version), ...(next ? { continue: next } : {}) },
      } as T;
    }
    this.calls.push({ kind: 'get', path });
    const slash = path.lastIndexOf('/');
    const parent = this.findCollectionOf(path.slice(0, slash), path.slice(slash + 1));
    if (!parent) throw new ApiError(404, 'NotFound', `GET ${path}: 404`);
    return structuredClone(parent) as T;
  }

  watch(path: string, query: Query, onEvent: (event: WatchEvent) => void, signal: AbortSignal, accept?: string) {
    this.calls.push({ kind: 'watch', path, query, ...(accept ? { accept } : {}) });
    const failure = this.failures.get(path)?.shift();
    if (failure) return Promise.reject(failure);
    return new Promise<void>((resolve, reject) => {
      const watch: OpenWatch = {
        path,
        query,
        accept,
        onEvent: (event) => {
          try {
            onEvent(event);
          } catch (error) {
            watch.end(error as Error);
          }
        },
        end: (error) => {
          this.watches = this.watches.filter((w) => w !== watch);
          if (error) reject(error);
          else resolve();
        },
      };
      this.watches.push(watch);
      signal.addEventListener('abort', () => watch.end(new Error('aborted')));
    });
  }

  private collection(path: string): Map<string, Obj> {
    let items = this.collections.get(path);
    if (!items) {
      items = new Map();
      this.collections.set(path, items);
    }
    return items;
  }

  private stamp(object: Obj): Obj {
    this.version++;
    const metadata = { ...((object.metadata ?? {}) as Obj), resourceVersion: String(this.version) };
    return { ...object, metadata };
  }

  private emit(collection: string, type: WatchEvent['type'], object: Obj): void {
    for (const w of this.watching(collection)) w.onEvent({ type, object: this.asAccepted(object, w.accept) });
  }

  /** Metadata only when asked for PartialObjectMetadata(List), as the API server answers. */
  private asAccepted(object: Obj, accept: string | undefined): Obj {
    const copy = structuredClone(object);
    return accept?.includes('as=PartialObjectMetadata')
      ? { kind: 'PartialObjectMetadata', metadata: copy.metadata }
      : copy;
  }

  /** A namespaced object (`/api/v1/namespaces/NS/pods` + NAME) in the cluster-wide collection. */
  private findCollectionOf(parent: string, name: string): Obj | undefined {
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)$/.exec(parent);
    const collection = match ? this.collections.get(`/api/v1/${match[2]}`) : this.collections.get(parent);
    const key = match
      ? `${decodeURIComponent(match[1] as string)}/${decodeURIComponent(name)}`
      : `/${decodeURIComponent(name)}`;
    return collection?.get(key);
  }
}

function keyOf(object: Obj): string {
  const metadata = (object.metadata ?? {}) as Obj;
  return `${String(metadata.namespace ?? '')}/${String(metadata.name ?? '')}`;
}

/** Lets promise chains and zero-delay timers run until `check` holds (a bounded number of turns). */
export async function settled(check: () => boolean, what: string, turns = 200): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`never happened: ${what}`);
}
