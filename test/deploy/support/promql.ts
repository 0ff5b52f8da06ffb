// PromQL as the checks need it: the expressions of the Grafana dashboard with its variables
// replaced, the rules of a PrometheusRule as a rules file for promtool, and the metric names an
// expression reads (promtool has already said the expression parses).
import { stringify } from 'yaml';
import type { Doc } from '../../unit/deploy/manifests';

export interface DashboardQuery {
  /** Where it is: `panel 3 "Admissions by result" A`, or `variable job`. */
  readonly where: string;
  /** PromQL with the dashboard's variables replaced by sample values. */
  readonly expr: string;
}

/** Sample values for Grafana's built-in variables; the dashboard's own come from its templating. */
const BUILT_IN_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '5m',
  __interval: '1m',
  __range: '1h',
};

/** Replaces `$name` and `${name}`; an unknown variable (a typo) throws, naming it. */
export function substituteVariables(text: string, values: Readonly<Record<string, string>>, where: string): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    const value = values[name] ?? BUILT_IN_VARIABLES[name];
    if (value === undefined) throw new Error(`${where}: unknown dashboard variable $${name}`);
    return value;
  });
}

/** Each variable's value for the checks: a custom variable's own value, a query variable's name. */
function variableValues(dashboard: Doc): Record<string, string> {
  const values: Record<string, string> = {};
  for (const variable of dashboard.templating?.list ?? []) {
    values[variable.name] = variable.type === 'custom' ? String(variable.query) : `sample-${variable.name}`;
  }
  return values;
}

/** Every PromQL expression of a dashboard: panel targets (rows' panels too) and query variables. */
export function dashboardQueries(dashboard: Doc): DashboardQuery[] {
  const values = variableValues(dashboard);
  const out: DashboardQuery[] = [];
  const panels = (list: Doc[] = []): Doc[] => list.flatMap((p) => [p, ...panels(p.panels)]);
  for (const panel of panels(dashboard.panels)) {
    for (const target of panel.targets ?? []) {
      const where = `panel ${panel.id} "${panel.title}" ${target.refId}`;
      out.push({ where, expr: substituteVariables(target.expr, values, where) });
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const where = `variable ${variable.name}`;
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    // label_values(<selector>, <label>) is Grafana's; the selector inside is PromQL.
    const labelValues = /^label_values\((.+),\s*\w+\)$/.exec(query ?? '');
    if (!labelValues?.[1]) throw new Error(`${where}: only label_values(<selector>, <label>) queries are checked`);
    out.push({ where, expr: substituteVariables(labelValues[1], values, where) });
  }
  return out;
}

/** A rules file with one recording rule per query, so that `promtool check rules` parses them all. */
export function asRecordingRules(queries: readonly DashboardQuery[]): string {
  const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: q.expr }));
  return stringify({ groups: [{ name: 'dashboard', rules }] });
}

/** The rule groups of a PrometheusRule, as a rules file promtool reads. */
export function rulesFile(prometheusRule: Doc): string {
  return stringify({ groups: prometheusRule.spec.groups }, { lineWidth: 0 });
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'atan2',
]);

/**
 * The metric names an expression reads. Run on expressions promtool has parsed: strings, label
 * matchers `{...}`, ranges `[...]` and grouping lists `by (...)` are dropped, then every name not
 * followed by `(` (a function or an aggregation) and not a keyword is a metric.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(\d+(?:\.\d+)?(?:e[+-]?\d+)?[a-z]*)|([a-zA-Z_:][a-zA-Z0-9_:]*)/g)) {
    const name = match[2];
    if (!name || KEYWORDS.has(name)) continue;
    const next = stripped.slice((match.index ?? 0) + name.length).trimStart();
    if (next.startsWith('(')) continue;
    names.add(name);
  }
  return [...names].sort();
}

/** Series names in Prometheus text format (`name{...} value` and `# TYPE name kind` lines). */
export function exportedNames(metricsText: string): Set<string> {
  const names = new Set<string>();
  for (const line of metricsText.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type?.[1]) names.add(type[1]);
    else if (line && !line.startsWith('#')) names.add(line.split(/[{\s]/)[0] as string);
  }
  return names;
}
