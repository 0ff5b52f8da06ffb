// Drift through real controllers and kwok nodes: a Deployment injected, its template edited,
// `drift` reporting it outdated and `drift --restart` rolling it until it is current; pods that
// came up without sidecars while the webhook was stopped under failurePolicy Ignore, healed by a
// restart once it is back; a Skip conflict, and a deleted template. After each step the
// webhook's gauge sidecar_injector_pods (--drift-report on) counts what `drift -A` reports.
import { driftReport, gaugeAgreesWithDrift as gaugeAgreesWithDrift_, rowsOf, runDrift } from './support/drift';
import { type Environment, e2eBeforeAll, e2eTest, SETUP_TIMEOUT_MS, startEnvironment } from './support/environment';
import { podManifest } from './support/pods';
import { until } from './support/poll';
import { deployment, type KubeObject, type PodTemplate, podsIn, statefulSet } from './support/workloads';

const NS = 'rollout';
const LABEL = 'e2e.sidecar.injector.dev/drift';
const STEP_TIMEOUT_MS = 240_000;
let env: Environment;
let kubeconfig: string;

const sidecarTemplate = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'sidecar.injector.dev/v1alpha1',
  kind: 'SidecarTemplate',
  metadata: { name },
  spec,
});
/** Injected into every pod labelled LABEL=on. */
const tracer = (image: string) =>
  sidecarTemplate('e2e-tracer', {
    selector: { podSelector: { matchLabels: { [LABEL]: 'on' } } },
    containers: [{ name: 'e2e-tracer', image }],
  });
/** Wants port 8080, which the `ports` Deployment's app has: skipped there. */
const portGrabber = sidecarTemplate('e2e-port-grabber', {
  selector: { podSelector: { matchLabels: { app: 'ports' } } },
  onConflict: 'Skip',
  containers: [{ name: 'e2e-port-grabber', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 8080 }] }],
});
/** Injected into the `db` StatefulSet, then deleted: removed. */
const archiver = sidecarTemplate('e2e-archiver', {
  selector: { podSelector: { matchLabels: { app: 'db' } } },
  containers: [{ name: 'e2e-archiver', image: 'registry.k8s.io/pause:3.10' }],
});

const app = (name: string, port?: number): PodTemplate => ({
  labels: { app: name, [LABEL]: 'on' },
  containers: [
    { name: 'app', image: 'registry.k8s.io/pause:3.10', ...(port ? { ports: [{ containerPort: port }] } : {}) },
  ],
});

/** Waits until the webhook injects the tracer with `image` (template edits reach it by its watch). */
const webhookInjects = (image: string) =>
  env.kube.dryRunUntil(`e2e-tracer with ${image}`, podManifest({ namespace: NS, labels: { [LABEL]: 'on' } }), (d) =>
    Boolean(d.pod?.spec.initContainers?.some((c) => c.name === 'e2e-tracer' && c.image === image)),
  );

const rolledOut = (kind: string, name: string) =>
  env.kube.ok(['rollout', 'status', `${kind}/${name}`, '-n', NS, '--timeout=180s']);

