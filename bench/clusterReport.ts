// bench:cluster's result: one row per target rate, the cells of both sides (one per round),
// the table, and the three targets, read from the output and never asserted.

export interface SideCell {
  readonly side: 'with' | 'without';
  readonly pods: number;
  /** Pods the watch saw stored (fewer than `pods` only when the cell timed out). */
  readonly stored: number;
  /** From the first scale request to the last pod stored. */
  readonly seconds: number;
  /** Pods stored per second from the 10th to the 90th percent of them. */
  readonly podsPerSecond: number;
  /** Calls of this webhook the API server measured (0 without it). */
  readonly admissions: number;
  readonly failedAdmissions: number;
  /** The API server's apiserver_admission_webhook_admission_duration_seconds, interpolated in its bucket. */
  readonly webhookP50Ms: number;
  readonly webhookP99Ms: number;
  /** The bucket the p99 lies in: with buckets at 5 and 25 ms, what is known for sure. */
  readonly webhookP99BucketMs: readonly [number, number];
  /** Share of admissions the API server measured at 5 ms or less. */
  readonly within5Ms: number;
  readonly webhookCpuUsPerAdmission: number;
  readonly webhookPeakRssMiB: number;
  /** The webhook's own measure (sidecar_injector_admission_duration_seconds): from request to answer inside it. */
  readonly webhookServerMeanMs: number;
  /** TCP connections to the webhook seen during the cell (each a TLS handshake), and the most at once. */
  readonly connections: number;
  readonly peakConnections: number;
  /** CPU time per stored pod of each process (etcd, kube-apiserver, kube-controller-manager, webhook), ms: where the time goes. */
  readonly cpuMsPerPod: Readonly<Record<string, number>>;
}

export interface ClusterRow {
  readonly rate: number | 'max';
  readonly with: SideCell[];
  readonly without: SideCell[];
}

export interface ClusterTarget {
  readonly name: string;
  readonly goal: string;
  readonly value: string;
  readonly met: boolean | 'not measured';
}

export interface ClusterReport {
  readonly kubernetes: string;
  readonly settings: {
    pods: number;
    rates: ReadonlyArray<number | 'max'>;
    rounds: number;
    qps: number;
    deployments: number;
  };
  readonly machine: { cpus: number; loadAverage: number[] };
  readonly rows: ClusterRow[];
  readonly seconds: number;
  readonly targets: ClusterTarget[];
}

const median = (values: number[]): number => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** A row's headline: median pods/s of each side, their ratio, and the worst p99 of the webhook side. */
export function headline(row: ClusterRow) {
  const withRate = median(row.with.map((c) => c.podsPerSecond));
  const withoutRate = median(row.without.map((c) => c.podsPerSecond));
  const worst = [...row.with].sort((a, b) => b.webhookP99Ms - a.webhookP99Ms)[0];
  return {
    withPodsPerSecond: withRate,
    withoutPodsPerSecond: withoutRate,
    throughputRatio: withRate / withoutRate,
    webhookP50Ms: median(row.with.map((c) => c.webhookP50Ms)),
    webhookP99Ms: worst?.webhookP99Ms ?? Number.NaN,
    webhookP99BucketMs: worst?.webhookP99BucketMs ?? [Number.NaN, Number.NaN],
  };
}

const fixed = (n: number, digits = 2) => (Number.isNaN(n) ? '-' : n.toFixed(digits));
const rateLabel = (rate: number | 'max') => (rate === 'max' ? 'full speed' : `${rate}/s`);

/** The full-speed row, else the fastest paced one. */
export function fastestRow(rows: readonly ClusterRow[]): ClusterRow | undefined {
  return rows.find((r) => r.rate === 'max') ?? [...rows].sort((a, b) => Number(b.rate) - Number(a.rate))[0];
}

/**
 * The highest paced rate the webhook side kept up with (its pods/s at least 95 % of the target),
 * else the fastest row: where the webhook's latency is judged. At full speed the pods come as one
 * burst, and its latency is queueing.
 */
export function sustainedRow(rows: readonly ClusterRow[]): ClusterRow | undefined {
  const kept = rows
    .filter((r) => r.rate !== 'max' && headline(r).withPodsPerSecond >= 0.95 * r.rate)
    .sort((a, b) => Number(b.rate) - Number(a.rate));
  return kept[0] ?? fastestRow(rows);
}

