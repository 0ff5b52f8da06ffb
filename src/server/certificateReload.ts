// Keeps the HTTPS server on the newest valid certificate files: new handshakes get the new pair,
// open connections keep theirs, and a broken pair is refused and reported. The expiry gauge follows
// the pair in use.
import type { Server } from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from './metrics';
import { CertificateWatcher, certificateExpiry, type KeyPair, type KeyPairFiles, secureContextOptions } from './tls';

export interface CertificateReloadOptions {
  readonly files: KeyPairFiles;
  /** The pair the server was started with. */
  readonly current: KeyPair;
  readonly pollIntervalMs?: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export function reloadCertificates(app: FastifyInstance, options: CertificateReloadOptions): CertificateWatcher {
  const { files, logger, metrics } = options;
  metrics.certificateExpiry.set(certificateExpiry(options.current));
  const watcher = new CertificateWatcher({
    ...files,
    current: options.current,
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    onReload: (pair) => {
      (app.server as Server).setSecureContext(secureContextOptions(pair));
      metrics.certificateReloads.inc({ result: 'success' });
      metrics.certificateExpiry.set(certificateExpiry(pair));
      logger.info({ cert: files.certFile }, 'serving certificate reloaded');
    },
    onRejected: (message) => {
      metrics.certificateReloads.inc({ result: 'failure' });
      logger.error({ cert: files.certFile, key: files.keyFile }, message);
    },
  });
  watcher.start();
  return watcher;
}
