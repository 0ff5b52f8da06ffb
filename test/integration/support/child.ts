// `sidecar-injector serve` as a child process (the built binary), for what only a real process
// shows: signals and the exit code. Tests kill only the child they started, by its PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificate } from './certs';
import { type LogLine, TEST_TEMPLATES } from './server';

const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line (past or future) that `match` accepts. */
  waitForLog(match: (line: LogLine) => boolean): Promise<LogLine>;
  stderr(): string;
  /** Kills the child by PID if it is still running. */
  kill(): void;
}

export function spawnServe(args: string[]): ServeProcess {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run 'npm run build' before the integration tests`);
  const child = spawn(process.execPath, [MAIN, 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  const waiters: Array<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  let buffered = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const text of lines.filter(Boolean)) {
      const line = JSON.parse(text) as LogLine;
      logs.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    logs,
    exited,
    waitForLog: (match) =>
      new Promise((resolve, reject) => {
        const seen = logs.find(match);
        if (seen) return resolve(seen);
        waiters.push({ match, resolve });
        void exited.then(({ code }) => reject(new Error(`serve exited (${code}) first; stderr: ${stderr}`)));
      }),
    stderr: () => stderr,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

export interface ReadyServe {
  readonly serve: ServeProcess;
  readonly port: number;
  readonly metricsPort: number;
  /** The serving certificate (self-signed: what a client trusts). */
  readonly cert: string;
  /** Kills the child if it still runs and removes its files. */
  cleanup(): void;
}

/** `serve` on loopback with random ports, a fresh certificate and TEST_TEMPLATES; resolves once ready. */
export async function spawnReadyServe(extraArgs: string[] = []): Promise<ReadyServe> {
  const dir = mkdtempSync(join(tmpdir(), 'si-serve-'));
  const pair = makeCertificate('serve');
  writeFileSync(join(dir, 'tls.crt'), pair.cert);
  writeFileSync(join(dir, 'tls.key'), pair.key);
  writeFileSync(join(dir, 'templates.yaml'), TEST_TEMPLATES);
  const serve = spawnServe([
    ...['--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1', '--kubernetes', 'off'],
    ...['--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--templates-dir', dir],
    ...extraArgs,
  ]);
  const cleanup = () => {
    serve.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const listening = await serve.waitForLog((l) => typeof l.webhook === 'string');
    await serve.waitForLog((l) => l.msg === 'templates loaded; ready');
    return {
      serve,
      port: Number(new URL(listening.webhook).port),
      metricsPort: Number(new URL(listening.metrics).port),
      cert: pair.cert,
      cleanup,
    };
  } catch (error) {
    cleanup();
    throw error;
  }
}
