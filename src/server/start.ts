// Starts the webhook and stops it: composes the catalog and its sources, the certificate, the
// HTTPS app, the metrics port and the certificate reload, and stops them in the order that lets
// in-flight requests finish. `serve` calls this with parsed flags; integration tests call it
// directly.
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { type NativeSidecarsFlag, nativeSidecarsEnabled } from '../cluster/nativeSidecars';
import { SOURCE_PRECEDENCE, type SourceContext, type SourceName, type Sources } from '../sources/templateSource';
import { Catalog } from '../templates/catalog';
import { buildApp } from './app';
import { reloadCertificates } from './certificateReload';
import { drain } from './drain';
import { Metrics } from './metrics';
import { type MetricsServer, startMetricsServer } from './metricsServer';
import { Readiness } from './readiness';
import { type KeyPairFiles, loadKeyPair, secureContextOptions } from './tls';

export interface ServerConfig {
  readonly port: number;
  readonly metricsPort: number;
  readonly bindAddress: string;
  readonly tlsCert: string;
  readonly tlsKey: string;
  /** CA bundle for client certificates (--client-ca): POST /mutate then needs a verified one. */
  readonly clientCa?: string;
  readonly bodyLimit: number;
  readonly nativeSidecars: NativeSidecarsFlag;
  readonly injectorNamespace?: string;
  /** How long draining may take before the remaining connections are cut. */
  readonly shutdownTimeoutMs: number;
  readonly logger: Logger;
  readonly sources: (context: SourceContext) => Sources | Promise<Sources>;
  readonly certificatePollIntervalMs?: number;
  /** How many log lines the logger's destination has dropped so far (a metric). */
  readonly droppedLogLines?: () => number;
}

export interface RunningServer {
  readonly port: number;
  readonly metricsPort: number;
  readonly metrics: Metrics;
  readonly readiness: Readiness;
  /** Settles when every template source has loaded once (rejects if one failed to). */
  readonly templatesLoaded: Promise<void>;
  /** Not ready, finish in-flight requests, close keep-alive connections, stop everything. */
  close(): Promise<void>;
}

export class StartupError extends Error {}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const { logger } = config;
  const metrics = new Metrics(config.droppedLogLines ? { droppedLogLines: config.droppedLogLines } : {});
  const readiness = new Readiness(['certificates', 'templates']);

  const catalog = new Catalog<SourceName>(SOURCE_PRECEDENCE);
  catalog.onChange((snapshot, clashes) => {
    metrics.templates.set(snapshot.templates.size);
    for (const clash of clashes)
      logger.warn(clash, `template ${clash.name} is defined twice; using the one from ${clash.kept}`);
  });
  let sources: Sources;
  try {
    sources = await config.sources({
      catalog,
      logger,
      onTemplateLoadError: (source) => metrics.templateLoadErrors.inc({ source }),
      onWatchError: (resource) => metrics.watchErrors.inc({ resource }),
    });
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  const serverVersion = sources.serverVersion ?? (() => undefined);
  const stopSources = async () => {
    await Promise.all([
      ...sources.templates.map((source) => source.stop()),
      sources.stop?.(),
      sources.podStates?.stop(),
    ]);
  };
  const { podStates } = sources;
  if (podStates) metrics.reportPodStates(() => podStates.counts());

  const files = keyPairFiles(config);
  const loaded = await loadKeyPair(files);
  if (!loaded.ok) {
    await stopSources();
    throw new StartupError(loaded.message);
  }
  readiness.met('certificates');

  const app = buildApp({
    catalog: () => (readiness.isMet('templates') ? catalog.snapshot() : undefined),
    namespaceLabels: sources.namespaceLabels,
    nativeSidecars: () => nativeSidecarsEnabled(config.nativeSidecars, serverVersion()),
    ...(config.injectorNamespace !== undefined ? { injectorNamespace: config.injectorNamespace } : {}),
    bodyLimit: config.bodyLimit,
    logger,
    metrics,
    readiness,
    https: {
      ...secureContextOptions(loaded.pair),
      // Asked for, not required by TLS: the kubelet probes /healthz and /readyz without one; the
      // app refuses POST /mutate unless the certificate was verified.
      ...(config.clientCa !== undefined ? { requestCert: true, rejectUnauthorized: false } : {}),
    },
    clientCertificates: config.clientCa !== undefined,
  });
  let metricsServer: MetricsServer | undefined;
  try {
    await app.listen({ port: config.port, host: config.bindAddress });
    metricsServer = await startMetricsServer(metrics, config.metricsPort, config.bindAddress);
  } catch (error) {
    await stopSources();
    await app.close();
    throw new StartupError(`cannot listen: ${(error as Error).message}`);
  }
  const port = (app.server.address() as AddressInfo).port;
  const certificates = reloadCertificates(app, {
    files,
    current: loaded.pair,
    ...(config.certificatePollIntervalMs ? { pollIntervalMs: config.certificatePollIntervalMs } : {}),
    logger,
    metrics,
  });
  logger.info(
    {
      webhook: `https://${config.bindAddress}:${port}/mutate`,
      metrics: `http://${config.bindAddress}:${metricsServer.port}/metrics`,
    },
    `listening on ${config.bindAddress}:${port} (HTTPS) and ${config.bindAddress}:${metricsServer.port} (metrics)`,
  );

  const templatesLoaded = loadTemplates(sources, catalog, readiness, logger);
  // The drift report starts from the loaded templates; nothing waits on it.
  if (podStates)
    templatesLoaded.then(
      () => podStates.start(),
      () => {},
    );

  let closing: Promise<void> | undefined;
  const close = async () => {
    readiness.startDraining();
    logger.info({ timeoutMs: config.shutdownTimeoutMs }, 'shutting down: finishing in-flight requests');
    await drain(app, config.shutdownTimeoutMs, logger);
    certificates.stop();
    await stopSources();
    await metricsServer.close();
    logger.info('shut down');
  };
  return {
    port,
    metricsPort: metricsServer.port,
    metrics,
    readiness,
    templatesLoaded,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

function keyPairFiles(config: ServerConfig): KeyPairFiles {
  return {
    certFile: config.tlsCert,
    keyFile: config.tlsKey,
    ...(config.clientCa !== undefined ? { caFile: config.clientCa } : {}),
  };
}

/** Starts every template source; ready once all have loaded once (not ready, and why, if one fails). */
function loadTemplates(
  sources: Sources,
  catalog: Catalog<SourceName>,
  readiness: Readiness,
  logger: Logger,
): Promise<void> {
  const loaded = Promise.all(sources.templates.map((s) => s.start())).then(
    () => {
      if (readiness.draining) return;
      readiness.met('templates');
      logger.info({ templates: catalog.snapshot().templates.size }, 'templates loaded; ready');
    },
    (error: Error) => {
      readiness.unmetBecause('templates', `templates could not be loaded: ${error.message}`);
      logger.error({ err: error }, 'templates could not be loaded; staying not ready');
      throw error;
    },
  );
  loaded.catch(() => {}); // reported above; callers may still await it
  return loaded;
}
