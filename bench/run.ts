// `npm run bench`: the webhook (through `sidecar-injector serve`) against a bare fastify HTTPS
// baseline, each in its own process, driven from this process over loopback keep-alive HTTPS.
// Cells are A/B alternated so background noise hits both servers. How to read the numbers: the
// README's Performance section.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { STATUS_ANNOTATION } from '../src/annotations';
import { type FlagSpec, helpText, parseFlags, UsageError } from '../src/cli/flags';
import { pointerOf } from '../src/injection/pointer';
import { deployedNodeFlags, startStubApiServer } from './deployed';
import { closedLoop, type LoadResult, openLoop, summarize } from './load';
import type { PacedResult } from './pacedClient';
import { ONE_TEMPLATE, sizedWorkload, standardWorkloads, type Workload } from './pods';
import { formatReport, judgeTargets, type Report, type ServerCell, type WorkloadRow } from './report';
import {
  type BenchServer,
  type Certificates,
  generateCertificates,
  httpsCall,
  killAllChildren,
  ProcessUsage,
  peakRssSinceStart,
  pinCpus,
  scrapeAdmissionDuration,
  startBaseline,
  startWebhook,
} from './servers';
import { measureServerTime } from './serverTime';
import { prepareTemplateDirs } from './templates';

const SECTIONS = ['load', 'logging', 'catalog', 'rate', 'memory', 'servertime'] as const;
type Section = (typeof SECTIONS)[number];
const CATALOG_SIZES = [1, 50, 500];

const FLAGS: readonly FlagSpec[] = [
  { name: 'quick', kind: 'boolean', description: 'Short cells and one round (under a minute), for CI' },
  { name: 'json', kind: 'boolean', description: 'Print the result as one JSON document instead of tables' },
  { name: 'json-file', kind: 'string', description: 'Also write the JSON document to FILE' },
  { name: 'connections', kind: 'string', default: '10', description: 'Keep-alive connections of the closed-loop load' },
  { name: 'seconds', kind: 'string', description: 'Seconds per measurement (default 2.5; 0.8 with --quick)' },
  { name: 'rounds', kind: 'string', description: 'A/B rounds per cell (default 2; 1 with --quick)' },
  { name: 'rate', kind: 'string', default: '1000', description: 'Requests per second of the fixed-rate cell' },
  { name: 'only', kind: 'string', description: `Comma-separated sections to run: ${SECTIONS.join(', ')}` },
  {
    name: 'workloads',
    kind: 'string',
    description: 'Comma-separated workload ids of the load section (3k-1t, 3k-5t, ..., 100k-5t, env1500)',
  },
  { name: 'profile', kind: 'string', description: 'Run the servers under node --cpu-prof, writing profiles to DIR' },
  {
    name: 'webhook-node-flags',
    kind: 'string',
    description: 'Node/V8 flags for every webhook process, space-separated (e.g. --max-semi-space-size=2)',
  },
  {
    name: 'cpu-pinning',
    kind: 'string',
    choices: ['on', 'off'],
    default: 'on',
    description: 'Pin the load generator to CPU 0 and the servers to CPU 1 (taskset), so they never share a core',
  },
  {
    name: 'wait-idle',
    kind: 'string',
    default: '0',
    description: 'Wait up to this many seconds for the 1-minute load average to fall below 0.7 before starting',
  },
];

const HELP = helpText(
  'npm run bench -- [--quick] [--json] [flags]   (or: node dist/bench/run.js [flags])',
  'Load benchmark of the webhook against a fastify HTTPS baseline, over loopback keep-alive HTTPS.',
  FLAGS,
);

interface Settings {
  readonly quick: boolean;
  readonly json: boolean;
  readonly jsonFile?: string;
  readonly connections: number;
  readonly seconds: number;
  readonly rounds: number;
  readonly warmupSeconds: number;
  readonly catalogRounds: number;
  readonly rate: number;
  readonly rateSeconds: number;
  readonly rateRounds: number;
  /** Seconds per workload and server in the memory section. */
  readonly memorySeconds: number;
  readonly iterations: number;
  readonly sections: ReadonlySet<Section>;
  readonly workloadIds?: ReadonlySet<string>;
  readonly profileDir?: string;
  readonly waitIdleSeconds: number;
  readonly cpuPinning: boolean;
  readonly webhookNodeFlags: readonly string[];
}

