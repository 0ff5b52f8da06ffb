// Test helpers: compile templates from plain objects or YAML, failing loudly on problems.
import { parseAllDocuments } from 'yaml';
import { type CatalogSnapshot, snapshotOf } from '../../src/templates/catalog';
import { type CompiledTemplate, compileTemplate } from '../../src/templates/compile';

export function compiled(raw: unknown, source = 'test'): CompiledTemplate {
  const result = compileTemplate(raw, source);
  if (!result.ok) throw new Error(`template ${result.name} is invalid:\n${result.problems.join('\n')}`);
  return result.template;
}

export function yamlDocuments(text: string): unknown[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter((d) => d !== null && d !== undefined);
}

export function catalogFrom(raws: readonly unknown[]): CatalogSnapshot {
  return snapshotOf(raws.map((r) => compiled(r)));
}

/** A SidecarTemplate object with the usual envelope. */
export function template(name: string, spec: Record<string, unknown>): unknown {
  return { apiVersion: 'sidecar.injector.dev/v1alpha1', kind: 'SidecarTemplate', metadata: { name }, spec };
}
