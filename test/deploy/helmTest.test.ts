// `helm test`'s pod, run for real: its script (from the rendered chart, as the pod would run it
// with the image's node) against a running webhook over HTTPS, trusting the CA the chart gives it:
// the webhook configuration's caBundle (an existing Secret) or cert-manager's ca.crt (a file).
// On the e2e cluster kwok runs no containers, so this is where the script itself is proven.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificate } from '../integration/support/certs';
import { startTestServer, type TestServer } from '../integration/support/server';
import { type Doc, findOne } from '../unit/deploy/manifests';
import { helmTemplate } from './support/chart';
import { TOOLS_TIMEOUT_MS, toolPath } from './support/tools';

const TIMEOUT_MS = 60_000;
let helm: string;
let server: TestServer;
let work: string;

beforeAll(async () => {
  [helm, server] = await Promise.all([toolPath('helm'), startTestServer()]);
  work = mkdtempSync(join(tmpdir(), 'sidecar-injector-helm-test-'));
}, TOOLS_TIMEOUT_MS);

afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const testPod = (docs: Doc[]): Doc => docs.find((d) => d.metadata.annotations?.['helm.sh/hook'] === 'test') as Doc;
const envOf = (pod: Doc): Record<string, string> =>
  Object.fromEntries(pod.spec.containers[0].env.map((e: Doc) => [e.name, e.value]));

/** Runs the test pod's script with its env, READYZ_URL pointed at the local server. */
function runTestPod(pod: Doc, env: Record<string, string>): Promise<{ code: number; output: string }> {
  const container = pod.spec.containers[0];
  expect(container.command).toEqual(['/nodejs/bin/node', '-e']); // the image's node
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', container.args[0]],
      { env: { ...env, READYZ_URL: `https://localhost:${server.port}/readyz` }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

describe('helm test', () => {
  test(
    'with an existing Secret: trusts the caBundle, and reaches /readyz through the Service name',
    async () => {
      const caBundle = Buffer.from(server.ca[0] as string).toString('base64');
      const docs = await helmTemplate(helm, {
        set: { 'certificates.source': 'secret', 'certificates.secret.caBundle': caBundle },
      });
      const pod = testPod(docs);
      const env = envOf(pod);
      expect(env).toEqual({
        READYZ_URL: 'https://sidecar-injector.sidecar-injector.svc:443/readyz',
        CA_BUNDLE: findOne(docs, 'MutatingWebhookConfiguration').webhooks[0].clientConfig.caBundle,
      });
      expect(await runTestPod(pod, env)).toEqual({
        code: 0,
        output: `GET https://localhost:${server.port}/readyz: 200\n`,
      });
    },
    TIMEOUT_MS,
  );

  test(
    'with cert-manager: trusts ca.crt of the serving Secret, mounted as a file',
    async () => {
      const pod = testPod(await helmTemplate(helm));
      expect(pod.spec.volumes).toEqual([
        { name: 'tls', secret: { secretName: 'sidecar-injector-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      ]);
      const env = envOf(pod);
      expect(env.CA_FILE).toBe(`${pod.spec.containers[0].volumeMounts[0].mountPath}/ca.crt`);
      const caFile = join(work, 'ca.crt');
      writeFileSync(caFile, server.ca[0] as string);
      expect((await runTestPod(pod, { ...env, CA_FILE: caFile })).code).toBe(0);
    },
    TIMEOUT_MS,
  );

  test(
    'fails against a server whose certificate that CA did not sign',
    async () => {
      const pod = testPod(await helmTemplate(helm));
      const otherCa = join(work, 'other-ca.crt');
      writeFileSync(otherCa, makeCertificate('someone-else').cert);
      const result = await runTestPod(pod, { ...envOf(pod), CA_FILE: otherCa });
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/readyz: .*certificate/);
    },
    TIMEOUT_MS,
  );
});
