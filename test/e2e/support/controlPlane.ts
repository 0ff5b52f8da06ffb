// A real Kubernetes control plane (etcd + kube-apiserver, no kubelet, no scheduler) for e2e tests,
// in the style of controller-runtime's envtest. The binaries come from test/e2e/controlplane/build.sh
// (cached outside the repo); everything listens on 127.0.0.1 only and runs as children of this process.
//
//   const cp = await startControlPlane({ log: console.log });
//   await cp.kubectl(['get', 'ns']);
//   await cp.stop();
//
// A cold build.sh run takes many minutes: give the first beforeAll a long timeout, or run build.sh
// before jest. Logs of etcd and kube-apiserver are in <workDir>/logs until stop() removes the work dir.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ControlPlane {
  kubeconfigPath: string;
  apiserverUrl: string;
  version: string;
  binDir: string;
  workDir: string;
  /** Where etcd and kube-apiserver write their logs (kept by `stop({ keepWorkDir: true })`). */
  logDir: string;
  /** The log file of the kube-apiserver process running now (or last). */
  apiserverLog(): string;
  kubectl(args: string[], opts?: { input?: string }): Promise<KubectlResult>;
  /** Stops only kube-apiserver (etcd keeps the data), as in an API server outage or upgrade. */
  stopApiserver(): Promise<void>;
  /** Starts kube-apiserver again on the same port, certificates and etcd; resolves once /readyz is 200. */
  startApiserver(): Promise<void>;
  stop(opts?: { keepWorkDir?: boolean }): Promise<void>;
}

