// POST /mutate over real HTTPS: every HTTP-level rule of the contract, against the server that
// `serve` starts.
import { call, metric, metricsText, metricValue, postJson } from './support/http';
import { containerNames, patchedPod, pod, review } from './support/reviews';
import { eventually, startTestServer, type TestServer } from './support/server';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer(['--body-limit', '64Ki']);
});
afterAll(() => t.close());

const send = (body: string | Buffer, headers: Record<string, string | undefined> = {}, path = '/mutate') =>
  call(t.port, path, { method: 'POST', body, headers, ca: t.ca });
const admit = (body: unknown, path = '/mutate') => postJson(t.port, body, t.ca, path);
/** The pod with the managedFields the API server adds (the webhook checks them but never builds them). */
function withManagedFields<T extends { metadata: object }>(object: T): T & { metadata: { managedFields: unknown } } {
  const managedFields = [
    { manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': {}, 'f:spec': {} } },
  ];
  return { ...object, metadata: { ...object.metadata, managedFields } };
}
const requests = (result: string) =>
  metricValue(t.metricsPort, 'sidecar_injector_admission_requests_total', { result });

describe('injection', () => {
  test('a named template is injected with a base64 JSON Patch that applies to request.object', async () => {
    const object = pod({ annotations: { 'sidecar.injector.dev/inject': 'log-shipper' } });
    const body = review(object);
    const answer = await admit(body);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.json.apiVersion).toBe('admission.k8s.io/v1');
    expect(answer.json.kind).toBe('AdmissionReview');
    const { response } = answer.json;
    expect(response.uid).toBe(body.request.uid);
    expect(response.allowed).toBe(true);
    expect(response.patchType).toBe('JSONPatch');
    expect(response.warnings).toBeUndefined();
    const patched = patchedPod(object, response);
    expect(containerNames(patched)).toEqual(['app', 'log-shipper']);
    expect(patched.metadata.annotations?.['sidecar.injector.dev/status']).toContain('log-shipper');
  });

  test('a pod with managedFields is injected, and the patch applies to it as sent', async () => {
    const object = withManagedFields(pod({ annotations: { 'sidecar.injector.dev/inject': 'log-shipper' } }));
    const { response } = (await admit(review(object))).json;
    const patched = patchedPod(object, response);
    expect(containerNames(patched)).toEqual(['app', 'log-shipper']);
    expect(patched.metadata).toMatchObject({ managedFields: object.metadata.managedFields });
  });

  test('a pod with only generateName in a namespace given by request.namespace is injected', async () => {
    const object = pod({ name: undefined, generateName: 'web-7d9f-', labels: { reload: 'enabled' } });
    const answer = await admit(review(object, { name: '', namespace: 'shop' }));
    expect(answer.json.response.allowed).toBe(true);
    expect(containerNames(patchedPod(object, answer.json.response))).toContain('reloader');
    const line = t.logs.find((l) => l.uid !== undefined && l.generateName === 'web-7d9f-');
    expect(line).toMatchObject({ namespace: 'shop', outcome: 'injected', templates: { injected: ['reloader'] } });
  });

  test('warnings explain a skip and come back in the response', async () => {
    const object = pod({
      annotations: { 'sidecar.injector.dev/inject': 'reloader', 'log-shipper.sidecar.injector.dev/log-path': '/x' },
    });
    const { response } = (await admit(review(object))).json;
    expect(response.allowed).toBe(true);
    expect(response.warnings).toEqual([expect.stringContaining('log-shipper')]);
    for (const w of response.warnings) expect(w.length).toBeLessThanOrEqual(120);
  });

  test('an unknown template is denied with a 403 status naming it', async () => {
    const body = review(pod({ annotations: { 'sidecar.injector.dev/inject': 'no-such-sidecar' } }));
    const answer = await admit(body);
    expect(answer.status).toBe(200);
    const { response } = answer.json;
    expect(response).toMatchObject({
      uid: body.request.uid,
      allowed: false,
      status: { code: 403, reason: 'Forbidden' },
    });
    expect(response.status.message).toContain('no-such-sidecar');
    expect(response.patch).toBeUndefined();
    expect(response.patchType).toBeUndefined();
  });

  test('a pod without templates is allowed without a patch', async () => {
    const { response } = (await admit(review(pod()))).json;
    expect(response).toEqual({ uid: expect.any(String), allowed: true });
  });

  test('dryRun requests are answered like any other', async () => {
    const body = review(pod({ annotations: { 'sidecar.injector.dev/inject': 'log-shipper' } }), { dryRun: true });
    const { response } = (await admit(body)).json;
    expect(response.patchType).toBe('JSONPatch');
    expect(t.logs.find((l) => l.uid === body.request.uid)).toMatchObject({ dryRun: true, outcome: 'injected' });
  });

  test("the API server's ?timeout= query is accepted", async () => {
    const answer = await admit(review(pod()), '/mutate?timeout=10s');
    expect(answer.status).toBe(200);
  });
});

