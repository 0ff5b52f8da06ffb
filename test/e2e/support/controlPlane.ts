// A real Kubernetes cluster for tests, built from Go modules (test/e2e/controlplane) and run as
// children of this process on 127.0.0.1: etcd and kube-apiserver always; on request the
// kube-controller-manager and kube-scheduler of the same release, and simulated nodes (kwok)
// on which scheduled pods become Running and Ready. No kubelet and no containers.
//
//   const cp = await startControlPlane({ version: '1.35', controllers: true, nodes: 3 });
//   await cp.kubectl(['get', 'nodes']);      // or KUBECONFIG=cp.kubeconfigPath
//   await cp.stop();
//
// A cold build takes many minutes: give the first beforeAll a long timeout, or run build.sh
// before jest. Logs of every process are in cp.logDir until stop() removes the work dir.
// test/e2e/controlplane/README.md describes the options.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startKwok } from './kwok';
import { kubeconfig, makePki, type Pki } from './pki';
import {
  type ClientTls,
  type CommandResult,
  controlPlaneScript,
  freePorts,
  type HttpResult,
  httpGet,
  httpsGet,
  ManagedProcess,
  runBuildScript,
  runCommand,
  waitFor,
} from './processes';

export type KubectlResult = CommandResult;

/** One record of the API server's audit log (the fields the tests read). */
export interface AuditEvent {
  verb: string;
  stage: string;
  user: { username: string; groups?: string[] };
  objectRef?: { resource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  annotations?: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: a Kubernetes object as the API server logged it
  requestObject?: any;
  // biome-ignore lint/suspicious/noExplicitAny: a Kubernetes object as the API server logged it
  responseObject?: any;
}

export interface ControlPlane {
  kubeconfigPath: string;
  apiserverUrl: string;
  /** The Kubernetes release running: `v1.37.2`. */
  version: string;
  binDir: string;
  workDir: string;
  /** Where every process writes its log (kept by `stop({ keepWorkDir: true })`). */
  logDir: string;
  /** Names of the simulated nodes (empty unless `nodes` was given). */
  nodes: readonly string[];
  /** The processes running now, by name and PID (for CPU and memory readings). */
  processes(): Array<{ name: string; pid: number }>;
  /** The log file of the kube-apiserver process running now (or last). */
  apiserverLog(): string;
  /** The audit log's pod creations, oldest first (needs `auditPodCreations`). */
  podCreationAudit(): AuditEvent[];
  /** GET on the API server as the admin (`/metrics`, `/version`, ...). */
  get(apiPath: string): Promise<HttpResult>;
  /** The admin's client certificate and the CA, for a client of one's own (watches, load). */
  adminTls: Required<ClientTls>;
  kubectl(args: string[], opts?: { input?: string }): Promise<KubectlResult>;
  /** Stops only kube-apiserver (etcd keeps the data), as in an API server outage or upgrade. */
  stopApiserver(): Promise<void>;
  /** Starts kube-apiserver again on the same port, certificates and etcd; resolves once /readyz is 200. */
  startApiserver(): Promise<void>;
  stop(opts?: { keepWorkDir?: boolean }): Promise<void>;
}

export interface ControllerOptions {
  /** Client QPS and burst of kube-controller-manager and kube-scheduler (defaults 20/30 and 50/100 upstream). */
  readonly qps?: number;
  readonly burst?: number;
  /** Run kube-scheduler too (default true; without it, and without nodes, pods stay unscheduled). */
  readonly scheduler?: boolean;
}

export interface StartControlPlaneOptions {
  log?: (line: string) => void;
  /**
   * A supported minor (`1.35`) or any release (`1.38.0-beta.0`). Default: the environment's
   * SIDECAR_INJECTOR_K8S_VERSION, else the newest supported minor (see build.sh).
   */
  version?: string;
  /**
   * Also run kube-controller-manager (each controller under its own service account, as in
   * production) and kube-scheduler. Turns on the ServiceAccount admission plugin. Default off:
   * pods stay Pending and a test checks the stored pod.
   */
  controllers?: boolean | ControllerOptions;
  /** Simulated nodes kwok keeps Ready, named kwok-node-0, ...; needs `controllers`. Default 0. */
  nodes?: number;
  /** Write the API server's audit log of pod creations, with request and response objects. */
  auditPodCreations?: boolean;
  /** More kube-apiserver flags. */
  apiserverArgs?: readonly string[];
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const KUBECTL_TIMEOUT_MS = 120_000;
const START_ATTEMPTS = 3; // a free port can be taken between probing and binding

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: RequestResponse
    verbs: [create]
    resources: [{ group: "", resources: [pods] }]
  - level: None
`;

export async function startControlPlane(opts: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? (() => {});
  const nodeCount = opts.nodes ?? 0;
  const scheduler = opts.controllers && (opts.controllers === true || opts.controllers.scheduler !== false);
  if (nodeCount > 0 && !scheduler) throw new Error('startControlPlane: nodes need controllers with a scheduler');
  const version = opts.version ?? process.env.SIDECAR_INJECTOR_K8S_VERSION ?? '';
  const binDir = await runBuildScript('build.sh', version ? [version] : [], 'SIDECAR_INJECTOR_K8S_BIN_DIR', log);
  const kwokBinary = nodeCount > 0 ? await runBuildScript('kwok.sh', [], 'SIDECAR_INJECTOR_KWOK', log) : undefined;
  const release = fs.readFileSync(path.join(binDir, 'kube-version'), 'utf8').trim();

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-injector-cp-'));
  const logDir = path.join(workDir, 'logs');
  const children: ManagedProcess[] = [];
  const onExit = (): void => {
    for (const c of children) c.killNow();
  };
  process.once('exit', onExit);

  let stopped: Promise<void> | undefined;
  const stop = (stopOpts: { keepWorkDir?: boolean } = {}): Promise<void> => {
    stopped ??= (async () => {
      // In reverse: kwok and the controllers before the apiserver, the apiserver before etcd.
      for (const c of [...children].reverse()) await c.stop(STOP_GRACE_MS);
      process.removeListener('exit', onExit);
      if (stopOpts.keepWorkDir) log(`control plane: logs kept in ${logDir}`);
      else fs.rmSync(workDir, { recursive: true, force: true });
    })();
    return stopped;
  };
  const start = (name: string, binary: string, args: string[], logName = name): ManagedProcess => {
    const child = ManagedProcess.start(name, path.join(binDir, binary), args, path.join(logDir, `${logName}.log`));
    children.push(child);
    return child;
  };

  try {
    const pki = await makePki(path.join(workDir, 'pki'));
    fs.mkdirSync(logDir);
    const kubeconfigPath = path.join(workDir, 'kubeconfig');
    const tls: Required<ClientTls> = { ca: pki.caPem, cert: pki.adminCertPem, key: pki.adminKeyPem };
    const auditLog = path.join(logDir, 'audit.jsonl');
    const auditFlags: string[] = [];
    if (opts.auditPodCreations) {
      const policy = path.join(workDir, 'audit-policy.yaml');
      fs.writeFileSync(policy, AUDIT_POLICY);
      auditFlags.push(`--audit-policy-file=${policy}`, `--audit-log-path=${auditLog}`, '--audit-log-format=json');
    }

    for (let attempt = 1; ; attempt++) {
      const [etcdClientPort, etcdPeerPort, apiPort] = await freePorts(3);
      const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
      const apiserverUrl = `https://127.0.0.1:${apiPort}`;
      const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;

