// An in-memory Kubernetes API for drift's readers: lists paged as the API server pages them
// (limit/continue), GETs of single objects, 404 for what is not there, and errors on demand.
import { type ApiClient, ApiError, type RequestOptions, type WatchEvent } from '../../../src/cluster/apiClient';

type Obj = Record<string, unknown>;

export class FakeApi implements ApiClient {
  readonly requests: Array<{ method: string; path: string; options: RequestOptions }> = [];
  private readonly lists = new Map<string, Obj[]>();
  private readonly objects = new Map<string, Obj>();
  private readonly failures = new Map<string, ApiError>();
  private readonly sequences = new Map<string, Obj[]>();

  list(path: string, items: Obj[]): this {
    this.lists.set(path, items);
    return this;
  }

  object(path: string, object: Obj): this {
    this.objects.set(path, object);
    return this;
  }

  /** Successive GETs of `path` answer these in turn; the last one stays. */
  sequence(path: string, objects: Obj[]): this {
    this.sequences.set(path, [...objects]);
    return this;
  }

  fail(path: string, status: number, reason: string): this {
    this.failures.set(path, new ApiError(status, reason, `GET ${path}: ${status} ${reason}`));
    return this;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    this.requests.push({ method, path, options });
    const failure = this.failures.get(path);
    if (failure) throw failure;
    if (method !== 'GET') return {} as T;
    const sequence = this.sequences.get(path);
    if (sequence) return (sequence.length > 1 ? sequence.shift() : sequence[0]) as T;
    const items = this.lists.get(path);
    if (items) {
      const limit = Number(options.query?.limit ?? items.length);
      const from = Number(options.query?.continue ?? 0);
      const next = from + limit < items.length ? String(from + limit) : undefined;
      return { items: items.slice(from, from + limit), metadata: next ? { continue: next } : {} } as T;
    }
    const object = this.objects.get(path);
    if (object) return object as T;
    throw new ApiError(404, 'NotFound', `GET ${path}: 404 NotFound`);
  }

  watch(_path: string, _query: unknown, _onEvent: (event: WatchEvent) => void): Promise<void> {
    return Promise.reject(new Error('not used'));
  }
}
