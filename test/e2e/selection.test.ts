// Which pods get which sidecars, through a real kube-apiserver: the shipped webhook scopes
// (opt-in and cluster-wide with their exclusions), templates named by annotation with annotation
// parameters, and automatic injection by selector on namespace labels from the Namespace watch.
import {
  type Environment,
  e2eBeforeAll,
  e2eTest,
  pinnedKubernetesVersion,
  SETUP_TIMEOUT_MS,
  startEnvironment,
} from './support/environment';
import { INJECTOR_NAMESPACE } from './support/injector';
import {
  container,
  containerNames,
  initContainerNames,
  injectedTemplates,
  podManifest,
  podNaming,
  type StoredPod,
} from './support/pods';

const ENABLED = { 'sidecar.injector.dev/injection': 'enabled' };
const DISABLED = { 'sidecar.injector.dev/injection': 'disabled' };
const TEAM = 'e2e.sidecar.injector.dev/team';

let env: Environment;

e2eBeforeAll(async () => {
  env = await startEnvironment();
  await env.kube.createNamespace('optin-enabled', ENABLED);
  await env.kube.createNamespace('plain');
  await env.kube.createNamespace('cw-disabled', DISABLED);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await env?.stop();
});

const injected = (pod: StoredPod | undefined) => (pod ? injectedTemplates(pod) : []);

/** Waits until our configuration is in force at the API server: a dry run in `namespace` is injected. */
async function configurationInForce(namespace: string): Promise<void> {
  await env.kube.dryRunUntil(`injection in ${namespace}`, podNaming(namespace, 'e2e-logger'), (d) =>
    injected(d.pod).includes('e2e-logger'),
  );
}

e2eTest(`runs against kube-apiserver ${pinnedKubernetesVersion()}`, async () => {
  const version = JSON.parse(await env.kube.ok(['version', '-o', 'json']));
  expect(version.serverVersion.gitVersion).toBe(pinnedKubernetesVersion());
});

describe('opt-in scope (deploy/components/webhook-opt-in)', () => {
  e2eBeforeAll(async () => {
    await env.applyWebhookConfiguration('opt-in');
    await configurationInForce('optin-enabled');
  }, 60_000);

  e2eTest(
    'a namespace labelled sidecar.injector.dev/injection=enabled is injected, an unlabelled one is not',
    async () => {
      const inEnabled = await env.kube.createPod(podNaming('optin-enabled', 'e2e-logger'));
      expect(injectedTemplates(inEnabled.pod)).toEqual(['e2e-logger']);
      expect(initContainerNames(inEnabled.pod)).toEqual(['e2e-logger']);

      const pod = podNaming('plain', 'e2e-logger');
      const inPlain = await env.kube.createPod(pod);
      expect(injectedTemplates(inPlain.pod)).toEqual([]);
      expect(initContainerNames(inPlain.pod)).toEqual([]);
      expect(containerNames(inPlain.pod)).toEqual(['app']);
      // Left out by the API server: the webhook never saw it.
      expect(env.injector.admissionsOf('plain', pod.metadata.name)).toEqual([]);
    },
  );

  e2eTest('templates named by annotation, in the order written, with parameters from annotations', async () => {
    const { pod } = await env.kube.createPod(
      podNaming('optin-enabled', ' e2e-proxy , e2e-logger', {
        annotations: { 'e2e-logger.sidecar.injector.dev/log-path': '/var/log/nginx' },
      }),
    );
    expect(injectedTemplates(pod)).toEqual(['e2e-proxy', 'e2e-logger']);
    expect(initContainerNames(pod)).toEqual(['e2e-proxy', 'e2e-logger']);
    expect(container(pod, 'e2e-logger').args).toEqual(['--path=/var/log/nginx']);
    expect(container(pod, 'e2e-logger').volumeMounts).toEqual([
      { name: 'e2e-logs', mountPath: '/var/log/nginx', readOnly: true },
    ]);
    expect(container(pod, 'app').volumeMounts).toEqual([{ name: 'e2e-logs', mountPath: '/var/log/nginx' }]);
    expect(container(pod, 'app').env).toEqual([{ name: 'LOG_DIR', value: '/var/log/nginx' }]);

    const excluded = await env.kube.createPod(
      podNaming('optin-enabled', 'e2e-logger, e2e-classic', {
        annotations: { 'sidecar.injector.dev/exclude': 'e2e-classic' },
      }),
    );
    expect(injectedTemplates(excluded.pod)).toEqual(['e2e-logger']);
    expect(containerNames(excluded.pod)).toEqual(['app']);
  });

  e2eTest('a parameter value that fails its declaration denies the pod, and kubectl shows why', async () => {
    const pod = podNaming('optin-enabled', 'e2e-logger', {
      annotations: { 'e2e-logger.sidecar.injector.dev/log-path': 'relative/path' },
    });
    const result = await env.kube.tryCreatePod(pod);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('admission webhook "inject.sidecar.injector.dev" denied the request');
    expect(result.stderr).toContain('log-path');
    expect(result.stderr).toContain('relative/path');
    expect(await env.kube.podExists('optin-enabled', pod.metadata.name)).toBe(false);
  });

  e2eTest('automatic injection: selector on namespace labels (Namespace watch) and pod labels', async () => {
    await env.kube.createNamespace('auto-payments', { ...ENABLED, [TEAM]: 'payments' });
    await env.kube.createNamespace('auto-other', ENABLED);
    const web = (namespace: string) => podManifest({ namespace, labels: { app: 'web' } });

    // The webhook learns the new namespace's labels from its watch: wait for that, boundedly.
    await env.kube.dryRunUntil('e2e-auto in auto-payments', web('auto-payments'), (d) =>
      injected(d.pod).includes('e2e-auto'),
    );
    const selected = await env.kube.createPod(web('auto-payments'));
    expect(injectedTemplates(selected.pod)).toEqual(['e2e-auto']);
    expect(initContainerNames(selected.pod)).toEqual(['e2e-auto']);

    const otherPod = await env.kube.createPod(podManifest({ namespace: 'auto-payments', labels: { app: 'db' } }));
    expect(injectedTemplates(otherPod.pod)).toEqual([]);
    const otherNamespace = await env.kube.createPod(web('auto-other'));
    expect(injectedTemplates(otherNamespace.pod)).toEqual([]);

    // A label added later reaches the webhook through the same watch.
    await env.kube.ok(['label', 'namespace', 'auto-other', `${TEAM}=payments`]);
    await env.kube.dryRunUntil('e2e-auto in auto-other after labelling it', web('auto-other'), (d) =>
      injected(d.pod).includes('e2e-auto'),
    );
    const afterLabel = await env.kube.createPod(web('auto-other'));
    expect(injectedTemplates(afterLabel.pod)).toEqual(['e2e-auto']);
  });
});

