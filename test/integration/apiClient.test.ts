// The plain JSON API client against a real HTTP server on loopback: errors as Status objects,
// watches as lines (plain HTTP, which client-node allows only with skipTLSVerify), and a watch cut off mid-stream, which must reject (and never end the process).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError, KubeApiClient, type WatchEvent } from '../../src/cluster/apiClient';

let server: Server;
let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};

function client(): KubeApiClient {
  const kc = new KubeConfig();
  const { port } = server.address() as AddressInfo;
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return new KubeApiClient(kc);
}

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test("a request carries the kubeconfig's credentials, the query and the Accept header asked for", async () => {
  let seen: IncomingMessage | undefined;
  handler = (req, res) => {
    seen = req;
    res.end('{"items":[]}');
  };
  const answer = await client().request('GET', '/api/v1/pods', {
    query: { limit: 500, continue: undefined, fieldSelector: 'a!=b' },
    accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
  });
  expect(answer).toEqual({ items: [] });
  expect(seen?.url).toBe('/api/v1/pods?limit=500&fieldSelector=a%21%3Db');
  expect(seen?.headers.authorization).toBe('Bearer secret-token');
  expect(seen?.headers.accept).toBe('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1');
});

test('an error status becomes an ApiError with its code, reason and message', async () => {
  handler = (_req, res) => {
    res.statusCode = 403;
    res.end(
      JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'pods is forbidden: User "x" cannot list' }),
    );
  };
  const failure = await client()
    .request('GET', '/api/v1/pods')
    .catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ApiError);
  expect(failure).toMatchObject({ status: 403, reason: 'Forbidden' });
  expect((failure as Error).message).toBe('GET /api/v1/pods: 403 Forbidden: pods is forbidden: User "x" cannot list');
});

test('a watch hands over each line as an event and resolves when the server ends it', async () => {
  handler = (req, res) => {
    expect(req.url).toContain('watch=true');
    res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n');
    res.end('{"type":"DELETED","object":{"metadata":{"name":"a"}}}\n');
  };
  const events: WatchEvent[] = [];
  await client().watch('/api/v1/pods', { timeoutSeconds: 5 }, (e) => events.push(e), new AbortController().signal);
  expect(events.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
});

test('a watch cut off mid-stream rejects, and the process carries on', async () => {
  handler = (_req, res) => {
    res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n');
    setImmediate(() => res.socket?.destroy());
  };
  const events: WatchEvent[] = [];
  await expect(
    client().watch('/api/v1/pods', { timeoutSeconds: 5 }, (e) => events.push(e), new AbortController().signal),
  ).rejects.toThrow();
  expect(events).toHaveLength(1);
});

test('an event handler that throws ends the watch with its error', async () => {
  handler = (_req, res) => {
    res.write('{"type":"ERROR","object":{"code":410}}\n');
  };
  await expect(
    client().watch(
      '/api/v1/pods',
      {},
      () => {
        throw new Error('gone');
      },
      new AbortController().signal,
    ),
  ).rejects.toThrow('gone');
});
