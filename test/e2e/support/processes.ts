// Child processes of the test run (etcd, kube-apiserver, controllers, kwok, build scripts) and
// the small HTTP probes that wait for them. Everything listens on 127.0.0.1; every process is
// stopped by its own PID, never by name.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';

/** A child process whose stdout and stderr go to a log file. */
export class ManagedProcess {
  exited = false;
  private readonly exitPromise: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', () => {
        this.exited = true;
        resolve();
      });
      child.once('error', () => {
        this.exited = true;
        resolve();
      });
    });
  }

  static start(name: string, bin: string, args: string[], logFile: string): ManagedProcess {
    const fd = fs.openSync(logFile, 'a');
    try {
      const child = spawn(bin, args, { stdio: ['ignore', fd, fd] });
      return new ManagedProcess(name, child, logFile);
    } finally {
      fs.closeSync(fd);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  logTail(lines = 30): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Synchronous last resort for process exit: kills only this child's PID. */
  killNow(): void {
    if (!this.exited && this.child.pid !== undefined) this.child.kill('SIGKILL');
  }

  async stop(graceMs: number): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exitPromise.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    if (timer) clearTimeout(timer);
    if (timedOut && !this.exited) {
      this.child.kill('SIGKILL');
      await this.exitPromise;
    }
  }
}

/** Polls `check` until it is true; fails early when one of `procs` exits, naming its log tail. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  procs: ManagedProcess[],
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    for (const p of procs) {
      if (p.exited) throw new Error(`${p.name} exited while waiting for ${what}; log tail:\n${p.logTail()}`);
    }
    try {
      if (await check()) return;
      lastError = 'not ready';
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const tails = procs.map((p) => `--- ${p.name} ---\n${p.logTail()}`).join('\n');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${lastError})\n${tails}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

export interface HttpResult {
  status: number;
  body: string;
}

export interface ClientTls {
  ca: string;
  cert?: string;
  key?: string;
}

function collect(res: http.IncomingMessage, resolve: (r: HttpResult) => void): void {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (c: string) => {
    body += c;
  });
  res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
}

export function httpGet(url: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 2_000 }, (res) => collect(res, resolve));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export function httpsGet(url: string, tls: ClientTls, timeoutMs = 5_000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...tls, agent: false, timeout: timeoutMs }, (res) => collect(res, resolve));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buf) onLine(buf);
  });
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (killed after `timeoutMs`), with `input` on stdin. */
export function runCommand(
  bin: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs: number },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.on('data', (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the command may exit before reading all input
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * A file of the repository, found from the source tree (jest) or from a compiled copy under
 * dist/ (bench:cluster): the first `rel` above this file or the working directory.
 */
export function repositoryFile(rel: string): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, rel);
      if (fs.existsSync(candidate)) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`cannot find ${rel} above ${__dirname} or ${process.cwd()}`);
}

/** A script or file of test/e2e/controlplane. */
export function controlPlaneScript(name: string): string {
  return repositoryFile(path.join('test', 'e2e', 'controlplane', name));
}

/**
 * Runs one of the build scripts (build.sh, kwok.sh), passing each output line to `log`, and
 * resolves with the value of its last `<marker>=<value>` line.
 */
export function runBuildScript(
  name: string,
  args: string[],
  marker: string,
  log: (line: string) => void,
): Promise<string> {
  const script = controlPlaneScript(name);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let value: string | undefined;
    const onLine = (line: string): void => {
      if (line.startsWith(`${marker}=`)) value = line.slice(marker.length + 1);
      tail.push(line);
      if (tail.length > 40) tail.shift();
      log(`${name}: ${line}`);
    };
    splitLines(child.stdout, onLine);
    splitLines(child.stderr, onLine);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && value) resolve(value);
      else reject(new Error(`${script} ${args.join(' ')} failed (exit ${code}):\n${tail.join('\n')}`));
    });
  });
}
