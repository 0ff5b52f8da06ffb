// Reading deploy/ and checking what the contract (CONTRACT.md §1) says about the webhook
// configuration. Shared by the tests on the raw files and on `kubectl kustomize` output.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { compileLabelSelector, type Labels } from '../../../src/templates/labelSelector';
import type { LabelSelector } from '../../../src/templates/sidecarTemplate';

export const REPO_ROOT = join(__dirname, '../../..');
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
export const INJECTOR_NAMESPACE = 'sidecar-injector';
export const LABEL_INJECTION = 'sidecar.injector.dev/injection';
export const LABEL_NAME = 'kubernetes.io/metadata.name';

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form; tests read them by path.
export type Doc = Record<string, any>;
export interface Manifest {
  readonly file: string;
  readonly doc: Doc;
}

/** Every YAML file under `dir`, except user-generated certificate material. */
export function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return entry === 'certs' ? [] : yamlFilesUnder(path);
      return /\.ya?ml$/.test(entry) ? [path] : [];
    })
    .sort();
}

/** The documents of a multi-document YAML text; throws with every parse error. */
export function parseYaml(text: string, name: string): Doc[] {
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return [];
  const errors = documents.flatMap((d) => d.errors.map((e) => e.message));
  if (errors.length > 0) throw new Error(`${name}: ${errors.join('; ')}`);
  return documents.map((d) => d.toJS() as Doc).filter((d) => d !== null && d !== undefined);
}

export function manifestsIn(files: readonly string[]): Manifest[] {
  return files.flatMap((file) =>
    parseYaml(readFileSync(file, 'utf8'), relative(REPO_ROOT, file)).map((doc) => ({ file, doc })),
  );
}

export function findAll(docs: readonly Doc[], kind: string): Doc[] {
  return docs.filter((d) => d.kind === kind);
}

export function findOne(docs: readonly Doc[], kind: string, name?: string): Doc {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata?.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0] as Doc;
}

export type Scope = 'opt-in' | 'cluster-wide';

/** The namespaceSelector each scope must have, as CONTRACT.md §1 words it. */
export const EXPECTED_NAMESPACE_SELECTOR: Record<Scope, LabelSelector> = {
  'opt-in': {
    matchExpressions: [
      { key: LABEL_INJECTION, operator: 'In', values: ['enabled'] },
      { key: LABEL_NAME, operator: 'NotIn', values: [INJECTOR_NAMESPACE] },
    ],
  },
  'cluster-wide': {
    matchExpressions: [
      { key: LABEL_INJECTION, operator: 'NotIn', values: ['disabled'] },
      {
        key: LABEL_NAME,
        operator: 'NotIn',
        values: ['kube-system', 'kube-public', 'kube-node-lease', INJECTOR_NAMESPACE],
      },
    ],
  },
};

/** Deep equality where the order of keys does not matter (kustomize sorts them). */
const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);

/** Every way a MutatingWebhookConfiguration departs from the contract; empty when it conforms. */
export function webhookContractProblems(config: Doc, scope: Scope): string[] {
  const problems: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  expect(config.apiVersion === 'admissionregistration.k8s.io/v1', 'apiVersion admissionregistration.k8s.io/v1');
  expect(config.kind === 'MutatingWebhookConfiguration', 'kind MutatingWebhookConfiguration');
  const webhooks: Doc[] = Array.isArray(config.webhooks) ? config.webhooks : [];
  expect(webhooks.length === 1, 'exactly one webhook');
  for (const w of webhooks) {
    const name = `webhook ${w.name}`;
    expect(
      same(w.rules, [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }]),
      `${name}: rules CREATE on pods only (no subresources), got ${JSON.stringify(w.rules)}`,
    );
    expect(w.sideEffects === 'None', `${name}: sideEffects None`);
    expect(same(w.admissionReviewVersions, ['v1']), `${name}: admissionReviewVersions [v1]`);
    expect(w.matchPolicy === 'Equivalent', `${name}: matchPolicy Equivalent`);
    expect(
      Number.isInteger(w.timeoutSeconds) && w.timeoutSeconds >= 1 && w.timeoutSeconds <= 10,
      `${name}: a small timeoutSeconds`,
    );
    expect(w.reinvocationPolicy === 'IfNeeded', `${name}: reinvocationPolicy IfNeeded`);
    expect(w.failurePolicy === 'Fail', `${name}: failurePolicy Fail`);
    expect(w.objectSelector === undefined, `${name}: no objectSelector (the pod's annotations decide)`);
    expect(
      same(w.namespaceSelector, EXPECTED_NAMESPACE_SELECTOR[scope]),
      `${name}: namespaceSelector of the ${scope} scope, got ${JSON.stringify(w.namespaceSelector)}`,
    );
    const service = w.clientConfig?.service;
    expect(w.clientConfig?.url === undefined, `${name}: clientConfig.service, not url`);
    expect(
      same(service, { name: 'sidecar-injector', namespace: INJECTOR_NAMESPACE, path: '/mutate', port: 443 }),
      `${name}: clientConfig.service sidecar-injector/sidecar-injector:443/mutate, got ${JSON.stringify(service)}`,
    );
  }
  return problems;
}

/** Whether the webhook is called for pods in a namespace with these labels. */
export function coversNamespace(config: Doc, name: string, labels: Labels = {}): boolean {
  const selector = config.webhooks?.[0]?.namespaceSelector as LabelSelector | undefined;
  return compileLabelSelector(selector)({ ...labels, [LABEL_NAME]: name });
}
