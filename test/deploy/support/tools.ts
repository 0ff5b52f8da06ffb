// The real tools the deploy checks run: helm and promtool from test/tools/build.sh, kubectl from
// the e2e control plane's build (test/e2e/controlplane/build.sh). Each build script is cached
// (a second run answers at once) and prints the binary's location on its last line.
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../unit/deploy/manifests';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly input?: string;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** Runs a binary to completion; never throws for a non-zero exit (the result says it). */
export function run(binary: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      cwd: options.cwd ?? REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs and returns stdout; a non-zero exit throws with what the tool said. */
export async function runOk(binary: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run(binary, args, options);
  if (result.code !== 0)
    throw new Error(`${binary} ${args.join(' ')} failed (exit ${result.code}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Runs a build script and returns the value of its last `NAME=value` line. */
function buildScriptOutput(script: string, args: readonly string[], name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(REPO_ROOT, script), ...args], { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${script} ${args.join(' ')} failed: ${error.message}\n${stderr}${stdout}`));
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith(`${name}=`));
      if (!line) return reject(new Error(`${script} printed no ${name}= line:\n${stdout}`));
      resolve(line.slice(name.length + 1));
    });
  });
}

const built = new Map<string, Promise<string>>();

function once(key: string, build: () => Promise<string>): Promise<string> {
  let path = built.get(key);
  if (!path) {
    path = build();
    built.set(key, path);
  }
  return path;
}

/** helm or promtool, built from the Go module pinned in test/tools/<tool>/go.mod. */
export function toolPath(tool: 'helm' | 'promtool'): Promise<string> {
  return once(tool, () => buildScriptOutput('test/tools/build.sh', [tool], `SIDECAR_INJECTOR_${tool.toUpperCase()}`));
}

/** kubectl of the e2e control plane (`kubectl kustomize` renders the overlays as `apply -k` does). */
export function kubectlPath(): Promise<string> {
  return once('kubectl', async () =>
    join(await buildScriptOutput('test/e2e/controlplane/build.sh', [], 'SIDECAR_INJECTOR_K8S_BIN_DIR'), 'kubectl'),
  );
}

/** A cold build of a tool takes many minutes; the npm script builds them before jest. */
export const TOOLS_TIMEOUT_MS = 30 * 60_000;
