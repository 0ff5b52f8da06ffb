// The webhook under test as a child process, started through the image's entrypoint
// (`node dist/src/cli/main.js serve`, as the Dockerfile's ENTRYPOINT + CMD), with the flags the
// deploy/ Deployment uses plus loopback addresses and random ports.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ServeProcess, spawnServe } from '../../integration/support/child';
import { call, metricValue } from '../../integration/support/http';
import type { LogLine } from '../../integration/support/server';
import { until } from './poll';

const ROOT = join(__dirname, '..', '..', '..');
export const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
export const INJECTOR_NAMESPACE = 'sidecar-injector';

export interface WebhookCertificates {
  readonly dir: string;
  readonly caCert: string;
  readonly caBundle: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** `sidecar-injector certs` as a user runs it: stdout is the caBundle. */
export function generateCertificates(dir: string): Promise<WebhookCertificates> {
  const args = [MAIN, 'certs', '--service', 'sidecar-injector', '--namespace', INJECTOR_NAMESPACE, '--out', dir];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`certs failed: ${error.message}\n${stderr}`));
      resolve({
        dir,
        caCert: readFileSync(join(dir, 'ca.crt'), 'utf8'),
        caBundle: stdout.trim(),
        certFile: join(dir, 'tls.crt'),
        keyFile: join(dir, 'tls.key'),
      });
    });
  });
}

export interface InjectorOptions {
  readonly certificates: WebhookCertificates;
  readonly templatesDir: string;
  readonly kubeconfig: string;
  readonly nativeSidecars?: 'auto' | 'always' | 'never';
  /** More serve flags, e.g. --drift-report on. */
  readonly extraArgs?: readonly string[];
}

export interface Injector {
  readonly port: number;
  readonly metricsPort: number;
  /** `https://127.0.0.1:<port>/mutate`, for clientConfig.url. */
  readonly url: string;
  readonly logs: LogLine[];
  /** The webhook's admission log lines for one pod, in order. */
  admissionsOf(namespace: string, pod: string): LogLine[];
  /** Resolves with the first log line (already written or future) that `match` accepts. */
  waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  get(path: string): Promise<{ status: number; json: unknown }>;
  post(path: string, body: unknown): Promise<{ status: number; json: unknown }>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** The last log lines and stderr, for failure messages. */
  tail(lines?: number): string;
  /** SIGTERM, as Kubernetes stops a pod; resolves with the exit status. */
  terminate(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL by PID if still running. */
  kill(): void;
}

export async function startInjector(options: InjectorOptions): Promise<Injector> {
  const { certificates } = options;
  const serve = spawnServe([
    ...['--bind-address', '127.0.0.1', '--port', '0', '--metrics-port', '0'],
    ...['--tls-cert', certificates.certFile, '--tls-key', certificates.keyFile],
    ...['--kubernetes', 'on', '--kubeconfig', options.kubeconfig],
    ...['--templates-dir', options.templatesDir, '--injector-namespace', INJECTOR_NAMESPACE],
    ...['--native-sidecars', options.nativeSidecars ?? 'auto'],
    ...(options.extraArgs ?? []),
  ]);
  const injector = wrap(serve, certificates.caCert);
  // Last resort if jest exits without running afterAll: kill the child, by its PID only.
  const onExit = (): void => serve.kill();
  process.once('exit', onExit);
  void serve.exited.then(() => process.removeListener('exit', onExit));
  try {
    const listening = await injector.waitForLog('the listening line', (l) => typeof l.webhook === 'string');
    const port = Number(new URL(listening.webhook).port);
    const metricsPort = Number(new URL(listening.metrics).port);
    Object.assign(injector, { port, metricsPort, url: `https://127.0.0.1:${port}/mutate` });
    await until('the webhook /readyz to be 200', async () =>
      (await injector.get('/readyz')).status === 200 ? true : undefined,
    );
    return injector;
  } catch (error) {
    injector.kill();
    throw new Error(`${(error as Error).message}\n${injector.tail()}`);
  }
}

function wrap(serve: ServeProcess, ca: string): Injector {
  const self: Injector = {
    port: 0,
    metricsPort: 0,
    url: '',
    logs: serve.logs,
    admissionsOf: (namespace, pod) =>
      serve.logs.filter((l) => l.msg === 'admission' && l.namespace === namespace && l.pod === pod),
    waitForLog: (what, match, timeoutMs = 30_000) =>
      until(
        `webhook log: ${what}`,
        async () => {
          const found = serve.logs.find(match);
          if (found) return found;
          if (serve.child.exitCode !== null || serve.child.signalCode !== null)
            throw new Error(`the webhook exited (${serve.child.exitCode ?? serve.child.signalCode})`);
          return undefined;
        },
        { timeoutMs, intervalMs: 100 },
      ),
    get: async (path) => call(self.port, path, { ca }),
    post: async (path, body) => call(self.port, path, { ca, body: JSON.stringify(body) }),
    metric: (name, labels) => metricValue(self.metricsPort, name, labels),
    tail: (lines = 25) =>
      [
        `--- webhook log (last ${lines} lines of ${serve.logs.length}) ---`,
        ...serve.logs.slice(-lines).map((l) => JSON.stringify(l)),
        '--- webhook stderr ---',
        serve.stderr().split('\n').slice(-lines).join('\n'),
      ].join('\n'),
    terminate: async (timeoutMs = 30_000) => {
      if (serve.child.exitCode !== null || serve.child.signalCode !== null)
        return { code: serve.child.exitCode, signal: serve.child.signalCode };
      serve.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const exited = await Promise.race([
        serve.exited,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (exited) return exited;
      serve.kill();
      throw new Error(`the webhook did not exit within ${timeoutMs} ms of SIGTERM; killed`);
    },
    kill: () => serve.kill(),
  };
  return self;
}
