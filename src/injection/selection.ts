// Which templates a pod gets, in order: the names in the `inject` annotation, then every
// template whose selector matches (by name), minus `exclude`; nothing when `inject` is false/none.
import { EXCLUDE_ANNOTATION, INJECT_ANNOTATION } from '../annotations';
import type { CatalogSnapshot } from '../templates/catalog';
import type { CompiledTemplate } from '../templates/compile';
import type { Labels } from '../templates/labelSelector';
import { nameList, quote, warning } from './warnings';

export type Selection = { templates: CompiledTemplate[]; warnings: string[] } | { denial: string };

const OPT_OUT = new Set(['false', 'none']);

export function parseNameList(value: string | undefined): string[] {
  if (value === undefined) return [];
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  return [...new Set(names)];
}

export function selectTemplates(
  catalog: CatalogSnapshot,
  annotations: Readonly<Record<string, string>>,
  podLabels: Labels,
  namespaceLabels: Labels,
): Selection {
  const inject = annotations[INJECT_ANNOTATION];
  if (inject !== undefined && OPT_OUT.has(inject.trim().toLowerCase())) return { templates: [], warnings: [] };
  const warnings: string[] = [];
  const excluded = new Set(parseNameList(annotations[EXCLUDE_ANNOTATION]));
  for (const name of excluded) {
    if (!catalog.templates.has(name))
      warnings.push(warning(`${EXCLUDE_ANNOTATION} names unknown template ${quote(name)}`));
  }

  const chosen: CompiledTemplate[] = [];
  // `true` asks for automatic injection only; it is not a template name.
  const named = parseNameList(inject).filter((n) => n.toLowerCase() !== 'true');
  for (const name of named) {
    const template = catalog.templates.get(name);
    if (!template) {
      return {
        denial: `${INJECT_ANNOTATION}: unknown template ${quote(name)}; known templates: ${nameList([...catalog.templates.keys()].sort())}`,
      };
    }
    if (!excluded.has(name)) chosen.push(template);
  }
  for (const template of catalog.automaticCandidates(podLabels)) {
    if (excluded.has(template.name) || named.includes(template.name)) continue;
    if (template.matchesNamespace(namespaceLabels) && template.matchesPod(podLabels)) chosen.push(template);
  }
  return { templates: chosen, warnings };
}
