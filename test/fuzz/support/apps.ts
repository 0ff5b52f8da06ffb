// The template libraries the fuzz tests inject from (the shipped examples and the golden
// library), and the real fastify app built over each, with no port: `app.inject()` drives it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { NamespaceLabelSource } from '../../../src/admission/decide';
import { NAMESPACE_NAME_LABEL } from '../../../src/annotations';
import { buildApp } from '../../../src/server/app';
import { Metrics } from '../../../src/server/metrics';
import { Readiness } from '../../../src/server/readiness';
import { loadTemplatePaths } from '../../../src/sources/templateFiles';
import { type CatalogSnapshot, snapshotOf } from '../../../src/templates/catalog';
import type { LogLine } from '../../integration/support/server';
import { compiled, yamlDocuments } from '../../support/templates';

const ROOT = join(__dirname, '..', '..', '..');
export const EXAMPLES_DIR = join(ROOT, 'deploy', 'templates');
export const GOLDEN_LIBRARY = join(ROOT, 'test', 'golden', 'templates.yaml');
export const INJECTOR_NAMESPACE = 'sidecar-injector';

export interface Parameter {
  readonly name: string;
  readonly type: string;
  /** The annotation that sets it, and a value its declaration accepts. */
  readonly annotation: string;
  readonly goodValue: string;
  readonly required: boolean;
}

/** Accepted values of the parameters that have no default. */
const REQUIRED_VALUES: Record<string, string> = { 'config-map': 'app-config', 'secret-name': 'app-tls' };

export interface Library {
  readonly name: string;
  readonly snapshot: CatalogSnapshot;
  readonly templates: ReadonlyArray<{ name: string; parameters: readonly Parameter[] }>;
}

function library(name: string, snapshot: CatalogSnapshot): Library {
  const templates = [...snapshot.templates.values()].map((t) => ({
    name: t.name,
    parameters: [...t.parameters.values()].map((p) => ({
      name: p.name,
      type: p.type,
      annotation: `${t.name}.sidecar.injector.dev/${p.name}`,
      goodValue: String(p.defaultValue ?? REQUIRED_VALUES[p.name] ?? ''),
      required: p.required,
    })),
  }));
  return { name, snapshot, templates };
}

/** deploy/templates, loaded the way the server loads a directory. */
export async function exampleLibrary(): Promise<Library> {
  const loaded = await loadTemplatePaths([EXAMPLES_DIR]);
  if (loaded.errors.length > 0) throw new Error(`deploy/templates: ${JSON.stringify(loaded.errors)}`);
  return library('examples', snapshotOf(loaded.templates));
}

export function goldenLibrary(): Library {
  const documents = yamlDocuments(readFileSync(GOLDEN_LIBRARY, 'utf8'));
  return library('golden', snapshotOf(documents.map((d) => compiled(d, GOLDEN_LIBRARY))));
}

/** Namespace `payments` carries `team: payments` (the golden team-audit template selects it). */
export const fuzzNamespaceLabels: NamespaceLabelSource = {
  labelsOf: (namespace) => ({
    [NAMESPACE_NAME_LABEL]: namespace,
    ...(namespace === 'payments' ? { team: 'payments' } : {}),
  }),
};

export interface FuzzApp {
  readonly app: FastifyInstance;
  readonly library: Library;
  readonly native: boolean;
  readonly bodyLimit: number;
  /** Log lines at error level: a 5xx is logged as `admission failed`. */
  readonly errors: LogLine[];
}

export async function fuzzApp(lib: Library, native: boolean, bodyLimit: number): Promise<FuzzApp> {
  const errors: LogLine[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => errors.push(JSON.parse(line)) });
  const app = buildApp({
    catalog: () => lib.snapshot,
    namespaceLabels: fuzzNamespaceLabels,
    nativeSidecars: () => native,
    injectorNamespace: INJECTOR_NAMESPACE,
    bodyLimit,
    logger,
    metrics: new Metrics({ processMetrics: false }),
    readiness: new Readiness([]),
  });
  await app.ready();
  return { app, library: lib, native, bodyLimit, errors };
}
