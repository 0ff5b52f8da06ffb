// `sidecar-injector drift` against a real kube-apiserver, with pods the webhook injected (no
// controllers run here: workloads, their ReplicaSets and Jobs are created as a controller would
// own them, and pods stay Pending). Every state from a real pod; the kubectl plugin; --restart
// up to the point where a controller would take over; the CronJob's least-privilege RBAC.
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createOwner,
  driftReport,
  gaugeAgreesWithDrift as gaugeAgreesWithDrift_,
  ownedPod,
  rowsOf,
  runCommand,
  runDrift,
} from './support/drift';
import { type Environment, e2eBeforeAll, e2eTest, SETUP_TIMEOUT_MS, startEnvironment } from './support/environment';
import { INJECTOR_NAMESPACE, MAIN } from './support/injector';
import {
  allContainers,
  INJECT,
  injectedTemplates,
  podManifest,
  podNaming,
  STATUS,
  type StoredPod,
} from './support/pods';
import { until } from './support/poll';
import { deployment } from './support/workloads';

const NS = 'drift';
const OUT_OF_SCOPE = 'drift-out';
const SELECTED = { drift: 'on' };
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
let env: Environment;
let kubeconfig: string;

const sidecarTemplate = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'sidecar.injector.dev/v1alpha1',
  kind: 'SidecarTemplate',
  metadata: { name },
  spec,
});
const logger = (image: string) =>
  sidecarTemplate('drift-logger', {
    selector: { podSelector: { matchLabels: SELECTED } },
    containers: [{ name: 'drift-logger', image }],
  });
/** Collides with the app's port 8080 in every pod below: skipped. */
const proxy = sidecarTemplate('drift-proxy', {
  onConflict: 'Skip',
  containers: [{ name: 'drift-proxy', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 8080 }] }],
});
const tail = sidecarTemplate('drift-tail', {
  containers: [{ name: 'drift-tail', image: 'registry.k8s.io/pause:3.10' }],
});

const hashOf = (pod: StoredPod, template: string) =>
  (
    JSON.parse(pod.metadata.annotations?.[STATUS] ?? '{"templates":[]}') as {
      templates: Array<{ name: string; hash: string }>;
    }
  ).templates.find((t) => t.name === template)?.hash;

/** Waits until the webhook injects the logger with `image` (template edits reach it through its watch). */
const webhookInjects = (image: string) =>
  env.kube.dryRunUntil(`drift-logger with ${image}`, podManifest({ namespace: NS, labels: SELECTED }), (d) =>
    Boolean(d.pod && allContainers(d.pod).some((c) => c.name === 'drift-logger' && c.image === image)),
  );

/** A Deployment with a ReplicaSet it owns, as the Deployment controller would have made them. */
async function deploymentWithReplicaSet(name: string) {
  const owner = await createOwner(
    env.kube,
    deployment(NS, name, 2, { labels: SELECTED, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] }),
  );
  const replicaSet = await createOwner(env.kube, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `${name}-5d8f`, namespace: NS, ownerReferences: [{ ...owner, controller: true }] },
    spec: {
      replicas: 2,
      selector: { matchLabels: SELECTED },
      template: {
        metadata: { labels: SELECTED },
        spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
      },
    },
  });
  return { deployment: owner, replicaSet };
}

const gaugeAgreesWithDrift = () => gaugeAgreesWithDrift_(kubeconfig, () => env.injector.metricsPort);

/**
 * Runs `create` while the API server calls no webhook (as when it is down under failurePolicy
 * Ignore), then puts the webhook configuration back and waits until it is in force again.
 */
async function withoutWebhook(create: () => Promise<unknown>): Promise<void> {
  const probe = podManifest({ namespace: NS, labels: SELECTED });
  await env.kube.ok(['delete', 'mutatingwebhookconfiguration', 'sidecar-injector']);
  try {
    await env.kube.dryRunUntil('the API server to stop calling the webhook', probe, (d) =>
      Boolean(d.pod && injectedTemplates(d.pod).length === 0),
    );
    await create();
  } finally {
    await env.applyWebhookConfiguration('opt-in');
  }
  await env.kube.dryRunUntil('the webhook to be called again', probe, (d) =>
    Boolean(d.pod && injectedTemplates(d.pod).length > 0),
  );
}

e2eBeforeAll(async () => {
  env = await startEnvironment({ serveArgs: ['--drift-report', 'on'] });
  kubeconfig = env.cp.kubeconfigPath;
  await env.kube.createNamespace(NS, { 'sidecar.injector.dev/injection': 'enabled' });
  await env.kube.createNamespace(OUT_OF_SCOPE);
  await env.applyWebhookConfiguration('opt-in');
  await env.kube.apply(logger('registry.k8s.io/pause:3.9'), proxy, tail);
  await webhookInjects('registry.k8s.io/pause:3.9');
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await env?.stop();
});

let webHash = '';

