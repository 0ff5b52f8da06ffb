// `sidecar-injector serve`: the webhook. Parses flags, picks the template and namespace-label
// sources, starts the server and drains it on SIGTERM or SIGINT.
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import type * as ClusterSources from '../cluster/clusterSources';
import { KUBERNETES_MODES, type KubernetesMode, loadKubeConfig } from '../cluster/kubeconfig';
import { nameOnlyNamespaceLabels } from '../cluster/namespaceLabels';
import { NATIVE_SIDECARS_CHOICES, type NativeSidecarsFlag } from '../cluster/nativeSidecars';
import {
  type RunningServer,
  type ServerConfig,
  type SourceContext,
  type Sources,
  StartupError,
  startServer,
} from '../server/start';
import { FileTemplateSource } from '../templates/fileSource';
import {
  type FlagSpec,
  type FlagValues,
  helpText,
  parseByteSize,
  parseFlags,
  TEMPLATES_DIR_FLAG,
  UsageError,
} from './flags';
import { defaultTemplatesDir } from './packageRoot';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

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

export interface ServeOptions {
  readonly config: Omit<ServerConfig, 'sources' | 'logger'>;
  readonly templateDirs: string[];
  readonly kubernetes: KubernetesMode;
  readonly kubeconfig?: string;
  /** The environment the kubeconfig is looked up in (KUBECONFIG, in-cluster variables). */
  readonly env: NodeJS.ProcessEnv;
  readonly logLevel: (typeof LOG_LEVELS)[number];
}

/** Flags → options; a bad value is a UsageError naming the flag. */
export function serveOptions(values: FlagValues, env: NodeJS.ProcessEnv): ServeOptions {
  const injectorNamespace = (values['injector-namespace'] as string | undefined) || ownNamespace(env);
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

/**
 * Chooses the template and namespace-label sources: template files always; SidecarTemplate and
 * Namespace watches as well for `--kubernetes on`, and for `auto` when a kubeconfig or in-cluster
 * configuration is found (cluster templates win name clashes, see SOURCE_PRECEDENCE).
 */
export function selectSources(options: ServeOptions, context: SourceContext): Sources {
  let kubeConfig: KubeConfig | undefined;
  try {
    kubeConfig = loadKubeConfig(options.kubernetes, { env: options.env, kubeconfigPath: options.kubeconfig });
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  const files = new FileTemplateSource({
    dirs: options.templateDirs,
    catalog: context.catalog,
    source: 'files',
    logger: context.logger,
    onError: () => context.metrics.templateLoadErrors.inc({ source: 'files' }),
  });
  if (!kubeConfig) {
    context.logger.info('not watching the Kubernetes API: file templates only, namespaces known by name only');
    return { templates: [files], namespaceLabels: nameOnlyNamespaceLabels };
  }
  // Loaded only with a cluster to watch, like the client it needs (see loadKubeConfig).
  const { KubernetesSources } = require('../cluster/clusterSources') as typeof ClusterSources;
  const cluster = new KubernetesSources({
    kubeConfig,
    catalog: context.catalog,
    logger: context.logger,
    onTemplateProblem: (problem) => {
      context.logger.error(problem, `${problem.object} is invalid; keeping its last good version`);
      context.metrics.templateLoadErrors.inc({ source: 'cluster' });
    },
    onWatchError: (resource) => context.metrics.watchErrors.inc({ resource }),
  });
  context.logger.info({ server: kubeConfig.getCurrentCluster()?.server }, 'watching SidecarTemplates and Namespaces');
  return {
    templates: [files, cluster],
    namespaceLabels: cluster.namespaceLabels,
    serverVersion: () => cluster.serverVersion(),
  };
}

/** What the log buffer may hold while stdout does not drain: about 50,000 admission lines. */
export const LOG_BUFFER_BYTES = 16 * 1024 * 1024;

export interface ServeLogger {
  readonly logger: Logger;
  /** Lines dropped so far because the buffer was full. */
  droppedLines(): number;
}

export function serveLogger(level: string, fd = 1, bufferBytes = LOG_BUFFER_BYTES): ServeLogger {
  // Written asynchronously: a synchronous write per admission line cost 10-20 % of throughput at
  // info (npm run bench -- --only logging). Lines written while one write is pending go out
  // together; pino flushes what is left synchronously when the process exits. If stdout stops
  // draining (a stuck log pipe), the buffer stops at `bufferBytes` and later lines are dropped
  // and counted (sidecar_injector_log_lines_dropped_total) rather than filling the memory limit.
  const destination = pino.destination({ dest: fd, sync: false, maxLength: bufferBytes });
  let dropped = 0;
  destination.on('drop', () => dropped++);
  return {
    logger: pino({ level, base: { component: 'sidecar-injector' } }, destination),
    droppedLines: () => dropped,
  };
}

export async function runServe(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseFlags(SERVE_FLAGS, argv, env);
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  const options = serveOptions(values, env);
  const { logger, droppedLines } = serveLogger(options.logLevel);

  const stop = waitForStopSignal();
  let server: RunningServer;
  try {
    server = await serve(options, logger, { droppedLogLines: droppedLines });
  } catch (error) {
    stop.cancel();
    if (!(error instanceof StartupError)) throw error;
    logger.error(error.message);
    return 1;
  }
  const signal = await stop.signal;
  logger.info({ signal }, 'stop signal received');
  await server.close();
  return 0;
}

/** Starts the webhook as `serve` does; tests call this with their own logger and tunings. */
export function serve(
  options: ServeOptions,
  logger: Logger,
  tuning: Pick<ServerConfig, 'certificatePollIntervalMs' | 'droppedLogLines'> = {},
): Promise<RunningServer> {
  logger.info(
    {
      templateDirs: options.templateDirs,
      kubernetes: options.kubernetes,
      nativeSidecars: options.config.nativeSidecars,
      injectorNamespace: options.config.injectorNamespace ?? null,
      bodyLimit: options.config.bodyLimit,
      clientCa: options.config.clientCa ?? null,
    },
    'starting',
  );
  return startServer({ ...options.config, ...tuning, logger, sources: (context) => selectSources(options, context) });
}

/** Resolves on the first SIGTERM or SIGINT; a second one is left to Node (immediate exit). */
function waitForStopSignal(): { signal: Promise<NodeJS.Signals>; cancel(): void } {
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  let handler: (signal: NodeJS.Signals) => void = () => {};
  const cancel = () => {
    for (const s of signals) process.off(s, handler);
  };
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    handler = (received) => {
      cancel();
      resolve(received);
    };
  });
  for (const s of signals) process.on(s, handler);
  return { signal, cancel };
}
