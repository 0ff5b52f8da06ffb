// The incremental list+watch: a paged list, then changes; watches the server ends are resumed
// where they stopped, failed ones retried with back-off, and an expired resourceVersion relisted.
import { ApiError } from '../../../src/cluster/apiClient';
import { ListWatch } from '../../../src/cluster/listWatch';
import { FakeWatchApi, settled } from './fakeWatchApi';

const PODS = '/api/v1/pods';
const pod = (name: string, phase = 'Running') => ({ metadata: { name, namespace: 'ns' }, status: { phase } });

function harness(pageSize = 2) {
  const api = new FakeWatchApi();
  const seen: string[] = [];
  const held = new Map<string, unknown>();
  let listing: Map<string, unknown> | undefined;
  const errors: number[] = [];
  const sleeps: number[] = [];
  const name = (o: Record<string, unknown>) => String((o.metadata as { name: string }).name);
  const watch = new ListWatch({
    api,
    path: PODS,
    query: { fieldSelector: 'status.phase!=Succeeded' },
    pageSize,
    handler: {
      listStart: () => {
        listing = new Map();
        seen.push('list');
      },
      listItem: (o) => listing?.set(name(o), o),
      listEnd: () => {
        held.clear();
        for (const [k, v] of listing ?? []) held.set(k, v);
        seen.push(`listed ${[...held.keys()].join(',')}`);
      },
      event: (type, o) => {
        seen.push(`${type} ${name(o)}`);
        if (type === 'DELETED') held.delete(name(o));
        else held.set(name(o), o);
      },
    },
    onError: (_e, retryInMs) => errors.push(retryInMs),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { api, seen, held, errors, sleeps, watch };
}

test('lists page by page, then hears each change after the list', async () => {
  const { api, seen, watch } = harness();
  for (const name of ['a', 'b', 'c']) api.put(PODS, pod(name));
  watch.start();
  await watch.synced;
  await settled(() => api.watching(PODS).length === 1, 'a watch');
  api.put(PODS, pod('d'));
  api.put(PODS, pod('a', 'Pending'));
  api.delete(PODS, pod('b'));
  expect(seen).toEqual(['list', 'listed a,b,c', 'ADDED d', 'MODIFIED a', 'DELETED b']);
  const lists = api.calls.filter((c) => c.kind === 'list');
  expect(lists.map((c) => c.query?.continue)).toEqual([undefined, '2']);
  expect(lists.every((c) => c.query?.fieldSelector === 'status.phase!=Succeeded')).toBe(true);
  const [watchCall] = api.calls.filter((c) => c.kind === 'watch');
  expect(watchCall?.query).toMatchObject({
    resourceVersion: '103',
    allowWatchBookmarks: 'true',
    fieldSelector: 'status.phase!=Succeeded',
  });
  await watch.stop();
});

test('a watch the server ends is resumed from the last resourceVersion seen, bookmarks included, without a new list', async () => {
  const { api, seen, watch } = harness();
  api.put(PODS, pod('a'));
  watch.start();
  await settled(() => api.watching(PODS).length === 1, 'a watch');
  api.put(PODS, pod('b'));
  api.bookmark(PODS);
  api.endWatches(PODS);
  await settled(() => api.watching(PODS).length === 1, 'the watch resumed');
  const watches = api.calls.filter((c) => c.kind === 'watch').map((c) => c.query?.resourceVersion);
  expect(watches).toEqual(['101', '103']);
  expect(seen.filter((s) => s === 'list')).toHaveLength(1);
  await watch.stop();
});

test('a failed watch is retried with growing back-off and resumes where it was', async () => {
  const { api, errors, sleeps, held, watch } = harness();
  api.put(PODS, pod('a'));
  watch.start();
  await settled(() => api.watching(PODS).length === 1, 'a watch');
  api.failNext(PODS, new ApiError(500, 'InternalError', 'boom'), new ApiError(500, 'InternalError', 'boom'));
  api.endWatches(PODS, new Error('connection reset'));
  await settled(() => api.watching(PODS).length === 1, 'the watch back');
  expect(errors).toEqual([500, 1000, 2000]);
  expect(sleeps).toEqual([500, 1000, 2000]);
  api.put(PODS, pod('b'));
  expect([...held.keys()]).toEqual(['a', 'b']);
  await watch.stop();
});

test('an expired resourceVersion (410 Gone, as an event or a status) starts over with a fresh list', async () => {
  const { api, seen, held, watch } = harness();
  api.put(PODS, pod('a'));
  watch.start();
  await settled(() => api.watching(PODS).length === 1, 'a watch');
  api.expireWatches(PODS);
  await settled(() => seen.filter((s) => s === 'list').length === 2 && api.watching(PODS).length === 1, 'a relist');
  api.failNext(PODS, new ApiError(410, 'Expired', 'too old'));
  api.put(PODS, pod('c'));
  api.endWatches(PODS);
  await settled(
    () => seen.filter((s) => s === 'list').length === 3 && api.watching(PODS).length === 1,
    'another relist',
  );
  expect([...held.keys()]).toEqual(['a', 'c']);
  await watch.stop();
});

test('a failed list is retried and changes nothing until a list completes', async () => {
  const { api, seen, errors, watch } = harness();
  api.put(PODS, pod('a'));
  api.failNext(PODS, new ApiError(403, 'Forbidden', 'pods is forbidden'));
  watch.start();
  await watch.synced;
  expect(errors).toEqual([500]);
  expect(seen).toEqual(['list', 'listed a']);
  await watch.stop();
});

test('stop ends an open watch and the loop', async () => {
  const { api, watch } = harness();
  watch.start();
  await settled(() => api.watching(PODS).length === 1, 'a watch');
  await watch.stop();
  expect(api.watching(PODS)).toEqual([]);
});
