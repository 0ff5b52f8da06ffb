// What the API server does with the webhook's answers and what the client sees: native sidecars
// stored after the API server's own validation, classic sidecars, denials and warnings reaching
// kubectl, server-side dry runs, and idempotence when another webhook makes ours run again.
import { readFileSync } from 'node:fs';
import { type Environment, e2eBeforeAll, e2eTest, SETUP_TIMEOUT_MS, startEnvironment } from './support/environment';
import { type OtherWebhook, startOtherWebhook } from './support/otherWebhook';
import {
  allContainers,
  container,
  containerNames,
  initContainerNames,
  injectedTemplates,
  podManifest,
  podNaming,
  STATUS,
} from './support/pods';

const NS = 'admission';
let env: Environment;

e2eBeforeAll(async () => {
  env = await startEnvironment();
  await env.kube.createNamespace(NS, { 'sidecar.injector.dev/injection': 'enabled' });
  await env.applyWebhookConfiguration('opt-in');
  await env.kube.dryRunUntil('the opt-in configuration to be in force', podNaming(NS, 'e2e-logger'), (d) =>
    injectedTemplates(d.pod ?? podManifest({ namespace: NS })).includes('e2e-logger'),
  );
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await env?.stop();
});

describe('modes', () => {
  e2eTest('native sidecars pass the API server validation: init containers with restartPolicy Always', async () => {
    // e2e-logger is mode Auto: native, since the API server is 1.29 or newer; e2e-proxy is Native.
    const { pod } = await env.kube.createPod(podNaming(NS, 'e2e-logger,e2e-proxy'));
    expect(initContainerNames(pod)).toEqual(['e2e-logger', 'e2e-proxy']);
    expect(pod.spec.initContainers?.map((c) => c.restartPolicy)).toEqual(['Always', 'Always']);
    expect(containerNames(pod)).toEqual(['app']);
    // The probe is allowed on native sidecars only: the API server accepted and kept it.
    expect(container(pod, 'e2e-proxy')).toMatchObject({ startupProbe: { tcpSocket: { port: 'e2e-proxy' } } });
  });

  e2eTest('a mode: Classic template is appended to containers', async () => {
    const { pod } = await env.kube.createPod(podNaming(NS, 'e2e-classic'));
    expect(containerNames(pod)).toEqual(['app', 'e2e-classic']);
    expect(initContainerNames(pod)).toEqual([]);
    expect(container(pod, 'e2e-classic').restartPolicy).toBeUndefined();
  });
});

