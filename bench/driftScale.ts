// `npm run bench:drift`: drift at scale against a real kube-apiserver and etcd (test/e2e's
// control plane; no nodes, so pods stay Pending, which changes nothing for drift). Creates
// --pods pods in --workloads Deployments (ReplicaSets and owner references as the controller
// makes them; injected offline with the same inject() as the webhook, so they carry real status
// annotations and sidecars; the server adds managedFields as usual), edits the template so that
// they are outdated, then measures:
//   - `sidecar-injector drift -A -o json`: wall time and peak RSS, --runs times;
//   - `serve` as deployed (its NODE_OPTIONS, --kubernetes on), with --drift-report off and on,
//     alternated --rounds times: resident memory and V8 heap in use once settled, and with on,
//     the time until the gauge counts every pod.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPatch } from 'fast-json-patch';
import { type FlagSpec, helpText, parseFlags } from '../src/cli/flags';
import { KubeApiClient } from '../src/cluster/apiClient';
import { loadKubeConfig } from '../src/cluster/kubeconfig';
import { LivePodDrift } from '../src/drift/livePodDrift';
import type { DriftReport } from '../src/drift/report';
import { inject } from '../src/injection/inject';
import { type CatalogSnapshot, snapshotOf } from '../src/templates/catalog';
import { compileTemplate } from '../src/templates/compile';
import { startControlPlane } from '../test/e2e/support/controlPlane';
import { deployedNodeFlags } from './deployed';
import { type BenchServer, currentRss, generateCertificates, killAllChildren, MAIN, startWebhook } from './servers';

const FLAGS: readonly FlagSpec[] = [
  { name: 'pods', kind: 'string', default: '10000', description: 'Pods to create' },
  { name: 'workloads', kind: 'string', default: '100', description: 'Deployments they belong to' },
  { name: 'runs', kind: 'string', default: '3', description: 'Runs of the drift command' },
  { name: 'rounds', kind: 'string', default: '2', description: 'Rounds of serve with --drift-report off, then on' },
  { name: 'settle-seconds', kind: 'string', default: '20', description: 'Wait before sampling serve memory' },
];

const NS = 'scale';
const CRD = join(__dirname, '..', '..', 'deploy', 'base', 'crd.yaml');

// biome-ignore lint/suspicious/noTemplateCurlyInString: a SidecarTemplate placeholder, not JavaScript
const LOG_PATH = '${params.log-path}';

const template = (image: string) => ({
  apiVersion: 'sidecar.injector.dev/v1alpha1',
  kind: 'SidecarTemplate',
  metadata: { name: 'scale-logger' },
  spec: {
    selector: { podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } },
    parameters: [{ name: 'log-path', default: '/var/log/app', pattern: '^/[a-z/]+$' }],
    containers: [
      {
        name: 'log-shipper',
        image,
        args: ['-i', 'tail', '-p', `path=${LOG_PATH}/*.log`, '-o', 'stdout'],
        volumeMounts: [{ name: 'app-logs', mountPath: LOG_PATH }],
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
      },
    ],
    volumes: [{ name: 'app-logs', emptyDir: {} }],
    appContainers: { volumeMounts: [{ name: 'app-logs', mountPath: LOG_PATH }] },
  },
});

