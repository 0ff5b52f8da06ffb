// The Helm chart as the checks see it: its ci/ values files (each says which kustomize variant it
// equals), `helm template`, and the normalisation that makes a chart render and a kustomize
// build comparable object by object.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { DEPLOY_DIR, type Doc } from '../../unit/deploy/manifests';
import { runOk } from './tools';

export const CHART_DIR = join(DEPLOY_DIR, 'helm', 'sidecar-injector');
export const RELEASE = 'sidecar-injector';
export const NAMESPACE = 'sidecar-injector';

/** Documents of a YAML stream read as Kubernetes reads them (YAML 1.1: `on` is a boolean, `0644` octal). */
export function parseKubeYaml(text: string, name: string): Doc[] {
  const documents = parseAllDocuments(text, { version: '1.1', merge: true });
  if (!Array.isArray(documents)) return [];
  const errors = documents.flatMap((d) => d.errors.map((e) => e.message));
  if (errors.length > 0) throw new Error(`${name}: ${errors.join('; ')}`);
  return documents.map((d) => d.toJS() as Doc).filter((d) => d !== null && d !== undefined);
}

export interface CiValues {
  /** File name in ci/. */
  readonly name: string;
  readonly path: string;
  /** The kustomize directories (under deploy/) whose build equals this chart render, or none. */
  readonly kustomize: { readonly resource: string; readonly components: readonly string[] } | undefined;
}

/**
 * Every values file in the chart's ci/. Its first line names its kustomize equivalent:
 * `# kustomize: deploy/overlays/<variant> [+ deploy/<component>]...`, or `# kustomize: none (why)`.
 */
export function ciValuesFiles(chartDir = CHART_DIR): CiValues[] {
  return readdirSync(join(chartDir, 'ci'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((name) => {
      const path = join(chartDir, 'ci', name);
      const header = /^# kustomize: (.+)$/m.exec(readFileSync(path, 'utf8').split('\n')[0] ?? '');
      if (!header?.[1])
        throw new Error(`ci/${name}: the first line must be "# kustomize: <overlay> [+ <component>]..."`);
      if (/^none \(\S/.test(header[1])) return { name, path, kustomize: undefined };
      const [resource, ...components] = header[1].split('+').map((p) => p.trim().replace(/^deploy\//, ''));
      if (!resource?.startsWith('overlays/'))
        throw new Error(`ci/${name}: "${header[1]}" must start with deploy/overlays/<variant>, or be "none (why)"`);
      return { name, path, kustomize: { resource, components } };
    });
}

export interface TemplateOptions {
  readonly values?: readonly string[];
  readonly set?: Readonly<Record<string, string>>;
  readonly chartDir?: string;
  readonly namespace?: string;
  readonly release?: string;
  /** `--include-crds`: the CRD in crds/ too. */
  readonly includeCrds?: boolean;
  /** `--skip-tests`: without the helm test pod. */
  readonly skipTests?: boolean;
  readonly showOnly?: readonly string[];
}

export function helmTemplateArgs(options: TemplateOptions = {}): string[] {
  return [
    'template',
    options.release ?? RELEASE,
    options.chartDir ?? CHART_DIR,
    '--namespace',
    options.namespace ?? NAMESPACE,
    ...(options.values ?? []).flatMap((file) => ['--values', file]),
    ...Object.entries(options.set ?? {}).flatMap(([key, value]) => ['--set-string', `${key}=${value}`]),
    ...(options.includeCrds ? ['--include-crds'] : []),
    ...(options.skipTests ? ['--skip-tests'] : []),
    ...(options.showOnly ?? []).flatMap((t) => ['--show-only', t]),
  ];
}

export async function helmTemplate(helm: string, options: TemplateOptions = {}): Promise<Doc[]> {
  return parseKubeYaml(await runOk(helm, helmTemplateArgs(options)), 'helm template');
}

/** The labels Helm charts add that a kustomize overlay has no use for. */
export const HELM_LABELS = [
  'helm.sh/chart',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
] as const;

function withoutHelmLabelKeys(labels: unknown): unknown {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) return labels;
  return Object.fromEntries(
    Object.entries(labels).filter(([key]) => !(HELM_LABELS as readonly string[]).includes(key)),
  );
}

/**
 * The object without Helm's labels, wherever labels are written or selected: `labels` and
 * `matchLabels` maps at any depth, and a Service's `spec.selector`. Nothing else changes.
 */
export function withoutHelmLabels(doc: Doc): Doc {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [
        key,
        key === 'labels' || key === 'matchLabels' ? withoutHelmLabelKeys(child) : walk(child),
      ]),
    );
  };
  const result = walk(doc) as Doc;
  if (result.kind === 'Service' && result.spec?.selector)
    result.spec = { ...result.spec, selector: withoutHelmLabelKeys(result.spec.selector) };
  return result;
}

export const objectKey = (doc: Doc): string =>
  `${doc.kind} ${doc.metadata?.namespace ? `${doc.metadata.namespace}/` : ''}${doc.metadata?.name}`;

/** Where two values differ, as `path: left ≠ right` lines (at most `limit`). */
export function valueDifferences(left: unknown, right: unknown, path = '', limit = 20): string[] {
  if (isDeepStrictEqual(left, right)) return [];
  const bothObjects =
    left !== null &&
    right !== null &&
    typeof left === 'object' &&
    typeof right === 'object' &&
    Array.isArray(left) === Array.isArray(right);
  if (!bothObjects || (Array.isArray(left) && Array.isArray(right) && left.length !== right.length))
    return [`${path || '.'}: ${JSON.stringify(left)} ≠ ${JSON.stringify(right)}`];
  const keys = [...new Set([...Object.keys(left as object), ...Object.keys(right as object)])].sort();
  const out: string[] = [];
  for (const key of keys) {
    const childPath = Array.isArray(left) ? `${path}[${key}]` : `${path}${path ? '.' : ''}${key}`;
    out.push(
      ...valueDifferences(
        (left as Record<string, unknown>)[key],
        (right as Record<string, unknown>)[key],
        childPath,
        limit - out.length,
      ),
    );
    if (out.length >= limit) break;
  }
  return out;
}

/** Every object only on one side, and every field that differs, labelled with the sides' names. */
export function manifestDifferences(sides: { readonly [name: string]: readonly Doc[] }): string[] {
  const [[leftName, leftDocs], [rightName, rightDocs]] = Object.entries(sides) as [[string, Doc[]], [string, Doc[]]];
  const index = (docs: readonly Doc[]) => new Map(docs.map((d) => [objectKey(d), d]));
  const left = index(leftDocs);
  const right = index(rightDocs);
  const out: string[] = [];
  for (const key of [...new Set([...left.keys(), ...right.keys()])].sort()) {
    const l = left.get(key);
    const r = right.get(key);
    if (!l) out.push(`${key}: only in ${rightName}`);
    else if (!r) out.push(`${key}: only in ${leftName}`);
    else for (const line of valueDifferences(l, r)) out.push(`${key}: ${line} (${leftName} ≠ ${rightName})`);
  }
  return out;
}
