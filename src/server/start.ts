// Starts the webhook: certificate, catalog and its sources, the HTTPS app, the metrics port and
// the certificate watcher; and stops them in the order that lets in-flight requests finish.
// `serve` calls this with parsed flags; integration tests call it directly.
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { NamespaceLabelSource } from '../cluster/namespaceLabels';
import { type NativeSidecarsFlag, nativeSidecarsEnabled, type ServerVersion } from '../cluster/nativeSidecars';
import { Catalog, type CatalogSnapshot } from '../templates/catalog';
import { buildApp } from './app';
import { Metrics } from './metrics';
import { type MetricsServer, startMetricsServer } from './metricsServer';
import { Readiness } from './readiness';
import { CertificateWatcher, type KeyPairFiles, loadKeyPair, secureContextOptions } from './tls';

/** A template source (files, cluster): `start` resolves after its first full load. */
export interface TemplateSource {
  start(): Promise<void>;
  stop(): void | Promise<void>;
}

/** Where templates and namespace labels come from; see `serve`'s source selection. */
export interface Sources {
  readonly templates: readonly TemplateSource[];
  readonly namespaceLabels: NamespaceLabelSource;
  /** The API server's version when known, for `--native-sidecars auto`. */
  readonly serverVersion?: () => ServerVersion | undefined;
  /** Stops whatever else the sources started (informers, clients). */
  readonly stop?: () => void | Promise<void>;
}

export interface SourceContext {
  readonly catalog: Catalog;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

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

/** Catalog sources by precedence: a cluster template wins over a file of the same name. */
export const SOURCE_PRECEDENCE = ['cluster', 'files'];

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const { logger } = config;
  const metrics = new Metrics(config.droppedLogLines ? { droppedLogLines: config.droppedLogLines } : {});
  const readiness = new Readiness(['certificates', 'templates']);

  const catalog = new Catalog(SOURCE_PRECEDENCE);
  catalog.onChange((snapshot, clashes) => {
    metrics.templates.set(snapshot.templates.size);
    for (const clash of clashes)
      logger.warn(clash, `template ${clash.name} is defined twice; using the one from ${clash.kept}`);
  });
  const sources = await config.sources({ catalog, logger, metrics });
  const serverVersion = sources.serverVersion ?? (() => undefined);
  const stopSources = async () => {
    await Promise.all([...sources.templates.map((source) => source.stop()), sources.stop?.()]);
  };

  const loaded = await loadKeyPair(keyPairFiles(config));
  if (!loaded.ok) {
    await stopSources();
    throw new StartupError(loaded.message);
  }
  readiness.met('certificates');

  const app = buildApp({
    catalog: (): CatalogSnapshot => catalog.snapshot(),
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
  const certificates = watchCertificates(config, app, metrics, loaded.pair);
  logger.info(
    {
      webhook: `https://${config.bindAddress}:${port}/mutate`,
      metrics: `http://${config.bindAddress}:${metricsServer.port}/metrics`,
    },
    `listening on ${config.bindAddress}:${port} (HTTPS) and ${config.bindAddress}:${metricsServer.port} (metrics)`,
  );

  const templatesLoaded = Promise.all(sources.templates.map((s) => s.start())).then(
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
  templatesLoaded.catch(() => {}); // reported above; callers may still await it

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

function watchCertificates(
  config: ServerConfig,
  app: FastifyInstance,
  metrics: Metrics,
  current: Parameters<typeof secureContextOptions>[0],
): CertificateWatcher {
  const watcher = new CertificateWatcher({
    ...keyPairFiles(config),
    current,
    ...(config.certificatePollIntervalMs ? { pollIntervalMs: config.certificatePollIntervalMs } : {}),
    onReload: (pair) => {
      // New handshakes get the new pair; open connections keep theirs.
      (app.server as Server).setSecureContext(secureContextOptions(pair));
      metrics.certificateReloads.inc({ result: 'success' });
      config.logger.info({ cert: config.tlsCert }, 'serving certificate reloaded');
    },
    onRejected: (message) => {
      metrics.certificateReloads.inc({ result: 'failure' });
      config.logger.error({ cert: config.tlsCert, key: config.tlsKey }, message);
    },
  });
  watcher.start();
  return watcher;
}

function keyPairFiles(config: ServerConfig): KeyPairFiles {
  return {
    certFile: config.tlsCert,
    keyFile: config.tlsKey,
    ...(config.clientCa !== undefined ? { caFile: config.clientCa } : {}),
  };
}

/** Stops accepting, lets requests finish, closes idle keep-alive sockets; cuts the rest at the deadline. */
async function drain(app: FastifyInstance, timeoutMs: number, logger: Logger): Promise<void> {
  const closed = app.close();
  // server.close() already closes idle sockets in Node >= 19; this also reaps any that became
  // idle in between.
  app.server.closeIdleConnections();
  let deadline: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    deadline = setTimeout(() => resolve(true), timeoutMs);
  });
  if (await Promise.race([closed.then(() => false), timedOut])) {
    logger.warn({ timeoutMs }, 'shutdown timeout reached; closing the remaining connections');
    app.server.closeAllConnections();
    await closed;
  }
  clearTimeout(deadline);
}
