// The servers under test, each in its own child process (so RSS is per server and the load
// generator never shares their event loop). Every child is remembered by PID and killed on
// exit, error or Ctrl-C; only 127.0.0.1 is used.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const HOST = '127.0.0.1';
const ROOT = join(__dirname, '..', '..');
export const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const BASELINE = join(__dirname, 'baseline.js');

const children = new Set<ChildProcess>();

/** CPU the servers are pinned to (taskset), or undefined to let the scheduler place them. */
let serverCpu: number | undefined;

/**
 * Pins this process (the load generator) to CPU 0 and every server started afterwards to CPU 1,
 * so that the two never compete for one core, as a webhook with a 1-CPU limit. Returns false
 * when it cannot (one CPU, or no taskset).
 */
export function pinCpus(): boolean {
  try {
    execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
    serverCpu = 1;
    return true;
  } catch {
    return false;
  }
}

/** Kills every child still running, by PID; safe to call from an exit handler. */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

/** Peak RSS of a process since it started (VmHWM), bytes. */
export function peakRssSinceStart(pid: number): number {
  return statusField(pid, 'VmHWM') ?? 0;
}

/** This process's environment without SIDECAR_INJECTOR_* settings, which would change the server under test. */
function serverEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SIDECAR_INJECTOR_')));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Certificates {
  readonly dir: string;
  readonly cert: string;
  readonly key: string;
  readonly ca: Buffer;
}

/** Once per run, with the product's own `certs` command. */
export function generateCertificates(dir: string): Certificates {
  execFileSync(
    process.execPath,
    [MAIN, 'certs', '--service', 'sidecar-injector', '--namespace', 'bench', '--out', dir],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return { dir, cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), ca: readFileSync(join(dir, 'ca.crt')) };
}

