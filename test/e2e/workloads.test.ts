// Pods as production makes them: Deployments, StatefulSets, DaemonSets, Jobs and CronJobs on a
// cluster with kube-controller-manager, kube-scheduler and kwok nodes, through the shipped
// cluster-wide webhook configuration. Every pod a controller creates (with generateName, and a
// StatefulSet's with its ordinal name, under the controller's own service account, as the API
// server's audit log records) is injected, scheduled, and Running and Ready on a simulated node.
// kwok runs no containers: see test/e2e/controlplane/README.md.
import { type Environment, e2eBeforeAll, e2eTest, SETUP_TIMEOUT_MS, startEnvironment } from './support/environment';
import { podManifest, type StoredPod } from './support/pods';
import { until } from './support/poll';
import {
  CREATOR_BY_OWNER_KIND,
  creationOf,
  cronJob,
  daemonSet,
  deployment,
  isReady,
  job,
  type KubeObject,
  mutatingWebhooks,
  ownerKind,
  type PodTemplate,
  podsIn,
  statefulSet,
} from './support/workloads';

const NS = 'workloads';
const TEMPLATE = 'e2e-mesh';
const LABEL = 'e2e.sidecar.injector.dev/mesh';
const WORKLOAD_TIMEOUT_MS = 240_000;
let env: Environment;

/** A cluster SidecarTemplate injected into every pod labelled LABEL=on; no resources of its own. */
function meshTemplate(image: string): KubeObject {
  return {
    apiVersion: 'sidecar.injector.dev/v1alpha1',
    kind: 'SidecarTemplate',
    metadata: { name: TEMPLATE },
    spec: {
      description: 'e2e: injected into the pods controllers create',
      selector: { podSelector: { matchLabels: { [LABEL]: 'on' } } },
      containers: [{ name: TEMPLATE, image, args: ['--mesh'] }],
    },
  };
}

const app = (name: string): PodTemplate => ({
  labels: { app: name, [LABEL]: 'on' },
  containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }],
});

/** The image of the injected sidecar: a native sidecar (init container, restartPolicy Always). */
function sidecarImage(pod: KubeObject): string | undefined {
  const sidecar = (pod.spec.initContainers as KubeObject[] | undefined)?.find((c) => c.name === TEMPLATE);
  return sidecar?.restartPolicy === 'Always' ? sidecar.image : undefined;
}

async function injectsImage(image: string): Promise<void> {
  const probe = podManifest({ namespace: NS, labels: { [LABEL]: 'on' } });
  await env.kube.dryRunUntil(`${TEMPLATE} with ${image}`, probe, (d) => !!d.pod && sidecarImage(d.pod) === image);
}

const kubectlWait = (...args: string[]) => env.kube.ok([...args, '-n', NS, '--timeout=180s']);

e2eBeforeAll(async () => {
  env = await startEnvironment({ cluster: { controllers: true, nodes: 2, auditPodCreations: true } });
  await env.kube.createNamespace(NS);
  await env.applyWebhookConfiguration('cluster-wide');
  await env.kube.apply(meshTemplate('example.com/mesh:1'));
  await injectsImage('example.com/mesh:1');
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await env?.stop();
}, 60_000);

