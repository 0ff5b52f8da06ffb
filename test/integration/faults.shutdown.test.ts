// Fault under load: SIGTERM reaches the built binary while admission traffic flows on keep-alive
// and new connections, with requests in flight. Every request either gets its full 200 answer
// or is refused before any byte of an answer (connection refused or reset): never a half
// answer, never a 5xx. Requests in flight at the signal are answered; the exit code is 0.
// (The drain step by step, with one request, is in shutdown.test.ts.)
import { connect } from 'node:tls';
import { type ReadyServe, spawnReadyServe } from './support/child';
import { metricValue } from './support/http';
import { pod, review } from './support/reviews';
import { eventually } from './support/server';
import { startTraffic } from './support/traffic';

let server: ReadyServe;
beforeAll(async () => {
  server = await spawnReadyServe(['--shutdown-timeout', '20']);
}, 20_000);
afterAll(() => server?.cleanup());

/** A review whose headers and first half are sent now; `finish()` sends the rest and resolves with the raw answer. */
async function halfSent(): Promise<{ uid: string; finish(): Promise<string> }> {
  const body = JSON.stringify(review(pod({ annotations: { 'sidecar.injector.dev/inject': 'log-shipper' } })));
  const half = Math.floor(body.length / 2);
  const socket = connect({ host: '127.0.0.1', port: server.port, ca: server.cert, servername: 'localhost' });
  await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  let answer = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    answer += chunk;
  });
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(answer)));
  socket.write(
    `POST /mutate?timeout=10s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body.slice(0, half)}`,
  );
  return {
    uid: JSON.parse(body).request.uid,
    finish: () => {
      socket.write(body.slice(half));
      return closed;
    },
  };
}

test('SIGTERM under traffic: in-flight requests are answered, new ones refused cleanly, exit 0', async () => {
  const inFlight = await Promise.all([halfSent(), halfSent(), halfSent()]);
  await eventually(
    async () =>
      (await metricValue(server.metricsPort, 'sidecar_injector_admission_requests_in_flight')) === 3 ? true : undefined,
    'three requests to be in flight',
  );
  const { serve } = server;
  const traffic = startTraffic({
    port: server.port,
    ca: [server.cert],
    keepAliveLoops: 4,
    freshLoops: 2,
    endOnRefusal: true,
    check: (response) => {
      if (response.patchType !== 'JSONPatch') throw new Error(`no patch: ${JSON.stringify(response)}`);
      return 'injected';
    },
  });
  await traffic.until((o) => o.length >= 300);

  serve.child.kill('SIGTERM');
  await serve.waitForLog((l) => l.msg === 'shutting down: finishing in-flight requests');
  const answers = await Promise.all(inFlight.map((r) => r.finish()));
  const outcomes = await traffic.finished;
  expect(await serve.exited).toEqual({ code: 0, signal: null });

  inFlight.forEach((request, i) => {
    const answer = answers[i] ?? '';
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).response).toMatchObject({
      uid: request.uid,
      patchType: 'JSONPatch',
    });
  });
  expect(outcomes.filter((o) => o.kind === 'failed')).toEqual([]);
  expect(outcomes.filter((o) => o.kind === 'ok').length).toBeGreaterThanOrEqual(300);
  // Each loop ended at a refused connection: the listener was closed, nobody got a 5xx instead.
  expect(outcomes.filter((o) => o.kind === 'refused').length).toBe(6);
  expect(serve.logs.filter((l) => l.statusCode >= 500)).toEqual([]);
  expect(serve.logs.map((l) => l.msg)).toContain('shut down');
}, 60_000);
