// `sidecar-injector validate`: the checks the server makes when it loads templates, run ahead of
// time (CI, pre-commit), with one `file: name: problem` line per problem.

import { defaultTemplatesDir } from '../runtime/packageRoot';
import { loadTemplatePaths } from '../sources/templateFiles';
import { type FlagSpec, helpText, parseFlags, TEMPLATES_DIR_FLAG } from './flags';
import type { CliIO } from './io';

const FLAGS: readonly FlagSpec[] = [TEMPLATES_DIR_FLAG];

export const VALIDATE_HELP = helpText(
  'sidecar-injector validate [--templates-dir DIR]... [FILE...]',
  'Checks SidecarTemplate files: schema, parameters and their placeholders, selectors, duplicate\n' +
    'names, and the rendered containers and volumes. Exits 1 when there is a problem.',
  FLAGS,
);

export async function runValidate(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(FLAGS, argv, io.env, true);
  if (values.help) {
    io.stdout.write(VALIDATE_HELP);
    return 0;
  }
  const given = [...((values['templates-dir'] as string[] | undefined) ?? []), ...positionals];
  const paths = given.length > 0 ? given : [defaultTemplatesDir()];
  const { templates, errors, files } = await loadTemplatePaths(paths);
  let problems = 0;
  for (const error of errors) {
    for (const problem of error.problems) {
      io.stdout.write(`${error.file}: ${problem}\n`);
      problems++;
    }
  }
  if (problems === 0 && files.length === 0) {
    io.stdout.write(`${paths.join(', ')}: no *.yaml, *.yml or *.json files\n`);
    return 1;
  }
  if (problems > 0) {
    const fileCount = new Set(errors.map((e) => e.file)).size;
    io.stderr.write(
      `${problems} problem${problems === 1 ? '' : 's'} in ${fileCount} file${fileCount === 1 ? '' : 's'}\n`,
    );
    return 1;
  }
  const names = templates.map((t) => t.name).join(', ');
  io.stdout.write(
    `OK: ${templates.length} template${templates.length === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}${names ? ` (${names})` : ''}\n`,
  );
  return 0;
}
