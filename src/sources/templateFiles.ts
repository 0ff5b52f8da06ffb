// Template files on disk: which files of a `--templates-dir` path are templates, and loading
// them once (validate, render). The server's watching source builds on the same two steps.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompiledTemplate } from '../templates/compile';
import { compileTemplateFile, type TemplateLoadError, withoutDuplicates } from '../templates/documents';

export type { TemplateLoadError } from '../templates/documents';

const TEMPLATE_FILE = /\.(ya?ml|json)$/i;

export const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/**
 * The template files of a path: a directory's *.yaml, *.yml and *.json entries (sorted, not
 * recursive, dotfiles and Kubernetes' `..data` entries skipped, symlinks followed), or the
 * path itself when it is a file.
 */
export async function listTemplateFiles(path: string): Promise<{ files: string[] } | { problem: string }> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    return { problem: `cannot read: ${errorCode(error)}` };
  }
  if (info.isFile()) return { files: [path] };
  if (!info.isDirectory()) return { problem: 'neither a file nor a directory' };
  let names: string[];
  try {
    names = await readdir(path);
  } catch (error) {
    return { problem: `cannot list the directory: ${errorCode(error)}` };
  }
  const files: string[] = [];
  for (const name of names.filter((n) => !n.startsWith('.') && TEMPLATE_FILE.test(n)).sort()) {
    const file = join(path, name);
    // stat follows symlinks, as ConfigMap volumes need; a dangling link is skipped.
    const target = await stat(file).catch(() => undefined);
    if (target?.isFile()) files.push(file);
  }
  return { files };
}

/**
 * Loads files or directories once, for `validate` and `render`. A file with a problem adds no
 * template, as when the server starts with it.
 */
export async function loadTemplatePaths(
  paths: string[],
): Promise<{ templates: CompiledTemplate[]; errors: TemplateLoadError[]; files: string[] }> {
  const errors: TemplateLoadError[] = [];
  const loaded: Array<{ file: string; templates: CompiledTemplate[] }> = [];
  const files: string[] = [];
  for (const path of paths) {
    const listing = await listTemplateFiles(path);
    if ('problem' in listing) {
      errors.push({ file: path, problems: [listing.problem] });
      continue;
    }
    for (const file of listing.files) {
      files.push(file);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        errors.push({ file, problems: [`cannot read: ${errorCode(error)}`] });
        continue;
      }
      // As the server does with a file it has no good version of: all of it or none of it.
      const result = compileTemplateFile(file, text);
      if (result.problems.length > 0) errors.push({ file, problems: result.problems });
      else loaded.push({ file, templates: result.templates });
    }
  }
  const deduplicated = withoutDuplicates(loaded);
  return { templates: deduplicated.templates, errors: [...errors, ...deduplicated.errors], files };
}
