// RFC 6902 `add` operations applied to a parsed YAML document rather than to its value, so that
// what the patch does not touch keeps its comments, quoting, anchors and scalar text. The edited
// document is read back and compared with the patched value; where an edit cannot be made
// faithfully (the path goes through an alias or a merged key), the document is written anew
// from its value instead, and the caller is told.
import { type Document, isCollection, isMap, isPair, isScalar, isSeq, type Node, Pair, visit } from 'yaml';
import { kubernetesValue, pairIndex } from './kubernetesYaml';
import { yamlKey, yamlNode } from './yamlWrite';

export interface AddOperation {
  readonly path: string;
  readonly value: unknown;
}

export interface EditedDocument {
  /** The document's content as YAML text (no `---`, no comments before or after it). */
  readonly text: string;
  /** False when the document had to be written anew from its value (comments were lost). */
  readonly kept: boolean;
}

/** How the source writes YAML, so that a changed document keeps its style. */
export interface YamlStyle {
  /** `key:\n  - item` (true) or `key:\n- item` (false, kubectl's own style). */
  readonly indentSeq: boolean;
  /** `{ a: b }` (true) or `{a: b}` (false). */
  readonly flowCollectionPadding: boolean;
}

export function editDocument(
  parsed: Document,
  patch: readonly AddOperation[],
  expected: unknown,
  style: YamlStyle,
): EditedDocument {
  const copy = parsed.clone();
  // A document written as one flow collection (JSON, mostly) has no comments to keep; edited in
  // place it would come out as one long line, so it is written as block YAML instead.
  if (isCollection(copy.contents) && copy.contents.flow && !hasComments(copy.contents)) {
    copy.contents = yamlNode(expected);
    return { text: copy.toString({ lineWidth: 0, ...style, indentSeq: true }), kept: true };
  }
  let kept = copy.contents !== null && patch.every((op) => applyAdd(copy, op));
  if (kept) {
    try {
      kept = sameJson(kubernetesValue(copy), expected);
    } catch {
      kept = false;
    }
  }
  if (!kept) copy.contents = yamlNode(expected);
  // What comes before and after the content stays in the source as written.
  copy.commentBefore = null;
  copy.comment = null;
  if (copy.directives) copy.directives.docStart = null;
  clearLeadingComment(copy.contents);
  return { text: copy.toString({ lineWidth: 0, ...style }), kept };
}

function hasComments(node: unknown): boolean {
  let found = false;
  visit(node as Node, (_key, n) => {
    if ((isScalar(n) || isCollection(n)) && (n.comment || n.commentBefore)) {
      found = true;
      return visit.BREAK;
    }
    return undefined;
  });
  return found;
}

/**
 * A comment before the content is kept in the source; the parser hangs it on the content or on
 * its first key or item, where it would be written a second time.
 */
function clearLeadingComment(node: unknown): void {
  if (!isMap(node) && !isSeq(node) && !isScalar(node)) return;
  node.commentBefore = undefined;
  node.spaceBefore = false;
  const first = isMap(node) || isSeq(node) ? node.items[0] : undefined;
  clearLeadingComment(isPair(first) ? first.key : first);
}

/** Guesses the style of a document's YAML text from its first block sequence and flow collection. */
export function yamlStyleOf(text: string): YamlStyle {
  const sequence = /^( *)[^\s#][^\n]*:[ \t]*\n(?:[ \t]*(?:#[^\n]*)?\n)*( *)- /m.exec(text);
  const flow = /[[{](\s?)[^\s\]}]/.exec(text);
  return {
    indentSeq: sequence ? (sequence[2] as string).length > (sequence[1] as string).length : true,
    flowCollectionPadding: flow ? flow[1] !== '' : true,
  };
}

function unescapePointerSegment(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function applyAdd(document: Document, op: AddOperation): boolean {
  const segments = op.path.split('/').slice(1).map(unescapePointerSegment);
  const last = segments.pop();
  if (last === undefined) return false;
  let node: unknown = document.contents;
  let insideFlow = false;
  for (const segment of segments) {
    insideFlow ||= isCollection(node) && node.flow === true;
    node = childOf(node, segment);
    if (node === undefined) return false;
  }
  // A flow collection that grows becomes a block one (`[a]` to `- a`), unless it sits inside
  // another flow collection, where a block one cannot stand.
  if (isCollection(node) && node.flow && !insideFlow) node.flow = false;
  const value = yamlNode(op.value);
  if (isMap(node)) {
    const index = pairIndex(node, last);
    const pair = node.items[index];
    if (pair) pair.value = value;
    else node.items.push(new Pair(yamlKey(last), value));
    return true;
  }
  if (isSeq(node)) {
    const index = last === '-' ? node.items.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > node.items.length) return false;
    node.items.splice(index, 0, value);
    return true;
  }
  return false;
}

/** The node at `segment` below `node`, if it is written there (not reached through an alias). */
function childOf(node: unknown, segment: string): unknown {
  let child: unknown;
  if (isMap(node)) child = node.items[pairIndex(node, segment)]?.value;
  else if (isSeq(node)) child = /^\d+$/.test(segment) ? node.items[Number(segment)] : undefined;
  return isMap(child) || isSeq(child) || isScalar(child) ? child : undefined;
}

/** Equal as JSON values: objects by their keys, whatever their order or prototype. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every(
    (key) =>
      Object.hasOwn(b, key) && sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}
