// `npm run bench:cluster`: pod creation at scale through a real control plane (etcd,
// kube-apiserver, kube-controller-manager from test/e2e/controlplane), with the webhook behind
// the shipped cluster-wide configuration (failurePolicy Fail) and without any webhook
// configuration, side by side. Deployments are scaled up at target rates up to as fast as the
// ReplicaSet controller goes; the API server's own histogram says what the webhook added to each
// pod's creation. Loopback only; every wait is bounded. See README.md "Performance".
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FlagSpec, helpText, parseFlags, UsageError } from '../src/cli/flags';
import { type ControlPlane, startControlPlane } from '../test/e2e/support/controlPlane';
import { until } from '../test/e2e/support/poll';
import { webhookConfiguration } from '../test/e2e/support/webhookConfigs';
import { difference, quantile, shareAtMost, type WebhookMetrics, webhookMetrics } from './apiserverMetrics';
import {
  type ClusterReport,
  type ClusterRow,
  fastestRow,
  formatClusterReport,
  headline,
  judgeClusterTargets,
  type SideCell,
} from './clusterReport';
import { ConnectionSampler } from './connections';
import { deployedNodeFlags } from './deployed';
import {
  type BenchServer,
  cpuSecondsOf,
  generateCertificates,
  killAllChildren,
  ProcessUsage,
  scrapeAdmissionDuration,
  startWebhook,
} from './servers';

const ROOT = join(__dirname, '..', '..');
const WEBHOOK_NAME = 'inject.sidecar.injector.dev';
const NS = 'bench';
const DEPLOYMENTS = 4;
const CELL_TIMEOUT_MS = 180_000;
const INJECT_LABEL = { 'sidecar.injector.dev/logs': 'enabled' }; // deploy/templates/log-shipper.yaml's selector

const FLAGS: readonly FlagSpec[] = [
  { name: 'quick', kind: 'boolean', description: 'Fewer pods and rates (under 2 minutes), for CI' },
  { name: 'json', kind: 'boolean', description: 'Print only the result, as one JSON document' },
  { name: 'json-file', kind: 'string', description: 'Also write the JSON document to FILE' },
  { name: 'pods', kind: 'string', description: 'Pods per cell (default 1250; 300 with --quick)' },
  {
    name: 'rates',
    kind: 'string',
    description:
      'Comma-separated target rates in pods/s, `max` for one scale-up (default 100,200,400,max; 200,max with --quick)',
  },
  { name: 'rounds', kind: 'string', description: 'Rounds of both sides, alternating which goes first (default 1)' },
  {
    name: 'qps',
    kind: 'string',
    default: '1000',
    description: "kube-controller-manager's client QPS (burst twice that)",
  },
  { name: 'profile', kind: 'string', description: 'Run the webhook under node --cpu-prof, writing the profile to DIR' },
];

const HELP = helpText(
  'npm run bench:cluster -- [--quick] [--json] [flags]   (or: node dist/bench/cluster.js [flags])',
  'Pod creation through a real control plane, with the webhook and without. SIDECAR_INJECTOR_K8S_VERSION picks the Kubernetes version.',
  FLAGS,
);

interface Settings {
  readonly quick: boolean;
  readonly json: boolean;
  readonly jsonFile?: string;
  readonly pods: number;
  readonly rates: ReadonlyArray<number | 'max'>;
  readonly rounds: number;
  readonly qps: number;
  readonly profileDir?: string;
}

