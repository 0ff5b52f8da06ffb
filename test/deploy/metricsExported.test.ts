// Every metric the dashboard and the alerts name is exported, by a running webhook's /metrics or
// by the e2e kube-apiserver's /metrics, once the webhook has seen the traffic a cluster gives it:
// an injection, a denial, a failed call under failurePolicy Fail and a fail-open under Ignore
// (the API server's webhook metrics appear only once each has happened). The webhook runs with
// --drift-report on, for sidecar_injector_pods.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Environment,
  e2eBeforeAll,
  e2eTest,
  SETUP_TIMEOUT_MS,
  startEnvironment,
} from '../e2e/support/environment';
import { injectedTemplates, podNaming } from '../e2e/support/pods';
import { DEPLOY_DIR, type Doc, findOne } from '../unit/deploy/manifests';
import { parseKubeYaml } from './support/chart';
import { dashboardQueries, exportedNames, metricNames } from './support/promql';

const NS = 'observability';
const OBSERVABILITY = join(DEPLOY_DIR, 'observability');
/** Metrics the alerts read from elsewhere, and where from. */
const FROM_ELSEWHERE: Readonly<Record<string, string>> = {
  up: "Prometheus's own, for every scrape target",
  kube_deployment_status_replicas_available: 'kube-state-metrics',
};

let env: Environment;
let exported: Set<string>;
const unexported = (names: readonly string[]) => names.filter((m) => !exported.has(m));

e2eBeforeAll(async () => {
  env = await startEnvironment({ serveArgs: ['--drift-report', 'on'] });
  await env.kube.createNamespace(NS, { 'sidecar.injector.dev/injection': 'enabled' });
  await env.applyWebhookConfiguration('opt-in', { timeoutSeconds: 2 });
  await env.kube.dryRunUntil('the opt-in configuration to be in force', podNaming(NS, 'e2e-logger'), (d) =>
    Boolean(d.pod && injectedTemplates(d.pod).includes('e2e-logger')),
  );
  await env.kube.createPod(podNaming(NS, 'e2e-logger'));
  expect((await env.kube.tryCreatePod(podNaming(NS, 'no-such-template'))).code).not.toBe(0);
  const webhookText = await (await fetch(`http://127.0.0.1:${env.injector.metricsPort}/metrics`)).text();

  // The webhook down: refused under Fail, let through under Ignore.
  await env.injector.terminate();
  expect((await env.kube.tryCreatePod(podNaming(NS, 'e2e-logger'))).code).not.toBe(0);
  await env.applyWebhookConfiguration('opt-in', { failurePolicy: 'Ignore', timeoutSeconds: 2 });
  await env.kube.dryRunUntil(
    'failurePolicy Ignore to be in force',
    podNaming(NS, 'e2e-logger'),
    (d) => d.result.code === 0,
  );
  await env.kube.createPod(podNaming(NS, 'e2e-logger'));

  const apiserverText = await env.kube.ok(['get', '--raw', '/metrics']);
  exported = new Set([...exportedNames(webhookText), ...exportedNames(apiserverText)]);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await env?.stop();
});

const dashboard: Doc = JSON.parse(readFileSync(join(OBSERVABILITY, 'sidecar-injector-dashboard.json'), 'utf8'));
const rule = findOne(
  parseKubeYaml(readFileSync(join(OBSERVABILITY, 'prometheusrule.yaml'), 'utf8'), 'prometheusrule.yaml'),
  'PrometheusRule',
);
const alerts: Doc[] = rule.spec.groups.flatMap((g: Doc) => g.rules);

describe('every metric named is exported', () => {
  e2eTest('by the dashboard', async () => {
    const named = [...new Set(dashboardQueries(dashboard).flatMap((q) => metricNames(q.expr)))];
    expect(unexported(named)).toEqual([]);
    // Both sides are there: the webhook's own and the API server's view of it.
    expect(named).toEqual(
      expect.arrayContaining([
        'sidecar_injector_admission_requests_total',
        'apiserver_admission_webhook_fail_open_count',
      ]),
    );
  });

  e2eTest('by the alerts (besides Prometheus and kube-state-metrics)', async () => {
    const named = [...new Set(alerts.flatMap((a) => metricNames(a.expr)))];
    expect(unexported(named).filter((m) => !FROM_ELSEWHERE[m])).toEqual([]);
  });

  e2eTest('a planted mistake: a misspelt metric in a panel is found', async () => {
    const names = metricNames('sum by (result) (rate(sidecar_injector_admision_requests_total{job="x"}[5m]))');
    expect(names).toEqual(['sidecar_injector_admision_requests_total']);
    expect(unexported(names)).toEqual(['sidecar_injector_admision_requests_total']);
  });
});
