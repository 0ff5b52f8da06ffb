// Declared parameters: compiled once at load time, then used to check each value a pod sets.
import { quantityValue } from '../shared/quantity';
import type { ParameterValue } from './placeholders';
import type { ParameterDeclaration, ParameterTypeName } from './sidecarTemplate';

export interface CompiledParameter {
  readonly name: string;
  readonly type: ParameterTypeName;
  readonly required: boolean;
  /** Bounds as numbers (quantities in base units); undefined when absent or not numeric. */
  readonly minimum: number | undefined;
  readonly maximum: number | undefined;
  /** The value used when the pod sets none; undefined only for required parameters. */
  readonly defaultValue: ParameterValue | undefined;
  /** A typed value from an annotation's text, or a problem that says what would be valid. */
  parse(text: string): { value: ParameterValue } | { problem: string };
  /** A problem with an already typed value (a default, an enum entry), or undefined. */
  check(value: ParameterValue): string | undefined;
  /** Lists what is valid, for denial messages. */
  readonly expectation: string;
}

const INTEGER = /^[+-]?\d+$/;
const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}..."` : text;
};

/** Throws on a declaration that cannot be compiled (a bad regular expression). */
export function compileParameter(decl: ParameterDeclaration): CompiledParameter {
  const type: ParameterTypeName = decl.type ?? 'string';
  // The pattern must match the whole value.
  const pattern = decl.pattern === undefined ? undefined : new RegExp(`^(?:${decl.pattern})$`, 'u');
  const enumValues = decl.enum;
  const numeric = (value: ParameterValue | undefined): number | undefined =>
    value === undefined
      ? undefined
      : typeof value === 'number'
        ? value
        : type === 'quantity'
          ? quantityValue(String(value))
          : undefined;
  const minimum = numeric(decl.minimum);
  const maximum = numeric(decl.maximum);

  const parts: string[] = [type];
  if (enumValues) parts.push(`one of ${enumValues.map(show).join(', ')}`);
  if (decl.pattern !== undefined) parts.push(`matching ${decl.pattern}`);
  if (decl.minimum !== undefined) parts.push(`>= ${decl.minimum}`);
  if (decl.maximum !== undefined) parts.push(`<= ${decl.maximum}`);
  const expectation = parts.join(', ');

  const check = (value: ParameterValue): string | undefined => {
    const wrongType =
      (type === 'integer' && !Number.isSafeInteger(value)) ||
      (type === 'boolean' && typeof value !== 'boolean') ||
      ((type === 'string' || type === 'quantity') && typeof value !== 'string') ||
      (type === 'quantity' && quantityValue(String(value)) === undefined);
    if (wrongType) return `${show(value)} is not a valid ${type}`;
    if (enumValues && !enumValues.includes(value))
      return `${show(value)} is not one of ${enumValues.map(show).join(', ')}`;
    if (pattern && !pattern.test(String(value))) return `${show(value)} does not match ${decl.pattern}`;
    const n = numeric(value);
    if (n !== undefined && minimum !== undefined && n < minimum) return `${show(value)} is below ${decl.minimum}`;
    if (n !== undefined && maximum !== undefined && n > maximum) return `${show(value)} is above ${decl.maximum}`;
    return undefined;
  };

  const parse = (text: string): { value: ParameterValue } | { problem: string } => {
    let value: ParameterValue = text;
    if (type === 'integer') {
      if (!INTEGER.test(text) || !Number.isSafeInteger(Number(text)))
        return { problem: `${show(text)} is not an integer (expected ${expectation})` };
      value = Number(text);
    } else if (type === 'boolean') {
      if (text !== 'true' && text !== 'false') return { problem: `${show(text)} is not true or false` };
      value = text === 'true';
    }
    const problem = check(value);
    return problem ? { problem } : { value };
  };

  // An optional string without a default is empty; other types need a default or `required`.
  const defaultValue = decl.default ?? (type === 'string' && !decl.required ? '' : undefined);
  return {
    name: decl.name,
    type,
    minimum,
    maximum,
    required: decl.required === true,
    defaultValue,
    parse,
    check,
    expectation,
  };
}
