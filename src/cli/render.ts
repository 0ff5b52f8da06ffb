// `sidecar-injector render`: offline injection into Pods and workload pod templates, through the
// same inject() call as the webhook, so what it prints is what the cluster would store.
import { readFile } from 'node:fs/promises';
import { applyPatch } from 'fast-json-patch';
import { NATIVE_SIDECARS_CHOICES, type NativeSidecarsFlag, nativeSidecarsEnabled } from '../cluster/nativeSidecars';
import { inject } from '../injection/inject';
import type { AddOperation } from '../injection/patchBuilder';
import { defaultTemplatesDir } from '../runtime/packageRoot';
import { type KubernetesYamlDocument, readKubernetesYaml } from '../shared/kubernetesYaml';
import { editDocument, yamlStyleOf } from '../shared/yamlEdit';
import { fixedNamespaceLabels } from '../sources/namespaceLabels';
import { loadTemplatePaths } from '../sources/templateFiles';
import { snapshotOf } from '../templates/catalog';
import { type Labels, labelKeyProblem, labelValueProblem } from '../templates/labelSelector';
import { type DocumentPodTemplates, podTemplatesOf } from '../workloads/manifestDocument';
import { SUPPORTED_KINDS, UnsupportedWorkload } from '../workloads/podTemplate';
import { type FlagSpec, helpText, parseFlags, TEMPLATES_DIR_FLAG, UsageError } from './flags';
import { type CliIO, readAll } from './io';

export const OUTPUTS = ['yaml', 'json', 'patch'] as const;
type Output = (typeof OUTPUTS)[number];

const FLAGS: readonly FlagSpec[] = [
  {
    name: 'file',
    short: 'f',
    kind: 'string',
    description: 'Manifest to render (multi-document YAML or JSON), - for stdin',
  },
  TEMPLATES_DIR_FLAG,
  {
    name: 'namespace',
    short: 'n',
    kind: 'string',
    description: 'Namespace of the pods',
    defaultText: "the document's metadata.namespace, else default",
  },
  { name: 'namespace-labels', kind: 'list', description: 'Labels of that namespace, k=v,k2=v2 (for selectors)' },
  {
    name: 'native-sidecars',
    kind: 'string',
    choices: NATIVE_SIDECARS_CHOICES,
    default: 'auto',
    description: 'Whether mode: Auto templates become native sidecars (auto means Classic offline)',
  },
  { name: 'output', short: 'o', kind: 'string', choices: OUTPUTS, default: 'yaml', description: 'Output format' },
];

export const RENDER_HELP = helpText(
  'sidecar-injector render -f FILE|- [flags]',
  `Injects sidecars offline, as the webhook would, into ${SUPPORTED_KINDS.join(', ')}\n` +
    '(and the items of a List). Every other document passes through unchanged, in order.\n' +
    'yaml prints the input with only the injected parts changed (comments kept); json one\n' +
    'document, or a v1 List of several; patch the JSON Patch against exactly one input document.\n' +
    'A denial exits 1 and prints nothing.',
  FLAGS,
);