function positiveInteger(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${flag}: expected a positive integer, got ${text}`);
  return n;
}

function settingsFrom(argv: string[]): Settings | undefined {
  const { values } = parseFlags(FLAGS, argv, {});
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return undefined;
  }
  const quick = values.quick === true;
  const rates = (values.rates ? String(values.rates) : quick ? '200,max' : '100,200,400,max')
    .split(',')
    .map((r) => (r.trim() === 'max' ? ('max' as const) : positiveInteger(r.trim(), 'rates')));
  return {
    quick,
    json: values.json === true,
    ...(values['json-file'] ? { jsonFile: String(values['json-file']) } : {}),
    pods: values.pods ? positiveInteger(String(values.pods), 'pods') : quick ? 300 : 1250,
    rates,
    rounds: values.rounds ? positiveInteger(String(values.rounds), 'rounds') : 1,
    qps: positiveInteger(String(values.qps), 'qps'),
    ...(values.profile ? { profileDir: String(values.profile) } : {}),
  };
}

/** A small client for the API server, as the admin, over one keep-alive agent. */
class Api {
  private readonly agent: Agent;

  constructor(private readonly cp: ControlPlane) {
    this.agent = new Agent({ ...cp.adminTls, keepAlive: true, maxSockets: 8 });
  }

  call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.cp.apiserverUrl}${path}`,
        {
          method,
          agent: this.agent,
          timeout: 30_000,
          headers: payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {},
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => {
            if ((res.statusCode ?? 0) >= 300)
              reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 500)}`));
            else resolve(text ? JSON.parse(text) : undefined);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Streams the watch events of the pods of NS, from `resourceVersion`, to `onEvent` until the
   * returned stop() is called. A watch the API server ends is opened again from the last event
   * seen, so no pod is missed and none is counted twice.
   */
  watchPods(resourceVersion: string, onEvent: (type: string) => void): () => void {
    let last = resourceVersion;
    let stopped = false;
    let current: ClientRequest | undefined;
    const open = (): void => {
      if (stopped) return;
      const url = `${this.cp.apiserverUrl}/api/v1/namespaces/${NS}/pods?watch=1&allowWatchBookmarks=true&resourceVersion=${last}`;
      const req = request(url, { ...this.cp.adminTls, agent: false });
      current = req;
      req.on('response', (res) => {
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            if (line.trim()) {
              const event = JSON.parse(line) as { type: string; object: { metadata?: { resourceVersion?: string } } };
              if (event.type === 'ERROR') log(`  the pod watch returned an error: ${line.slice(0, 300)}`);
              else {
                last = event.object.metadata?.resourceVersion ?? last;
                onEvent(event.type);
              }
            }
            newline = buffered.indexOf('\n');
          }
        });
        res.on('end', () => setTimeout(open, 100));
        res.on('error', () => {});
      });
      req.on('error', () => {
        if (!stopped) setTimeout(open, 100);
      });
      req.end();
    };
    open();
    return () => {
      stopped = true;
      current?.destroy();
    };
  }

  close(): void {
    this.agent.destroy();
  }
}

const log = (text: string) => process.stderr.write(`${text}\n`);

function deploymentManifest(name: string): unknown {
  const labels = { app: name, ...INJECT_LABEL };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }],
        },
      },
    },
  };
}

interface Bench {
  readonly cp: ControlPlane;
  readonly api: Api;
  readonly webhook: BenchServer;
  readonly webhookConfig: unknown;
  readonly settings: Settings;
}

/** Installs or removes the webhook configuration; returns once a dry run shows the API server uses it (or not). */
async function useWebhook(bench: Bench, on: boolean): Promise<void> {
  const path = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
  if (on) {
    await bench.api.call('POST', path, bench.webhookConfig).catch((error: Error) => {
      if (!/ 409 /.test(error.message)) throw error;
    });
  } else {
    await bench.api.call('DELETE', `${path}/sidecar-injector`).catch((error: Error) => {
      if (!/ 404 /.test(error.message)) throw error;
    });
  }
  const probe = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'probe', namespace: NS, labels: INJECT_LABEL },
    spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
  };
  await until(
    `the webhook configuration to be ${on ? 'used' : 'gone'}`,
    async () => {
      const answer = (await bench.api.call('POST', `/api/v1/namespaces/${NS}/pods?dryRun=All`, probe)) as {
        spec: { initContainers?: unknown[]; containers: unknown[] };
      };
      const injected = (answer.spec.initContainers?.length ?? 0) + answer.spec.containers.length > 1;
      return injected === on ? true : undefined;
    },
    { timeoutMs: 30_000 },
  );
}

async function scrape(bench: Bench): Promise<WebhookMetrics> {
  const r = await bench.cp.get('/metrics');
  if (r.status !== 200) throw new Error(`GET /metrics: ${r.status}`);
  return webhookMetrics(r.body, WEBHOOK_NAME);
}

function scaleOne(bench: Bench, index: number, replicas: number): Promise<unknown> {
  return bench.api.call(
    'PATCH',
    `/apis/apps/v1/namespaces/${NS}/deployments/load-${index}/scale`,
    { spec: { replicas } },
    'application/merge-patch+json',
  );
}

async function scaleAll(bench: Bench, replicas: number[]): Promise<void> {
  await Promise.all(replicas.map((n, i) => scaleOne(bench, i, n)));
}

async function podCount(bench: Bench): Promise<number> {
  const list = (await bench.api.call('GET', `/api/v1/namespaces/${NS}/pods?limit=1`)) as {
    metadata: { remainingItemCount?: number };
    items: unknown[];
  };
  return list.items.length + (list.metadata.remainingItemCount ?? 0);
}

/** One side at one rate: scale from 0 to `pods` pods, until all are stored; then back to 0. */
async function runCell(bench: Bench, side: 'with' | 'without', rate: number | 'max'): Promise<SideCell> {
  const { pods } = bench.settings;
  const share = (total: number) => Array.from({ length: DEPLOYMENTS }, (_, i) => Math.floor((total + i) / DEPLOYMENTS));
  const list = (await bench.api.call('GET', `/api/v1/namespaces/${NS}/pods`)) as {
    metadata: { resourceVersion: string };
  };
  const storedAt: number[] = [];
  let allStored: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allStored = resolve;
  });
  const stop = bench.api.watchPods(list.metadata.resourceVersion, (type) => {
    if (type !== 'ADDED') return;
    storedAt.push(performance.now());
    if (storedAt.length >= pods) allStored();
  });
  const before = await scrape(bench);
  const serverBefore = await scrapeAdmissionDuration(bench.webhook.metricsUrl as string);
  const usage = new ProcessUsage(bench.webhook.pid);
  const processes = [...bench.cp.processes(), { name: 'webhook', pid: bench.webhook.pid }];
  const cpuBefore = processes.map((p) => cpuSecondsOf(p.pid));
  const ownCpuBefore = process.cpuUsage();
  const sockets = new ConnectionSampler(Number(new URL(bench.webhook.url).port));
  const start = performance.now();
  let pacing: NodeJS.Timeout | undefined;
  try {
    if (rate === 'max') await scaleAll(bench, share(pods));
    else {
      // Every 100 ms one Deployment, in turn, is scaled to its share of what the rate allows by
      // now: one scale request (and one Deployment's status churn) per tick, not one per Deployment.
      let tick = 0;
      const replicas = share(0);
      const step = async () => {
        const target = Math.min(pods, Math.ceil((rate * (performance.now() - start)) / 1000));
        const shares = share(target);
        const turn = target >= pods ? shares.map((_, i) => i) : [tick++ % DEPLOYMENTS];
        await Promise.all(
          turn
            .filter((i) => (shares[i] ?? 0) > (replicas[i] ?? 0))
            .map((i) => {
              replicas[i] = shares[i] ?? 0;
              return scaleOne(bench, i, replicas[i]);
            }),
        );
        if (replicas.reduce((a, b) => a + b, 0) < pods) pacing = setTimeout(() => void step().catch(log), 100);
      };
      await step();
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      done.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), CELL_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut)
      log(`  ${side} at ${rate}: only ${storedAt.length} of ${pods} pods stored after ${CELL_TIMEOUT_MS / 1000} s`);
  } finally {
    clearTimeout(pacing);
    stop();
  }
  const stored = storedAt.length;
  const seconds = ((stored >= pods ? (storedAt.at(-1) as number) : performance.now()) - start) / 1000;
  // The histogram lags the watch by a moment: the last admissions are observed as they return.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await scrape(bench);
  const { cpuSeconds, peakRssBytes } = usage.stop();
  const { connections, peakConnections } = sockets.stop();
  const own = process.cpuUsage(ownCpuBefore);
  const cpuMsPerPod = Object.fromEntries([
    ...processes.map((p, i) => [p.name, ((cpuSecondsOf(p.pid) - (cpuBefore[i] ?? 0)) * 1000) / Math.max(1, stored)]),
    ['bench client', (own.user + own.system) / 1000 / Math.max(1, stored)],
  ]);
  const serverAfter = await scrapeAdmissionDuration(bench.webhook.metricsUrl as string);
  const served = serverAfter.count - serverBefore.count;
  const delta = difference(after, before);
  const p50 = quantile(delta.duration, 0.5);
  const p99 = quantile(delta.duration, 0.99);

  await scaleAll(bench, share(0));
  await until('the pods to be deleted', async () => ((await podCount(bench)) === 0 ? true : undefined), {
    timeoutMs: CELL_TIMEOUT_MS,
  });

  return {
    side,
    pods,
    stored,
    seconds,
    podsPerSecond: steadyRate(storedAt, pods),
    admissions: delta.duration.count,
    failedAdmissions: delta.rejected,
    webhookP50Ms: p50.estimate * 1000,
    webhookP99Ms: p99.estimate * 1000,
    webhookP99BucketMs: [p99.lower * 1000, p99.upper * 1000],
    within5Ms: shareAtMost(delta.duration, 0.005),
    webhookCpuUsPerAdmission: delta.duration.count > 0 ? (cpuSeconds * 1e6) / delta.duration.count : Number.NaN,
    webhookPeakRssMiB: peakRssBytes / 2 ** 20,
    webhookServerMeanMs: served > 0 ? ((serverAfter.sum - serverBefore.sum) * 1000) / served : Number.NaN,
    connections,
    peakConnections,
    cpuMsPerPod,
  };
}

/**
 * Pods stored per second between the 10th and the 90th percent of them: the pace once the
 * controllers are under way, without the lag before the first pod and the tail after the last.
 */
function steadyRate(storedAt: readonly number[], pods: number): number {
  const first = storedAt[Math.floor(pods * 0.1)];
  const last = storedAt[Math.ceil(pods * 0.9) - 1];
  if (first === undefined || last === undefined || last <= first) return Number.NaN;
  return ((Math.ceil(pods * 0.9) - 1 - Math.floor(pods * 0.1)) * 1000) / (last - first);
}

async function main(): Promise<void> {
  let settings: Settings | undefined;
  try {
    settings = settingsFrom(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bench:cluster: ${error.message}\n\n${HELP}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  if (!settings) return;
  const began = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'sidecar-injector-bench-cluster-'));
  let cp: ControlPlane | undefined;
  let webhook: BenchServer | undefined;
  let api: Api | undefined;
  try {
    log('bench:cluster: starting the control plane (etcd, kube-apiserver, kube-controller-manager)');
    cp = await startControlPlane({
      controllers: { qps: settings.qps, burst: settings.qps * 2, scheduler: false },
      log: (line) => {
        if (/^build\.sh: (building| {2}compiled| {2}\.\.\.|built)/.test(line)) log(line);
      },
    });
    api = new Api(cp);
    await cp.kubectl(['apply', '-f', join(ROOT, 'deploy', 'base', 'crd.yaml')]);
    await cp.kubectl(['wait', '--for=condition=Established', 'crd/sidecartemplates.sidecar.injector.dev']);
    await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const certs = generateCertificates(join(work, 'certs'));
    webhook = await startWebhook({
      name: 'webhook',
      templatesDir: join(ROOT, 'deploy', 'templates'),
      certs,
      logLevel: 'info',
      workDir: work,
      kubeconfig: cp.kubeconfigPath,
      nodeFlags: deployedNodeFlags(),
      ...(settings.profileDir ? { cpuProfileDir: settings.profileDir } : {}),
    });
    const webhookConfig = webhookConfiguration('cluster-wide', {
      url: webhook.url,
      caBundle: certs.ca.toString('base64'),
    });
    for (let i = 0; i < DEPLOYMENTS; i++) {
      await api.call('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deploymentManifest(`load-${i}`));
    }
    // The ServiceAccount admission plugin needs the namespace's `default` ServiceAccount.
    await until('the bench namespace ServiceAccount', async () =>
      (await cp?.get(`/api/v1/namespaces/${NS}/serviceaccounts/default`))?.status === 200 ? true : undefined,
    );
    const bench: Bench = { cp, api, webhook, webhookConfig, settings };

    const rows: ClusterRow[] = [];
    for (const rate of settings.rates) rows.push({ rate, with: [], without: [] });
    for (let round = 0; round < settings.rounds; round++) {
      for (const row of rows) {
        const order: Array<'with' | 'without'> =
          (round + rows.indexOf(row)) % 2 === 0 ? ['without', 'with'] : ['with', 'without'];
        for (const side of order) {
          await useWebhook(bench, side === 'with');
          log(
            `bench:cluster: ${side} the webhook, ${settings.pods} pods at ${row.rate === 'max' ? 'full speed' : `${row.rate} pods/s`}`,
          );
          const cell = await runCell(bench, side, row.rate);
          log(`  ${cell.podsPerSecond.toFixed(0)} pods/s, all stored in ${cell.seconds.toFixed(2)} s`);
          row[side].push(cell);
        }
      }
    }

    const partial: Omit<ClusterReport, 'targets'> = {
      kubernetes: cp.version,
      settings: {
        pods: settings.pods,
        rates: settings.rates,
        rounds: settings.rounds,
        qps: settings.qps,
        deployments: DEPLOYMENTS,
      },
      machine: { cpus: cpus().length, loadAverage: loadavg() },
      rows,
      seconds: (Date.now() - began) / 1000,
    };
    const report: ClusterReport = { ...partial, targets: judgeClusterTargets(partial) };
    const json = `${JSON.stringify(summaryJson(report), null, 2)}\n`;
    if (settings.jsonFile) writeFileSync(settings.jsonFile, json);
    process.stdout.write(settings.json ? json : formatClusterReport(report));
  } finally {
    api?.close();
    await webhook?.stop();
    await cp?.stop();
    killAllChildren();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The JSON document: the headline numbers first (at full speed), then every cell. */
function summaryJson(report: ClusterReport): unknown {
  const row = fastestRow(report.rows);
  const h = row ? headline(row) : undefined;
  const orNull = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? null : n);
  return {
    throughputRatio: orNull(h?.throughputRatio),
    webhookP99Ms: orNull(h?.webhookP99Ms),
    webhookP50Ms: orNull(h?.webhookP50Ms),
    failedAdmissions: report.rows.flatMap((r) => r.with).reduce((n, c) => n + c.failedAdmissions, 0),
    ...report,
  };
}

process.once('SIGINT', () => {
  killAllChildren();
  process.exit(130);
});
main().catch((error: Error) => {
  process.stderr.write(`bench:cluster failed: ${error.stack ?? error.message}\n`);
  killAllChildren();
  process.exitCode = 1;
});
