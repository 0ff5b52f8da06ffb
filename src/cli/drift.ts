// `sidecar-injector drift` (also `kubectl sidecar-injector drift`): which running pods carry an
// outdated sidecar, miss one, skip one or keep one whose template is gone, per workload. Exit 0
// when nothing is outdated, missing or removed, 3 when something is, 1 on an error.
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiClient } from '../cluster/apiClient';
import { loadKubeConfig } from '../cluster/kubeconfig';
import { formatReport, OUTPUT_FORMATS, type OutputFormat } from '../drift/output';
import { buildReport, hasDrift } from '../drift/report';
import { scanDrift } from '../drift/scan';
import { type FlagSpec, helpText, parseFlags, TEMPLATES_DIR_FLAG, UsageError } from './flags';
import type { CliIO } from './io';

/** Exit code when drift is found, for CI and cron (0 none, 1 error, 2 usage). */
export const DRIFT_FOUND = 3;

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
];

export const DRIFT_HELP = helpText(
  'sidecar-injector drift [--namespace NS | --all-namespaces] [--template NAME]... [flags]',
  'Compares the sidecars recorded in running pods with what their templates inject today, and\n' +
    'reports per workload: current, outdated (template changed since), missing (selected, not\n' +
    'injected), skipped (would conflict, onConflict: Skip) or removed (template gone or no longer\n' +
    'selected). Exits 0 when nothing is outdated, missing or removed, 3 when something is.',
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
  const pods = await scanDrift(
    new KubeApiClient(kubeConfig),
    { ...(namespace !== undefined ? { namespace } : {}), templateDirs: (values['templates-dir'] as string[]) ?? [] },
    warn,
  );
  const report = buildReport(pods, templates && templates.length > 0 ? new Set(templates) : undefined);
  io.stdout.write(formatReport(report, values.output as OutputFormat));
  return hasDrift(report) ? DRIFT_FOUND : 0;
}

/** As kubectl: the current context's namespace, else `default`. */
function contextNamespace(kubeConfig: KubeConfig): string {
  return kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace || 'default';
}
