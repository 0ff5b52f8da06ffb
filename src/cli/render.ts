// `sidecar-injector render`: offline injection into Pods and workload pod templates, through the
// same inject() call as the webhook, so what it prints is what the cluster would store.
import { readFile } from 'node:fs/promises';
import { applyPatch } from 'fast-json-patch';
import { stringify } from 'yaml';
import { NATIVE_SIDECARS_CHOICES, type NativeSidecarsFlag, nativeSidecarsEnabled } from '../cluster/nativeSidecars';
import { inject } from '../injection/inject';
import { defaultTemplatesDir } from '../runtime/packageRoot';
import { fixedNamespaceLabels } from '../sources/namespaceLabels';
import { loadTemplatePaths } from '../sources/templateFiles';
import { snapshotOf } from '../templates/catalog';
import { parseDocuments } from '../templates/documents';
import { type Labels, labelKeyProblem, labelValueProblem } from '../templates/labelSelector';
import { locatePodTemplate, SUPPORTED_KINDS, UnsupportedWorkload } from '../workloads/podTemplate';
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
  `Injects sidecars offline, as the webhook would, into ${SUPPORTED_KINDS.join(', ')}.\n` +
    'yaml prints the documents in input order; json one document, or a v1 List of several;\n' +
    'patch the JSON Patch against exactly one input document. A denial exits 1.',
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

interface Rendered {
  document: unknown;
  patch: Array<{ op: 'add'; path: string; value: unknown }>;
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

  let text: string;
  try {
    text = file === '-' ? await readAll(io.stdin) : await readFile(file, 'utf8');
  } catch (error) {
    return fail(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const input = parseDocuments(text);
  if (input.problems.length > 0) return fail(...input.problems.map((p) => `${file}: ${p}`));
  const { documents } = input;
  if (documents.length === 0) return fail(`${file}: no documents`);
  if (output === 'patch' && documents.length !== 1) {
    return fail(`--output patch needs exactly one input document; ${file} has ${documents.length}`);
  }

  const loaded = await loadTemplatePaths(dirs);
  for (const error of loaded.errors) {
    for (const problem of error.problems)
      io.stderr.write(`Warning: template file not used: ${error.file}: ${problem}\n`);
  }
  const snapshot = snapshotOf(loaded.templates);

  const rendered: Rendered[] = [];
  let failed = false;
  documents.forEach((document, index) => {
    let location: ReturnType<typeof locatePodTemplate>;
    try {
      location = locatePodTemplate(document);
    } catch (error) {
      if (!(error instanceof UnsupportedWorkload)) throw error;
      failed = true;
      io.stderr.write(`Error: document ${index + 1}: ${error.message}\n`);
      return;
    }
    const namespace = (values.namespace as string | undefined) ?? namespaceOf(document) ?? 'default';
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
    const about = documents.length > 1 ? `${location.label}: ` : '';
    for (const warning of result.warnings) io.stderr.write(`Warning: ${about}${warning}\n`);
    if (result.outcome === 'denied') {
      failed = true;
      io.stderr.write(`Error: ${location.label} denied: ${result.message}\n`);
      return;
    }
    const patch =
      result.outcome === 'injected' ? result.patch.map((op) => ({ ...op, path: location.pointer + op.path })) : [];
    rendered.push({ document: applyPatch(structuredClone(document), patch, true, true).newDocument, patch });
  });
  // Nothing on stdout when a document failed: a partial manifest must not reach `kubectl apply`.
  if (failed) return 1;
  io.stdout.write(format(rendered, output));
  return 0;
}

function namespaceOf(document: unknown): string | undefined {
  const namespace = (document as { metadata?: { namespace?: unknown } }).metadata?.namespace;
  return typeof namespace === 'string' && namespace !== '' ? namespace : undefined;
}

function format(rendered: Rendered[], output: Output): string {
  switch (output) {
    case 'patch':
      return `${JSON.stringify(rendered[0]?.patch ?? [], null, 2)}\n`;
    case 'json': {
      const value =
        rendered.length === 1
          ? rendered[0]?.document
          : { apiVersion: 'v1', kind: 'List', items: rendered.map((r) => r.document) };
      return `${JSON.stringify(value, null, 2)}\n`;
    }
    case 'yaml':
      // YAML 1.1 quoting ("yes", "on", "0755" stay strings) as kubectl reads it.
      return rendered.map((r) => stringify(r.document, { version: '1.1', lineWidth: 0 })).join('---\n');
  }
}
