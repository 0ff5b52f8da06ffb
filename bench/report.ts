// What a bench run found: the result document (`--json` prints it as is), the targets judged
// from it, and the text tables.
import type { LatencySummary } from './load';
import type { ServerTime } from './serverTime';

export interface ServerCell {
  readonly rps: number;
  readonly latency: LatencySummary;
  /** Peak RSS of the server process during the cell, MiB. */
  readonly peakRssMiB: number;
  /** CPU time (user + system) of the server process per answered request, µs. */
  readonly cpuUsPerRequest: number;
  /** Non-2xx answers, errors and timeouts: a cell with any is not trustworthy. */
  readonly failed: number;
  /** Mean of the webhook's admission duration histogram over the cell, ms (webhook only). */
  readonly serverMeanMs?: number;
}

export interface WorkloadRow {
  readonly id: string;
  readonly label: string;
  readonly bytes: number;
  readonly templates: number;
  readonly webhook: ServerCell;
  readonly baseline: ServerCell;
  /** webhook rps / baseline rps */
  readonly ratio: number;
  /** baseline CPU per request / webhook CPU per request: the ratio on a machine with nothing else running. */
  readonly cpuRatio: number;
}

export interface FixedRateRow {
  readonly server: string;
  readonly targetRate: number;
  readonly achievedRate: number;
  /** From when each request was sent: what the API server would see. */
  readonly latency: LatencySummary;
  /** p99 of each round, to tell a disturbed round from a steady tail. */
  readonly roundP99s: number[];
  /** From when each request was due: includes the sender's own lateness. */
  readonly fromDue: LatencySummary;
  /** p99 of how late requests left against the schedule, ms. */
  readonly senderLateP99: number;
  readonly failed: number;
}

export interface Report {
  readonly meta: {
    readonly date: string;
    readonly node: string;
    readonly cpus: number;
    readonly cpuPinning: string;
    readonly mode: 'quick' | 'default';
    readonly connections: number;
    readonly secondsPerMeasurement: number;
    readonly rounds: number;
    /** 1, 5 and 15 minute load averages. */
    readonly loadAverage: { readonly start: number[]; readonly end: number[] };
    readonly webhookNodeFlags: string;
    readonly commands: Readonly<Record<string, string>>;
  };
  readonly workloads: WorkloadRow[];
  readonly logging?: {
    readonly workload: string;
    readonly warn: ServerCell;
    readonly info: ServerCell;
    readonly baseline: ServerCell;
    /** Throughput lost by logging every request at info, percent of warn. */
    readonly costPercent: number;
  };
  readonly catalog?: {
    readonly workload: string;
    readonly sizes: Array<{ readonly templates: number } & ServerCell>;
    /** Throughput lost with the largest catalog, percent of the smallest. */
    readonly costPercent: number;
    /** CPU per request added by the largest catalog, percent of the smallest. */
    readonly cpuCostPercent: number;
  };
  readonly fixedRate?: { readonly workload: string; readonly rows: FixedRateRow[] };
  readonly memory?: {
    readonly rows: Array<{
      readonly label: string;
      readonly nodeFlags: string;
      /** Watching a (stand-in) cluster, as deployed: client-node and its informers loaded. */
      readonly kubernetes: boolean;
      readonly idleRssMiB: number;
      readonly peakRssMiB: number;
      /** By workload id, in the order run (smallest first, so each includes what the earlier ones left). */
      readonly peakRssMiBByWorkload: Readonly<Record<string, number>>;
      /** By workload id. */
      readonly cpuUsPerRequest: Readonly<Record<string, number>>;
    }>;
  };
  readonly serverTime: ServerTime[];
  readonly targets: Target[];
}

export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly value: string;
  readonly met: boolean | 'not measured';
}

const fixed = (n: number | undefined, digits = 2) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits));

function target(name: string, goal: string, value: number | undefined, ok: (v: number) => boolean, show: string) {
  const measured = value !== undefined && !Number.isNaN(value);
  return { name, goal, value: measured ? show : '-', met: measured ? ok(value) : ('not measured' as const) };
}