function positive(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`--${flag}: ${JSON.stringify(text)} is not a positive number`);
  return value;
}

function settingsOf(argv: string[]): Settings | undefined {
  // Flags have environment equivalents as the product's do (none of the names clash); the
  // servers under test get none of these variables.
  const { values } = parseFlags(FLAGS, argv, process.env);
  if (values.help) {
    process.stdout.write(HELP);
    return undefined;
  }
  const quick = values.quick === true;
  const only =
    values.only === undefined
      ? [...SECTIONS]
      : String(values.only)
          .split(',')
          .map((s) => s.trim());
  for (const s of only) if (!SECTIONS.includes(s as Section)) throw new UsageError(`--only: unknown section ${s}`);
  return {
    quick,
    json: values.json === true,
    ...(values['json-file'] ? { jsonFile: String(values['json-file']) } : {}),
    connections: Math.round(positive(String(values.connections), 'connections')),
    seconds: values.seconds ? positive(String(values.seconds), 'seconds') : quick ? 0.8 : 2.5,
    rounds: values.rounds ? Math.round(positive(String(values.rounds), 'rounds')) : quick ? 1 : 2,
    warmupSeconds: quick ? 0 : 0.5,
    catalogRounds: quick ? 1 : 3,
    rate: positive(String(values.rate), 'rate'),
    rateSeconds: quick ? 1.5 : 2.5,
    rateRounds: quick ? 1 : 3,
    memorySeconds: quick ? 0.4 : 1.5,
    iterations: quick ? 150 : 1000,
    sections: new Set(only as Section[]),
    ...(values.workloads
      ? {
          workloadIds: new Set(
            String(values.workloads)
              .split(',')
              .map((s) => s.trim()),
          ),
        }
      : {}),
    ...(values.profile ? { profileDir: String(values.profile) } : {}),
    waitIdleSeconds: Number(values['wait-idle']) || 0,
    cpuPinning: values['cpu-pinning'] === 'on',
    webhookNodeFlags: String(values['webhook-node-flags'] ?? '')
      .split(/\s+/)
      .filter(Boolean),
  };
}

const progress = (settings: Settings, text: string) => {
  if (!settings.json || process.stderr.isTTY) process.stderr.write(`${text}\n`);
};

async function waitForIdle(settings: Settings): Promise<void> {
  const deadline = Date.now() + settings.waitIdleSeconds * 1000;
  while ((loadavg()[0] ?? 0) >= 0.7 && Date.now() < deadline) {
    progress(settings, `load average ${loadavg()[0]?.toFixed(2)} >= 0.7; waiting for the machine to be idle`);
    await new Promise((r) => setTimeout(r, 15_000));
  }
  const now = loadavg()[0] ?? 0;
  if (now >= 1)
    progress(settings, `warning: load average ${now.toFixed(2)} at start: other work will disturb the numbers`);
}

function unknownWorkload(id: string, all: readonly Workload[]): never {
  throw new UsageError(`--workloads: unknown workload ${id}; known: ${all.map((w) => w.id).join(', ')}`);
}

/** The webhook's answer must be the injection the workload asks for, else its numbers mean nothing. */
async function checkWebhook(server: BenchServer, w: Workload, ca: Buffer): Promise<void> {
  const answer = await httpsCall(server.url, ca, w.body);
  const response = (JSON.parse(answer.body) as { response?: { allowed?: boolean; patch?: string } }).response;
  if (answer.status !== 200 || response?.allowed !== true || !response.patch) {
    throw new Error(`${server.name} answered ${w.id} with ${answer.status}: ${answer.body.slice(0, 500)}`);
  }
  const patch = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as Array<{
    path: string;
    value: unknown;
  }>;
  const status = patch.find((op) => op.path === pointerOf(['metadata', 'annotations', STATUS_ANNOTATION]));
  const injected = (JSON.parse(String(status?.value ?? '{}')) as { templates?: Array<{ name: string }> }).templates;
  const names = (injected ?? []).map((t) => t.name);
  if (names.join(',') !== w.templates.join(',')) {
    throw new Error(`${server.name} injected [${names}] into ${w.id}, expected [${w.templates}]`);
  }
}

