// One e2e environment per test file: a real control plane (etcd + kube-apiserver), the
// SidecarTemplate CRD from deploy/, webhook certificates from `sidecar-injector certs`, and the
// webhook process watching the API. Tests then install webhook configurations and create pods.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlPlane, type StartControlPlaneOptions, startControlPlane } from './controlPlane';
import {
  generateCertificates,
  INJECTOR_NAMESPACE,
  type Injector,
  startInjector,
  type WebhookCertificates,
} from './injector';
import { Kube } from './kube';
import { controlPlaneScript } from './processes';
import { type Scope, type WebhookConfigurationOptions, webhookConfiguration } from './webhookConfigs';

const ROOT = join(__dirname, '..', '..', '..');
const CRD = join(ROOT, 'deploy', 'base', 'crd.yaml');
const CRD_NAME = 'sidecartemplates.sidecar.injector.dev';
const FIXTURE_TEMPLATES = join(__dirname, '..', 'webhook-fixtures', 'templates');

/** Generous: a cold build of the control plane (when build.sh has not run before jest) takes many minutes. */
export const SETUP_TIMEOUT_MS = 30 * 60_000;
export const TEST_TIMEOUT_MS = 90_000;

/**
 * The Kubernetes release the suite runs against, known before anything starts: the one
 * SIDECAR_INJECTOR_K8S_VERSION names (a minor is resolved through its committed module), else the
 * newest supported minor's.
 */
export function pinnedKubernetesVersion(): string {
  const where = execFileSync('bash', [controlPlaneScript('build.sh'), '--where'], { encoding: 'utf8' });
  const match = /^SIDECAR_INJECTOR_K8S_VERSION=(v\S+)$/m.exec(where);
  if (!match?.[1]) throw new Error(`build.sh --where did not name a version:\n${where}`);
  return match[1];
}

export interface EnvironmentOptions {
  readonly nativeSidecars?: 'auto' | 'always' | 'never';
  /** A whole cluster instead of an API server alone: controllers, kwok nodes, an audit log. */
  readonly cluster?: Pick<StartControlPlaneOptions, 'controllers' | 'nodes' | 'auditPodCreations'>;
  /** More serve flags for the webhook, e.g. --drift-report on. */
  readonly serveArgs?: readonly string[];
}

export interface Environment {
  readonly cp: ControlPlane;
  readonly kube: Kube;
  readonly injector: Injector;
  readonly certificates: WebhookCertificates;
  /** Installs (or replaces) our MutatingWebhookConfiguration, built from the shipped one. */
  applyWebhookConfiguration(
    scope: Scope,
    overrides?: Omit<WebhookConfigurationOptions, 'url' | 'caBundle'>,
  ): Promise<void>;
  /** SIGTERM to the webhook (as when it is down); the API server then follows failurePolicy. */
  stopWebhook(): Promise<void>;
  /**
   * Starts the webhook again (a new process, on new ports; `injector` is then the new one) and
   * puts the last webhook configuration back, pointed at it.
   */
  startWebhook(): Promise<void>;
  /** Failure details: the webhook's log tail and where the control plane logs are kept. */
  diagnostics(): string;
  stop(): Promise<void>;
}

let current: Environment | undefined;
let failed = false;

export async function startEnvironment(options: EnvironmentOptions = {}): Promise<Environment> {
  const lines: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'sidecar-injector-e2e-'));
  let cp: ControlPlane | undefined;
  let injector: Injector | undefined;
  try {
    cp = await startControlPlane({ ...options.cluster, log: (line) => lines.push(line) });
    const kube = new Kube(cp);

    // The CRD before the webhook: the webhook is not ready until its first list of SidecarTemplates.
    await kube.ok(['apply', '-f', CRD]);
    await kube.ok(['wait', '--for=condition=Established', `crd/${CRD_NAME}`, '--timeout=60s']);
    // The injector's namespace, without deploy/'s labels: the tests check that the name alone keeps
    // its pods out (the shipped `disabled` label and Pod Security `restricted` would hide that).
    await kube.createNamespace(INJECTOR_NAMESPACE);

    const certificates = await generateCertificates(join(work, 'certs'));
    const templatesDir = join(work, 'templates');
    mkdirSync(templatesDir);
    cpSync(FIXTURE_TEMPLATES, templatesDir, { recursive: true });
    const injectorOptions = {
      certificates,
      templatesDir,
      kubeconfig: cp.kubeconfigPath,
      ...(options.nativeSidecars ? { nativeSidecars: options.nativeSidecars } : {}),
      ...(options.serveArgs ? { extraArgs: options.serveArgs } : {}),
    };
    injector = await startInjector(injectorOptions);
    const started: ControlPlane = cp;
    let webhook: Injector = injector;
    let lastConfiguration: Parameters<Environment['applyWebhookConfiguration']> | undefined;
    const applyWebhookConfiguration: Environment['applyWebhookConfiguration'] = (scope, overrides = {}) => {
      lastConfiguration = [scope, overrides];
      return kube.apply(
        webhookConfiguration(scope, { ...overrides, url: webhook.url, caBundle: certificates.caBundle }),
      );
    };
    console.log(
      [
        `e2e: kube-apiserver ${cp.version} at ${cp.apiserverUrl}`,
        `e2e: webhook ${webhook.url} (metrics http://127.0.0.1:${webhook.metricsPort}/metrics), native sidecars ${options.nativeSidecars ?? 'auto'}`,
        `e2e: control plane logs in ${cp.logDir}`,
      ].join('\n'),
    );

    const environment: Environment = {
      cp,
      kube,
      get injector() {
        return webhook;
      },
      certificates,
      applyWebhookConfiguration,
      stopWebhook: async () => {
        await webhook.terminate();
      },
      startWebhook: async () => {
        webhook = await startInjector(injectorOptions);
        if (lastConfiguration) await applyWebhookConfiguration(...lastConfiguration);
      },
      diagnostics: () =>
        [webhook.tail(), `kube-apiserver log: ${started.apiserverLog()} (kept after a failure)`].join('\n'),
      stop: async () => {
        current = undefined;
        try {
          await webhook.terminate(10_000);
        } catch {
          webhook.kill();
        } finally {
          await started.stop({ keepWorkDir: failed });
          if (failed) console.log(`e2e: after the failure, logs are kept in ${started.logDir} and ${work}`);
          else rmSync(work, { recursive: true, force: true });
        }
      },
    };
    current = environment;
    return environment;
  } catch (error) {
    injector?.kill();
    await cp?.stop({ keepWorkDir: true });
    throw new Error(`e2e setup failed: ${(error as Error).message}\n${lines.slice(-30).join('\n')}`);
  }
}

/** Runs `fn`; on failure prints the diagnostics and keeps the logs for after the run. */
async function diagnosed(what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    failed = true;
    if (current) console.error(`e2e: ${what} failed\n${current.diagnostics()}`);
    throw error;
  }
}

/**
 * A test with failure diagnostics: the webhook's log tail and the kube-apiserver log path are
 * printed, and the control plane's logs are kept, when it fails.
 */
export function e2eTest(name: string, fn: () => Promise<void>, timeoutMs = TEST_TIMEOUT_MS): void {
  test(name, () => diagnosed(`"${name}"`, fn), timeoutMs);
}

/** beforeAll with the same failure diagnostics as e2eTest. */
export function e2eBeforeAll(fn: () => Promise<void>, timeoutMs = TEST_TIMEOUT_MS): void {
  beforeAll(() => diagnosed('setup', fn), timeoutMs);
}