export function judgeTargets(report: Omit<Report, 'targets'>): Target[] {
  const row = (id: string) => report.workloads.find((w) => w.id === id);
  const ratioTarget = (id: string, min: number) => {
    const r = row(id);
    return target(
      `webhook/baseline req/s, ${r?.label ?? id}`,
      `>= ${min.toFixed(2)}`,
      r?.ratio,
      (v) => v >= min,
      `${fixed(r?.ratio)} (CPU ${fixed(r?.cpuRatio)})`,
    );
  };
  const webhookRate = report.fixedRate?.rows.find((r) => r.server === 'webhook');
  const manyEnv = report.serverTime.find((s) => s.id.startsWith('env'));
  const rssCells = [
    ...report.workloads.map((w) => w.webhook),
    ...(report.logging ? [report.logging.info, report.logging.warn] : []),
    ...(report.catalog?.sizes ?? []),
  ];
  const peakRss = rssCells.length > 0 ? Math.max(...rssCells.map((c) => c.peakRssMiB)) : undefined;
  return [
    ratioTarget('10k-1t', 0.9),
    ratioTarget('10k-5t', 0.9),
    ratioTarget('100k-1t', 0.85),
    ratioTarget('100k-5t', 0.85),
    target(
      `p99 at ${webhookRate?.targetRate ?? 1000} req/s, ${report.fixedRate?.workload ?? '10 KB'}`,
      '<= 5 ms',
      webhookRate?.latency.p99,
      (v) => v <= 5,
      `${fixed(webhookRate?.latency.p99)} ms`,
    ),
    target(
      `server time, ${manyEnv?.label ?? '1,500 env vars'} (inject + encode, median)`,
      '<= 2 ms',
      manyEnv?.injectAndEncode.p50,
      (v) => v <= 2,
      `${fixed(manyEnv?.injectAndEncode.p50, 3)} ms (p99 ${fixed(manyEnv?.injectAndEncode.p99, 3)}; ` +
        `with parsing ${fixed(manyEnv?.wholeHandler.p50, 3)})`,
    ),
    target('peak RSS of the webhook under load', '<= 100 MiB', peakRss, (v) => v <= 100, `${fixed(peakRss, 1)} MiB`),
    ...(report.memory?.rows.slice(1) ?? []).map((row) =>
      target(
        `peak RSS of the webhook under load, ${row.label}`,
        '<= 100 MiB',
        row.peakRssMiB,
        (v) => v <= 100,
        `${fixed(row.peakRssMiB, 1)} MiB`,
      ),
    ),
    target(
      `throughput cost of ${report.catalog?.sizes.at(-1)?.templates ?? 500} templates vs ${report.catalog?.sizes[0]?.templates ?? 1}`,
      '<= 5 %',
      report.catalog?.costPercent,
      (v) => v <= 5,
      `${fixed(report.catalog?.costPercent, 1)} %`,
    ),
  ];
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const rps = (c: ServerCell) => (c.failed > 0 ? `${c.rps.toFixed(0)}!` : c.rps.toFixed(0));
const lat = (l: LatencySummary) => `${fixed(l.p50)}/${fixed(l.p99)}`;
const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');

export function formatReport(report: Report): string {
  const out: string[] = [];
  const m = report.meta;
  out.push(
    `sidecar-injector bench (${m.mode}): Node ${m.node}, ${m.cpus} CPUs (pinning: ${m.cpuPinning}), ` +
      `${m.connections} keep-alive connections, ${m.secondsPerMeasurement} s x ${m.rounds} rounds per server and cell (A/B alternated)`,
    `load average (1/5/15 min): ${load(m.loadAverage.start)} at start, ${load(m.loadAverage.end)} at end`,
    '',
    'Throughput (closed loop), webhook (W) vs baseline (B). ratio = W/B req/s; CPU = server CPU time per',
    'request in µs, and baseline/webhook of it (the ratio on an otherwise idle machine); latency p50/p99 in ms;',
    'RSS = peak during the cell; "server ms" = mean of sidecar_injector_admission_duration_seconds;',
    '"!" marks a cell with failed requests.',
    table(
      [
        'workload',
        'bytes',
        'W req/s',
        'B req/s',
        'ratio',
        'CPU W/B',
        'CPU ratio',
        'W p50/p99',
        'B p50/p99',
        'RSS W/B MiB',
        'server ms',
      ],
      report.workloads.map((w) => [
        w.label,
        String(w.bytes),
        rps(w.webhook),
        rps(w.baseline),
        fixed(w.ratio),
        `${fixed(w.webhook.cpuUsPerRequest, 0)}/${fixed(w.baseline.cpuUsPerRequest, 0)}`,
        fixed(w.cpuRatio),
        lat(w.webhook.latency),
        lat(w.baseline.latency),
        `${fixed(w.webhook.peakRssMiB, 0)}/${fixed(w.baseline.peakRssMiB, 0)}`,
        fixed(w.webhook.serverMeanMs, 3),
      ]),
    ),
  );
  if (report.logging) {
    const l = report.logging;
    out.push(
      '',
      `Logging cost (${l.workload}): the default --log-level info (one JSON line per request, to a file) vs warn`,
      table(
        ['server', 'req/s', 'CPU µs/req', 'p50/p99', 'RSS MiB', 'server ms'],
        (
          [
            ['webhook, info (default)', l.info],
            ['webhook, warn', l.warn],
            ['baseline', l.baseline],
          ] as const
        ).map(([name, c]) => [
          name,
          rps(c),
          fixed(c.cpuUsPerRequest, 0),
          lat(c.latency),
          fixed(c.peakRssMiB, 1),
          fixed(c.serverMeanMs, 3),
        ]),
      ),
      `info costs ${fixed(l.costPercent, 1)} % of throughput vs warn; info/baseline = ${fixed(l.info.rps / l.baseline.rps)}`,
    );
  }
  if (report.catalog) {
    const c = report.catalog;
    out.push(
      '',
      `Catalog size (${c.workload}; the pod names 1 template, every other template has a selector that does not match)`,
      table(
        ['templates in catalog', 'req/s', 'CPU µs/req', 'p50/p99', 'RSS MiB', 'server ms'],
        c.sizes.map((s) => [
          String(s.templates),
          rps(s),
          fixed(s.cpuUsPerRequest, 0),
          lat(s.latency),
          fixed(s.peakRssMiB, 1),
          fixed(s.serverMeanMs, 3),
        ]),
      ),
      `${c.sizes.at(-1)?.templates} templates cost ${fixed(c.costPercent, 1)} % of throughput vs ${c.sizes[0]?.templates} ` +
        `(${fixed(c.cpuCostPercent, 1)} % more CPU per request)`,
    );
  }
  if (report.fixedRate) {
    const f = report.fixedRate;
    out.push(
      '',
      `Fixed rate (open loop, ${f.workload}): latency from when each request was sent, and from when it was due`,
      "(the latter adds the sender's own lateness: timer granularity, a busy core)",
      table(
        [
          'server',
          'target req/s',
          'achieved',
          'p50 ms',
          'p99 ms',
          'max ms',
          'p99 by round',
          'due p50/p99/max',
          'sender late p99',
          'failed',
        ],
        f.rows.map((r) => [
          r.server,
          String(r.targetRate),
          r.achievedRate.toFixed(0),
          fixed(r.latency.p50),
          fixed(r.latency.p99),
          fixed(r.latency.max),
          r.roundP99s.map((p) => fixed(p, 1)).join(' '),
          `${fixed(r.fromDue.p50)}/${fixed(r.fromDue.p99)}/${fixed(r.fromDue.max)}`,
          fixed(r.senderLateP99),
          String(r.failed),
        ]),
      ),
    );
  }
  if (report.memory) {
    const ids = Object.keys(report.memory.rows[0]?.cpuUsPerRequest ?? {});
    out.push(
      '',
      'Memory: fresh webhooks taken through every workload above, smallest first: peak RSS (MiB) and CPU µs per request',
      table(
        ['webhook', 'what', 'idle', 'peak', ...ids],
        report.memory.rows.flatMap((r) => [
          [
            r.label,
            'RSS MiB',
            fixed(r.idleRssMiB, 0),
            fixed(r.peakRssMiB, 0),
            ...ids.map((id) => fixed(r.peakRssMiBByWorkload[id], 0)),
          ],
          [r.label, 'CPU µs', '', '', ...ids.map((id) => fixed(r.cpuUsPerRequest[id], 0))],
        ]),
      ),
      ...report.memory.rows.map(
        (r) => `${r.label}: node flags ${r.nodeFlags}${r.kubernetes ? ', --kubernetes on' : ''}`,
      ),
    );
  }
  if (report.serverTime.length > 0) {
    out.push(
      '',
      'Server time in-process (no network), ms: inject() + base64 JSON patch; whole handler = parse + admit + answer JSON',
      table(
        ['workload', 'bytes', 'iterations', 'inject+encode p50', 'p99', 'whole handler p50', 'p99'],
        report.serverTime.map((s) => [
          s.label,
          String(s.bytes),
          String(s.iterations),
          fixed(s.injectAndEncode.p50, 3),
          fixed(s.injectAndEncode.p99, 3),
          fixed(s.wholeHandler.p50, 3),
          fixed(s.wholeHandler.p99, 3),
        ]),
      ),
    );
  }
  out.push(
    '',
    'Targets',
    table(
      ['target', 'goal', 'measured', 'result'],
      report.targets.map((t) => [t.name, t.goal, t.value, t.met === true ? 'met' : t.met === false ? 'MISSED' : t.met]),
    ),
  );
  return `${out.join('\n')}\n`;
}