/** A pod as a Deployment's ReplicaSet creates it: a realistic app container, labels, an owner. */
function appPod(workload: number, index: number, owner: { name: string; uid: string }) {
  const app = `app-${workload}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${owner.name}-${index.toString(36).padStart(5, '0')}`,
      namespace: NS,
      labels: { app, tier: 'backend', 'pod-template-hash': owner.name.slice(-10) },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9102' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: owner.name,
          uid: owner.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: `example.com/${app}:1.2.3`,
          ports: [{ name: 'http', containerPort: 8080 }],
          env: Array.from({ length: 12 }, (_, i) => ({ name: `SETTING_${i}`, value: `value-${i}-${app}` })),
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
        },
      ],
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseFlags(FLAGS, process.argv.slice(2), {});
  if (values.help) {
    process.stdout.write(
      helpText('node dist/bench/driftScale.js [flags]', 'drift at scale; see the file header.', FLAGS),
    );
    return;
  }
  const podCount = Number(values.pods);
  const workloads = Number(values.workloads);
  const work = mkdtempSync(join(tmpdir(), 'drift-scale-'));
  const cp = await startControlPlane({ log: (l) => process.stderr.write(`${l}\n`) });
  try {
    const kubeConfig = loadKubeConfig('on', { env: {}, kubeconfigPath: cp.kubeconfigPath });
    if (!kubeConfig) throw new Error('no kubeconfig');
    const api = new KubeApiClient(kubeConfig);
    const kubectl = async (args: string[], input?: string) => {
      const r = await cp.kubectl(args, input === undefined ? undefined : { input });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await kubectl(['apply', '-f', CRD]);
    await kubectl([
      'wait',
      '--for=condition=Established',
      'crd/sidecartemplates.sidecar.injector.dev',
      '--timeout=60s',
    ]);
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['apply', '-f', '-'], JSON.stringify(template('fluent/fluent-bit:3.2.9')));
    const compiled = compileTemplate(template('fluent/fluent-bit:3.2.9'), 'bench');
    if (!compiled.ok) throw new Error(compiled.problems.join('\n'));
    const catalog = snapshotOf([compiled.template]);

    const owners: Array<{ name: string; uid: string }> = [];
    /** Creates a Deployment or its ReplicaSet (owned by it, as the controller makes it); returns its uid. */
    const create = async (
      resource: string,
      kind: string,
      metadata: object,
      labels: Record<string, string>,
      w: number,
    ) => {
      const spec = {
        replicas: podCount / workloads,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: appPod(w, 0, { name: 'x', uid: 'x' }).spec },
      };
      const body = { apiVersion: 'apps/v1', kind, metadata, spec };
      const created = await api.request<{ metadata: { uid: string } }>(
        'POST',
        `/apis/apps/v1/namespaces/${NS}/${resource}`,
        { body },
      );
      return created.metadata.uid;
    };
    for (let w = 0; w < workloads; w++) {
      const labels = { app: `app-${w}` };
      const deployment = await create('deployments', 'Deployment', { name: `app-${w}` }, labels, w);
      const name = `app-${w}-${(w * 7919).toString(16).padStart(8, '0')}5d`;
      const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name: `app-${w}`, uid: deployment, controller: true };
      owners.push({
        name,
        uid: await create('replicasets', 'ReplicaSet', { name, labels, ownerReferences: [owner] }, labels, w),
      });
    }

    // 95% injected as the webhook would have; 5% created while it was down (missing).
    const started = Date.now();
    let next = 0;
    const createOne = async () => {
      for (let i = next++; i < podCount; i = next++) {
        const w = i % workloads;
        const pod = appPod(w, i, owners[w] as { name: string; uid: string });
        let body: unknown = pod;
        if (i % 20 !== 0) {
          const result = inject(pod, { namespace: NS, namespaceLabels: {}, nativeSidecars: true }, catalog);
          if (result.outcome !== 'injected') throw new Error(`not injected: ${result.outcome}`);
          body = applyPatch(structuredClone(pod), result.patch).newDocument;
        }
        await api.request('POST', `/api/v1/namespaces/${NS}/pods`, { body });
      }
    };
    await Promise.all(Array.from({ length: 16 }, createOne));
    const createSeconds = (Date.now() - started) / 1000;
    // The template changes: the injected pods are now outdated.
    await kubectl(['apply', '-f', '-'], JSON.stringify(template('fluent/fluent-bit:3.2.10')));

    const driftRuns: Array<{ seconds: number; peakRssMiB: number; summary: DriftReport['summary'] }> = [];
    for (let r = 0; r < Number(values.runs); r++) driftRuns.push(await timeDrift(cp.kubeconfigPath));

    const certs = generateCertificates(join(work, 'certs'));
    const templatesDir = mkdtempSync(join(work, 'templates-'));
    const pairs = driftRuns[0] ? Object.values(driftRuns[0].summary).reduce((a, b) => a + b, 0) : 0;
    const serveRows: Array<{ report: string; rssMiB: number; heapMiB: number; countedSeconds?: number }> = [];
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const report of ['off', 'on']) {
        const startedAt = Date.now();
        const server = await startWebhook({
          name: `serve-drift-${report}-${round}`,
          templatesDir,
          certs,
          logLevel: 'warn',
          workDir: work,
          kubeconfig: cp.kubeconfigPath,
          nodeFlags: deployedNodeFlags(),
          extraArgs: ['--drift-report', report],
        });
        try {
          let countedSeconds: number | undefined;
          if (report === 'on') {
            await waitUntil(async () => (await gaugeTotal(server)) === pairs, 300_000);
            countedSeconds = (Date.now() - startedAt) / 1000;
          }
          await new Promise((r) => setTimeout(r, Number(values['settle-seconds']) * 1000));
          const samples: Array<{ rss: number; heap: number }> = [];
          for (let i = 0; i < 10; i++) {
            samples.push({ rss: currentRss(server.pid), heap: await heapUsed(server) });
            await new Promise((r) => setTimeout(r, 1000));
          }
          const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
          serveRows.push({
            report,
            rssMiB: median(samples.map((s) => s.rss)) / 2 ** 20,
            heapMiB: median(samples.map((s) => s.heap)) / 2 ** 20,
            ...(countedSeconds !== undefined ? { countedSeconds } : {}),
          });
        } finally {
          await server.stop();
        }
      }
    }

    const edited = compileTemplate(template('fluent/fluent-bit:3.2.10'), 'bench');
    if (!edited.ok) throw new Error(edited.problems.join('\n'));
    const retained = await retainedPerPod(api, podCount, snapshotOf([edited.template]));

    const mib = (n: number) => n.toFixed(1);
    const lines = [
      `Kubernetes ${cp.version}; ${podCount} pods in ${workloads} Deployments created in ${createSeconds.toFixed(0)} s; node ${process.version}`,
      '',
      'drift -A -o json:',
      ...driftRuns.map(
        (r, i) =>
          `  run ${i + 1}: ${r.seconds.toFixed(2)} s, peak RSS ${mib(r.peakRssMiB)} MiB, ${JSON.stringify(r.summary)}`,
      ),
      '',
      `serve as deployed (${deployedNodeFlags().join(' ')}), medians of 10 samples after ${values['settle-seconds']} s:`,
      ...serveRows.map(
        (r) =>
          `  --drift-report ${r.report.padEnd(3)}  RSS ${mib(r.rssMiB)} MiB  heap used ${mib(r.heapMiB)} MiB${r.countedSeconds !== undefined ? `  (all pods counted ${r.countedSeconds.toFixed(1)} s after start)` : ''}`,
      ),
    ];
    const avg = (report: string, key: 'rssMiB' | 'heapMiB') => {
      const xs = serveRows.filter((r) => r.report === report).map((r) => r[key]);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const perPod = (key: 'rssMiB' | 'heapMiB') => ((avg('on', key) - avg('off', key)) * 2 ** 20) / podCount;
    lines.push(
      `  per pod (mean on - mean off) / ${podCount}: RSS ${perPod('rssMiB').toFixed(0)} B, heap ${perPod('heapMiB').toFixed(0)} B`,
    );
    lines.push(
      '',
      `what the report keeps, in this process after full GCs (node --expose-gc): ${retained.toFixed(0)} B per pod`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    killAllChildren();
    await cp.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The heap the pod watch retains per pod: LivePodDrift in this process against the same API
 * server, heap used after full collections before it starts and once every pod is counted.
 */
async function retainedPerPod(api: KubeApiClient, podCount: number, catalog: CatalogSnapshot): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:drift does)');
  const collect = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const before = collect();
  const drift = new LivePodDrift({
    api,
    catalog: { snapshot: () => catalog, onChange: () => {} },
    namespaceLabels: { labelsOf: (namespace) => ({ 'kubernetes.io/metadata.name': namespace }) },
    log: { warn: () => {}, info: () => {} },
    onWatchError: () => {},
  });
  drift.start();
  await waitUntil(async () => drift.size === podCount, 120_000);
  const after = collect();
  await drift.stop();
  return (after - before) / podCount;
}

