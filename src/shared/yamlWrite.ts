// Writing JSON values as YAML that every reader takes back as the same values: kubectl (YAML
// 1.1, go-yaml v2), YAML 1.2 tools, and YAML 1.1 tools that also read sexagesimal numbers and
// timestamps. A string is quoted whenever any of them would read its plain form as anything else
// (`"yes"`, `"0755"`, `"1:30"`, `"2024-01-02"`, `"~"`).
import { Document, Pair, parse, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { PARSE_OPTIONS, resolvePlain } from './kubernetesYaml';

type Obj = Record<string, unknown>;

/**
 * Whether a plain `text` would be read as another scalar (a number, a boolean, null, a date) by
 * some reader. Text that is no plain scalar at all (`a: b`, `{x}`) the writer quotes by itself.
 */
export function needsQuotes(text: string): boolean {
  // `<<` is a string as a value, but a merge as a key.
  if (text === '<<' || resolvePlain(text).tag !== 'str') return true;
  for (const version of ['1.1', '1.2'] as const) {
    try {
      const read: unknown = parse(text, { version, logLevel: 'silent' });
      if (read !== text && (read === null || typeof read !== 'object' || read instanceof Date)) return true;
    } catch {
      // Not a valid plain scalar: quoted anyway.
    }
  }
  return false;
}

/** A YAML node for a JSON value, in the failsafe schema's terms: every scalar is written as text. */
export function yamlNode(value: unknown): Scalar | YAMLMap | YAMLSeq {
  if (Array.isArray(value)) {
    const seq = new YAMLSeq();
    for (const item of value) seq.items.push(yamlNode(item));
    return seq;
  }
  if (value !== null && typeof value === 'object') {
    const map = new YAMLMap();
    for (const [key, item] of Object.entries(value as Obj)) map.items.push(new Pair(stringNode(key), yamlNode(item)));
    return map;
  }
  if (typeof value === 'string') return stringNode(value);
  const node = new Scalar(
    typeof value === 'number' ? numberText(value) : value === null || value === undefined ? 'null' : String(value),
  );
  node.type = Scalar.PLAIN;
  return node;
}

/** YAML 1.1 floats need a dot: `1e+21` would be a string there, `1.0e+21` is a number everywhere. */
function numberText(value: number): string {
  const text = String(value);
  return text.includes('e') && !text.includes('.') ? text.replace('e', '.0e') : text;
}

/** A map key, quoted when a reader would take it for something else (`"y"`, `"<<"`, `"1"`). */
export function yamlKey(text: string): Scalar {
  return stringNode(text);
}

function stringNode(text: string): Scalar {
  const node = new Scalar(text);
  if (needsQuotes(text)) node.type = Scalar.QUOTE_DOUBLE;
  return node;
}

/** Options for writing Kubernetes YAML: long strings stay on one line, lists are indented. */
export const WRITE_OPTIONS = { lineWidth: 0, indentSeq: true } as const;

/** A whole document for a JSON value. */
export function yamlText(value: unknown): string {
  const document = new Document(null, PARSE_OPTIONS);
  document.contents = yamlNode(value);
  return document.toString(WRITE_OPTIONS);
}