e2eTest(
  'every pod the controllers create is injected, under their own identities, and runs on a kwok node',
  async () => {
    await env.kube.apply(
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: NS }, spec: { clusterIP: 'None' } },
      deployment(NS, 'web', 3, app('web')),
      statefulSet(NS, 'db', 2, app('db')),
      daemonSet(NS, 'agent', app('agent')),
      job(NS, 'batch', 2, app('batch')),
      cronJob(NS, 'nightly', app('nightly')),
    );
    await kubectlWait('rollout', 'status', 'deployment/web');
    await kubectlWait('rollout', 'status', 'statefulset/db');
    await kubectlWait('rollout', 'status', 'daemonset/agent');
    await kubectlWait('wait', '--for=condition=Complete', 'job/batch');
    // The CronJob controller starts a Job at the next minute; the Job controller makes its pod.
    const cronJobName = await until(
      'the CronJob to start a Job',
      async () => {
        const jobs = JSON.parse(await env.kube.ok(['get', 'jobs', '-n', NS, '-o', 'json'])).items as KubeObject[];
        return jobs.find((j) => j.metadata.ownerReferences?.[0]?.kind === 'CronJob')?.metadata.name as string;
      },
      { timeoutMs: 90_000, intervalMs: 1_000 },
    );
    await kubectlWait('wait', '--for=condition=Complete', `job/${cronJobName}`);

    const pods = await podsIn(env.kube, NS);
    const audit = env.cp.podCreationAudit();
    const seen = pods.map((pod) => {
      const created = creationOf(pod, audit);
      const kind = ownerKind(pod);
      return {
        pod: pod.metadata.name,
        owner: kind,
        fromGenerateName: !!pod.metadata.generateName && pod.metadata.name.startsWith(pod.metadata.generateName),
        createdBy: created?.user.username,
        // The name in the request: none (the API server generates it), or a StatefulSet's ordinal name.
        requestedName: created?.requestObject?.metadata?.name ?? '(generated)',
        requestedWithoutSidecar: !JSON.stringify(created?.requestObject?.spec ?? {}).includes(TEMPLATE),
        mutatedBy: created ? mutatingWebhooks(created).map((m) => m.configuration) : [],
        sidecar: sidecarImage(pod),
        onKwokNode: env.cp.nodes.includes(pod.spec.nodeName),
        state: kind === 'Job' ? pod.status?.phase : isReady(pod) ? 'Ready' : pod.status?.phase,
      };
    });
    const expected = seen.map((s) => ({
      ...s,
      fromGenerateName: true,
      createdBy: CREATOR_BY_OWNER_KIND[s.owner ?? ''] ?? 'a controller',
      requestedName: s.owner === 'StatefulSet' ? s.pod : '(generated)',
      requestedWithoutSidecar: true,
      mutatedBy: ['sidecar-injector'],
      sidecar: 'example.com/mesh:1',
      onKwokNode: true,
      state: s.owner === 'Job' ? 'Succeeded' : 'Ready',
    }));
    expect(seen).toEqual(expected);
    const byOwner = (kind: string) => seen.filter((s) => s.owner === kind).length;
    // 3 web + 2 db + one agent per node + 2 batch + at least one from the CronJob's Job.
    expect([byOwner('ReplicaSet'), byOwner('StatefulSet'), byOwner('DaemonSet')]).toEqual([3, 2, env.cp.nodes.length]);
    expect(byOwner('Job')).toBeGreaterThanOrEqual(3);
    // The stored pods say the same: written by kube-controller-manager, not by a test client.
    expect(new Set(pods.map((p) => p.metadata.managedFields?.[0]?.manager))).toEqual(
      new Set(['kube-controller-manager']),
    );
  },
  WORKLOAD_TIMEOUT_MS,
);

