// The API server's own measure of a webhook, from its /metrics (Prometheus text format):
// apiserver_admission_webhook_admission_duration_seconds, a histogram with buckets at 5 ms,
// 25 ms, 100 ms, ..., and apiserver_admission_webhook_rejection_count.

export interface Histogram {
  /** Upper bounds in seconds, ascending, +Inf last, with cumulative counts. */
  readonly buckets: ReadonlyArray<{ le: number; count: number }>;
  readonly count: number;
  readonly sum: number;
}

export interface WebhookMetrics {
  readonly duration: Histogram;
  /** Admissions that ended in a rejection: a denial, a timeout, an error calling the webhook. */
  readonly rejected: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;

function labelsOf(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of (text ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
    labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, '$1');
  }
  return labels;
}

/** The samples of the webhook named `webhook` (all operations and outcomes added up). */
export function webhookMetrics(exposition: string, webhook: string): WebhookMetrics {
  const buckets = new Map<number, number>();
  let count = 0;
  let sum = 0;
  let rejected = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith('apiserver_admission_webhook_')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const [, name, labelText, valueText] = m;
    const labels = labelsOf(labelText);
    if (labels.name !== webhook) continue;
    const value = Number(valueText);
    if (name === 'apiserver_admission_webhook_admission_duration_seconds_bucket') {
      const le = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + value);
      if (labels.le === '+Inf' && labels.rejected === 'true') rejected += value;
    } else if (name === 'apiserver_admission_webhook_admission_duration_seconds_count') count += value;
    else if (name === 'apiserver_admission_webhook_admission_duration_seconds_sum') sum += value;
  }
  return {
    duration: {
      buckets: [...buckets].sort(([a], [b]) => a - b).map(([le, c]) => ({ le, count: c })),
      count,
      sum,
    },
    rejected,
  };
}

/** What happened between two scrapes. */
export function difference(after: WebhookMetrics, before: WebhookMetrics): WebhookMetrics {
  const earlier = new Map(before.duration.buckets.map((b) => [b.le, b.count]));
  return {
    duration: {
      buckets: after.duration.buckets.map((b) => ({ le: b.le, count: b.count - (earlier.get(b.le) ?? 0) })),
      count: after.duration.count - before.duration.count,
      sum: after.duration.sum - before.duration.sum,
    },
    rejected: after.rejected - before.rejected,
  };
}

/**
 * The q-quantile in seconds, interpolated linearly inside its bucket as Prometheus'
 * histogram_quantile does (from 0 in the first bucket); also the bucket it lies in, since with
 * buckets this coarse the bounds are what is known for sure. NaN without observations.
 */
export function quantile(h: Histogram, q: number): { estimate: number; lower: number; upper: number } {
  const total = h.buckets.at(-1)?.count ?? 0;
  if (total === 0) return { estimate: Number.NaN, lower: Number.NaN, upper: Number.NaN };
  const rank = q * total;
  let previous = { le: 0, count: 0 };
  for (const bucket of h.buckets) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) return { estimate: previous.le, lower: previous.le, upper: bucket.le };
      const inBucket = bucket.count - previous.count;
      const fraction = inBucket === 0 ? 1 : (rank - previous.count) / inBucket;
      return {
        estimate: previous.le + (bucket.le - previous.le) * fraction,
        lower: previous.le,
        upper: bucket.le,
      };
    }
    previous = bucket;
  }
  return { estimate: Number.NaN, lower: Number.NaN, upper: Number.NaN };
}

/** Share of observations at or under `le` seconds (one of the bucket bounds). */
export function shareAtMost(h: Histogram, le: number): number {
  const total = h.buckets.at(-1)?.count ?? 0;
  const bucket = h.buckets.find((b) => b.le === le);
  return total > 0 && bucket ? bucket.count / total : Number.NaN;
}
