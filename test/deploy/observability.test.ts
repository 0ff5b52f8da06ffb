// The alerts and the dashboard, through promtool (built from github.com/prometheus/prometheus):
// - `promtool check rules` on the PrometheusRule's groups, as deploy/observability ships them and
//   as the chart renders them with other values;
// - `promtool test rules` with test/deploy/alerts.promtool.yaml, where every alert is seen quiet,
//   firing and resolved;
// - every PromQL expression of the dashboard parses (as recording rules);
// - every alert has a summary and a runbook section in the README.
// A planted mistake makes each check fail. That every metric they name is exported by the webhook
// or the API server is checked in metricsExported.test.ts, against running ones.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEPLOY_DIR, type Doc, findOne, REPO_ROOT } from '../unit/deploy/manifests';
import { CHART_DIR, helmTemplate, parseKubeYaml } from './support/chart';
import { asRecordingRules, dashboardQueries, metricNames, rulesFile, substituteVariables } from './support/promql';
import { run, TOOLS_TIMEOUT_MS, toolPath } from './support/tools';

const TIMEOUT_MS = 120_000;
const OBSERVABILITY = join(DEPLOY_DIR, 'observability');
const PROMTOOL_TESTS = join(__dirname, 'alerts.promtool.yaml');

let promtool: string;
let helm: string;
let work: string;

beforeAll(async () => {
  [promtool, helm] = await Promise.all([toolPath('promtool'), toolPath('helm')]);
  work = mkdtempSync(join(tmpdir(), 'sidecar-injector-promtool-'));
}, TOOLS_TIMEOUT_MS);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const shippedRule = (): Doc =>
  findOne(
    parseKubeYaml(readFileSync(join(OBSERVABILITY, 'prometheusrule.yaml'), 'utf8'), 'prometheusrule.yaml'),
    'PrometheusRule',
  );
const dashboard = (): Doc => JSON.parse(readFileSync(join(OBSERVABILITY, 'sidecar-injector-dashboard.json'), 'utf8'));
const alertsOf = (rule: Doc): Doc[] => rule.spec.groups.flatMap((g: Doc) => g.rules).filter((r: Doc) => r.alert);

/** Writes a rules file into a directory of its own and runs `promtool check rules` on it. */
async function checkRules(name: string, text: string) {
  const file = join(work, `${name}.rules.yaml`);
  writeFileSync(file, text);
  return run(promtool, ['check', 'rules', file]);
}

/** `promtool test rules` of the unit tests against these rules (written as rules.yaml beside them). */
async function testRules(name: string, rules: Doc) {
  const dir = mkdtempSync(join(work, `${name}-`));
  writeFileSync(join(dir, 'rules.yaml'), rulesFile(rules));
  copyFileSync(PROMTOOL_TESTS, join(dir, 'tests.yaml'));
  return run(promtool, ['test', 'rules', join(dir, 'tests.yaml')], { cwd: dir, timeoutMs: TIMEOUT_MS });
}

describe('promtool check rules', () => {
  test(
    'deploy/observability/prometheusrule.yaml',
    async () => {
      const result = await checkRules('shipped', rulesFile(shippedRule()));
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(result.stdout).toContain(`SUCCESS: ${alertsOf(shippedRule()).length} rules found`);
    },
    TIMEOUT_MS,
  );

  test(
    "the chart's PrometheusRule with other values (ci/everything-values.yaml)",
    async () => {
      const rendered = await helmTemplate(helm, {
        values: [join(CHART_DIR, 'ci', 'everything-values.yaml')],
        showOnly: ['templates/prometheusrule.yaml'],
      });
      const rule = findOne(rendered, 'PrometheusRule');
      const result = await checkRules('everything', rulesFile(rule));
      expect([result.code, result.stderr]).toEqual([0, '']);
      // timeoutSeconds 10 at latencyRatio 0.5, and driftFor 2h.
      const latency = alertsOf(rule).find((a) => a.alert === 'SidecarInjectorLatencyNearTimeout') as Doc;
      expect(latency.expr.trim()).toMatch(/> 5$/);
      expect(alertsOf(rule).find((a) => a.alert === 'SidecarInjectorPodsDrifted')?.for).toBe('2h');
    },
    TIMEOUT_MS,
  );

  test(
    'a planted mistake: an expression that does not parse',
    async () => {
      const rule = shippedRule();
      rule.spec.groups[0].rules[1].expr = 'sum by (job (rate(sidecar_injector_admission_requests_total[5m])) > 0';
      const result = await checkRules('planted', rulesFile(rule));
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/SidecarInjectorAdmissionErrors|parse error/);
    },
    TIMEOUT_MS,
  );
});

