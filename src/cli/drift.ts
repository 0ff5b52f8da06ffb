// `sidecar-injector drift` (also `kubectl sidecar-injector drift`): which running pods carry an
// outdated sidecar, miss one, skip one or keep one whose template is gone, per workload. Exit 0
// when nothing is outdated, missing or removed, 3 when something is, 1 on an error.
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiClient } from '../cluster/apiClient';
import { loadKubeConfig } from '../cluster/kubeconfig';
import { formatReport, OUTPUT_FORMATS, type OutputFormat } from '../drift/output';
import { buildReport, hasDrift } from '../drift/report';
import { planRestarts, type RestartOptions, runRestarts } from '../drift/restart';
import { scanDrift } from '../drift/scan';
import {
  type FlagSpec,
  type FlagValues,
  helpText,
  parseDuration,
  parseFlags,
  TEMPLATES_DIR_FLAG,
  UsageError,
} from './flags';
import type { CliIO } from './io';

/** Exit code when drift is found, for CI and cron (0 none, 1 error, 2 usage). */
export const DRIFT_FOUND = 3;
const DEFAULT_MAX_CONCURRENT = 1;
const DEFAULT_TIMEOUT = '5m';

const FLAGS: readonly FlagSpec[] = [
  {
    name: 'namespace',
    short: 'n',
    kind: 'string',
    description: 'Namespace to look at',
    defaultText: "the kubeconfig context's namespace, else default",
  },
  { name: 'all-namespaces', short: 'A', kind: 'boolean', description: 'Look at every namespace' },
  { name: 'template', kind: 'list', description: 'Report only this template; repeatable' },
  {
    ...TEMPLATES_DIR_FLAG,
    description: 'Template files the webhook also loads (its ConfigMap); repeatable. Cluster templates win a clash',
    defaultText: 'none: SidecarTemplates from the cluster only',
  },
  {
    name: 'kubeconfig',
    kind: 'string',
    description: 'Kubeconfig file (else $KUBECONFIG, in-cluster, ~/.kube/config)',
  },
  {
    name: 'output',
    short: 'o',
    kind: 'string',
    choices: OUTPUT_FORMATS,
    default: 'table',
    description: 'Output format',
  },
  {
    name: 'restart',
    kind: 'boolean',
    description: 'Roll out Deployments, StatefulSets and DaemonSets with outdated or missing sidecars',
  },
  {
    name: 'max-concurrent',
    kind: 'string',
    description: 'With --restart: rollouts at a time',
    defaultText: String(DEFAULT_MAX_CONCURRENT),
  },
  {
    name: 'timeout',
    kind: 'string',
    description: 'With --restart: how long one rollout may take (0: no limit)',
    defaultText: DEFAULT_TIMEOUT,
  },
  { name: 'dry-run', kind: 'boolean', description: 'With --restart: only say what would be restarted' },
];

export const DRIFT_HELP = helpText(
  'sidecar-injector drift [--namespace NS | --all-namespaces] [--template NAME]... [flags]',
  'Compares the sidecars recorded in running pods with what their templates inject today, and\n' +
    'reports per workload: current, outdated (template changed since), missing (selected, not\n' +
    'injected), skipped (would conflict, onConflict: Skip) or removed (template gone or no longer\n' +
    'selected). Exits 0 when nothing is outdated, missing or removed, 3 when something is.\n' +
    'With --restart it rolls out the Deployments, StatefulSets and DaemonSets with outdated or\n' +
    'missing sidecars (as kubectl rollout restart does), --max-concurrent at a time, each waited\n' +
    'for, stopping at the first that does not finish (exit 1); then it exits 3 only if drift it\n' +
    'could not roll remains. It never deletes pods.',
  FLAGS,
);

export async function runDrift(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(FLAGS, argv, io.env);
  if (values.help) {
    io.stdout.write(DRIFT_HELP);
    return 0;
  }
  const allNamespaces = values['all-namespaces'] === true;
  if (allNamespaces && values.namespace) throw new UsageError('--namespace and --all-namespaces exclude each other');
  const restart = restartOptions(values, io);
  const kubeConfig = loadKubeConfig('auto', {
    env: io.env,
    ...(values.kubeconfig ? { kubeconfigPath: values.kubeconfig as string } : {}),
  });
  if (!kubeConfig)
    throw new Error('no kubeconfig found (--kubeconfig, KUBECONFIG, ~/.kube/config) and not running in a cluster');
  const namespace = allNamespaces
    ? undefined
    : (values.namespace as string | undefined) || contextNamespace(kubeConfig);
  const templates = values.template as string[] | undefined;

  const warn = (message: string) => io.stderr.write(`Warning: ${message}\n`);
  const api = new KubeApiClient(kubeConfig);
  const pods = await scanDrift(
    api,
    { ...(namespace !== undefined ? { namespace } : {}), templateDirs: (values['templates-dir'] as string[]) ?? [] },
    warn,
  );
  const report = buildReport(pods, templates && templates.length > 0 ? new Set(templates) : undefined);
  io.stdout.write(formatReport(report, values.output as OutputFormat));
  if (!restart) return hasDrift(report) ? DRIFT_FOUND : 0;

  const plan = planRestarts(report);
  const outcome = await runRestarts(api, plan, restart);
  if (outcome.failure) {
    const left = plan.restart.length - outcome.restarted.length - 1;
    io.stderr.write(
      `Error: ${outcome.failure.workload}: ${outcome.failure.message}; stopped${left > 0 ? ` (${left} not restarted)` : ''}\n`,
    );
    return 1;
  }
  if (restart.dryRun) return hasDrift(report) ? DRIFT_FOUND : 0;
  // Rolled out: what is left is what a restart does not heal (removed templates) or drift
  // cannot roll (bare pods, Jobs).
  const left = plan.hints.length > 0 || report.summary.removed > 0;
  return left ? DRIFT_FOUND : 0;
}

function restartOptions(values: FlagValues, io: CliIO): RestartOptions | undefined {
  const given = ['max-concurrent', 'timeout', 'dry-run'].filter((f) => values[f] !== undefined && values[f] !== false);
  if (values.restart !== true) {
    if (given.length > 0) throw new UsageError(`${given.map((f) => `--${f}`).join(', ')}: only with --restart`);
    return undefined;
  }
  const text = String(values['max-concurrent'] ?? DEFAULT_MAX_CONCURRENT).trim();
  if (!/^[1-9]\d*$/.test(text))
    throw new UsageError(`--max-concurrent: ${JSON.stringify(text)} is not a whole number of 1 or more`);
  return {
    maxConcurrent: Number(text),
    timeoutMs: parseDuration(String(values.timeout ?? DEFAULT_TIMEOUT), 'timeout'),
    dryRun: values['dry-run'] === true,
    log: (line) => io.stderr.write(`${line}\n`),
  };
}

/** As kubectl: the current context's namespace, else `default`. */
function contextNamespace(kubeConfig: KubeConfig): string {
  return kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace || 'default';
}