async function checkBaseline(server: BenchServer, w: Workload, ca: Buffer): Promise<void> {
  const answer = await httpsCall(server.url, ca, w.body);
  if (answer.status !== 200 || !answer.body.includes('"allowed":true')) {
    throw new Error(`${server.name} answered ${w.id} with ${answer.status}: ${answer.body.slice(0, 500)}`);
  }
}

/** Measurements of one server in one cell, merged over rounds. */
class CellAccumulator {
  private ok = 0;
  private failed = 0;
  private seconds = 0;
  private readonly latencies: number[] = [];
  private peakRss = 0;
  private cpuSeconds = 0;
  private serverSum = 0;
  private serverCount = 0;
  private warmedUp = false;

  constructor(
    readonly server: BenchServer,
    private readonly settings: Settings,
  ) {}

  async measure(body: Buffer): Promise<void> {
    const { connections, seconds } = this.settings;
    if (!this.warmedUp && this.settings.warmupSeconds > 0) {
      await closedLoop({ url: this.server.url, body, connections, seconds: this.settings.warmupSeconds });
    }
    this.warmedUp = true;
    const metricsUrl = this.server.metricsUrl;
    const before = metricsUrl ? await scrapeAdmissionDuration(metricsUrl) : undefined;
    const usage = new ProcessUsage(this.server.pid);
    let result: LoadResult;
    try {
      result = await closedLoop({ url: this.server.url, body, connections, seconds });
    } finally {
      const used = usage.stop();
      this.peakRss = Math.max(this.peakRss, used.peakRssBytes);
      this.cpuSeconds += used.cpuSeconds;
    }
    if (metricsUrl && before) {
      const after = await scrapeAdmissionDuration(metricsUrl);
      this.serverSum += after.sum - before.sum;
      this.serverCount += after.count - before.count;
    }
    this.ok += result.ok;
    this.failed += result.failed;
    this.seconds += result.seconds;
    for (const l of result.latencies) this.latencies.push(l);
  }

  cell(): ServerCell {
    return {
      rps: this.ok / this.seconds,
      latency: summarize(this.latencies),
      peakRssMiB: this.peakRss / 2 ** 20,
      cpuUsPerRequest: (this.cpuSeconds * 1e6) / this.ok,
      failed: this.failed,
      ...(this.serverCount > 0 ? { serverMeanMs: (this.serverSum / this.serverCount) * 1000 } : {}),
    };
  }
}

/** Runs the workloads against a new server, so that its first cell does not pay for its JIT warm-up. */
async function warmUp(server: BenchServer, workloads: readonly Workload[], settings: Settings): Promise<void> {
  const seconds = Math.max(0.2, (settings.quick ? 1 : 3) / workloads.length);
  for (const w of workloads)
    await closedLoop({ url: server.url, body: w.body, connections: settings.connections, seconds });
}

/** Runs the servers' measurements of one cell in alternating orders (ABBA...). */
async function alternate(
  servers: readonly BenchServer[],
  body: Buffer,
  rounds: number,
  settings: Settings,
  offset = 0,
): Promise<ServerCell[]> {
  const accumulators = servers.map((s) => new CellAccumulator(s, settings));
  for (let round = 0; round < rounds; round++) {
    const order = (round + offset) % 2 === 0 ? accumulators : [...accumulators].reverse();
    for (const a of order) await a.measure(body);
  }
  return accumulators.map((a) => a.cell());
}

interface Context {
  readonly settings: Settings;
  readonly workDir: string;
  readonly certs: Certificates;
  readonly templates: ReturnType<typeof prepareTemplateDirs>;
  readonly started: BenchServer[];
}

async function webhook(
  ctx: Context,
  name: string,
  templatesDir: string,
  logLevel: 'warn' | 'info',
  extraNodeFlags: readonly string[] = [],
  kubeconfig?: string,
) {
  const server = await startWebhook({
    name,
    templatesDir,
    certs: ctx.certs,
    logLevel,
    ...(kubeconfig ? { kubeconfig } : {}),
    workDir: ctx.workDir,
    nodeFlags: [...ctx.settings.webhookNodeFlags, ...extraNodeFlags],
    ...(ctx.settings.profileDir ? { cpuProfileDir: ctx.settings.profileDir } : {}),
  });
  ctx.started.push(server);
  return server;
}

