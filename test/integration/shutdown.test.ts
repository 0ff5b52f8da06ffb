// SIGTERM on the built binary: not ready, in-flight requests finish, idle keep-alive connections
// are closed, new connections are refused, exit code 0.
import { connect as tcpConnect } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { type ReadyServe, spawnReadyServe } from './support/child';
import { metricValue } from './support/http';
import { pod, review } from './support/reviews';
import { eventually } from './support/server';

let server: ReadyServe;

beforeAll(async () => {
  server = await spawnReadyServe(['--shutdown-timeout', '20']);
}, 20_000);

afterAll(() => server?.cleanup());

function open(): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const { port, cert } = server;
    const socket = connect({ host: '127.0.0.1', port, ca: cert, servername: 'localhost' }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** What the socket has received so far, and all of it once the server closes it. */
function received(socket: TLSSocket): { sofar(): string; closed: Promise<string> } {
  let text = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  return { sofar: () => text, closed: new Promise((resolve) => socket.once('close', () => resolve(text))) };
}

const tcpRefused = () =>
  new Promise<boolean | undefined>((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port: server.port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? true : undefined));
  });

test('SIGTERM with a request in flight and an idle keep-alive connection', async () => {
  // An idle keep-alive connection, as the API server's pool leaves them.
  const idle = await open();
  const idleReceived = received(idle);
  idle.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  await eventually(async () => (idleReceived.sofar().includes('"ok"') ? true : undefined), 'the /healthz answer');

  // A slow request: headers and half of the body now, the rest after SIGTERM.
  const body = JSON.stringify(review(pod({ annotations: { 'sidecar.injector.dev/inject': 'log-shipper' } })));
  const half = Math.floor(body.length / 2);
  const slow = await open();
  const slowReceived = received(slow);
  slow.write(
    `POST /mutate?timeout=10s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body.slice(0, half)}`,
  );
  await eventually(
    async () =>
      (await metricValue(server.metricsPort, 'sidecar_injector_admission_requests_in_flight')) === 1 ? true : undefined,
    'the slow request to be in flight',
  );

  const { serve } = server;
  serve.child.kill('SIGTERM');
  await serve.waitForLog((l) => l.msg === 'shutting down: finishing in-flight requests');

  // The idle connection is closed and new connections are refused...
  expect(await idleReceived.closed).toMatch(/^HTTP\/1\.1 200 /);
  expect(await eventually(tcpRefused, 'the listener to close')).toBe(true);
  // ...while the request in flight is still answered, and its connection closed after it.
  slow.write(body.slice(half));
  const answer = await slowReceived.closed;
  expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  expect(answer).toMatch(/\r\nconnection: close\r\n/i);
  const review_ = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
  expect(review_.response.uid).toBe(JSON.parse(body).request.uid);
  expect(review_.response.patchType).toBe('JSONPatch');

  expect(await serve.exited).toEqual({ code: 0, signal: null });
  expect(serve.logs.map((l) => l.msg)).toContain('shut down');
}, 30_000);