      log(`control plane: starting etcd on ${etcdUrl}`);
      const etcd = start(
        'etcd',
        'etcd',
        [
          '--name=e2e',
          `--data-dir=${path.join(workDir, `etcd-${attempt}`)}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=e2e=${peerUrl}`,
          '--initial-cluster-state=new',
          '--unsafe-no-fsync=true',
          '--log-level=warn',
        ],
        `etcd-${attempt}`,
      );

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
          // Without a controller-manager nothing creates the `default` ServiceAccount pods need.
          ...(opts.controllers ? [] : ['--disable-admission-plugins=ServiceAccount']),
          '--authorization-mode=RBAC',
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${pki.saPub}`,
          `--service-account-signing-key-file=${pki.saKey}`,
          '--profiling=false',
          ...auditFlags,
          ...(opts.apiserverArgs ?? []),
        ];
        let apiserverStarts = 0;
        let apiserver: ManagedProcess | undefined;
        const startApiserver = async (): Promise<void> => {
          if (apiserver && !apiserver.exited) throw new Error('kube-apiserver is already running');
          apiserverStarts++;
          log(`control plane: starting kube-apiserver ${release} on ${apiserverUrl}`);
          const suffix = apiserverStarts === 1 ? '' : `-restart-${apiserverStarts - 1}`;
          const previous = apiserver ? children.indexOf(apiserver) : -1;
          const started = start(
            'kube-apiserver',
            'kube-apiserver',
            apiserverArgs,
            `kube-apiserver-${attempt}${suffix}`,
          );
          // A restarted apiserver keeps its place, so stop() still stops it before etcd.
          if (previous >= 0) children.splice(previous, 1, children.pop() as ManagedProcess);
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
        fs.writeFileSync(kubeconfigPath, kubeconfig(apiserverUrl, pki), { mode: 0o600 });
        const kubectl = (args: string[], kopts?: { input?: string }): Promise<KubectlResult> =>
          runCommand(path.join(binDir, 'kubectl'), args, {
            env: { ...process.env, KUBECONFIG: kubeconfigPath },
            input: kopts?.input,
            timeoutMs: KUBECTL_TIMEOUT_MS,
          });

        if (opts.controllers) {
          const settings = opts.controllers === true ? {} : opts.controllers;
          await startControllers({ start, log, pki, kubeconfigPath, apiserverUrl, tls, settings });
        }
        let nodes: string[] = [];
        if (kwokBinary) {
          const kwok = ManagedProcess.start(
            'kwok',
            kwokBinary,
            kwokArgsFor(kubeconfigPath),
            path.join(logDir, 'kwok.log'),
          );
          children.push(kwok);
          nodes = await startKwok({ kwok, kubectl, count: nodeCount, log });
        }
        log(`control plane: ready (${apiserverUrl}, kubeconfig ${kubeconfigPath})`);

        return {
          kubeconfigPath,
          apiserverUrl,
          version: release,
          binDir,
          workDir,
          logDir,
          nodes,
          processes: () =>
            children
              .filter((c) => !c.exited && c.pid !== undefined)
              .map((c) => ({ name: c.name, pid: c.pid as number })),
          apiserverLog: () => apiserver?.logFile ?? '',
          podCreationAudit: () => readAudit(auditLog, opts.auditPodCreations === true),
          get: (apiPath) => httpsGet(`${apiserverUrl}${apiPath}`, tls, 30_000),
          adminTls: tls,
          kubectl,
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
    await stop({ keepWorkDir: true });
    throw err;
  }
}

interface ControllerContext {
  start: (name: string, binary: string, args: string[]) => ManagedProcess;
  log: (line: string) => void;
  pki: Pki;
  kubeconfigPath: string;
  apiserverUrl: string;
  tls: ClientTls;
  settings: ControllerOptions;
}

/** kube-controller-manager and kube-scheduler, each serving /healthz on a free loopback port. */
async function startControllers(ctx: ControllerContext): Promise<void> {
  const { pki, kubeconfigPath, settings } = ctx;
  const [kcmPort, schedulerPort] = await freePorts(2);
  const client = [
    `--kubeconfig=${kubeconfigPath}`,
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
    '--bind-address=127.0.0.1',
    `--tls-cert-file=${pki.serverCert}`,
    `--tls-private-key-file=${pki.serverKey}`,
    '--leader-elect=false',
    ...(settings.qps !== undefined ? [`--kube-api-qps=${settings.qps}`] : []),
    ...(settings.burst !== undefined ? [`--kube-api-burst=${settings.burst}`] : []),
  ];
  ctx.log(
    `control plane: starting kube-controller-manager${settings.scheduler === false ? '' : ' and kube-scheduler'}`,
  );
  const kcm = ctx.start('kube-controller-manager', 'kube-controller-manager', [
    ...client,
    `--secure-port=${kcmPort}`,
    // Each controller gets a token for its own service account (replicaset-controller, ...), so
    // the API server and the webhook see the identities they see in production.
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${pki.saKey}`,
    `--root-ca-file=${pki.caCert}`,
    '--cluster-name=e2e',
  ]);
  const serving = { ca: ctx.pki.caPem };
  await waitFor('kube-controller-manager /healthz', READY_TIMEOUT_MS, [kcm], async () => {
    return (await httpsGet(`https://127.0.0.1:${kcmPort}/healthz`, serving)).status === 200;
  });
  if (settings.scheduler !== false) {
    const scheduler = ctx.start('kube-scheduler', 'kube-scheduler', [...client, `--secure-port=${schedulerPort}`]);
    await waitFor('kube-scheduler /healthz', READY_TIMEOUT_MS, [scheduler], async () => {
      return (await httpsGet(`https://127.0.0.1:${schedulerPort}/healthz`, serving)).status === 200;
    });
  }
  // The service-account controller at work: pods need the `default` ServiceAccount.
  await waitFor('the default ServiceAccount', READY_TIMEOUT_MS, [kcm], async () => {
    const r = await httpsGet(`${ctx.apiserverUrl}/api/v1/namespaces/default/serviceaccounts/default`, ctx.tls);
    return r.status === 200;
  });
}

function kwokArgsFor(kubeconfigPath: string): string[] {
  return [
    `--kubeconfig=${kubeconfigPath}`,
    `--config=${controlPlaneScript(path.join('kwok', 'stages.yaml'))}`,
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    // kwok renews each node's Lease, so the node lifecycle controller keeps the nodes Ready.
    '--node-lease-duration-seconds=40',
    '--node-ip=10.1.0.1',
    '--cidr=10.2.0.0/16',
  ];
}

function readAudit(file: string, enabled: boolean): AuditEvent[] {
  if (!enabled) throw new Error('podCreationAudit() needs startControlPlane({ auditPodCreations: true })');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as AuditEvent);
}
