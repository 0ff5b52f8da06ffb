// Starts the real webhook in-process, through `serve`'s own flag parsing and source selection,
// on 127.0.0.1 with random ports, a fresh certificate and a directory of test templates.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { parseFlags } from '../../../src/cli/flags';
import { serve } from '../../../src/cli/serve';
import { SERVE_FLAGS, serveOptions } from '../../../src/cli/serveFlags';
import type { RunningServer } from '../../../src/server/start';
import { makeCertificate, type TestCertificate } from './certs';

/** log-shipper: named only; reloader: automatic for pods labelled reload=enabled. */
export const TEST_TEMPLATES = `
apiVersion: sidecar.injector.dev/v1alpha1
kind: SidecarTemplate
metadata: { name: log-shipper }
spec:
  parameters:
    - { name: log-path, default: /var/log/app, pattern: '^/[A-Za-z0-9._/-]+$' }
  containers:
    - name: log-shipper
      image: fluent/fluent-bit:3.2
      args: ["-i", "tail", "-p", "path=\${params.log-path}/*.log", "-o", "stdout"]
      volumeMounts: [ { name: app-logs, mountPath: "\${params.log-path}" } ]
  volumes:
    - { name: app-logs, emptyDir: {} }
  appContainers:
    volumeMounts: [ { name: app-logs, mountPath: "\${params.log-path}" } ]
---
apiVersion: sidecar.injector.dev/v1alpha1
kind: SidecarTemplate
metadata: { name: reloader }
spec:
  selector:
    podSelector: { matchLabels: { reload: enabled } }
  containers:
    - name: reloader
      image: ghcr.io/jimmidyson/configmap-reload:v0.14.0
      args: ["--volume-dir=/config"]
`;

// biome-ignore lint/suspicious/noExplicitAny: log lines are arbitrary JSON
export type LogLine = Record<string, any>;

export interface TestServer {
  readonly server: RunningServer;
  readonly port: number;
  readonly metricsPort: number;
  /** What a client trusts: the first certificate (and any written later through `useCertificate`). */
  readonly ca: string[];
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly logs: LogLine[];
  useCertificate(pair: TestCertificate): void;
  close(): Promise<void>;
}

export function capturingLogger(lines: LogLine[]): Logger {
  return pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
}

export async function startTestServer(extraFlags: string[] = [], templates = TEST_TEMPLATES): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'si-server-'));
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  const templatesDir = join(dir, 'templates');
  const pair = makeCertificate('first');
  writeFileSync(certFile, pair.cert);
  writeFileSync(keyFile, pair.key);
  mkdirSync(templatesDir);
  writeFileSync(join(templatesDir, 'templates.yaml'), templates);

  const argv = [
    ...['--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1'],
    ...['--tls-cert', certFile, '--tls-key', keyFile, '--templates-dir', templatesDir, '--kubernetes', 'off'],
    ...extraFlags,
  ];
  const env = {};
  const options = serveOptions(parseFlags(SERVE_FLAGS, argv, env).values, env);
  const logs: LogLine[] = [];
  const server = await serve(options, capturingLogger(logs), { certificatePollIntervalMs: 100 });
  await server.templatesLoaded;
  const ca = [pair.cert];
  return {
    server,
    port: server.port,
    metricsPort: server.metricsPort,
    ca,
    dir,
    certFile,
    keyFile,
    logs,
    useCertificate(next) {
      ca.push(next.cert);
      writeFileSync(certFile, next.cert);
      writeFileSync(keyFile, next.key);
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Retries `probe` until it returns a value (bounded; for state that changes in the background). */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, attempts = 100): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}
