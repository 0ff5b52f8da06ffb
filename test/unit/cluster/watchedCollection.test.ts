import type { KubernetesObject } from '@kubernetes/client-node';
import { type InformerLike, WatchedCollection } from '../../../src/cluster/watchedCollection';

/** An informer whose list can fail on demand, like client-node's ListWatch. */
class FakeInformer implements InformerLike<KubernetesObject> {
  objects: KubernetesObject[] = [];
  failNextStarts = 0;
  starts = 0;
  private readonly handlers: Record<string, Array<(x: KubernetesObject) => void>> = {};
  on(verb: string, cb: (x: KubernetesObject) => void): void {
    this.handlers[verb] = [...(this.handlers[verb] ?? []), cb];
  }
  emit(verb: string, x?: unknown): void {
    for (const cb of this.handlers[verb] ?? []) cb(x as KubernetesObject);
  }
  async start(): Promise<void> {
    this.starts++;
    if (this.failNextStarts > 0) {
      this.failNextStarts--;
      this.emit('error', new Error('connection refused'));
    }
  }
  async stop(): Promise<void> {}
  list(): KubernetesObject[] {
    return this.objects;
  }
}

function harness() {
  const informer = new FakeInformer();
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const lists: string[][] = [];
  const errors: number[] = [];
  const collection = new WatchedCollection({
    informer,
    onChange: (objects) => lists.push(objects.map((o) => o.metadata?.name ?? '')),
    onError: (_e, retryInMs) => errors.push(retryInMs),
    resyncMs: 60_000,
    minBackoffMs: 100,
    maxBackoffMs: 1000,
    setTimer: (fn, ms) => {
      timers.push({ fn, ms });
      return {};
    },
    clearTimer: () => {},
  });
  const fire = async (ms: number) => {
    const due = timers.filter((t) => t.ms === ms);
    timers.splice(0, timers.length, ...timers.filter((t) => t.ms !== ms));
    for (const t of due) t.fn();
    await new Promise((r) => setImmediate(r));
  };
  return { informer, collection, lists, errors, timers, fire };
}

test('a failed list is retried with growing back-off, and the collection becomes ready once one succeeds', async () => {
  const { informer, collection, errors, fire, lists } = harness();
  informer.failNextStarts = 3;
  informer.objects = [{ metadata: { name: 'a' } }];
  await collection.start();
  expect(collection.isSynced).toBe(false);
  await fire(100);
  await fire(200);
  expect(collection.isSynced).toBe(false);
  await fire(400);
  expect(errors).toEqual([100, 200, 400]);
  expect(collection.isSynced).toBe(true);
  await expect(collection.ready).resolves.toBeUndefined();
  expect(lists.at(-1)).toEqual(['a']);
});

test('a dropped watch is restored, back-off is capped, and changes flow again', async () => {
  const { informer, collection, errors, fire, lists } = harness();
  await collection.start();
  for (let i = 0; i < 5; i++) informer.emit('error', new Error('watch dropped'));
  expect(Math.max(...errors)).toBe(1000);
  informer.objects = [{ metadata: { name: 'b' } }];
  await fire(1000);
  informer.emit('add', informer.objects[0]);
  expect(lists.at(-1)).toEqual(['b']);
});

test('the cache is handed over again on every resync period', async () => {
  const { informer, collection, fire, lists } = harness();
  informer.objects = [{ metadata: { name: 'a' } }];
  await collection.start();
  const before = lists.length;
  await fire(60_000);
  await fire(60_000);
  expect(lists.length).toBe(before + 2);
});
