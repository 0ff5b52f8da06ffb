// Multi-document YAML (and JSON, which YAML reads) into plain objects, read as Kubernetes reads
// them, and template files into compiled templates. Problems carry line numbers or template names
// so a user can find them.
import { readKubernetesYaml } from '../shared/kubernetesYaml';
import { isObject } from '../shared/objects';
import { type CompiledTemplate, compileTemplate } from './compile';

/** Problems with one file; each problem reads `name: what is wrong` or `line N, column M: ...`. */
export interface TemplateLoadError {
  file: string;
  problems: string[];
}

export interface ParsedDocuments {
  /** Non-empty documents in order; the items of a `kind: List` take its place. */
  documents: unknown[];
  problems: string[];
}

export function parseDocuments(text: string): ParsedDocuments {
  const read = readKubernetesYaml(text);
  const documents: unknown[] = [];
  for (const { value } of read.documents) {
    if (value === null) continue;
    if (isObject(value) && value.kind === 'List' && Array.isArray(value.items)) documents.push(...value.items);
    else documents.push(value);
  }
  // Stricter than kubectl, which silently keeps the last value: in a template that is a mistake.
  return { documents, problems: [...read.problems, ...read.duplicateKeys] };
}

export interface TemplateFile {
  templates: CompiledTemplate[];
  /** Empty when every document is a valid template. */
  problems: string[];
}

/** Parses and compiles every SidecarTemplate in one file; `source` is `${file}#${index}`. */
export function compileTemplateFile(file: string, text: string): TemplateFile {
  const { documents, problems } = parseDocuments(text);
  const templates: CompiledTemplate[] = [];
  documents.forEach((raw, index) => {
    const result = compileTemplate(raw, `${file}#${index}`);
    if (result.ok) templates.push(result.template);
    else for (const problem of result.problems) problems.push(`${result.name}: ${problem}`);
  });
  return { templates, problems };
}

/**
 * Keeps the first template of each name (files in load order); a later one with the same name
 * is dropped and reported against its file, saying where the first one is.
 */
export function withoutDuplicates(files: ReadonlyArray<{ file: string; templates: readonly CompiledTemplate[] }>): {
  templates: CompiledTemplate[];
  errors: TemplateLoadError[];
} {
  const first = new Map<string, CompiledTemplate>();
  const errors: TemplateLoadError[] = [];
  for (const { file, templates } of files) {
    const problems: string[] = [];
    for (const t of templates) {
      const earlier = first.get(t.name);
      if (earlier) problems.push(`${t.name}: duplicate template name; first defined in ${earlier.source}`);
      else first.set(t.name, t);
    }
    if (problems.length > 0) errors.push({ file, problems });
  }
  return { templates: [...first.values()], errors };
}
