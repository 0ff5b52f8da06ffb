// A webhook started with --native-sidecars never, then stopped with SIGTERM: the shipped
// failurePolicy (Fail) refuses pods in scope while it is down, and Ignore lets them through
// without sidecars. Pods out of scope are never affected.
import { type Environment, e2eBeforeAll, e2eTest, SETUP_TIMEOUT_MS, startEnvironment } from './support/environment';
import { container, containerNames, initContainerNames, injectedTemplates, podNaming } from './support/pods';

const NS = 'failure-policy';
const WEBHOOK_ERROR = 'failed calling webhook "inject.sidecar.injector.dev"';
let env: Environment;

e2eBeforeAll(async () => {
  env = await startEnvironment({ nativeSidecars: 'never' });
  await env.kube.createNamespace(NS, { 'sidecar.injector.dev/injection': 'enabled' });
  await env.kube.createNamespace('out-of-scope');
  await env.applyWebhookConfiguration('opt-in', { timeoutSeconds: 2 });
  await env.kube.dryRunUntil('the opt-in configuration to be in force', podNaming(NS, 'e2e-logger'), (d) =>
    Boolean(d.pod && injectedTemplates(d.pod).includes('e2e-logger')),
  );
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await env?.stop();
});

describe('--native-sidecars never', () => {
  e2eTest('a mode: Auto template becomes a classic sidecar in containers', async () => {
    const { pod } = await env.kube.createPod(podNaming(NS, 'e2e-logger'));
    expect(containerNames(pod)).toEqual(['app', 'e2e-logger']);
    expect(initContainerNames(pod)).toEqual([]);
    expect(container(pod, 'e2e-logger').restartPolicy).toBeUndefined();
  });

  e2eTest('an explicit mode: Native is not overridden by the flag', async () => {
    const { pod } = await env.kube.createPod(podNaming(NS, 'e2e-proxy'));
    expect(initContainerNames(pod)).toEqual(['e2e-proxy']);
    expect(container(pod, 'e2e-proxy').restartPolicy).toBe('Always');
  });
});

describe('with the webhook stopped', () => {
  e2eBeforeAll(async () => {
    const exit = await env.injector.terminate();
    expect(exit).toEqual({ code: 0, signal: null });
  }, 60_000);

  e2eTest('failurePolicy: Fail (as shipped) refuses pods in scope with the webhook error', async () => {
    const pod = podNaming(NS, 'e2e-logger');
    const result = await env.kube.tryCreatePod(pod);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(WEBHOOK_ERROR);
    expect(await env.kube.podExists(NS, pod.metadata.name)).toBe(false);

    const outOfScope = await env.kube.createPod(podNaming('out-of-scope', 'e2e-logger'));
    expect(containerNames(outOfScope.pod)).toEqual(['app']);
  });

  e2eTest('failurePolicy: Ignore lets pods in scope through without sidecars', async () => {
    await env.applyWebhookConfiguration('opt-in', { failurePolicy: 'Ignore', timeoutSeconds: 2 });
    // The API server picks the change up through its own watch: retry until it is in force.
    await env.kube.dryRunUntil(
      'failurePolicy Ignore to be in force',
      podNaming(NS, 'e2e-logger'),
      (d) => d.result.code === 0,
    );
    const { pod } = await env.kube.createPod(podNaming(NS, 'e2e-logger'));
    expect(containerNames(pod)).toEqual(['app']);
    expect(initContainerNames(pod)).toEqual([]);
    expect(injectedTemplates(pod)).toEqual([]);
  });
});