export interface BenchServer {
  readonly name: string;
  readonly pid: number;
  /** https://127.0.0.1:PORT/mutate */
  readonly url: string;
  readonly metricsUrl?: string;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

interface SpawnSpec {
  readonly name: string;
  readonly args: string[];
  readonly nodeOptions: string[];
  readonly port: number;
  readonly metricsPort?: number;
  readonly workDir: string;
  readonly ca: Buffer;
}

async function spawnServer(spec: SpawnSpec): Promise<BenchServer> {
  // Logs go to a file, as a container runtime would take them; a pipe the bench had to read
  // would cost the load generator CPU.
  const logFile = join(spec.workDir, `${spec.name}.log`);
  const out = openSync(logFile, 'w');
  const command = [process.execPath, ...spec.nodeOptions, ...spec.args];
  // taskset execs node, so the PID is the server's own.
  const [file, ...args] = serverCpu === undefined ? command : ['taskset', '-c', String(serverCpu), ...command];
  const child = spawn(file as string, args, { stdio: ['ignore', out, out], env: serverEnvironment() });
  closeSync(out);
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `https://${HOST}:${spec.port}/mutate`;
  const server: BenchServer = {
    name: spec.name,
    pid: child.pid ?? -1,
    url,
    ...(spec.metricsPort ? { metricsUrl: `http://${HOST}:${spec.metricsPort}/metrics` } : {}),
    logFile,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      children.delete(child);
    },
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${spec.name} exited before it was ready: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
    }
    const ready = await httpsCall(`https://${HOST}:${spec.port}/readyz`, spec.ca).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return server;
    if (Date.now() > deadline) {
      await server.stop(1000);
      throw new Error(`${spec.name} was not ready within 20 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface WebhookOptions {
  readonly name: string;
  readonly templatesDir: string;
  readonly certs: Certificates;
  readonly logLevel: 'warn' | 'info';
  readonly workDir: string;
  /** Directory for `node --cpu-prof` output (written when the server exits). */
  readonly cpuProfileDir?: string;
  /** Another build's dist/src/cli/main.js, to compare two builds in one run. */
  readonly main?: string;
  /** Node or V8 flags for the server process, e.g. --max-semi-space-size=2. */
  readonly nodeFlags?: readonly string[];
  /** Watch this cluster (`--kubernetes on --kubeconfig FILE`) instead of `--kubernetes off`. */
  readonly kubeconfig?: string;
  /** More serve flags, e.g. --drift-report on. */
  readonly extraArgs?: readonly string[];
}

/** The webhook through its real entrypoint, `sidecar-injector serve`. */
export async function startWebhook(options: WebhookOptions): Promise<BenchServer> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const args = [
    options.main ?? MAIN,
    'serve',
    '--bind-address',
    HOST,
    '--port',
    String(port),
    '--metrics-port',
    String(metricsPort),
    ...(options.kubeconfig ? ['--kubernetes', 'on', '--kubeconfig', options.kubeconfig] : ['--kubernetes', 'off']),
    '--tls-cert',
    options.certs.cert,
    '--tls-key',
    options.certs.key,
    '--templates-dir',
    options.templatesDir,
    '--log-level',
    options.logLevel,
    '--shutdown-timeout',
    '5',
    ...(options.extraArgs ?? []),
  ];
  const nodeOptions = [...(options.nodeFlags ?? []), ...profiling(options.name, options.cpuProfileDir)];
  return spawnServer({
    name: options.name,
    args,
    nodeOptions,
    port,
    metricsPort,
    workDir: options.workDir,
    ca: options.certs.ca,
  });
}

function profiling(name: string, dir: string | undefined): string[] {
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name}.cpuprofile`] : [];
}

export async function startBaseline(
  certs: Certificates,
  workDir: string,
  cpuProfileDir?: string,
): Promise<BenchServer> {
  const port = await freePort();
  const args = [
    BASELINE,
    '--bind-address',
    HOST,
    '--port',
    String(port),
    '--tls-cert',
    certs.cert,
    '--tls-key',
    certs.key,
  ];
  return spawnServer({
    name: 'baseline',
    args,
    nodeOptions: profiling('baseline', cpuProfileDir),
    port,
    workDir,
    ca: certs.ca,
  });
}

/** One HTTPS call on its own connection (setup and checks, not load). */
export function httpsCall(url: string, ca: Buffer, body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: body ? 'POST' : 'GET',
        ca,
        agent: false,
        headers: body ? { 'content-type': 'application/json', 'content-length': body.length } : {},
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The sum and count of the admission duration histogram, to tell mean server time per cell. */
export function scrapeAdmissionDuration(metricsUrl: string): Promise<{ sum: number; count: number }> {
  return new Promise((resolve, reject) => {
    httpGet(metricsUrl, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => {
        const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
        resolve({
          sum: value('sidecar_injector_admission_duration_seconds_sum'),
          count: value('sidecar_injector_admission_duration_seconds_count'),
        });
      });
    }).on('error', reject);
  });
}

/** Resident memory of a process now (VmRSS), bytes. */
export function currentRss(pid: number): number {
  return statusField(pid, 'VmRSS') ?? 0;
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** utime + stime of a process, in seconds (clock ticks of 1/100 s on Linux). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

const CLOCK_TICKS = 100;

/**
 * What a server process used over a span of time: peak RSS (the kernel's high-water mark VmHWM,
 * reset at the start through /proc/PID/clear_refs where allowed, and VmRSS sampled every 50 ms)
 * and CPU time. CPU per request is much less disturbed by other work on the machine than
 * throughput is.
 */
export class ProcessUsage {
  private sampled = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly hwmReset: boolean;
  private readonly cpuAtStart: number;

  constructor(private readonly pid: number) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      this.hwmReset = true;
    } catch {
      this.hwmReset = false;
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), 50);
    this.cpuAtStart = cpuSecondsOf(pid);
  }

  private sample(): void {
    this.sampled = Math.max(this.sampled, statusField(this.pid, 'VmRSS') ?? 0);
  }

  stop(): { peakRssBytes: number; cpuSeconds: number } {
    const cpuSeconds = cpuSecondsOf(this.pid) - this.cpuAtStart;
    clearInterval(this.timer);
    this.sample();
    const hwm = this.hwmReset ? (statusField(this.pid, 'VmHWM') ?? 0) : 0;
    return { peakRssBytes: Math.max(this.sampled, hwm), cpuSeconds };
  }
}
