// kubectl against the e2e control plane: the same client path a user takes, so what the tests
// see (stored objects, denial messages, Warning: lines) is what a user sees.
import type { ControlPlane, KubectlResult } from './controlPlane';
import type { StoredPod } from './pods';
import { until } from './poll';

export class Kube {
  constructor(private readonly cp: ControlPlane) {}

  run(args: string[], input?: string): Promise<KubectlResult> {
    return this.cp.kubectl(args, input === undefined ? undefined : { input });
  }

  /** Runs kubectl and returns stdout; a non-zero exit throws with stderr. */
  async ok(args: string[], input?: string): Promise<string> {
    const result = await this.run(args, input);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${result.code}):\n${result.stderr}`);
    return result.stdout;
  }

  async apply(...objects: unknown[]): Promise<void> {
    await this.ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  }

  async createNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    await this.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  }

  /** `kubectl create`, then the pod as stored (`kubectl get -o json`), with create's stderr. */
  async createPod(pod: StoredPod): Promise<{ pod: StoredPod; stderr: string }> {
    const created = await this.run(['create', '-f', '-', '-o', 'name'], JSON.stringify(pod));
    if (created.code !== 0)
      throw new Error(`creating pod ${pod.metadata.namespace}/${pod.metadata.name} failed:\n${created.stderr}`);
    return { pod: await this.getPod(pod.metadata.namespace, pod.metadata.name), stderr: created.stderr };
  }

  /** `kubectl create` expected to fail: its result, for the message the user got. */
  tryCreatePod(pod: StoredPod): Promise<KubectlResult> {
    return this.run(['create', '-f', '-', '-o', 'json'], JSON.stringify(pod));
  }

  async getPod(namespace: string, name: string): Promise<StoredPod> {
    return JSON.parse(await this.ok(['get', 'pod', '-n', namespace, name, '-o', 'json'])) as StoredPod;
  }

  async podExists(namespace: string, name: string): Promise<boolean> {
    const result = await this.run(['get', 'pod', '-n', namespace, name, '-o', 'name']);
    if (result.code === 0) return true;
    if (/NotFound|not found/.test(result.stderr)) return false;
    throw new Error(`kubectl get pod ${namespace}/${name}: ${result.stderr}`);
  }

  /** `kubectl create --dry-run=server -o json`: the pod the API server would store (nothing is stored). */
  async dryRunPod(pod: StoredPod): Promise<{ pod?: StoredPod; result: KubectlResult }> {
    const result = await this.run(['create', '--dry-run=server', '-f', '-', '-o', 'json'], JSON.stringify(pod));
    return result.code === 0 ? { pod: JSON.parse(result.stdout) as StoredPod, result } : { result };
  }

  /**
   * Dry-runs `pod` until `accept` says the answer is the expected one. For changes that reach the
   * API server or the webhook through watches (webhook configurations, namespace labels, templates).
   */
  async dryRunUntil(
    what: string,
    pod: StoredPod,
    accept: (dryRun: { pod?: StoredPod; result: KubectlResult }) => boolean,
    timeoutMs = 30_000,
  ): Promise<{ pod?: StoredPod; result: KubectlResult }> {
    let last = '';
    try {
      return await until(
        what,
        async () => {
          const answer = await this.dryRunPod(pod);
          last = answer.pod ? JSON.stringify(answer.pod.spec) : answer.result.stderr;
          return accept(answer) ? answer : undefined;
        },
        { timeoutMs, intervalMs: 250 },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\nlast dry run: ${last}`);
    }
  }
}