describe('pass-through: allowed, no patch, whatever the pod asks for', () => {
  const asking = pod({ annotations: { 'sidecar.injector.dev/inject': 'log-shipper' } });
  test.each([
    ['UPDATE', { operation: 'UPDATE' }],
    ['DELETE', { operation: 'DELETE', object: null, oldObject: asking }],
    ['CONNECT', { operation: 'CONNECT', subResource: 'exec', object: { kind: 'PodExecOptions' } }],
    ['a subresource', { subResource: 'status' }],
    [
      'a Deployment',
      {
        kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
        resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      },
    ],
    [
      'a Binding',
      {
        kind: { group: '', version: 'v1', kind: 'Binding' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        subResource: 'binding',
      },
    ],
  ])('%s', async (_name, request) => {
    const body = review(asking, request);
    const answer = await admit(body);
    expect(answer.status).toBe(200);
    expect(answer.json.response).toEqual({ uid: body.request.uid, allowed: true });
  });

  test('a hostNetwork pod, with a warning', async () => {
    const object = pod({ annotations: { 'sidecar.injector.dev/inject': 'log-shipper' } }, { hostNetwork: true });
    const { response } = (await admit(review(object))).json;
    expect(response.allowed).toBe(true);
    expect(response.patch).toBeUndefined();
    expect(response.warnings).toEqual([expect.stringContaining('hostNetwork')]);
  });

  test('a pod that is not even an object is let through on DELETE, but denied on CREATE', async () => {
    expect((await admit(review('garbage', { operation: 'DELETE' }))).json.response.allowed).toBe(true);
    const created = (await admit(review('garbage'))).json.response;
    expect(created.allowed).toBe(false);
    expect(created.status.message).toMatch(/malformed/);
  });
});

describe('bad requests get 400 with a message, and the server stays up', () => {
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['non-JSON', '{"apiVersion": ', /not JSON/],
    ['an empty body', '', /empty/],
    ['a JSON array', '[]', /not a JSON object/],
    [
      'the wrong apiVersion',
      JSON.stringify({ ...review(pod()), apiVersion: 'admission.k8s.io/v1beta1' }),
      /admission\.k8s\.io\/v1beta1/,
    ],
    ['the wrong kind', JSON.stringify({ ...review(pod()), kind: 'Pod' }), /kind AdmissionReview/],
    ['no request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /no request/],
    [
      'no uid',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }),
      /uid/,
    ],
    ['an empty uid', JSON.stringify(review(pod(), { uid: '' })), /uid/],
    [
      'invalid JSON in managedFields, which is never built',
      JSON.stringify(review(withManagedFields(pod()))).replace('"f:spec":{}', '"f:spec":{},'),
      /not JSON/,
    ],
  ];
  test.each(cases)('%s', async (_name, body, message) => {
    const before = await requests('invalid');
    const answer = await send(body);
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
    expect(answer.json.message).toMatch(message);
    expect(await requests('invalid')).toBe(before + 1);
    expect((await call(t.port, '/healthz', { ca: t.ca })).status).toBe(200);
  });

  test('a body over --body-limit gets 413', async () => {
    const big = review(pod({ annotations: { filler: 'x'.repeat(70 * 1024) } }));
    const answer = await admit(big);
    expect(answer.status).toBe(413);
    expect(answer.json.message).toMatch(/65536 bytes.*--body-limit/);
    // The same review, a little smaller, is fine.
    expect((await admit(review(pod({ annotations: { filler: 'x'.repeat(60 * 1024) } })))).status).toBe(200);
  });

  test('a body over the limit sent without Content-Length (chunked) gets 413 too', async () => {
    const answer = await call(t.port, '/mutate', {
      method: 'POST',
      body: Buffer.alloc(80 * 1024, 'x'),
      headers: { 'transfer-encoding': 'chunked' },
      ca: t.ca,
    });
    expect(answer.status).toBe(413);
  });
});