describe('cluster-wide scope (deploy/components/webhook-cluster-wide)', () => {
  e2eBeforeAll(async () => {
    await env.applyWebhookConfiguration('cluster-wide');
    await configurationInForce('plain');
  }, 60_000);

  e2eTest('every namespace is injected except kube-system, the injector namespace and disabled ones', async () => {
    const inPlain = await env.kube.createPod(podNaming('plain', 'e2e-logger'));
    expect(injectedTemplates(inPlain.pod)).toEqual(['e2e-logger']);

    for (const namespace of ['kube-system', 'kube-public', 'kube-node-lease', INJECTOR_NAMESPACE, 'cw-disabled']) {
      const pod = podNaming(namespace, 'e2e-logger');
      const stored = await env.kube.createPod(pod);
      expect([namespace, injectedTemplates(stored.pod), initContainerNames(stored.pod)]).toEqual([namespace, [], []]);
      expect([namespace, env.injector.admissionsOf(namespace, pod.metadata.name)]).toEqual([namespace, []]);
    }
  });

  e2eTest(
    'the webhook itself passes through its own namespace and disabled ones when a configuration sends them',
    async () => {
      // A test variant with no namespaceSelector: every pod goes to the webhook.
      await env.applyWebhookConfiguration('cluster-wide', { namespaceSelector: {} });
      const probe = podNaming(INJECTOR_NAMESPACE, 'e2e-logger');
      await env.kube.dryRunUntil(
        'the webhook to be called for the injector namespace',
        probe,
        (d) => d.result.code === 0 && env.injector.admissionsOf(INJECTOR_NAMESPACE, probe.metadata.name).length > 0,
      );

      for (const [namespace, reason] of [
        [INJECTOR_NAMESPACE, 'the injector namespace'],
        ['cw-disabled', 'namespace injection disabled'],
      ] as const) {
        const pod = podNaming(namespace, 'e2e-logger');
        const stored = await env.kube.createPod(pod);
        expect([namespace, injectedTemplates(stored.pod), initContainerNames(stored.pod)]).toEqual([namespace, [], []]);
        const seen = await env.injector.waitForLog(
          `admission of ${namespace}/${pod.metadata.name}`,
          (l) => l.msg === 'admission' && l.pod === pod.metadata.name,
        );
        expect([seen.outcome, seen.reason]).toEqual(['passthrough', reason]);
      }
      await env.applyWebhookConfiguration('cluster-wide');
    },
  );
});