export interface StartControlPlaneOptions {
  log?: (line: string) => void;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const KUBECTL_TIMEOUT_MS = 120_000;
const START_ATTEMPTS = 3; // a free port can be taken between probing and binding

export async function startControlPlane(opts: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? (() => {});
  const binDir = await runBuildScript(log);
  const version = fs.readFileSync(path.join(binDir, 'kube-version'), 'utf8').trim();

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-cp-'));
  const children: ManagedProcess[] = [];
  const onExit = (): void => {
    for (const c of children) c.killNow();
  };
  process.once('exit', onExit);

  let stopped: Promise<void> | undefined;
  const stop = (stopOpts: { keepWorkDir?: boolean } = {}): Promise<void> => {
    stopped ??= (async () => {
      // apiserver first, so it does not log etcd errors while shutting down.
      for (const c of [...children].reverse()) await c.stop(STOP_GRACE_MS);
      process.removeListener('exit', onExit);
      if (stopOpts.keepWorkDir) log(`control plane: logs kept in ${path.join(workDir, 'logs')}`);
      else fs.rmSync(workDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    const pki = await makePki(path.join(workDir, 'pki'));
    fs.mkdirSync(path.join(workDir, 'logs'));

    for (let attempt = 1; ; attempt++) {
      const [etcdClientPort, etcdPeerPort, apiPort] = await freePorts(3);
      const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
      const apiserverUrl = `https://127.0.0.1:${apiPort}`;
      const etcdDataDir = path.join(workDir, `etcd-${attempt}`);
      const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;

      log(`control plane: starting etcd on ${etcdUrl}`);
      const etcd = ManagedProcess.start(
        'etcd',
        path.join(binDir, 'etcd'),
        [
          '--name=e2e',
          `--data-dir=${etcdDataDir}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=e2e=${peerUrl}`,
          '--initial-cluster-state=new',
          '--unsafe-no-fsync=true',
          '--log-level=warn',
        ],
        path.join(workDir, 'logs', `etcd-${attempt}.log`),
      );
      children.push(etcd);

      try {
        await waitFor('etcd /health', READY_TIMEOUT_MS, [etcd], async () => {
          const r = await httpGet(`${etcdUrl}/health`);
          return r.status === 200 && r.body.includes('"health":"true"');
        });

        const apiserverArgs = [
          `--etcd-servers=${etcdUrl}`,
          `--cert-dir=${path.join(workDir, 'apiserver-certs')}`,
          `--secure-port=${apiPort}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          // 127.0.0.1 is not a valid Endpoints address: without this the apiserver logs a sync error every 10 s.
          '--endpoint-reconciler-type=none',
          `--tls-cert-file=${pki.serverCert}`,
          `--tls-private-key-file=${pki.serverKey}`,
          `--client-ca-file=${pki.caCert}`,
          '--service-cluster-ip-range=10.0.0.0/24',
          '--allow-privileged=true',
          '--enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
          '--disable-admission-plugins=ServiceAccount',
          '--authorization-mode=RBAC',
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${pki.saPub}`,
          `--service-account-signing-key-file=${pki.saKey}`,
          '--profiling=false',
        ];
        const tls = { ca: pki.caPem, cert: pki.adminCertPem, key: pki.adminKeyPem };
        let apiserverStarts = 0;
        let apiserver: ManagedProcess | undefined;
        const startApiserver = async (): Promise<void> => {
          if (apiserver && !apiserver.exited) throw new Error('kube-apiserver is already running');
          apiserverStarts++;
          log(`control plane: starting kube-apiserver ${version} on ${apiserverUrl}`);
          const suffix = apiserverStarts === 1 ? '' : `-restart-${apiserverStarts - 1}`;
          const started = ManagedProcess.start(
            'kube-apiserver',
            path.join(binDir, 'kube-apiserver'),
            apiserverArgs,
            path.join(workDir, 'logs', `kube-apiserver-${attempt}${suffix}.log`),
          );
          const stale = apiserver ? children.indexOf(apiserver) : -1;
          if (stale >= 0) children.splice(stale, 1, started);
          else children.push(started);
          apiserver = started;
          await waitFor('kube-apiserver /readyz', READY_TIMEOUT_MS, [etcd, started], async () => {
            const r = await httpsGet(`${apiserverUrl}/readyz`, tls);
            return r.status === 200;
          });
        };
        const stopApiserver = async (): Promise<void> => {
          if (apiserver) await apiserver.stop(STOP_GRACE_MS);
          log('control plane: kube-apiserver stopped');
        };

        await startApiserver();
        // The system namespaces are created by a post-start controller, just after /readyz turns green.
        await waitFor('namespace default', READY_TIMEOUT_MS, children, async () => {
          const r = await httpsGet(`${apiserverUrl}/api/v1/namespaces/default`, tls);
          return r.status === 200;
        });

        const kubeconfigPath = path.join(workDir, 'kubeconfig');
        fs.writeFileSync(kubeconfigPath, kubeconfig(apiserverUrl, pki), { mode: 0o600 });
        log(`control plane: ready (${apiserverUrl}, kubeconfig ${kubeconfigPath})`);

        return {
          kubeconfigPath,
          apiserverUrl,
          version,
          binDir,
          workDir,
          logDir: path.join(workDir, 'logs'),
          apiserverLog: () => apiserver?.logFile ?? '',
          kubectl: (args, kopts) => runKubectl(path.join(binDir, 'kubectl'), kubeconfigPath, args, kopts?.input),
          stopApiserver,
          startApiserver,
          stop,
        };
      } catch (err) {
        const portClash = children.some((c) => c.exited && /address already in use/i.test(c.logTail()));
        for (const c of children.splice(0).reverse()) await c.stop(STOP_GRACE_MS);
        if (portClash && attempt < START_ATTEMPTS) {
          log(`control plane: port clash, retrying (attempt ${attempt + 1})`);
          continue;
        }
        throw err;
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// build.sh

function findBuildScript(): string {
  const rel = path.join('test', 'e2e', 'controlplane', 'build.sh');
  // Works from the source tree (swc/jest) and from a compiled copy under dist/.
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, rel);
      if (fs.existsSync(candidate)) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`cannot find ${rel} above ${__dirname} or ${process.cwd()}`);
}

function runBuildScript(log: (line: string) => void): Promise<string> {
  const script = findBuildScript();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let binDir: string | undefined;
    const onLine = (line: string): void => {
      const m = /^SIDECAR_INJECTOR_K8S_BIN_DIR=(.+)$/.exec(line);
      if (m?.[1]) binDir = m[1];
      tail.push(line);
      if (tail.length > 40) tail.shift();
      log(`build.sh: ${line}`);
    };
    splitLines(child.stdout, onLine);
    splitLines(child.stderr, onLine);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && binDir) resolve(binDir);
      else reject(new Error(`${script} failed (exit ${code}):\n${tail.join('\n')}`));
    });
  });
}

function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
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

// ---------------------------------------------------------------------------------------------
// Certificates (openssl CLI)

interface Pki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
  caPem: string;
  adminCertPem: string;
  adminKeyPem: string;
}