describe('the content type does not matter', () => {
  const body = () => JSON.stringify(review(pod({ annotations: { 'sidecar.injector.dev/inject': 'log-shipper' } })));
  test.each([
    ['text/plain'],
    ['application/octet-stream'],
    ['application/yaml'],
    ['application/json; charset=utf-8'],
    ['nonsense'],
  ])('%s', async (contentType) => {
    const answer = await send(body(), { 'content-type': contentType });
    expect(answer.status).toBe(200);
    expect(answer.json.response.patchType).toBe('JSONPatch');
  });

  test('no content type at all', async () => {
    const answer = await call(t.port, '/mutate', {
      method: 'POST',
      body: body(),
      headers: { 'content-type': undefined },
      ca: t.ca,
    });
    expect(answer.status).toBe(200);
  });
});

describe('health, readiness and metrics', () => {
  test('/healthz and /readyz answer 200 once templates and certificate are loaded', async () => {
    expect((await call(t.port, '/healthz', { ca: t.ca })).status).toBe(200);
    const ready = await call(t.port, '/readyz', { ca: t.ca });
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ ready: true, reasons: [] });
  });

  test('counters move with each answer', async () => {
    const before = await metricsText(t.metricsPort);
    await admit(review(pod({ annotations: { 'sidecar.injector.dev/inject': 'log-shipper' } })));
    await admit(review(pod({ annotations: { 'sidecar.injector.dev/inject': 'missing' } })));
    await admit(review(pod(), { operation: 'UPDATE' }));
    await admit(review(pod()));
    const after = await metricsText(t.metricsPort);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      metric(after, name, labels) - metric(before, name, labels);
    expect(delta('sidecar_injector_admission_requests_total', { result: 'injected' })).toBe(1);
    expect(delta('sidecar_injector_admission_requests_total', { result: 'denied' })).toBe(1);
    expect(delta('sidecar_injector_admission_requests_total', { result: 'passthrough' })).toBe(1);
    expect(delta('sidecar_injector_admission_requests_total', { result: 'unchanged' })).toBe(1);
    expect(delta('sidecar_injector_injections_total', { template: 'log-shipper' })).toBe(1);
    expect(delta('sidecar_injector_admission_duration_seconds_count')).toBe(4);
    expect(metric(after, 'sidecar_injector_templates')).toBe(2);
    expect(after).toMatch(/^process_cpu_seconds_total /m);
  });

  test('each admission is one log line with uid, namespace, pod, templates, outcome and duration', async () => {
    const body = review(pod({ name: 'logged', annotations: { 'sidecar.injector.dev/inject': 'log-shipper' } }), {
      namespace: 'team-a',
    });
    await admit(body);
    const lines = await eventually(async () => {
      const found = t.logs.filter((l) => l.uid === body.request.uid);
      return found.length > 0 ? found : undefined;
    }, 'the admission log line');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'admission',
      namespace: 'team-a',
      pod: 'logged',
      outcome: 'injected',
      dryRun: false,
      templates: { selected: ['log-shipper'], injected: ['log-shipper'] },
      statusCode: 200,
    });
    expect(typeof lines[0]?.durationMs).toBe('number');
  });

  test('the metrics port serves only /metrics', async () => {
    const text = await metricsText(t.metricsPort);
    expect(text).toContain('# TYPE sidecar_injector_admission_requests_total counter');
    expect(text).toContain('# TYPE sidecar_injector_admission_duration_seconds histogram');
  });
});
