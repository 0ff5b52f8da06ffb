// YAML as Kubernetes reads it. kubectl and the API server read YAML with sigs.k8s.io/yaml: go-yaml
// v2's YAML 1.1 rules, then JSON. So `0644` is octal 420, `yes`/`no`/`on`/`off`/`y`/`n` are
// booleans (as keys too: `y:` is the key "true"), `<<` merges (a later key wins, even over an
// explicit one), a timestamp stays the string it was written as, a duplicate key keeps its last
// value, and `1:30` (YAML 1.1 sexagesimal) is a string. The `yaml` package parses the text with
// its failsafe schema, so each scalar keeps its text, and the values are resolved here.
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  type Scalar,
  type YAMLMap,
} from 'yaml';

export interface KubernetesYamlDocument {
  /** The parsed document: comments, styles and each scalar's text, for writing it back. */
  readonly document: Document.Parsed;
  /** Its value as kubectl reads it; null for a document with no content. */
  readonly value: unknown;
}

export interface KubernetesYaml {
  /** Documents without problems, in order (empty ones too). */
  readonly documents: KubernetesYamlDocument[];
  /** `line N, column M: what is wrong`; documents with a problem are left out of `documents`. */
  readonly problems: string[];
  /** What is read differently from kubectl: integers beyond 2^53 lose precision in JavaScript. */
  readonly warnings: string[];
  /** Keys written twice in one map: kubectl silently keeps the last value, and so does this reader. */
  readonly duplicateKeys: string[];
}

/** What the reader tells about a document besides its value. */
export interface ReadReport {
  inexact(node: Scalar, value: number): void;
  duplicateKey(node: Node, key: string): void;
}

/** The options every parse of Kubernetes YAML uses: scalars keep their text, merges are ours. */
export const PARSE_OPTIONS = {
  schema: 'failsafe',
  version: '1.1',
  merge: false,
  uniqueKeys: false,
  prettyErrors: false,
  keepSourceTokens: false,
} as const;

/** More converted nodes than this (aliases expanding into aliases) is refused, as a bomb. */
const MAX_NODES = 1_000_000;

class ReadError extends Error {
  constructor(
    readonly node: Node | undefined,
    message: string,
  ) {
    super(message);
  }
}

export function readKubernetesYaml(text: string): KubernetesYaml {
  const lineCounter = new LineCounter();
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `line ${line}, column ${col}`;
  };
  const documents: KubernetesYamlDocument[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  const duplicateKeys: string[] = [];
  const report: ReadReport = {
    inexact: (node, value) =>
      warnings.push(`${at(node.range?.[0] ?? 0)}: ${node.value} is beyond 2^53 and is read as ${value}`),
    duplicateKey: (node, key) =>
      duplicateKeys.push(
        `${at(node.range?.[0] ?? 0)}: map keys must be unique; ${JSON.stringify(key)} is written twice`,
      ),
  };
  for (const document of parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter })) {
    if (document.errors.length > 0) {
      for (const error of document.errors) problems.push(`${at(error.pos[0])}: ${error.message.split('\n')[0]}`);
      continue;
    }
    try {
      documents.push({ document, value: kubernetesValue(document, report) });
    } catch (error) {
      if (!(error instanceof ReadError)) throw error;
      problems.push(`${at(error.node?.range?.[0] ?? document.range[0])}: ${error.message}`);
    }
  }
  return { documents, problems, warnings, duplicateKeys };
}

