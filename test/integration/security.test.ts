// The attacks injectors have suffered in the field (see SECURITY.md), tried over real HTTPS against
// the server `serve` starts. A pod author controls every annotation, label and field of the pod.
// (Hostile values against every parameter of the example templates: test/unit/security.properties
// .test.ts; TLS versions and ciphers: tls.test.ts; 413 over --body-limit: webhook.test.ts.)
import { parseFlags } from '../../src/cli/flags';
import { SERVE_FLAGS, serveOptions } from '../../src/cli/serveFlags';
import { call, postJson } from './support/http';
import { containerNames, decodedPatch, patchedPod, pod, review } from './support/reviews';
import { startTestServer, TEST_TEMPLATES, type TestServer } from './support/server';

const INJECTOR_NAMESPACE = 'sidecar-injector';
const TEMPLATES = `${TEST_TEMPLATES}
---
apiVersion: sidecar.injector.dev/v1alpha1
kind: SidecarTemplate
metadata: { name: payments-audit }
spec:
  selector:
    namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: payments } }
  containers:
    - { name: audit, image: busybox:1.37, args: [sleep, infinity] }
---
apiVersion: sidecar.injector.dev/v1alpha1
kind: SidecarTemplate
metadata: { name: pinned }
spec:
  parameters:
    - { name: version, enum: ['1.36', '1.37'], default: '1.37' }
    - { name: message, default: hello }
  containers:
    - name: pinned
      image: 'busybox:\${params.version}'
      args: [echo, '\${params.message}']
`;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer(['--injector-namespace', INJECTOR_NAMESPACE], TEMPLATES);
});
afterAll(() => t.close());

const admit = async (body: unknown) => {
  const answer = await postJson(t.port, body, t.ca);
  expect(answer.status).toBe(200);
  return answer.json.response;
};
const asking = (annotations: Record<string, string>, labels?: Record<string, string>) =>
  pod({ annotations: { 'sidecar.injector.dev/inject': 'log-shipper', ...annotations }, ...(labels ? { labels } : {}) });

describe('a pod author cannot set what the template does not declare', () => {
  test.each(['image', 'namespace', 'privileged', 'host-path', 'security-context', 'command'])(
    'log-shipper.sidecar.injector.dev/%s is denied, naming the declared parameters',
    async (parameter) => {
      const response = await admit(review(asking({ [`log-shipper.sidecar.injector.dev/${parameter}`]: 'evil' })));
      expect(response.allowed).toBe(false);
      expect(response.status.message).toContain(`has no parameter "${parameter}"`);
      expect(response.status.message).toContain('declared: log-path');
      expect(response.patch).toBeUndefined();
    },
  );

  test('an image opened by the template only takes the values it allows', async () => {
    const inject = { 'sidecar.injector.dev/inject': 'pinned' };
    const allowed = pod({ annotations: { ...inject, 'pinned.sidecar.injector.dev/version': '1.36' } });
    const response = await admit(review(allowed));
    const patched = patchedPod(allowed, response) as unknown as { spec: { containers: Array<{ image: string }> } };
    expect(patched.spec.containers.map((c) => c.image)).toEqual(['nginx:1.27', 'busybox:1.36']);
    for (const evil of ['1.36@sha256:deadbeef', 'latest', 'evil/image:1', '1.37\nimage: evil']) {
      const refused = await admit(
        review(pod({ annotations: { ...inject, 'pinned.sidecar.injector.dev/version': evil } })),
      );
      expect(refused.allowed).toBe(false);
      expect(refused.status.message).toMatch(/template pinned parameter version: .* is not one of "1\.36", "1\.37"/);
    }
  });

  test('quotes, newlines, YAML and placeholders in a value stay inside the one string they fill', async () => {
    const value =
      'x"}], "securityContext": {"privileged": true}, "y": [{"\n- name: evil\n  image: evil ${params.version} $${';
    const object = pod({
      annotations: { 'sidecar.injector.dev/inject': 'pinned', 'pinned.sidecar.injector.dev/message': value },
    });
    const response = await admit(review(object));
    const [added] = decodedPatch(response) as Array<{ value: Record<string, unknown> }>;
    expect(added?.value).toEqual({ name: 'pinned', image: 'busybox:1.37', args: ['echo', value] });
  });
});

describe('a pod author cannot pick the namespace: request.namespace decides', () => {
  test('a pod claiming the payments namespace in its metadata gets nothing of it elsewhere', async () => {
    const object = pod({ namespace: 'payments' });
    expect(await admit(review(object, { namespace: 'default' }))).toEqual({ uid: expect.any(String), allowed: true });
    const claimsDefault = pod({ namespace: 'default' });
    const inPayments = await admit(review(claimsDefault, { namespace: 'payments' }));
    expect(containerNames(patchedPod(claimsDefault, inPayments))).toEqual(['app', 'audit']);
  });

  test("the injector's own namespace is never mutated, whatever the pod asks for or claims", async () => {
    const object = asking({}, { reload: 'enabled' });
    object.metadata.namespace = 'default';
    const response = await admit(review(object, { namespace: INJECTOR_NAMESPACE }));
    expect(response).toEqual({ uid: expect.any(String), allowed: true });
    // ...and a pod elsewhere that claims to be in it is injected like any other.
    object.metadata.namespace = INJECTOR_NAMESPACE;
    const elsewhere = await admit(review(object, { namespace: 'default' }));
    expect(containerNames(patchedPod(object, elsewhere))).toEqual(['app', 'log-shipper', 'reloader']);
  });
});

test('a forged status annotation does not stop injection', async () => {
  const forged = JSON.stringify({ templates: [{ name: 'log-shipper', hash: 'forged' }] });
  const object = asking({ 'sidecar.injector.dev/status': forged });
  const response = await admit(review(object));
  const patched = patchedPod(object, response);
  expect(containerNames(patched)).toEqual(['app', 'log-shipper']);
  const status = JSON.parse(patched.metadata.annotations?.['sidecar.injector.dev/status'] ?? '{}');
  expect(status.templates).toEqual([{ name: 'log-shipper', hash: expect.stringMatching(/^[0-9a-f]{16}$/) }]);
});

describe('request sizes are bounded', () => {
  test('a header over 16 KiB is refused with 431; one under it is served', async () => {
    const headers = (size: number) => ({ 'x-filler': 'x'.repeat(size) });
    const big = await call(t.port, '/mutate', {
      body: JSON.stringify(review(pod())),
      headers: headers(17 * 1024),
      ca: t.ca,
    });
    expect(big.status).toBe(431);
    const fine = await call(t.port, '/mutate', {
      body: JSON.stringify(review(pod())),
      headers: headers(15 * 1024),
      ca: t.ca,
    });
    expect(fine.status).toBe(200);
    expect((await call(t.port, '/healthz', { ca: t.ca })).status).toBe(200);
  });
});

test('--client-ca can be set by SIDECAR_INJECTOR_CLIENT_CA', () => {
  const env = { SIDECAR_INJECTOR_CLIENT_CA: '/etc/sidecar-injector/client-ca/ca.crt' };
  expect(serveOptions(parseFlags(SERVE_FLAGS, [], env).values, env).config.clientCa).toBe(
    env.SIDECAR_INJECTOR_CLIENT_CA,
  );
  expect(serveOptions(parseFlags(SERVE_FLAGS, [], {}).values, {}).config.clientCa).toBeUndefined();
});