describe('promtool test rules (test/deploy/alerts.promtool.yaml)', () => {
  test(
    'every alert fires and resolves as its unit tests expect',
    async () => {
      const result = await testRules('shipped', shippedRule());
      expect([result.code, result.stderr, result.stdout]).toEqual([0, '', expect.stringContaining('SUCCESS')]);
    },
    TIMEOUT_MS,
  );

  test('each alert of the rules is tested quiet, firing and resolved', () => {
    const tests: Doc[] = parse(readFileSync(PROMTOOL_TESTS, 'utf8')).tests.flatMap((t: Doc) => t.alert_rule_test);
    const minutes = (d: string) =>
      [...d.matchAll(/(\d+)([dhm])/g)].reduce(
        (sum, [, n, unit]) => sum + Number(n) * { d: 1440, h: 60, m: 1 }[unit as 'd' | 'h' | 'm'],
        0,
      );
    for (const { alert } of alertsOf(shippedRule())) {
      const own = tests
        .filter((t) => t.alertname === alert)
        .map((t) => ({ at: minutes(t.eval_time), firing: t.exp_alerts.length > 0 }));
      const firing = own.filter((t) => t.firing).map((t) => t.at);
      expect([alert, firing.length > 0]).toEqual([alert, true]);
      expect([alert, 'quiet before', own.some((t) => !t.firing && t.at < Math.min(...firing))]).toEqual([
        alert,
        'quiet before',
        true,
      ]);
      expect([alert, 'resolved after', own.some((t) => !t.firing && t.at > Math.max(...firing))]).toEqual([
        alert,
        'resolved after',
        true,
      ]);
    }
  });

  test(
    'a planted mistake: the certificate alert at 1 day instead of 14 fails its unit test',
    async () => {
      const rule = shippedRule();
      const expiring = alertsOf(rule).find((a) => a.alert === 'SidecarInjectorCertificateExpiringSoon') as Doc;
      expiring.expr = expiring.expr.replace('14 * 86400', '1 * 86400');
      const result = await testRules('planted', rule);
      expect(result.code).not.toBe(0);
      expect(result.stdout + result.stderr).toContain('alertname: SidecarInjectorCertificateExpiringSoon');
    },
    TIMEOUT_MS,
  );
});

describe('every alert is documented', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  test.each(alertsOf(shippedRule()).map((a) => [a.alert, a] as const))(
    '%s: a summary and a runbook section in the README',
    (name, alert) => {
      expect(alert.annotations.summary).toMatch(/^[A-Z].+\.$/);
      expect(readme).toMatch(new RegExp(`^#### ${name}$`, 'm'));
    },
  );
});

describe('the dashboard', () => {
  test(
    'every PromQL expression parses (promtool check rules, as recording rules)',
    async () => {
      const queries = dashboardQueries(dashboard());
      expect(queries.length).toBeGreaterThan(15);
      const result = await checkRules('dashboard', asRecordingRules(queries));
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(result.stdout).toContain(`SUCCESS: ${queries.length} rules found`);
    },
    TIMEOUT_MS,
  );

  test(
    'a planted mistake: a panel query that does not parse',
    async () => {
      const broken = dashboard();
      broken.panels[1].targets[0].expr =
        'sum by (result) (rate(sidecar_injector_admission_requests_total[$__rate_interval])';
      const result = await checkRules('dashboard-planted', asRecordingRules(dashboardQueries(broken)));
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('dashboard:query_0');
    },
    TIMEOUT_MS,
  );

  test('a planted mistake: a variable the dashboard does not define', () => {
    const broken = dashboard();
    broken.panels[1].targets[0].expr = 'sum(sidecar_injector_templates{namespace="$namespce"})';
    expect(() => dashboardQueries(broken)).toThrow('unknown dashboard variable $namespce');
  });

  test('the API server panels select this webhook by the name the chart gives it', () => {
    expect(substituteVariables('$webhook', { webhook: 'x' }, 'test')).toBe('x');
    const webhook = dashboard().templating.list.find((v: Doc) => v.name === 'webhook');
    const rendered = findOne(
      parseKubeYaml(readFileSync(join(OBSERVABILITY, 'prometheusrule.yaml'), 'utf8'), 'rule'),
      'PrometheusRule',
    );
    expect(JSON.stringify(rendered)).toContain(`name=\\"${webhook.query}\\"`);
    expect(
      dashboardQueries(dashboard())
        .filter((q) => metricNames(q.expr).some((m) => m.startsWith('apiserver_')))
        .every((q) => q.expr.includes(`name="${webhook.query}"`)),
    ).toBe(true);
  });
});