export function judgeClusterTargets(report: Omit<ClusterReport, 'targets'>): ClusterTarget[] {
  const row = fastestRow(report.rows);
  const h = row ? headline(row) : undefined;
  const latencyRow = sustainedRow(report.rows);
  const l = latencyRow ? headline(latencyRow) : undefined;
  const failed = report.rows.flatMap((r) => r.with).reduce((n, c) => n + c.failedAdmissions, 0);
  const measured = (v: number | undefined) => v !== undefined && !Number.isNaN(v);
  const [lower, upper] = l?.webhookP99BucketMs ?? [Number.NaN, Number.NaN];
  return [
    {
      name: `pods/s with the webhook / without, ${row ? rateLabel(row.rate) : '-'}`,
      goal: '>= 0.95',
      value: h
        ? `${fixed(h.throughputRatio)} (${fixed(h.withPodsPerSecond, 0)} / ${fixed(h.withoutPodsPerSecond, 0)})`
        : '-',
      met: measured(h?.throughputRatio) ? (h?.throughputRatio ?? 0) >= 0.95 : 'not measured',
    },
    {
      name: `webhook p99 as the API server measures it, ${latencyRow ? rateLabel(latencyRow.rate) : '-'} (the highest rate sustained)`,
      goal: '<= 10 ms',
      value: l ? `${fixed(l.webhookP99Ms)} ms (in its ${fixed(lower, 0)}-${fixed(upper, 0)} ms bucket)` : '-',
      met: measured(l?.webhookP99Ms) ? (l?.webhookP99Ms ?? 0) <= 10 : 'not measured',
    },
    {
      name: 'failed admissions (all cells)',
      goal: '0',
      value: String(failed),
      met: report.rows.some((r) => r.with.length > 0) ? failed === 0 : 'not measured',
    },
  ];
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatClusterReport(report: ClusterReport): string {
  const s = report.settings;
  const cells: string[][] = [];
  for (const row of report.rows) {
    for (const side of ['without', 'with'] as const) {
      for (const c of row[side]) {
        const webhook = side === 'with';
        cells.push([
          rateLabel(row.rate),
          side === 'with' ? 'webhook' : 'none',
          `${c.stored}/${c.pods}`,
          fixed(c.seconds),
          fixed(c.podsPerSecond, 0),
          webhook ? `${fixed(c.webhookP50Ms)} / ${fixed(c.webhookP99Ms)}` : '-',
          webhook ? `${fixed(c.within5Ms * 100, 1)} %` : '-',
          webhook ? fixed(c.webhookCpuUsPerAdmission, 0) : '-',
          fixed(c.webhookPeakRssMiB, 1),
          webhook ? fixed(c.webhookServerMeanMs, 3) : '-',
          webhook ? `${c.connections} (${c.peakConnections})` : '-',
          webhook ? String(c.failedAdmissions) : '-',
        ]);
      }
    }
  }
  const processNames = [
    ...new Set(report.rows.flatMap((r) => [...r.without, ...r.with]).flatMap((c) => Object.keys(c.cpuMsPerPod))),
  ];
  const cpuRows: string[][] = [];
  for (const row of report.rows) {
    for (const side of ['without', 'with'] as const) {
      for (const c of row[side]) {
        const values = processNames.map((n) => c.cpuMsPerPod[n] ?? Number.NaN);
        cpuRows.push([
          rateLabel(row.rate),
          side === 'with' ? 'webhook' : 'none',
          ...values.map((v) => fixed(v)),
          fixed(values.reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0)),
        ]);
      }
    }
  }
  const ratios = report.rows.map((row) => {
    const h = headline(row);
    return `  ${rateLabel(row.rate)}: ${fixed(h.throughputRatio)} (${fixed(h.withPodsPerSecond, 0)} / ${fixed(h.withoutPodsPerSecond, 0)} pods/s)`;
  });
  const targets = report.targets.map(
    (t) =>
      `  ${t.met === true ? 'met    ' : t.met === false ? 'MISSED ' : 'n/a    '} ${t.name}: ${t.value} (goal ${t.goal})`,
  );
  return [
    `bench:cluster on Kubernetes ${report.kubernetes}: ${s.pods} pods per cell through ${s.deployments} Deployments, ` +
      `${s.rounds} round(s), kube-controller-manager QPS ${s.qps}; ${report.machine.cpus} CPUs, ` +
      `load ${report.machine.loadAverage.map((v) => v.toFixed(2)).join(' ')}; ${report.seconds.toFixed(0)} s`,
    '',
    table(
      [
        'rate',
        'webhook',
        'stored',
        'to all stored s',
        'pods/s 10-90 %',
        'API server p50 / p99 ms',
        '<= 5 ms',
        'CPU us/admission',
        'peak RSS MiB',
        'in webhook ms',
        'conns (peak)',
        'failed',
      ],
      cells,
    ),
    '',
    'CPU time per pod stored, ms (where the time goes; the idle webhook process counts on both sides):',
    table(['rate', 'webhook', ...processNames, 'total'], cpuRows),
    '',
    'pods/s with the webhook / without:',
    ...ratios,
    '',
    'targets (read, not asserted):',
    ...targets,
    '',
  ].join('\n');
}