/** `a=b,c=d` (repeatable) → labels, checked as Kubernetes checks them. */
export function parseLabelList(items: readonly string[]): Labels {
  const labels: Record<string, string> = {};
  for (const pair of items.flatMap((item) => item.split(',')).map((s) => s.trim())) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--namespace-labels: ${JSON.stringify(pair)} is not key=value`);
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem) throw new UsageError(`--namespace-labels: ${problem}`);
    labels[key] = value;
  }
  return labels;
}

/** One input document and what render does to it. */
interface Rendered {
  readonly source: KubernetesYamlDocument;
  /** The add operations against the whole document (empty when nothing is injected). */
  readonly patch: AddOperation[];
  /** The document's value once patched. */
  readonly value: unknown;
}

export async function runRender(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(FLAGS, argv, io.env);
  if (values.help) {
    io.stdout.write(RENDER_HELP);
    return 0;
  }
  const file = values.file as string | undefined;
  if (!file) throw new UsageError('-f FILE is required (- reads stdin)');
  const output = values.output as Output;
  const namespaceLabels = fixedNamespaceLabels(parseLabelList((values['namespace-labels'] as string[]) ?? []));
  const nativeSidecars = nativeSidecarsEnabled(values['native-sidecars'] as NativeSidecarsFlag, undefined);
  const dirs = (values['templates-dir'] as string[] | undefined) ?? [defaultTemplatesDir()];
  const fail = (...messages: string[]) => {
    for (const message of messages) io.stderr.write(`Error: ${message}\n`);
    return 1;
  };
  const warn = (message: string) => io.stderr.write(`Warning: ${message}\n`);

  let text: string;
  try {
    text = file === '-' ? await readAll(io.stdin) : await readFile(file, 'utf8');
  } catch (error) {
    return fail(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const input = readKubernetesYaml(text);
  if (input.problems.length > 0) return fail(...input.problems.map((p) => `${file}: ${p}`));
  for (const warning of input.warnings) warn(`${file}: ${warning}`);
  for (const duplicate of input.duplicateKeys) warn(`${file}: ${duplicate}; the last value is used, as kubectl does`);
  const documents = input.documents.filter((d) => d.value !== null);
  if (documents.length === 0) return fail(`${file}: no documents`);
  if (output === 'patch' && documents.length !== 1) {
    return fail(`--output patch needs exactly one input document; ${file} has ${documents.length}`);
  }

  const loaded = await loadTemplatePaths(dirs);
  for (const error of loaded.errors) {
    for (const problem of error.problems) warn(`template file not used: ${error.file}: ${problem}`);
  }
  const snapshot = snapshotOf(loaded.templates);

  const rendered: Rendered[] = [];
  let failed = false;
  documents.forEach((source, index) => {
    let found: DocumentPodTemplates;
    try {
      found = podTemplatesOf(source.value);
    } catch (error) {
      if (!(error instanceof UnsupportedWorkload)) throw error;
      failed = true;
      io.stderr.write(`Error: document ${index + 1}: ${error.message}\n`);
      return;
    }
    for (const notice of found.notInjected) warn(`document ${index + 1}: ${notice}`);
    const patch: AddOperation[] = [];
    for (const location of found.locations) {
      const namespace = (values.namespace as string | undefined) ?? location.namespace ?? 'default';
      const result = inject(
        location.pod,
        {
          namespace,
          namespaceLabels: namespaceLabels.labelsOf(namespace),
          nativeSidecars,
          workloadKind: location.kind,
        },
        snapshot,
      );
      const about = documents.length > 1 || found.locations.length > 1 ? `${location.label}: ` : '';
      for (const warning of result.warnings) warn(`${about}${warning}`);
      if (result.outcome === 'denied') {
        failed = true;
        io.stderr.write(`Error: ${location.label} denied: ${result.message}\n`);
        continue;
      }
      if (result.outcome === 'injected')
        for (const op of result.patch) patch.push({ ...op, path: location.pointer + op.path });
    }
    const value =
      patch.length > 0 ? applyPatch(structuredClone(source.value), patch, true, true).newDocument : source.value;
    rendered.push({ source, patch, value });
  });
  // Nothing on stdout when a document failed: a partial manifest must not reach `kubectl apply`.
  if (failed) return 1;
  io.stdout.write(format(text, rendered, output, warn));
  return 0;
}

function format(text: string, rendered: Rendered[], output: Output, warn: (message: string) => void): string {
  switch (output) {
    case 'patch':
      return `${JSON.stringify(rendered[0]?.patch ?? [], null, 2)}\n`;
    case 'json': {
      const value =
        rendered.length === 1
          ? rendered[0]?.value
          : { apiVersion: 'v1', kind: 'List', items: rendered.map((r) => r.value) };
      return `${JSON.stringify(value, null, 2)}\n`;
    }
    case 'yaml':
      return yamlOutput(text, rendered, warn);
  }
}

/**
 * The input text with each changed document's content replaced: what render does not change
 * stays as written, comments, quoting and `---` lines included.
 */
function yamlOutput(text: string, rendered: Rendered[], warn: (message: string) => void): string {
  let out = '';
  let from = 0;
  rendered.forEach(({ source, patch, value }, index) => {
    const range = source.document.contents?.range;
    if (patch.length === 0 || !range) return;
    const [start, , end] = range;
    const edited = editDocument(source.document, patch, value, yamlStyleOf(text.slice(start, end)));
    if (!edited.kept) {
      warn(
        `document ${index + 1}: written anew from its values, without its comments: the patch goes through an alias or a merge key`,
      );
    }
    const replacement = text.slice(start, end).endsWith('\n') ? edited.text : edited.text.replace(/\n$/, '');
    out += text.slice(from, start) + replacement;
    from = end;
  });
  return out + text.slice(from);
}