/** Waits until `drift -n NS` reports exactly `rows` (pods come and go during rollouts). */
async function driftShows(rows: string[]): Promise<void> {
  let last: string[] = [];
  await until(
    `drift to report ${rows.join('; ')}`,
    async () => {
      last = rowsOf((await driftReport(kubeconfig, ['-n', NS])).report);
      return JSON.stringify(last) === JSON.stringify(rows) ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 1000 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nlast: ${last.join('; ')}`);
  });
}

const gaugeAgreesWithDrift = () => gaugeAgreesWithDrift_(kubeconfig, () => env.injector.metricsPort);

e2eBeforeAll(async () => {
  env = await startEnvironment({ cluster: { controllers: true, nodes: 2 }, serveArgs: ['--drift-report', 'on'] });
  kubeconfig = env.cp.kubeconfigPath;
  await env.kube.createNamespace(NS);
  await env.applyWebhookConfiguration('cluster-wide', { failurePolicy: 'Ignore', timeoutSeconds: 2 });
  await env.kube.apply(tracer('example.com/tracer:1'));
  await webhookInjects('example.com/tracer:1');
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await env?.stop();
}, 60_000);

e2eTest(
  'a Deployment is injected; after a template edit drift reports it outdated (exit 3), --restart rolls it, then it is current (exit 0)',
  async () => {
    await env.kube.apply(deployment(NS, 'web', 2, app('web')));
    await rolledOut('deployment', 'web');
    await driftShows(['Deployment/web e2e-tracer current 2']);
    expect((await driftReport(kubeconfig, ['-n', NS])).code).toBe(0);
    await gaugeAgreesWithDrift();

    await env.kube.apply(tracer('example.com/tracer:2'));
    await webhookInjects('example.com/tracer:2');
    const before = await driftReport(kubeconfig, ['-n', NS]);
    expect([before.code, rowsOf(before.report)]).toEqual([3, ['Deployment/web e2e-tracer outdated 2']]);
    await gaugeAgreesWithDrift();

    const restart = await runDrift(kubeconfig, ['-n', NS, '--restart', '--timeout', '3m']);
    expect([restart.code, restart.stderr]).toEqual([0, expect.stringContaining('Deployment rollout/web rolled out')]);
    await driftShows(['Deployment/web e2e-tracer current 2']);
    expect((await driftReport(kubeconfig, ['-n', NS])).code).toBe(0);
    const images = (await podsIn(env.kube, NS, 'app=web')).map(
      (p) => (p.spec.initContainers as KubeObject[]).find((c) => c.name === 'e2e-tracer')?.image,
    );
    expect(images).toEqual(['example.com/tracer:2', 'example.com/tracer:2']);
    await gaugeAgreesWithDrift();
  },
  STEP_TIMEOUT_MS,
);

e2eTest(
  'pods created while the webhook is stopped (failurePolicy Ignore) are missing; once it is back, a restart heals them',
  async () => {
    await env.stopWebhook();
    await env.kube.apply(deployment(NS, 'api', 2, app('api')));
    await rolledOut('deployment', 'api');
    const down = await driftReport(kubeconfig, ['-n', NS]);
    expect([down.code, rowsOf(down.report)]).toEqual([
      3,
      ['Deployment/api e2e-tracer missing 2', 'Deployment/web e2e-tracer current 2'],
    ]);

    await env.startWebhook();
    await webhookInjects('example.com/tracer:2');
    await gaugeAgreesWithDrift();
    const restart = await runDrift(kubeconfig, ['-n', NS, '--restart', '--timeout', '3m']);
    expect(restart.code).toBe(0);
    expect(restart.stderr).toContain('restarting Deployment rollout/api (e2e-tracer missing in 2 pods)');
    expect(restart.stderr).not.toContain('restarting Deployment rollout/web');
    await driftShows(['Deployment/api e2e-tracer current 2', 'Deployment/web e2e-tracer current 2']);
    await gaugeAgreesWithDrift();
  },
  STEP_TIMEOUT_MS,
);

e2eTest(
  'a Skip conflict is skipped (no drift, exit 0); a deleted template is removed (exit 3), and --restart leaves it to you',
  async () => {
    await env.kube.apply(portGrabber, archiver);
    await env.kube.dryRunUntil(
      'the new templates in the webhook',
      podManifest({ namespace: NS, labels: { app: 'db' } }),
      (d) => Boolean(d.pod?.spec.initContainers?.some((c) => c.name === 'e2e-archiver')),
    );
    await env.kube.apply(deployment(NS, 'ports', 1, app('ports', 8080)), statefulSet(NS, 'db', 1, app('db')));
    await rolledOut('deployment', 'ports');
    await rolledOut('statefulset', 'db');
    await driftShows([
      'Deployment/api e2e-tracer current 2',
      'Deployment/ports e2e-port-grabber skipped 1',
      'Deployment/ports e2e-tracer current 1',
      'Deployment/web e2e-tracer current 2',
      'StatefulSet/db e2e-archiver current 1',
      'StatefulSet/db e2e-tracer current 1',
    ]);
    expect((await driftReport(kubeconfig, ['-n', NS])).code).toBe(0);
    await gaugeAgreesWithDrift();

    await env.kube.ok(['delete', 'sidecartemplate', 'e2e-archiver']);
    const removed = await driftReport(kubeconfig, ['-n', NS, '--template', 'e2e-archiver']);
    expect([removed.code, rowsOf(removed.report)]).toEqual([3, ['StatefulSet/db e2e-archiver removed 1']]);
    await gaugeAgreesWithDrift();

    const restart = await runDrift(kubeconfig, ['-n', NS, '--restart']);
    expect(restart.code).toBe(3);
    expect(restart.stderr).not.toContain('restarting');
  },
  STEP_TIMEOUT_MS,
);
