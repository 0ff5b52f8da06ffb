// A DriftReport as `drift` prints it: a table for people, JSON or YAML for scripts.
import { stringify } from 'yaml';
import { DRIFT_STATES } from '../injection/drift';
import type { DriftReport } from './report';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function formatReport(report: DriftReport, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'yaml') return stringify(report);
  return table(report);
}

/** One line per workload, template and state; then the (pod, template) counts. */
function table(report: DriftReport): string {
  const rows = [['NAMESPACE', 'WORKLOAD', 'TEMPLATE', 'STATE', 'PODS', 'REASON']];
  for (const w of report.workloads) {
    for (const t of w.templates) {
      const reason = t.reasons?.[0] ?? '';
      const more = (t.reasons?.length ?? 0) > 1 ? ` (+${(t.reasons?.length ?? 0) - 1} more)` : '';
      rows.push([w.namespace, `${w.kind}/${w.name}`, t.name, t.state, String(t.pods), reason + more]);
    }
  }
  const summary = DRIFT_STATES.map((s) => `${report.summary[s]} ${s}`).join(', ');
  if (rows.length === 1) return `No pod records or selects a template.\nPods by template: ${summary}\n`;
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n\nPods by template: ${summary}\n`;
}