/** The value of a parsed document (see PARSE_OPTIONS) as kubectl reads it; throws on what it refuses. */
export function kubernetesValue(document: Document, report?: ReadReport): unknown {
  let budget = MAX_NODES;
  const convert = (node: unknown): unknown => {
    if (--budget < 0) throw new ReadError(node as Node, 'too many nodes once aliases are expanded');
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return convert(target(node, document));
    if (isScalar(node)) {
      const value = scalarValue(node);
      // Only go-yaml's integers are exact in Go; its floats are doubles in JavaScript too.
      if (typeof value === 'number' && !Number.isSafeInteger(value) && isGoInteger(node)) report?.inexact(node, value);
      return value;
    }
    if (isSeq(node)) return node.items.map((item) => (isPair(item) ? mapOf([item]) : convert(item)));
    if (isMap(node)) return mapOf(node.items);
    throw new ReadError(node as Node, 'unsupported YAML node');
  };
  const mapOf = (pairs: readonly unknown[]): Record<string, unknown> => {
    const map: Record<string, unknown> = {};
    const written = new Set<string>();
    for (const pair of pairs) {
      if (!isPair(pair)) continue;
      if (isMergeKey(pair.key)) {
        mergeInto(map, pair.value);
        continue;
      }
      const key = keyString(pair.key, convert(pair.key));
      if (written.has(key)) report?.duplicateKey(pair.key as Node, key);
      written.add(key);
      setKey(map, key, convert(pair.value));
    }
    return map;
  };
  // go-yaml v2 merges into the map being built, in place: keys written later win, whether they
  // come from the merge or are written out; in a list of maps, earlier ones win.
  const mergeInto = (map: Record<string, unknown>, value: unknown) => {
    const source = isAlias(value) ? target(value, document) : value;
    const parts = isMap(source) ? [value] : isSeq(source) ? [...source.items].reverse() : undefined;
    if (!parts) throw new ReadError(value as Node, 'map merge requires map or sequence of maps as the value');
    for (const part of parts) {
      const merged = isAlias(part) ? target(part, document) : part;
      if (!isMap(merged)) throw new ReadError(part as Node, 'map merge requires map or sequence of maps as the value');
      for (const [key, v] of Object.entries(convert(part) as Record<string, unknown>)) setKey(map, key, v);
    }
  };
  return convert(document.contents);
}

function target(alias: Alias, document: Document): unknown {
  const node = alias.resolve(document);
  if (!node) throw new ReadError(alias, `unknown anchor ${alias.source}`);
  return node;
}

/** A JSON object key that cannot reset the prototype (`__proto__` is an ordinary key in JSON). */
function setKey(map: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && ((key.type === 'PLAIN' && !key.tag && key.value === '<<') || key.tag === TAG.merge);
}

/** sigs.k8s.io/yaml turns the keys go-yaml reads into JSON's strings. */
function keyString(node: unknown, key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'boolean') return String(key);
  if (typeof key === 'number') return Number.isInteger(key) && !isFloatKey(node) ? String(key) : formatFloat32(key);
  throw new ReadError(node as Node, `unsupported map key: ${key === null ? 'null' : 'a list or map'}`);
}

function isGoInteger(node: Scalar): boolean {
  const text = String(node.value);
  return node.tag === TAG.int || (!node.tag && node.type === 'PLAIN' && resolvePlain(text).tag === 'int');
}

/** A key go-yaml reads as a float (`1.5`, `1e3`) is written as one, even when whole. */
function isFloatKey(node: unknown): boolean {
  if (!isScalar(node)) return false;
  const text = String(node.value).replace(/_/g, '');
  return node.tag === TAG.float || (goInteger(text) === undefined && FLOAT.test(text)) || /^\.[0-9]/.test(text);
}

/** Go's strconv.FormatFloat(f, 'g', -1, 32), which sigs.k8s.io/yaml uses for float keys. */
function formatFloat32(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
  const single = Math.fround(value);
  let digits = '';
  for (let precision = 1; precision <= 9; precision++) {
    digits = single.toExponential(precision - 1);
    if (Math.fround(Number(digits)) === single) break;
  }
  const [mantissa = '0', exponentText = '0'] = digits.split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(Number(digits));
}

const TAG = {
  str: 'tag:yaml.org,2002:str',
  int: 'tag:yaml.org,2002:int',
  float: 'tag:yaml.org,2002:float',
  bool: 'tag:yaml.org,2002:bool',
  null: 'tag:yaml.org,2002:null',
  timestamp: 'tag:yaml.org,2002:timestamp',
  binary: 'tag:yaml.org,2002:binary',
  merge: 'tag:yaml.org,2002:merge',
} as const;
const RESOLVABLE = new Set<string>([TAG.str, TAG.int, TAG.float, TAG.bool, TAG.null, TAG.timestamp]);