e2eTest(
  'after a template edit, a rollout restart gives the new pods the new version and the old pods keep theirs',
  async () => {
    const before = await podsIn(env.kube, NS, `${LABEL}=on,app in (web,db,agent)`);
    await env.kube.apply(meshTemplate('example.com/mesh:2'));
    await injectsImage('example.com/mesh:2');

    // Admission runs at creation only: the running pods are as they were.
    const unchanged = await podsIn(env.kube, NS, `${LABEL}=on,app in (web,db,agent)`);
    expect(unchanged.map((p) => [p.metadata.uid, sidecarImage(p)])).toEqual(
      before.map((p) => [p.metadata.uid, 'example.com/mesh:1']),
    );

    await env.kube.ok(['rollout', 'restart', 'deployment/web', '-n', NS]);
    await kubectlWait('rollout', 'status', 'deployment/web');
    const web = await until(
      'the old web pods to be gone',
      async () => {
        const now = await podsIn(env.kube, NS, 'app=web');
        return now.length === 3 && now.every(isReady) ? now : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const oldUids = new Set(before.map((p) => p.metadata.uid));
    expect(web.map((p) => [oldUids.has(p.metadata.uid), sidecarImage(p)])).toEqual(
      Array(3).fill([false, 'example.com/mesh:2']),
    );
    // Not restarted: the StatefulSet's and DaemonSet's pods are the same pods, still on version 1.
    const others = await podsIn(env.kube, NS, 'app in (db,agent)');
    expect(others.map((p) => [oldUids.has(p.metadata.uid), sidecarImage(p)])).toEqual(
      Array(2 + env.cp.nodes.length).fill([true, 'example.com/mesh:1']),
    );
  },
  WORKLOAD_TIMEOUT_MS,
);

/** A pod spec with fields newer than Kubernetes 1.34 (all on by default in 1.35). */
function modernSpec(): KubeObject {
  return {
    // Pod-level resources (the sidecar template has none, so no aggregate changes).
    resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    initContainers: [
      {
        name: 'setup',
        image: 'registry.k8s.io/pause:3.10',
        // Container restart rules: an init container that is run again on exit code 42, not a sidecar.
        restartPolicy: 'Never',
        restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }],
      },
    ],
    containers: [
      {
        name: 'app',
        image: 'registry.k8s.io/pause:3.10',
        restartPolicy: 'Never',
        restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'NotIn', values: [0] } }],
        resizePolicy: [
          { resourceName: 'cpu', restartPolicy: 'NotRequired' },
          { resourceName: 'memory', restartPolicy: 'RestartContainer' },
        ],
        volumeMounts: [{ name: 'tools', mountPath: '/tools', readOnly: true }],
      },
    ],
    // An image volume: an OCI image's files, mounted read-only.
    volumes: [{ name: 'tools', image: { reference: 'registry.k8s.io/pause:3.10', pullPolicy: 'IfNotPresent' } }],
  };
}

/** The fields modernSpec sets, as a pod carries them (the API server's defaults left out). */
function newerFields(spec: KubeObject): KubeObject {
  const pick = (c: KubeObject | undefined) =>
    c && {
      restartPolicy: c.restartPolicy,
      restartPolicyRules: c.restartPolicyRules,
      resizePolicy: c.resizePolicy,
      volumeMounts: (c.volumeMounts ?? []).filter((m: KubeObject) => m.name === 'tools'),
    };
  return {
    resources: spec.resources,
    setup: pick(spec.initContainers?.find((c: KubeObject) => c.name === 'setup')),
    app: pick(spec.containers?.find((c: KubeObject) => c.name === 'app')),
    tools: spec.volumes?.find((v: KubeObject) => v.name === 'tools'),
  };
}

e2eTest(
  'pods with fields newer than 1.34 keep them untouched and are accepted after injection',
  async () => {
    const sent = modernSpec();
    const bare = podManifest({ namespace: NS, name: 'modern', labels: { [LABEL]: 'on' } });
    const { pod } = await env.kube.createPod({ ...bare, spec: sent } as unknown as StoredPod);
    const stored = pod as unknown as KubeObject;
    expect(newerFields(stored.spec)).toEqual(newerFields(sent));
    // The sidecar went in as the native one, before the pod's own init container, whose restart
    // policy Never does not make it one.
    expect(stored.spec.initContainers.map((c: KubeObject) => [c.name, c.restartPolicy])).toEqual([
      [TEMPLATE, 'Always'],
      ['setup', 'Never'],
    ]);

    // The same spec through a Deployment: created by the ReplicaSet controller, Running on a kwok node.
    const template = { ...app('modern-web'), containers: [] };
    const modern = deployment(NS, 'modern-web', 2, template);
    modern.spec.template.spec = { ...modernSpec(), terminationGracePeriodSeconds: 0 };
    await env.kube.apply(modern);
    await kubectlWait('rollout', 'status', 'deployment/modern-web');
    const pods = await podsIn(env.kube, NS, 'app=modern-web');
    expect(pods.map((p) => [newerFields(p.spec), sidecarImage(p), isReady(p)])).toEqual(
      Array(2).fill([newerFields(sent), 'example.com/mesh:2', true]),
    );
  },
  WORKLOAD_TIMEOUT_MS,
);
