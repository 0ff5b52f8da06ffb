// Prometheus metrics, on a Registry of their own (not prom-client's global one) so that tests
// can run several servers in one process.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const ADMISSION_RESULTS = ['injected', 'unchanged', 'passthrough', 'denied', 'error', 'invalid'] as const;
export type AdmissionResult = (typeof ADMISSION_RESULTS)[number];

const PREFIX = 'sidecar_injector_';

export class Metrics {
  readonly registry = new Registry();
  readonly admissionRequests = new Counter({
    name: `${PREFIX}admission_requests_total`,
    help: 'Admission requests answered, by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly injections = new Counter({
    name: `${PREFIX}injections_total`,
    help: 'Templates injected into pods, by template.',
    labelNames: ['template'] as const,
    registers: [this.registry],
  });
  readonly admissionsInFlight = new Gauge({
    name: `${PREFIX}admission_requests_in_flight`,
    help: 'Admission requests received (headers read) and not answered yet.',
    registers: [this.registry],
  });
  readonly admissionDuration = new Histogram({
    name: `${PREFIX}admission_duration_seconds`,
    help: 'Time from receiving an admission request to answering it.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly templates = new Gauge({
    name: `${PREFIX}templates`,
    help: 'SidecarTemplates in the catalog.',
    registers: [this.registry],
  });
  readonly templateLoadErrors = new Counter({
    name: `${PREFIX}template_load_errors_total`,
    help: 'Templates refused as invalid, by source (files or cluster).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly watchErrors = new Counter({
    name: `${PREFIX}watch_errors_total`,
    help: 'Failed lists or dropped watches of the Kubernetes API, by resource; each is retried with back-off.',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });
  readonly certificateExpiry = new Gauge({
    name: `${PREFIX}certificate_expiry_timestamp_seconds`,
    help: 'When the serving certificate in use expires (its notAfter), in seconds since the Unix epoch.',
    registers: [this.registry],
  });
  readonly certificateReloads = new Counter({
    name: `${PREFIX}certificate_reloads_total`,
    help: 'Serving certificate reloads, by result (success or failure).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  /** Log lines dropped because stdout did not drain and the log buffer was full (see serveLogger). */
  readonly logLinesDropped: Counter;

  /** `droppedLogLines`: the log destination's own count, read when scraped (the logger exists first). */
  constructor(options: { processMetrics?: boolean; droppedLogLines?: () => number } = {}) {
    const dropped = options.droppedLogLines;
    let counted = 0;
    this.logLinesDropped = new Counter({
      name: `${PREFIX}log_lines_dropped_total`,
      help: 'Log lines dropped because stdout did not keep up and the log buffer was full.',
      registers: [this.registry],
      ...(dropped
        ? {
            collect() {
              const now = dropped();
              this.inc(now - counted);
              counted = now;
            },
          }
        : {}),
    });
    // Every result is shown from the start, so that rate() and alerts work before the first event.
    for (const result of ADMISSION_RESULTS) this.admissionRequests.labels(result);
    for (const result of ['success', 'failure']) this.certificateReloads.labels(result);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * The gauge sidecar_injector_pods{template,state} (serve --drift-report on), read from `counts`
   * when scraped.
   */
  reportPodStates(counts: () => Iterable<{ template: string; state: string; pods: number }>): void {
    new Gauge({
      name: `${PREFIX}pods`,
      help: 'Live pods by template and drift state: current, outdated, missing, skipped, removed (--drift-report on).',
      labelNames: ['template', 'state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { template, state, pods } of counts()) this.set({ template, state }, pods);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