describe('what the client sees', () => {
  e2eTest('a conflict under onConflict: Reject is denied and kubectl prints our message', async () => {
    const pod = podNaming(NS, 'e2e-logger', {
      containers: [{ name: 'e2e-logger', image: 'registry.k8s.io/pause:3.10' }],
    });
    const result = await env.kube.tryCreatePod(pod);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('admission webhook "inject.sidecar.injector.dev" denied the request');
    const denial = await env.injector.waitForLog('the denial', (l) => l.pod === pod.metadata.name);
    expect(denial.outcome).toBe('denied');
    expect(denial.message).toMatch(/e2e-logger/);
    expect(result.stderr).toContain(denial.message);
    expect(await env.kube.podExists(NS, pod.metadata.name)).toBe(false);
  });

  e2eTest('an unknown template name is denied with the list of known ones', async () => {
    const result = await env.kube.tryCreatePod(podNaming(NS, 'no-such-template'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('no-such-template');
    expect(result.stderr).toContain('e2e-logger');
  });

  e2eTest('warnings reach kubectl as Warning: lines', async () => {
    // e2e-optional is onConflict: Skip, so the name collision leaves it out with a warning.
    const { pod, stderr } = await env.kube.createPod(
      podNaming(NS, 'e2e-optional', {
        containers: [{ name: 'e2e-optional', image: 'registry.k8s.io/pause:3.10' }],
        annotations: { 'e2e-logger.sidecar.injector.dev/log-path': '/logs' },
      }),
    );
    expect(injectedTemplates(pod)).toEqual([]);
    expect(containerNames(pod)).toEqual(['e2e-optional']);
    const warnings = stderr.split('\n').filter((l) => l.startsWith('Warning: '));
    expect(warnings.sort()).toEqual([
      'Warning: annotation e2e-logger.sidecar.injector.dev/log-path ignored: template "e2e-logger" is not injected',
      'Warning: template e2e-optional skipped: container name e2e-optional is already used by container e2e-optional',
    ]);
    for (const w of warnings) expect(w.length).toBeLessThanOrEqual('Warning: '.length + 120);
  });

  e2eTest('kubectl create --dry-run=server -o json returns the injected pod and stores nothing', async () => {
    const pod = podNaming(NS, 'e2e-logger');
    const { pod: answer, result } = await env.kube.dryRunPod(pod);
    expect(result.code).toBe(0);
    expect(answer && initContainerNames(answer)).toEqual(['e2e-logger']);
    expect(answer?.metadata.annotations?.[STATUS]).toBeDefined();
    expect(await env.kube.podExists(NS, pod.metadata.name)).toBe(false);
    const seen = await env.injector.waitForLog('the dry run', (l) => l.pod === pod.metadata.name);
    expect([seen.dryRun, seen.outcome]).toEqual([true, 'injected']);
  });
});

describe('reinvocation (reinvocationPolicy: IfNeeded) with another mutating webhook', () => {
  const REINVOCATION_NS = 'reinvocation';
  let other: OtherWebhook;

  e2eBeforeAll(async () => {
    const { certificates } = env;
    other = await startOtherWebhook({
      cert: readFileSync(certificates.certFile, 'utf8'),
      key: readFileSync(certificates.keyFile, 'utf8'),
    });
    await env.kube.createNamespace(REINVOCATION_NS, {
      'sidecar.injector.dev/injection': 'enabled',
      'e2e.sidecar.injector.dev/other-webhooks': 'on',
    });
    // Configurations are called in name order: "aa-..." before ours ("sidecar-injector"), "zz-..." after.
    const otherConfiguration = (name: string, path: string) => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name },
      webhooks: [
        {
          name: `${path}.e2e.sidecar.injector.dev`,
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          reinvocationPolicy: 'IfNeeded',
          timeoutSeconds: 5,
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          namespaceSelector: { matchLabels: { 'e2e.sidecar.injector.dev/other-webhooks': 'on' } },
          clientConfig: { url: `https://127.0.0.1:${other.port}/${path}`, caBundle: certificates.caBundle },
        },
      ],
    });
    await env.kube.apply(otherConfiguration('aa-e2e-before', 'before'), otherConfiguration('zz-e2e-after', 'after'));
    await env.kube.dryRunUntil('the other webhooks to be in force', podManifest({ namespace: REINVOCATION_NS }), (d) =>
      Boolean(d.pod && containerNames(d.pod).includes('before') && containerNames(d.pod).includes('after')),
    );
  }, 60_000);

  afterAll(async () => {
    await env?.kube.ok([
      'delete',
      'mutatingwebhookconfiguration',
      'aa-e2e-before',
      'zz-e2e-after',
      '--ignore-not-found',
    ]);
    await other?.close();
  });

  e2eTest('each sidecar is stored exactly once and both webhooks ran again', async () => {
    const request = podNaming(REINVOCATION_NS, 'e2e-logger,e2e-classic');
    const { pod } = await env.kube.createPod(request);
    const name = request.metadata.name;

    const names = allContainers(pod).map((c) => c.name);
    expect(names.sort()).toEqual(['after', 'app', 'before', 'e2e-classic', 'e2e-logger']);
    expect(injectedTemplates(pod)).toEqual(['e2e-logger', 'e2e-classic']);
    expect(pod.spec.volumes?.filter((v) => v.name === 'e2e-logs')).toHaveLength(1);
    expect(container(pod, 'app').volumeMounts?.filter((m) => m.name === 'e2e-logs')).toHaveLength(1);

    // Ours: injected, then called again after "after" changed the pod, and added nothing.
    await env.injector.waitForLog(
      'the second admission',
      () => env.injector.admissionsOf(REINVOCATION_NS, name).length >= 2,
    );
    expect(env.injector.admissionsOf(REINVOCATION_NS, name).map((l) => l.outcome)).toEqual(['injected', 'unchanged']);
    // "before": called again after ours changed the pod, and saw our sidecars then.
    const before = other.callsFor('/before', name);
    expect(before).toHaveLength(2);
    expect(before[1]?.saw).toEqual(expect.arrayContaining(['e2e-logger', 'e2e-classic', 'after']));
    // "after" was last to change the pod: nothing after it asks for another call.
    expect(other.callsFor('/after', name)).toHaveLength(1);
    expect(other.callsFor('/after', name)[0]?.saw).toEqual(expect.arrayContaining(['e2e-logger', 'e2e-classic']));
  });
});