async function stopServers(ctx: Context, servers: readonly BenchServer[]): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
  for (const s of servers) ctx.started.splice(ctx.started.indexOf(s), 1);
}

async function runLoadSection(ctx: Context, main: BenchServer, baseline: BenchServer, workloads: readonly Workload[]) {
  const rows: WorkloadRow[] = [];
  for (const [i, w] of workloads.entries()) {
    await checkWebhook(main, w, ctx.certs.ca);
    await checkBaseline(baseline, w, ctx.certs.ca);
    progress(ctx.settings, `load: ${w.label} (${w.body.length} bytes)`);
    const [wh, base] = (await alternate([main, baseline], w.body, ctx.settings.rounds, ctx.settings, i)) as [
      ServerCell,
      ServerCell,
    ];
    rows.push({
      id: w.id,
      label: w.label,
      bytes: w.body.length,
      templates: w.templates.length,
      webhook: wh,
      baseline: base,
      ratio: wh.rps / base.rps,
      cpuRatio: base.cpuUsPerRequest / wh.cpuUsPerRequest,
    });
  }
  return rows;
}

/** The main webhook logs at the default level, info (a line per admission); this compares it with warn. */
async function runLoggingSection(ctx: Context, main: BenchServer, baseline: BenchServer, w: Workload) {
  const warn = await webhook(ctx, 'webhook-warn', ctx.templates.examples, 'warn');
  try {
    await checkWebhook(warn, w, ctx.certs.ca);
    progress(ctx.settings, `logging: ${w.label} at info vs warn`);
    await warmUp(warn, [w], ctx.settings);
    const [infoCell, warnCell, baseCell] = (await alternate(
      [main, warn, baseline],
      w.body,
      ctx.settings.rounds,
      ctx.settings,
    )) as [ServerCell, ServerCell, ServerCell];
    return {
      workload: w.label,
      warn: warnCell,
      info: infoCell,
      baseline: baseCell,
      costPercent: (1 - infoCell.rps / warnCell.rps) * 100,
    };
  } finally {
    await stopServers(ctx, [warn]);
  }
}

async function runCatalogSection(ctx: Context, w: Workload) {
  const servers: BenchServer[] = [];
  try {
    for (const size of CATALOG_SIZES) {
      servers.push(await webhook(ctx, `webhook-catalog-${size}`, ctx.templates.catalogs.get(size) as string, 'info'));
    }
    for (const s of servers) await checkWebhook(s, w, ctx.certs.ca);
    progress(ctx.settings, `catalog: ${CATALOG_SIZES.join(', ')} templates, ${w.label}`);
    for (const s of servers) await warmUp(s, [w], ctx.settings);
    const cells = await alternate(servers, w.body, ctx.settings.catalogRounds, ctx.settings);
    const sizes = cells.map((c, i) => ({ templates: CATALOG_SIZES[i] as number, ...c }));
    const first = sizes[0] as ServerCell;
    const last = sizes.at(-1) as ServerCell;
    return {
      workload: w.label,
      sizes,
      costPercent: (1 - last.rps / first.rps) * 100,
      cpuCostPercent: (last.cpuUsPerRequest / first.cpuUsPerRequest - 1) * 100,
    };
  } finally {
    await stopServers(ctx, servers);
  }
}

/**
 * Peak RSS of fresh webhooks taken through every workload: with default V8 settings, with the
 * NODE_OPTIONS of the shipped Deployment, and as deployed (those flags and `--kubernetes on`,
 * against a stand-in API server). Under load V8 grows its young generation to 16 MiB semi-spaces
 * (Node 20; more on Node 24), most of the difference between idle and loaded RSS.
 */