async function makePki(dir: string): Promise<Pki> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (name: string): string => path.join(dir, name);
  const days = '7';

  // Constant option words are split from one string; paths and values stay separate arguments.
  const w = (words: string): string[] => words.split(' ');
  await openssl([
    ...w('req -x509 -newkey rsa:2048 -nodes -sha256 -subj /CN=sidecar-injector-e2e-ca -days'),
    days,
    ...w('-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature'),
    ...['-keyout', f('ca.key'), '-out', f('ca.crt')],
  ]);

  const leaf = async (name: string, subj: string, ext: string[]): Promise<void> => {
    const key = f(`${name}.key`);
    const csr = f(`${name}.csr`);
    const crt = f(`${name}.crt`);
    const extFile = f(`${name}.ext`);
    await openssl([...w('req -newkey rsa:2048 -nodes -subj'), subj, '-keyout', key, '-out', csr]);
    fs.writeFileSync(extFile, `${ext.join('\n')}\n`);
    await openssl([
      ...w('x509 -req -sha256 -CAcreateserial -days'),
      days,
      ...['-in', csr, '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-extfile', extFile, '-out', crt],
    ]);
  };

  await leaf('apiserver', '/CN=kube-apiserver', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,' +
      'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
  ]);
  await leaf('admin', '/O=system:masters/CN=e2e-admin', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=clientAuth',
  ]);

  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f('sa.key')]);
  await openssl(['pkey', '-in', f('sa.key'), '-pubout', '-out', f('sa.pub')]);

  return {
    caCert: f('ca.crt'),
    serverCert: f('apiserver.crt'),
    serverKey: f('apiserver.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    saKey: f('sa.key'),
    saPub: f('sa.pub'),
    caPem: fs.readFileSync(f('ca.crt'), 'utf8'),
    adminCertPem: fs.readFileSync(f('admin.crt'), 'utf8'),
    adminKeyPem: fs.readFileSync(f('admin.key'), 'utf8'),
  };
}

function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl ${args.slice(0, 2).join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve();
    });
  });
}

function kubeconfig(server: string, pki: Pki): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: e2e',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(pki.caPem)}`,
    'users:',
    '- name: e2e-admin',
    '  user:',
    `    client-certificate-data: ${b64(pki.adminCertPem)}`,
    `    client-key-data: ${b64(pki.adminKeyPem)}`,
    'contexts:',
    '- name: e2e',
    '  context:',
    '    cluster: e2e',
    '    user: e2e-admin',
    '    namespace: default',
    'current-context: e2e',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Processes

class ManagedProcess {
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

async function waitFor(
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
    await sleep(250);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function freePorts(n: number): Promise<number[]> {
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

interface HttpResult {
  status: number;
  body: string;
}

function collect(res: http.IncomingMessage, resolve: (r: HttpResult) => void): void {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (c: string) => {
    body += c;
  });
  res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
}

function httpGet(url: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 2_000 }, (res) => collect(res, resolve));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function httpsGet(url: string, tls: { ca: string; cert: string; key: string }): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...tls, agent: false, timeout: 5_000 }, (res) => collect(res, resolve));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function runKubectl(bin: string, kubeconfigPath: string, args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      env: { ...process.env, KUBECONFIG: kubeconfigPath },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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
    const timer = setTimeout(() => child.kill('SIGKILL'), KUBECTL_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => {}); // kubectl may exit before reading all input
    child.stdin.end(input ?? '');
  });
}