const BOOLEANS = new Map<string, boolean>();
for (const word of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) BOOLEANS.set(word, true);
for (const word of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'])
  BOOLEANS.set(word, false);
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS = new Set(['.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']);
for (const word of ['-.inf', '-.Inf', '-.INF']) SPECIAL_FLOATS.add(word);
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const TIMESTAMP = /^\d{4}-\d{1,2}-\d{1,2}([Tt ]|$)/;

type Resolved =
  | { tag: 'str'; value: string }
  | { tag: 'int' | 'float'; value: number }
  | { tag: 'bool'; value: boolean }
  | { tag: 'null'; value: null }
  | { tag: 'special-float'; value: string }
  | { tag: 'timestamp'; value: string };

/** An integer as Go's strconv.ParseInt(s, 0, 64) (or ParseUint) reads it, or undefined. */
function goInteger(text: string): bigint | undefined {
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return undefined;
  const [, sign, digits = ''] = match;
  const prefixed = /^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits.toLowerCase();
  const value = BigInt(prefixed);
  const limit = sign === '-' ? 2n ** 63n : 2n ** 64n - 1n;
  if (value > limit) return undefined;
  return sign === '-' ? -value : value;
}

/** go-yaml v2's resolve(): what a plain scalar's text is (the first character hints which). */
export function resolvePlain(text: string): Resolved {
  if (text === '' || '+-0123456789yYnNtTfFoO~.'.includes(text[0] as string)) {
    const known = BOOLEANS.get(text);
    if (known !== undefined) return { tag: 'bool', value: known };
    if (NULLS.has(text)) return { tag: 'null', value: null };
    if (SPECIAL_FLOATS.has(text)) return { tag: 'special-float', value: text };
    if (text.startsWith('.')) {
      if (/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text) && Number.isFinite(Number(text)))
        return { tag: 'float', value: Number(text) };
    } else if (/^[-+0-9]/.test(text)) {
      if (TIMESTAMP.test(text)) return { tag: 'timestamp', value: text };
      const plain = text.replace(/_/g, '');
      const integer = goInteger(plain);
      if (integer !== undefined) return { tag: 'int', value: Number(integer) };
      if (FLOAT.test(plain) && Number.isFinite(Number(plain))) return { tag: 'float', value: Number(plain) };
    }
  }
  return { tag: 'str', value: text };
}

function scalarValue(node: Scalar): unknown {
  const text = node.value === null || node.value === undefined ? '' : String(node.value);
  const tag = node.tag;
  // Quoted and block scalars without a tag are strings; so is any scalar with a tag go-yaml
  // cannot resolve (`!foo 123`, `!`), but for !!binary, which is base64.
  if (!tag) return node.type === 'PLAIN' ? jsonValue(node, resolvePlain(text)) : text;
  if (tag === TAG.binary) return binaryText(node, text);
  if (!RESOLVABLE.has(tag)) return text;
  if (tag === TAG.str) return text;
  const resolved = resolvePlain(text);
  const wanted = tag.slice('tag:yaml.org,2002:'.length);
  if (resolved.tag === wanted || (wanted === 'float' && resolved.tag === 'int')) return jsonValue(node, resolved);
  if (wanted === 'float' && resolved.tag === 'special-float') return jsonValue(node, resolved);
  throw new ReadError(node, `cannot decode ${JSON.stringify(text)} as a !!${wanted}`);
}

function jsonValue(node: Scalar, resolved: Resolved): unknown {
  if (resolved.tag === 'special-float')
    throw new ReadError(node, `${resolved.value} cannot be represented in JSON, which Kubernetes objects are`);
  return resolved.value;
}

function binaryText(node: Scalar, text: string): string {
  const base64 = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0)
    throw new ReadError(node, '!!binary value contains invalid base64 data');
  return Buffer.from(base64, 'base64').toString('utf8');
}

/**
 * Where `key` is written in `map` (the last time, as the last one wins), or -1; keys that are not
 * plain scalars, and merges, are not looked into.
 */
export function pairIndex(map: YAMLMap, key: string): number {
  let index = -1;
  map.items.forEach((pair, i) => {
    if (!isScalar(pair.key) || isMergeKey(pair.key)) return;
    try {
      if (keyString(pair.key, scalarValue(pair.key)) === key) index = i;
    } catch (error) {
      if (!(error instanceof ReadError)) throw error;
    }
  });
  return index;
}
