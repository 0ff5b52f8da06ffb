// --client-ca: the webhook asks every TLS client for a certificate and lets only those signed by
// that CA call POST /mutate (401 otherwise); the kubelet's probes need none. The CA file is
// reloaded with the serving pair, by the same watcher.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCa, type TestCertificate } from './support/certs';
import { call, metricValue } from './support/http';
import { pod, review } from './support/reviews';
import { eventually, startTestServer, type TestServer } from './support/server';

const trusted = makeCa('api server client CA');
const stranger = makeCa('some other CA');
const apiServer = trusted.issueClient('kube-apiserver');
const impostor = stranger.issueClient('kube-apiserver');

const dir = mkdtempSync(join(tmpdir(), 'si-client-ca-'));
const caFile = join(dir, 'client-ca.crt');
let t: TestServer;
beforeAll(async () => {
  writeFileSync(caFile, trusted.cert);
  t = await startTestServer(['--client-ca', caFile]);
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One request on a fresh connection, presenting `client` when given. */
function send(path: string, client?: TestCertificate) {
  const agent = client ? new Agent({ cert: client.cert, key: client.key, ca: t.ca, keepAlive: false }) : undefined;
  const body =
    path === '/mutate'
      ? JSON.stringify(review(pod({ annotations: { 'sidecar.injector.dev/inject': 'log-shipper' } })))
      : undefined;
  return call(t.port, path, { ca: t.ca, ...(body ? { body } : {}), ...(agent ? { agent } : {}) }).finally(() =>
    agent?.destroy(),
  );
}

test('without a client certificate: 401 Status on /mutate, while /healthz and /readyz answer', async () => {
  const refused = await send('/mutate');
  expect(refused.status).toBe(401);
  expect(refused.json).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
  expect(refused.json.message).toMatch(/client certificate signed by --client-ca is required/);
  expect((await send('/readyz')).status).toBe(200);
  expect((await send('/healthz')).status).toBe(200);
  expect(t.logs.some((l) => l.msg === 'admission request refused' && l.statusCode === 401)).toBe(true);
});

test('a certificate from another CA: 401, naming why', async () => {
  const refused = await send('/mutate', impostor);
  expect(refused.status).toBe(401);
  expect(refused.json.message).toMatch(/not signed by --client-ca/);
});

test('a certificate signed by the CA: the review is answered', async () => {
  const answer = await send('/mutate', apiServer);
  expect(answer.status).toBe(200);
  expect(answer.json.response.patchType).toBe('JSONPatch');
});

test('a new CA file is picked up; a broken one is refused and the previous CA kept', async () => {
  const reloads = (result: string) =>
    metricValue(t.metricsPort, 'sidecar_injector_certificate_reloads_total', { result });
  const failures = await reloads('failure');
  writeFileSync(caFile, 'not a certificate');
  await eventually(async () => ((await reloads('failure')) > failures ? true : undefined), 'the refusal');
  expect(t.logs.some((l) => /the client CA .* is not usable: it holds no PEM certificate/.test(l.msg))).toBe(true);
  expect((await send('/mutate', apiServer)).status).toBe(200);

  // Rotated to the other CA: its clients get in, the old CA's no longer do.
  writeFileSync(caFile, stranger.cert);
  await eventually(async () => ((await send('/mutate', impostor)).status === 200 ? true : undefined), 'the new CA');
  expect((await send('/mutate', apiServer)).status).toBe(401);
});

test('a server cannot start with a CA file that holds no certificate', async () => {
  const bad = join(dir, 'bad-ca.crt');
  writeFileSync(bad, 'garbage');
  await expect(startTestServer(['--client-ca', bad])).rejects.toThrow(/the client CA .*bad-ca\.crt is not usable/);
});
