// `serve`'s flags, and the options they make: every bad value is a UsageError naming its flag.
import { readFileSync } from 'node:fs';
import { KUBERNETES_MODES, type KubernetesMode } from '../cluster/kubeconfig';
import { NATIVE_SIDECARS_CHOICES, type NativeSidecarsFlag } from '../cluster/nativeSidecars';
import { defaultTemplatesDir } from '../runtime/packageRoot';
import type { ServerConfig } from '../server/start';
import type { SourceOptions } from '../sources/chooseSources';
import { type FlagSpec, type FlagValues, helpText, parseByteSize, TEMPLATES_DIR_FLAG, UsageError } from './flags';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const DRIFT_REPORT_CHOICES = ['on', 'off'] as const;

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export const SERVE_FLAGS: FlagSpec[] = [
  {
    name: 'port',
    kind: 'string',
    default: '8443',
    description: 'HTTPS port of the webhook (POST /mutate, /healthz, /readyz)',
  },
  { name: 'metrics-port', kind: 'string', default: '9090', description: 'Plain HTTP port of GET /metrics' },
  { name: 'bind-address', kind: 'string', default: '0.0.0.0', description: 'Address both ports listen on' },
  {
    name: 'tls-cert',
    kind: 'string',
    default: '/etc/sidecar-injector/tls/tls.crt',
    description: 'Serving certificate (PEM), reloaded when it changes',
  },
  {
    name: 'tls-key',
    kind: 'string',
    default: '/etc/sidecar-injector/tls/tls.key',
    description: 'Private key of the serving certificate (PEM)',
  },
  {
    name: 'client-ca',
    kind: 'string',
    description: 'CA bundle (PEM) of API server client certificates: POST /mutate answers 401 without one; reloaded',
  },
  TEMPLATES_DIR_FLAG,
  {
    name: 'kubernetes',
    kind: 'string',
    choices: KUBERNETES_MODES,
    default: 'auto',
    description: 'Watch SidecarTemplates and Namespace labels through the API (auto: when a config is found)',
  },
  {
    name: 'kubeconfig',
    kind: 'string',
    description: 'Kubeconfig file for --kubernetes (else $KUBECONFIG, in-cluster, ~/.kube/config)',
  },
  {
    name: 'native-sidecars',
    kind: 'string',
    choices: NATIVE_SIDECARS_CHOICES,
    default: 'auto',
    description: 'Whether mode: Auto templates become native sidecars (auto: when the API server is 1.29+)',
  },
  { name: 'log-level', kind: 'string', choices: LOG_LEVELS, default: 'info', description: 'Log level' },
  { name: 'body-limit', kind: 'string', default: '3Mi', description: 'Largest AdmissionReview accepted (413 above)' },
  {
    name: 'injector-namespace',
    kind: 'string',
    description: 'Namespace the injector runs in; its pods are never mutated',
    defaultText: `$POD_NAMESPACE, else ${SERVICE_ACCOUNT_NAMESPACE}`,
  },
  {
    name: 'drift-report',
    kind: 'string',
    choices: DRIFT_REPORT_CHOICES,
    default: 'off',
    description: 'Watch pods (metadata only) and export sidecar_injector_pods{template,state}; needs the API',
  },
  {
    name: 'shutdown-timeout',
    kind: 'string',
    default: '25',
    description: 'Seconds to finish in-flight requests after SIGTERM',
  },
];

export const SERVE_HELP = helpText(
  'sidecar-injector serve [flags]',
  'Runs the mutating admission webhook: HTTPS on --port, Prometheus metrics on --metrics-port.\n' +
    'SIGTERM: not ready, finish in-flight requests, close keep-alive connections, exit 0.',
  SERVE_FLAGS,
);

export interface ServeOptions extends SourceOptions {
  readonly config: Omit<ServerConfig, 'sources' | 'logger'>;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** `--drift-report on`: the pod watch behind sidecar_injector_pods. */
  readonly driftReport: boolean;
}

/** Flags → options; a bad value is a UsageError naming the flag. */
export function serveOptions(values: FlagValues, env: NodeJS.ProcessEnv): ServeOptions {
  const injectorNamespace = (values['injector-namespace'] as string | undefined) || ownNamespace(env);
  const driftReport = values['drift-report'] === 'on';
  if (driftReport && values.kubernetes === 'off')
    throw new UsageError('--drift-report on watches pods through the Kubernetes API: not with --kubernetes off');
  return {
    config: {
      port: portOf(values, 'port'),
      metricsPort: portOf(values, 'metrics-port'),
      bindAddress: values['bind-address'] as string,
      tlsCert: values['tls-cert'] as string,
      tlsKey: values['tls-key'] as string,
      ...(values['client-ca'] ? { clientCa: values['client-ca'] as string } : {}),
      bodyLimit: parseByteSize(values['body-limit'] as string, 'body-limit'),
      nativeSidecars: values['native-sidecars'] as NativeSidecarsFlag,
      ...(injectorNamespace ? { injectorNamespace } : {}),
      shutdownTimeoutMs: secondsOf(values, 'shutdown-timeout') * 1000,
    },
    templateDirs: (values['templates-dir'] as string[] | undefined) ?? [defaultTemplatesDir()],
    kubernetes: values.kubernetes as KubernetesMode,
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig as string } : {}),
    env,
    logLevel: values['log-level'] as ServeOptions['logLevel'],
    driftReport,
  };
}

function portOf(values: FlagValues, flag: string): number {
  const text = String(values[flag]).trim();
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--${flag}: ${JSON.stringify(text)} is not a port`);
  return port;
}

function secondsOf(values: FlagValues, flag: string): number {
  const text = String(values[flag]).trim();
  const match = /^(\d+(?:\.\d+)?)s?$/.exec(text);
  if (!match) throw new UsageError(`--${flag}: ${JSON.stringify(text)} is not a number of seconds such as 25`);
  return Number(match[1]);
}

/** The namespace this pod runs in, as Kubernetes tells it (downward API or service account). */
function ownNamespace(env: NodeJS.ProcessEnv): string | undefined {
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
