// Command-line flags with environment equivalents: `--body-limit` is also
// SIDECAR_INJECTOR_BODY_LIMIT. A flag on the command line wins over the environment.
import { parseArgs } from 'node:util';
import { quantityValue } from '../shared/quantity';

export interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  readonly kind: 'string' | 'boolean' | 'list';
  readonly description: string;
  readonly default?: string | boolean | readonly string[];
  readonly choices?: readonly string[];
  /** Shown instead of the default value in help (e.g. for computed defaults). */
  readonly defaultText?: string;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export class UsageError extends Error {}

export const ENV_PREFIX = 'SIDECAR_INJECTOR_';

export function envName(flag: string): string {
  return ENV_PREFIX + flag.toUpperCase().replace(/-/g, '_');
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

/** Parses argv; values missing there come from the environment, then from the defaults. */
export function parseFlags(
  specs: readonly FlagSpec[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  allowPositionals = false,
): { values: FlagValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const spec of specs) {
    options[spec.name] = {
      type: spec.kind === 'boolean' ? 'boolean' : 'string',
      ...(spec.kind === 'list' ? { multiple: true } : {}),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values: FlagValues = { help: parsed.values.help === true };
  for (const spec of specs) {
    let value = parsed.values[spec.name] as string | boolean | string[] | undefined;
    const fromEnv = env[envName(spec.name)];
    if (value === undefined && fromEnv !== undefined) {
      if (spec.kind === 'boolean') {
        const lower = fromEnv.trim().toLowerCase();
        if (!TRUE.has(lower) && !FALSE.has(lower))
          throw new UsageError(`${envName(spec.name)}: expected true or false`);
        value = TRUE.has(lower);
      } else if (spec.kind === 'list') {
        value = fromEnv
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      } else {
        value = fromEnv;
      }
    }
    if (value === undefined && spec.default !== undefined)
      value = Array.isArray(spec.default) ? [...spec.default] : (spec.default as string | boolean);
    if (spec.choices && typeof value === 'string' && !spec.choices.includes(value)) {
      throw new UsageError(`--${spec.name}: ${JSON.stringify(value)} is not one of ${spec.choices.join(', ')}`);
    }
    values[spec.name] = value;
  }
  return { values, positionals: parsed.positionals };
}

export function helpText(usage: string, summary: string, specs: readonly FlagSpec[]): string {
  const lines = [`Usage: ${usage}`, '', summary, '', 'Flags:'];
  for (const spec of specs) {
    const name = `${spec.short ? `-${spec.short}, ` : ''}--${spec.name}${spec.kind === 'boolean' ? '' : ' VALUE'}`;
    const shown = spec.defaultText ?? (Array.isArray(spec.default) ? spec.default.join(',') : spec.default);
    const extra = [
      spec.choices ? `one of ${spec.choices.join('|')}` : undefined,
      shown !== undefined && shown !== '' ? `default ${shown}` : undefined,
      `env ${envName(spec.name)}`,
    ].filter(Boolean);
    lines.push(`  ${name.padEnd(28)} ${spec.description} (${extra.join('; ')})`);
  }
  lines.push(`  ${'-h, --help'.padEnd(28)} Show this help`);
  return `${lines.join('\n')}\n`;
}

/** A whole number of bytes written as a Kubernetes quantity: `3Mi`, `512Ki`, `3145728`. */
export function parseByteSize(text: string, flag: string): number {
  const bytes = quantityValue(text.trim());
  if (bytes === undefined || !Number.isSafeInteger(bytes) || bytes < 0)
    throw new UsageError(`--${flag}: ${JSON.stringify(text)} is not a size such as 3Mi or 3145728`);
  return bytes;
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration as kubectl takes it (`90s`, `5m`, `1h30m`, `0`) in milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed))
    throw new UsageError(`--${flag}: ${JSON.stringify(text)} is not a duration such as 90s, 5m or 1h30m`);
  let ms = 0;
  for (const [, amount, , unit] of trimmed.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g))
    ms += Number(amount) * (DURATION_UNITS[unit as string] ?? 0);
  return ms;
}

/** Where templates come from: shared by serve, render and validate. */
export const TEMPLATES_DIR_FLAG: FlagSpec = {
  name: 'templates-dir',
  kind: 'list',
  description: 'Directory (or file) of SidecarTemplate YAML/JSON; repeatable',
  defaultText: "the package's deploy/templates",
};