async function runMemorySection(ctx: Context, workloads: readonly Workload[]) {
  const deployedFlags = deployedNodeFlags();
  const api = await startStubApiServer(ctx.workDir);
  const variants = [
    { label: 'files, default V8', flags: [] as string[] },
    { label: 'files, deployed NODE_OPTIONS', flags: deployedFlags },
    { label: 'as deployed (+ cluster watch)', flags: deployedFlags, kubeconfig: api.kubeconfig },
  ];
  const servers: BenchServer[] = [];
  try {
    for (const [i, v] of variants.entries()) {
      servers.push(await webhook(ctx, `webhook-memory-${i}`, ctx.templates.examples, 'info', v.flags, v.kubeconfig));
    }
    const idle = servers.map((s) => peakRssSinceStart(s.pid));
    progress(ctx.settings, `memory: ${workloads.length} workloads, ${variants.map((v) => v.label).join('; ')}`);
    const cpu: Array<Record<string, number>> = servers.map(() => ({}));
    const rss: Array<Record<string, number>> = servers.map(() => ({}));
    for (const [i, w] of workloads.entries()) {
      const cells = await alternate(servers, w.body, 1, { ...ctx.settings, seconds: ctx.settings.memorySeconds }, i);
      cells.forEach((c, v) => {
        (cpu[v] as Record<string, number>)[w.id] = c.cpuUsPerRequest;
        (rss[v] as Record<string, number>)[w.id] = c.peakRssMiB;
      });
    }
    return {
      rows: variants.map((variant, v) => ({
        label: variant.label,
        nodeFlags: [...ctx.settings.webhookNodeFlags, ...variant.flags].join(' ') || '(none)',
        kubernetes: variant.kubeconfig !== undefined,
        idleRssMiB: (idle[v] as number) / 2 ** 20,
        peakRssMiB: Math.max(...Object.values(rss[v] as Record<string, number>)),
        peakRssMiBByWorkload: rss[v] as Record<string, number>,
        cpuUsPerRequest: cpu[v] as Record<string, number>,
      })),
    };
  } finally {
    await stopServers(ctx, servers);
    await api.stop();
  }
}

/** Fixed-rate latency; several shorter rounds, alternated, so that a burst of other work on the machine hits both. */
async function runRateSection(ctx: Context, main: BenchServer, baseline: BenchServer, w: Workload) {
  const { rate, rateSeconds, rateRounds } = ctx.settings;
  progress(ctx.settings, `fixed rate: ${rate} req/s, ${w.label}, ${rateRounds} x ${rateSeconds} s each`);
  const servers = [
    { name: 'webhook', server: main, results: [] as PacedResult[] },
    { name: 'baseline', server: baseline, results: [] as PacedResult[] },
  ];
  // Hot code for this very workload first: a cold path would be measured as latency.
  for (const s of servers) {
    await closedLoop({ url: s.server.url, body: w.body, connections: 10, seconds: ctx.settings.quick ? 0.5 : 1 });
  }
  for (let round = 0; round < rateRounds; round++) {
    for (const s of round % 2 === 0 ? servers : [...servers].reverse()) {
      const options = {
        url: s.server.url,
        body: w.body,
        ca: ctx.certs.ca,
        rate,
        seconds: rateSeconds,
        connections: 32,
      };
      s.results.push(await openLoop(options));
    }
  }
  const rows = servers.map(({ name, results }) => {
    const all = (pick: (r: PacedResult) => number[]) => results.flatMap(pick);
    const ok = results.reduce((n, r) => n + r.ok, 0);
    return {
      server: name,
      targetRate: rate,
      achievedRate: ok / results.reduce((n, r) => n + r.seconds, 0),
      latency: summarize(all((r) => r.fromSend)),
      roundP99s: results.map((r) => summarize(r.fromSend).p99),
      fromDue: summarize(all((r) => r.fromDue)),
      senderLateP99: summarize(all((r) => r.late)).p99,
      failed: results.reduce((n, r) => n + r.sent - r.ok, 0),
    };
  });
  return { workload: w.label, rows };
}

/** The run's temporary directory, removed however the run ends. */
let workDir: string | undefined;
const removeWorkDir = () => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  workDir = undefined;
};

