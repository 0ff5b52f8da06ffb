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

  const { error, selected, injected, warnings, ...fields } = record;
  const line = {
    ...fields,
    ...(selected || injected ? { templates: { selected: selected ?? [], injected: injected ?? [] } } : {}),
    ...(warnings && warnings.length > 0 ? { warnings } : {}),
    ...(error ? { err: error } : {}),
    statusCode,
    durationMs: Math.round(elapsedMs * 1000) / 1000,
  };
  if (statusCode >= 500) logger.error(line, 'admission failed');
  else if (statusCode >= 400) logger.warn(line, 'admission request refused');
  else logger.info(line, 'admission');
}