e2eTest("a Deployment's pods injected by the webhook are current, and a Skip conflict skipped: exit 0", async () => {
  const { replicaSet } = await deploymentWithReplicaSet('web');
  for (let i = 0; i < 2; i++) {
    const { pod } = await env.kube.createPod(
      ownedPod(NS, replicaSet, SELECTED, { annotations: { [INJECT]: 'drift-proxy' } }),
    );
    expect(injectedTemplates(pod)).toEqual(['drift-logger']);
    webHash = hashOf(pod, 'drift-logger') ?? '';
  }
  // Outside the webhook's scope a pod is never injected, and drift does not count it as missing.
  await env.kube.createPod(podManifest({ namespace: OUT_OF_SCOPE, labels: SELECTED }));

  const { code, report } = await driftReport(kubeconfig, ['-n', NS]);
  expect(rowsOf(report)).toEqual(['Deployment/web drift-logger current 2', 'Deployment/web drift-proxy skipped 2']);
  expect(report.workloads[0]?.templates[0]).toMatchObject({ recordedHashes: [webHash], currentHash: webHash });
  expect(code).toBe(0);
  expect((await driftReport(kubeconfig, ['-A'])).report).toEqual(report);
  await gaugeAgreesWithDrift();
});

e2eTest(
  'after a template edit the pods are outdated (exit 3); the current hash is what the webhook records now',
  async () => {
    await env.kube.apply(logger('registry.k8s.io/pause:3.10'));
    await webhookInjects('registry.k8s.io/pause:3.10');
    const { pod: fresh } = await env.kube.createPod(podManifest({ namespace: NS, labels: SELECTED }));

    const { code, report } = await driftReport(kubeconfig, ['-n', NS]);
    expect(code).toBe(3);
    expect(rowsOf(report)).toEqual([
      'Deployment/web drift-logger outdated 2',
      'Deployment/web drift-proxy skipped 2',
      `Pod/${fresh.metadata.name} drift-logger current 1`,
    ]);
    const outdated = report.workloads[0]?.templates[0];
    expect(outdated?.recordedHashes).toEqual([webHash]);
    expect(outdated?.currentHash).toBe(hashOf(fresh, 'drift-logger'));
    expect(outdated?.currentHash).not.toBe(webHash);
    expect(report.summary).toEqual({ current: 1, outdated: 2, missing: 0, skipped: 2, removed: 0 });
    await gaugeAgreesWithDrift();
  },
);

e2eTest(
  'a pod created while the webhook was not called is missing; its workload is the CronJob of its Job',
  async () => {
    await withoutWebhook(async () => {
      const cronJob = await createOwner(env.kube, {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'nightly', namespace: NS },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: {
            spec: {
              template: {
                spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
              },
            },
          },
        },
      });
      const job = await createOwner(env.kube, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'nightly-29380', namespace: NS, ownerReferences: [{ ...cronJob, controller: true }] },
        spec: {
          template: {
            spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
          },
        },
      });
      await env.kube.createPod(ownedPod(NS, job, SELECTED));
    });
    const { code, report } = await driftReport(kubeconfig, ['-n', NS, '--template', 'drift-logger']);
    expect(code).toBe(3);
    expect(rowsOf(report)).toContain('CronJob/nightly drift-logger missing 1');
    await gaugeAgreesWithDrift();
  },
);

e2eTest(
  'a recorded template that was deleted is removed; a pod naming a template that does not exist is no error',
  async () => {
    const { pod } = await env.kube.createPod(podNaming(NS, 'drift-tail'));
    expect(injectedTemplates(pod)).toEqual(['drift-tail']);
    await env.kube.ok(['delete', 'sidecartemplate', 'drift-tail']);
    const { code, report, stderr } = await driftReport(kubeconfig, ['-n', NS]);
    expect(code).toBe(3);
    expect(rowsOf(report)).toContain(`Pod/${pod.metadata.name} drift-tail removed 1`);
    const removed = report.workloads.find((w) => w.name === pod.metadata.name)?.templates[0];
    expect(removed?.recordedHashes).toEqual([hashOf(pod, 'drift-tail')]);
    expect(removed?.currentHash).toBeUndefined();
    expect(stderr).toBe('');
    await gaugeAgreesWithDrift();
  },
);

e2eTest('the table names each workload, template and state', async () => {
  const run = await runDrift(kubeconfig, ['-n', NS]);
  expect(run.code).toBe(3);
  expect(run.stdout).toMatch(/^NAMESPACE +WORKLOAD +TEMPLATE +STATE +PODS +REASON$/m);
  expect(run.stdout).toMatch(/^drift +Deployment\/web +drift-logger +outdated +2$/m);
  expect(run.stdout).toMatch(
    /^drift +Deployment\/web +drift-proxy +skipped +2 +port 8080\/TCP of container drift-proxy is already used by container app$/m,
  );
  expect(run.stdout).toMatch(/^Pods by template: \d+ current, 2 outdated, 1 missing, 2 skipped, 1 removed$/m);
});