async function run(settings: Settings): Promise<Report> {
  await waitForIdle(settings);
  const startLoad = loadavg();
  const pinned = settings.cpuPinning && cpus().length >= 2 && pinCpus();
  if (settings.cpuPinning && !pinned)
    progress(settings, 'warning: cannot pin CPUs; servers and load generator share cores');
  const dir = mkdtempSync(join(tmpdir(), 'sidecar-injector-bench-'));
  workDir = dir;
  if (settings.profileDir) mkdirSync(settings.profileDir, { recursive: true });
  const started: BenchServer[] = [];
  try {
    const certs = generateCertificates(join(dir, 'certs'));
    const templates = prepareTemplateDirs(dir, CATALOG_SIZES);
    const ctx: Context = { settings, workDir: dir, certs, templates, started };
    const ids = settings.workloadIds;
    const all = standardWorkloads();
    const workloads = ids ? [...ids].map((id) => all.find((w) => w.id === id) ?? unknownWorkload(id, all)) : all;
    const tenKb = sizedWorkload(10, ONE_TEMPLATE);
    const has = (s: Section) => settings.sections.has(s);

    // In-process first, while no server is busy.
    if (has('servertime')) progress(settings, 'server time: in-process');
    const serverTime = has('servertime')
      ? await measureServerTime(workloads, templates.examples, settings.iterations)
      : [];

    const needsMain = has('load') || has('logging') || has('rate');
    const main = needsMain ? await webhook(ctx, 'webhook', templates.examples, 'info') : undefined;
    const baseline = needsMain ? await startBaseline(certs, dir, settings.profileDir) : undefined;
    if (baseline) started.push(baseline);
    if (main && baseline) {
      progress(settings, 'warming up');
      for (const server of [main, baseline]) await warmUp(server, workloads, settings);
    }
    const workloadRows = main && baseline && has('load') ? await runLoadSection(ctx, main, baseline, workloads) : [];
    const logging =
      main && baseline && has('logging') ? await runLoggingSection(ctx, main, baseline, tenKb) : undefined;
    const catalog = has('catalog') ? await runCatalogSection(ctx, tenKb) : undefined;
    const fixedRate = main && baseline && has('rate') ? await runRateSection(ctx, main, baseline, tenKb) : undefined;
    const memory = has('memory') ? await runMemorySection(ctx, workloads) : undefined;
    await stopServers(ctx, [...started]);

    const partial: Omit<Report, 'targets'> = {
      meta: {
        date: new Date().toISOString(),
        node: process.versions.node,
        cpus: cpus().length,
        cpuPinning: pinned ? 'load generator on CPU 0, servers on CPU 1' : 'off',
        mode: settings.quick ? 'quick' : 'default',
        connections: settings.connections,
        secondsPerMeasurement: settings.seconds,
        rounds: settings.rounds,
        loadAverage: { start: startLoad, end: loadavg() },
        webhookNodeFlags: settings.webhookNodeFlags.join(' ') || '(none)',
        commands: {
          certs: 'node dist/src/cli/main.js certs --service sidecar-injector --namespace bench --out <tmp>/certs',
          webhook:
            'node dist/src/cli/main.js serve --bind-address 127.0.0.1 --port <free> --metrics-port <free> ' +
            '--kubernetes off --tls-cert <tmp>/certs/tls.crt --tls-key <tmp>/certs/tls.key ' +
            '--templates-dir <tmp>/templates-examples --log-level info --shutdown-timeout 5',
          baseline:
            'node dist/bench/baseline.js --bind-address 127.0.0.1 --port <free> --tls-cert <tmp>/certs/tls.crt --tls-key <tmp>/certs/tls.key',
        },
      },
      workloads: workloadRows,
      ...(logging ? { logging } : {}),
      ...(catalog ? { catalog } : {}),
      ...(fixedRate ? { fixedRate } : {}),
      ...(memory ? { memory } : {}),
      serverTime,
    };
    return { ...partial, targets: judgeTargets(partial) };
  } finally {
    await Promise.all(started.map((s) => s.stop(2000))).catch(() => {});
    killAllChildren();
    removeWorkDir();
  }
}

async function main(): Promise<number> {
  let settings: Settings | undefined;
  try {
    settings = settingsOf(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`Error: ${error.message}\n${HELP}`);
    return 2;
  }
  if (!settings) return 0;
  const report = await run(settings);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (settings.jsonFile) writeFileSync(settings.jsonFile, json);
  process.stdout.write(settings.json ? json : formatReport(report));
  if (settings.profileDir) progress(settings, `CPU profiles of the servers: ${settings.profileDir}/*.cpuprofile`);
  return 0;
}

// Children die with the bench, whatever ends it.
process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    removeWorkDir();
    process.exit(130);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  },
);
