// One log line and the metrics of one admission request, written when its answer has been sent.
import type { Logger } from 'pino';
import type { AdmissionResult, Metrics } from './metrics';

export interface AdmissionRecord {
  readonly outcome: AdmissionResult;
  readonly uid?: string;
  readonly namespace?: string | undefined;
  readonly pod?: string;
  readonly generateName?: string;
  readonly operation?: string | undefined;
  readonly dryRun?: boolean;
  readonly selected?: readonly string[];
  readonly injected?: readonly string[];
  readonly warnings?: readonly string[];
  /** Why a pod was denied or a request refused. */
  readonly message?: string;
  /** Why a request was let through untouched. */
  readonly reason?: string;
  readonly error?: unknown;
}

export function logAdmission(
  logger: Logger,
  metrics: Metrics,
  record: AdmissionRecord,
  statusCode: number,
  elapsedMs: number,
): void {
  metrics.admissionRequests.inc({ result: record.outcome });
  metrics.admissionDuration.observe(elapsedMs / 1000);
  // A dry run creates no pod, so it injects nothing that should be counted.
  if (!record.dryRun) for (const template of record.injected ?? []) metrics.injections.inc({ template });

  const [level, message] =
    statusCode >= 500
      ? (['error', 'admission failed'] as const)
      : statusCode >= 400
        ? (['warn', 'admission request refused'] as const)
        : (['info', 'admission'] as const);
  // Not built when it would not be written, and built field by field: on Node 20 the objects
  // that rest and spread made here were promoted to the old generation under load (seen with the
  // bench and --trace-gc-nvp), and with them came Mark-Compact pauses that lengthened p99. Same
  // fields in the same order.
  if (!logger.isLevelEnabled(level)) return;
  const line: Record<string, unknown> = {};
  for (const key of Object.keys(record) as Array<keyof AdmissionRecord>) {
    if (key !== 'error' && key !== 'selected' && key !== 'injected' && key !== 'warnings') line[key] = record[key];
  }
  const { error, selected, injected, warnings } = record;
  if (selected || injected) line.templates = { selected: selected ?? [], injected: injected ?? [] };
  if (warnings && warnings.length > 0) line.warnings = warnings;
  if (error) line.err = error;
  line.statusCode = statusCode;
  line.durationMs = Math.round(elapsedMs * 1000) / 1000;
  logger[level](line, message);
}