e2eTest('kubectl sidecar-injector drift runs the plugin the package installs', async () => {
  const bin = mkdtempSync(join(tmpdir(), 'drift-plugin-'));
  try {
    // What npm does with package.json's bin: a link to the built CLI, made executable.
    chmodSync(MAIN, 0o755);
    symlinkSync(MAIN, join(bin, 'kubectl-sidecar_injector'));
    const env_ = { PATH: `${bin}:${process.env.PATH}`, KUBECONFIG: kubeconfig, HOME: bin };
    const plugins = await runCommand(join(env.cp.binDir, 'kubectl'), ['plugin', 'list'], env_);
    expect(plugins.stdout).toContain(join(bin, 'kubectl-sidecar_injector'));
    const run = await runCommand(
      join(env.cp.binDir, 'kubectl'),
      ['sidecar-injector', 'drift', '-n', NS, '-o', 'json'],
      env_,
    );
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toEqual((await driftReport(kubeconfig, ['-n', NS])).report);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

describe('--restart', () => {
  const restartedAt = async (name: string) =>
    JSON.parse(await env.kube.ok(['get', 'deployment', '-n', NS, name, '-o', 'json'])).spec.template.metadata
      .annotations?.[RESTARTED_AT];

  e2eBeforeAll(async () => {
    // A second drifted Deployment, after web in the report's order.
    const { replicaSet } = await deploymentWithReplicaSet('worker');
    await withoutWebhook(() => env.kube.createPod(ownedPod(NS, replicaSet, SELECTED)));
  });

  e2eTest('--dry-run says what it would restart and what it will not, and patches nothing', async () => {
    const run = await runDrift(kubeconfig, ['-n', NS, '--restart', '--dry-run']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('would restart Deployment drift/web (drift-logger outdated in 2 pods) (dry run)');
    expect(run.stderr).toContain('would restart Deployment drift/worker (drift-logger missing in 1 pod) (dry run)');
    expect(run.stderr).toContain(
      "not restarting CronJob drift/nightly (drift-logger missing in 1 pod): the next scheduled Job gets today's templates",
    );
    expect([await restartedAt('web'), await restartedAt('worker')]).toEqual([undefined, undefined]);
  });

  e2eTest(
    'with no controller to roll it, the first rollout does not finish: exit 1, and the next is not started',
    async () => {
      const run = await runDrift(kubeconfig, ['-n', NS, '--restart', '--timeout', '3s']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /Error: Deployment drift\/web: not rolled out after 3 s: waiting for the controller to observe the change; stopped \(1 not restarted\)/,
      );
      expect(await restartedAt('web')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(await restartedAt('worker')).toBeUndefined();
    },
  );

  e2eTest("the CronJob component's ServiceAccount may do all of it, and no more than it needs", async () => {
    await env.kube.ok([
      'apply',
      '-f',
      join(__dirname, '..', '..', 'deploy', 'components', 'drift-restart-cronjob', 'rbac.yaml'),
    ]);
    const token = (
      await env.kube.ok(['create', 'token', 'sidecar-injector-drift-restart', '-n', INJECTOR_NAMESPACE])
    ).trim();
    const admin = JSON.parse(await env.kube.ok(['config', 'view', '--raw', '--minify', '-o', 'json']));
    const dir = mkdtempSync(join(tmpdir(), 'drift-sa-'));
    const saConfig = join(dir, 'kubeconfig');
    writeFileSync(
      saConfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'e2e', cluster: admin.clusters[0].cluster }],
        users: [{ name: 'drift', user: { token } }],
        contexts: [{ name: 'drift', context: { cluster: 'e2e', user: 'drift' } }],
        'current-context': 'drift',
      }),
    );
    try {
      const asAdmin = await driftReport(kubeconfig, ['-A']);
      const asServiceAccount = await driftReport(saConfig, ['-A']);
      expect(asServiceAccount.stderr).toBe('');
      expect(asServiceAccount.report).toEqual(asAdmin.report);
      const run = await runDrift(saConfig, ['-A', '--restart', '--timeout', '1s']);
      expect(run.stderr).toMatch(/Deployment drift\/web: not rolled out after 1 s/);
      const denied = await runCommand(
        join(env.cp.binDir, 'kubectl'),
        ['--kubeconfig', saConfig, 'delete', 'pod', '-n', NS, '--all', '--dry-run=server'],
        {
          PATH: process.env.PATH,
        },
      );
      expect(denied.stderr).toMatch(/forbidden/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

e2eTest(
  "the gauge's pod watch recovers when the API server goes away and comes back",
  async () => {
    await env.cp.stopApiserver();
    await env.cp.startApiserver();
    await until(
      'the pod watch to report its drop',
      async () =>
        (await env.injector.metric('sidecar_injector_watch_errors_total', { resource: 'pods' })) > 0 ? true : undefined,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    await env.kube.createPod(podManifest({ namespace: NS, labels: SELECTED }));
    await gaugeAgreesWithDrift();
  },
  120_000,
);
