// Template directories for the bench servers, in a temporary directory: copies of the shipped
// examples (deploy/templates), and catalogs padded with generated automatic templates whose
// selectors never match the bench pod, so that every request evaluates all of them.
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { defaultTemplatesDir } from '../src/runtime/packageRoot';

export interface TemplateDirs {
  /** The five shipped example templates. */
  readonly examples: string;
  /** log-shipper plus generated templates, by catalog size. */
  readonly catalogs: ReadonlyMap<number, string>;
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: a SidecarTemplate placeholder, not JavaScript
const DATA_PATH = '${params.data-path}';

function filler(index: number): object {
  const name = `filler-${String(index).padStart(3, '0')}`;
  return {
    apiVersion: 'sidecar.injector.dev/v1alpha1',
    kind: 'SidecarTemplate',
    metadata: { name },
    spec: {
      description: `Generated for the catalog-size benchmark (${name}).`,
      selector: {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
        podSelector: { matchExpressions: [{ key: 'bench.example.com/filler', operator: 'In', values: [name] }] },
      },
      onConflict: 'Skip',
      parameters: [{ name: 'data-path', default: `/var/lib/${name}`, pattern: '^/[A-Za-z0-9._/-]+$' }],
      containers: [
        {
          name,
          image: `registry.example.com/fillers/${name}:1.0`,
          args: [`--data=${DATA_PATH}`],
          ports: [{ name: 'metrics', containerPort: 20000 + index, protocol: 'TCP' }],
          resources: { requests: { cpu: '5m', memory: '8Mi' }, limits: { memory: '32Mi' } },
          volumeMounts: [{ name: `${name}-data`, mountPath: DATA_PATH }],
        },
      ],
      volumes: [{ name: `${name}-data`, emptyDir: {} }],
      appContainers: { volumeMounts: [{ name: `${name}-data`, mountPath: DATA_PATH }] },
    },
  };
}

function copyExamples(to: string, only?: string): void {
  const from = defaultTemplatesDir();
  for (const file of readdirSync(from).filter((f) => /\.ya?ml$/.test(f))) {
    if (only === undefined || file === `${only}.yaml`) copyFileSync(join(from, file), join(to, file));
  }
}

export function prepareTemplateDirs(root: string, catalogSizes: readonly number[]): TemplateDirs {
  const examples = join(root, 'templates-examples');
  mkdirSync(examples, { recursive: true });
  copyExamples(examples);
  const catalogs = new Map<number, string>();
  for (const size of catalogSizes) {
    const dir = join(root, `templates-catalog-${size}`);
    mkdirSync(dir, { recursive: true });
    copyExamples(dir, 'log-shipper');
    for (let i = 1; i < size; i++) writeFileSync(join(dir, `filler-${i}.yaml`), stringify(filler(i)));
    catalogs.set(size, dir);
  }
  return { examples, catalogs };
}
