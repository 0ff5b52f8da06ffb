// `${params.NAME}` placeholders, found and replaced inside parsed values, never in text.
import { PARAMETER_NAME } from './sidecarTemplate';

export type ParameterValue = string | number | boolean;

/** `$${` is an escaped literal `${`; `${params.NAME}` a placeholder; any other `${` an error. */
const TOKEN = /\$\$\{|\$\{([^}]*)\}?/g;
const NAME = new RegExp(PARAMETER_NAME);

export interface PlaceholderUse {
  name: string;
  /** JSON path of the string that holds it, e.g. `spec.containers[0].args[1]`. */
  path: string;
  /** The string is exactly this one placeholder, so it takes the parameter's type. */
  whole: boolean;
}

/** Walks a parsed value and lists its placeholders, or the malformed ones as problems. */
export function findPlaceholders(value: unknown, path: string, uses: PlaceholderUse[], problems: string[]): void {
  if (typeof value === 'string') {
    if (!value.includes('${')) return;
    for (const match of value.matchAll(TOKEN)) {
      if (match[0] === '$${') continue;
      const inner = match[1] ?? '';
      const name = inner.startsWith('params.') ? inner.slice('params.'.length) : undefined;
      if (!match[0].endsWith('}') || name === undefined || !NAME.test(name)) {
        problems.push(
          `${path}: ${JSON.stringify(match[0])} is not a placeholder; write \${params.NAME}, or $\${ for a literal \${`,
        );
        continue;
      }
      uses.push({ name, path, whole: match[0] === value });
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      findPlaceholders(item, `${path}[${i}]`, uses, problems);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) findPlaceholders(item, `${path}.${key}`, uses, problems);
  }
}

/**
 * A fresh copy of `value` with placeholders replaced. A string that is exactly one placeholder
 * becomes the parameter's value with its type; elsewhere values are written as text.
 * Object keys are never touched, so a value can never add or rename a field.
 */
export function renderPlaceholders<T>(value: T, params: ReadonlyMap<string, ParameterValue>): T {
  return render(value, params) as T;
}

function render(value: unknown, params: ReadonlyMap<string, ParameterValue>): unknown {
  if (typeof value === 'string') return value.includes('${') ? renderString(value, params) : value;
  if (Array.isArray(value)) return value.map((item) => render(item, params));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = render(item, params);
    return out;
  }
  return value;
}

function renderString(text: string, params: ReadonlyMap<string, ParameterValue>): ParameterValue {
  let whole: ParameterValue | undefined;
  const replaced = text.replace(TOKEN, (token: string, inner: string | undefined) => {
    if (token === '$${') return '${';
    const value = params.get((inner ?? '').slice('params.'.length));
    // Validation guarantees every placeholder is declared and has a value.
    if (value === undefined) throw new Error(`no value for placeholder ${token}`);
    if (token === text) whole = value;
    return String(value);
  });
  return whole ?? replaced;
}
