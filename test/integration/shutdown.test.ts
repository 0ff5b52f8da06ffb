// SIGTERM on the built binary: not ready, in-flight requests finish, idle keep-alive connections
// are closed, new connections are refused, exit code 0.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { makeCertificate } from './support/certs';
import { type ServeProcess, spawnServe } from './support/child';
import { metricValue } from './support/http';
import { pod, review } from './support/reviews';
import { eventually, TEST_TEMPLATES } from './support/server';

const pair = makeCertificate('shutdown');
let dir: string;
let serve: ServeProcess;
let port: number;
let metricsPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'si-shutdown-'));
  writeFileSync(join(dir, 'tls.crt'), pair.cert);
  writeFileSync(join(dir, 'tls.key'), pair.key);
  writeFileSync(join(dir, 'templates.yaml'), TEST_TEMPLATES);
  serve = spawnServe([
    ...['--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1', '--kubernetes', 'off'],
    ...['--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--templates-dir', dir],
    ...['--shutdown-timeout', '20'],
  ]);
  const listening = await serve.waitForLog((l) => typeof l.webhook === 'string');
  port = Number(new URL(listening.webhook).port);
  metricsPort = Number(new URL(listening.metrics).port);
  await serve.waitForLog((l) => l.msg === 'templates loaded; ready');
}, 20_000);

afterAll(() => {
  serve?.kill();
  rmSync(dir, { recursive: true, force: true });
});

function open(): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: pair.cert, servername: 'localhost' }, () => resolve(socket));
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
    const socket = tcpConnect({ host: '127.0.0.1', port });
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
      (await metricValue(metricsPort, 'sidecar_injector_admission_requests_in_flight')) === 1 ? true : undefined,
    'the slow request to be in flight',
  );

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