/** One `drift -A -o json` run under /usr/bin/time: wall seconds, peak RSS and the summary. */
function timeDrift(
  kubeconfig: string,
): Promise<{ seconds: number; peakRssMiB: number; summary: DriftReport['summary'] }> {
  if (!existsSync('/usr/bin/time')) throw new Error('needs /usr/bin/time (apt-get install time)');
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('/usr/bin/time', [
      '-f',
      '%M',
      process.execPath,
      MAIN,
      'drift',
      '-A',
      '-o',
      'json',
      '--kubeconfig',
      kubeconfig,
    ]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    child.on('close', (code) => {
      const seconds = (Date.now() - started) / 1000;
      if (code !== 3 && code !== 0) return reject(new Error(`drift exited ${code}: ${stderr}`));
      const kib = Number(stderr.trim().split('\n').pop());
      resolve({ seconds, peakRssMiB: kib / 1024, summary: (JSON.parse(stdout) as DriftReport).summary });
    });
  });
}

function metricsText(server: BenchServer): Promise<string> {
  return new Promise((resolve, reject) => {
    httpGet(server.metricsUrl as string, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
}

async function gaugeTotal(server: BenchServer): Promise<number> {
  const text = await metricsText(server);
  return [...text.matchAll(/^sidecar_injector_pods\{[^}]*\} (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
}

async function heapUsed(server: BenchServer): Promise<number> {
  const text = await metricsText(server);
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  if (process.env.DRIFT_SCALE_DEBUG) {
    const spaces = [...text.matchAll(/^nodejs_heap_space_size_(total|used)_bytes\{space="([a-z_]+)"\} (\S+)$/gm)]
      .map((m) => `${m[2]}.${m[1]}=${(Number(m[3]) / 2 ** 20).toFixed(1)}`)
      .join(' ');
    process.stderr.write(`${server.name} ${spaces}\n`);
  }
  return value('nodejs_heap_size_used_bytes');
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

process.on('SIGINT', () => {
  killAllChildren();
  process.exit(130);
});
main().catch((error) => {
  killAllChildren();
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});
