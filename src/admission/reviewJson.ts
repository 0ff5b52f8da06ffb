// Parsing an AdmissionReview body. A pod's `metadata.managedFields` is a third of its JSON and
// half the time JSON.parse takes on it (one object per field each manager set, each with its own
// keys), and nothing here ever reads it. So its value is checked to be valid JSON, without
// building it, and parsed as `null`; everything else is JSON.parse's own work, and the result is
// exactly JSON.parse's except for that one value. Any body this code does not follow (escaped
// keys, an unusual layout) is parsed whole, as is. It works on the bytes: JSON's structure is
// ASCII, and UTF-8 never hides an ASCII byte inside another character, even when invalid.

const MANAGED_FIELDS_PATH = ['request', 'object', 'metadata', 'managedFields'].map((key) => Buffer.from(key));
const NULL = Buffer.from('null');
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

/** Whether `word` is at `i` in `bytes`. */
function matches(bytes: Uint8Array, i: number, word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) if (bytes[i + k] !== word[k]) return false;
  return true;
}

/**
 * JSON.parse of the UTF-8 body, with `request.object.metadata.managedFields` read as null; throws
 * JSON.parse's errors. The bytes before that value are moved up against a `null` written over its
 * end, so the text parsed is the body without it, and no copy of the body is made; `body` is put
 * back as it was before this returns.
 */
export function parseReviewBody(body: Buffer): unknown {
  const span = managedFieldsSpan(body);
  // A value no longer than `null` saves nothing.
  if (span === undefined || span[1] - span[0] <= NULL.length) return JSON.parse(body.toString('utf8'));
  const [start, end] = span;
  const from = end - NULL.length - start;
  const overwritten = Buffer.from(body.subarray(from, end));
  body.copyWithin(from, 0, start);
  NULL.copy(body, end - NULL.length);
  const text = body.toString('utf8', from);
  overwritten.copy(body, from);
  try {
    return JSON.parse(text);
  } catch {
    // Invalid before or after the span: the error (and its position) must be the body's own.
    return JSON.parse(body.toString('utf8'));
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * Where the value of request.object.metadata.managedFields is, as byte offsets [start, end), when
 * the body reaches it through plain (unescaped) keys and that value is valid JSON; else undefined.
 *
 * Why the result is safe: the keys and values before `start` are only skipped structurally, not
 * checked. If they are valid JSON, that reading is exact, so `start` is this key's value. If they
 * are not, no text that begins with them parses either, and `parseReviewBody` falls back to the
 * whole body. The span itself is checked in full, so replacing it with `null` changes nothing
 * else about whether, or to what, the body parses; it begins and ends with ASCII, so the UTF-8
 * around it decodes the same. The search stops at the end of the first object on the path that
 * lacks the next key, so the spec is never scanned.
 */
export function managedFieldsSpan(bytes: Uint8Array): [number, number] | undefined {
  let i = skipSpace(bytes, 0);
  for (let level = 0; level < MANAGED_FIELDS_PATH.length; level++) {
    const wanted = MANAGED_FIELDS_PATH[level] as Buffer;
    if (bytes[i] !== OPEN_OBJECT) return undefined;
    i = skipSpace(bytes, i + 1);
    for (;;) {
      if (bytes[i] !== QUOTE) return undefined;
      const keyEnd = stringEnd(bytes, i);
      if (keyEnd < 0) return undefined;
      const isWanted = keyEnd - i - 2 === wanted.length && matches(bytes, i + 1, wanted);
      i = skipSpace(bytes, keyEnd);
      if (bytes[i] !== COLON) return undefined;
      i = skipSpace(bytes, i + 1);
      if (isWanted) break;
      i = skipValue(bytes, i);
      if (i < 0) return undefined;
      i = skipSpace(bytes, i);
      if (bytes[i] !== COMMA) return undefined;
      i = skipSpace(bytes, i + 1);
    }
  }
  const end = validValueEnd(bytes, i);
  return end < 0 ? undefined : [i, end];
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
function skipSpace(bytes: Uint8Array, i: number): number {
  for (;;) {
    const c = bytes[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** The index after the string that opens at `i`, found structurally (escapes honoured, not checked); -1 if unterminated. */
function stringEnd(bytes: Uint8Array, i: number): number {
  let quote = bytes.indexOf(QUOTE, i + 1);
  for (;;) {
    if (quote < 0) return -1;
    let backslashes = 0;
    while (bytes[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    quote = bytes.indexOf(QUOTE, quote + 1);
  }
}

/** The index after the value at `i`, found structurally (strings and brackets); -1 at the end of the body. */
function skipValue(bytes: Uint8Array, i: number): number {
  const first = bytes[i];
  if (first === QUOTE) return stringEnd(bytes, i);
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
    // A number or a literal: up to its delimiter.
    for (; ; i++) {
      const c = bytes[i];
      if (c === undefined) return -1;
      if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || c <= 0x20) return i;
    }
  }
  let depth = 0;
  for (;;) {
    const c = bytes[i];
    if (c === undefined) return -1;
    if (c === QUOTE) {
      i = stringEnd(bytes, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
    else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --depth === 0) return i + 1;
    i++;
  }
}

/**
 * The index after the JSON value at `i`, checked against JSON's grammar (RFC 8259) as JSON.parse
 * reads it; -1 if it is not valid. Iterative: nesting depth costs memory, never stack.
 */
export function validValueEnd(bytes: Uint8Array, i: number): number {
  const open: boolean[] = []; // true: an object, false: an array
  for (;;) {
    i = skipSpace(bytes, i);
    const c = bytes[i];
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const after = skipSpace(bytes, i + 1);
      if (bytes[after] === (c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) {
        i = after + 1;
      } else {
        open.push(c === OPEN_OBJECT);
        i = c === OPEN_OBJECT ? validKeyEnd(bytes, after) : after;
        if (i < 0) return -1;
        continue;
      }
    } else {
      i = validScalarEnd(bytes, i, c);
      if (i < 0) return -1;
    }
    // After a value: close what it ends, or go on to the next member or item.
    for (;;) {
      if (open.length === 0) return i;
      i = skipSpace(bytes, i);
      const d = bytes[i];
      const inObject = open[open.length - 1] as boolean;
      if (d === COMMA) {
        i = inObject ? validKeyEnd(bytes, skipSpace(bytes, i + 1)) : i + 1;
        if (i < 0) return -1;
        break;
      }
      if (d !== (inObject ? CLOSE_OBJECT : CLOSE_ARRAY)) return -1;
      open.pop();
      i++;
    }
  }
}

/** A member's key and its colon, from `i`; the index after the colon or -1. */
function validKeyEnd(bytes: Uint8Array, i: number): number {
  if (bytes[i] !== QUOTE) return -1;
  i = validStringEnd(bytes, i);
  if (i < 0) return -1;
  i = skipSpace(bytes, i);
  return bytes[i] === COLON ? i + 1 : -1;
}

function validScalarEnd(bytes: Uint8Array, i: number, c: number | undefined): number {
  if (c === QUOTE) return validStringEnd(bytes, i);
  if (c === 0x74) return matches(bytes, i, TRUE) ? i + 4 : -1;
  if (c === 0x66) return matches(bytes, i, FALSE) ? i + 5 : -1;
  if (c === 0x6e) return matches(bytes, i, NULL) ? i + 4 : -1;
  return validNumberEnd(bytes, i);
}

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
const isHexDigit = (c: number | undefined) =>
  c !== undefined && (isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
/** \" \\ \/ \b \f \n \r \t */
const isSingleEscape = (c: number | undefined) =>
  c === QUOTE || c === BACKSLASH || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74;

function validStringEnd(bytes: Uint8Array, i: number): number {
  for (i++; ; i++) {
    const c = bytes[i];
    if (c === QUOTE) return i + 1;
    if (c === undefined || c < 0x20) return -1; // the end of the body, or a control character
    if (c === BACKSLASH) {
      const e = bytes[++i];
      if (e === 0x75) {
        for (let k = 1; k <= 4; k++) if (!isHexDigit(bytes[i + k])) return -1;
        i += 4;
      } else if (!isSingleEscape(e)) return -1;
    }
  }
}

/** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
function validNumberEnd(bytes: Uint8Array, i: number): number {
  if (bytes[i] === 0x2d) i++;
  if (bytes[i] === 0x30) i++;
  else if (isDigit(bytes[i])) while (isDigit(bytes[i])) i++;
  else return -1;
  if (bytes[i] === 0x2e) {
    if (!isDigit(bytes[++i])) return -1;
    while (isDigit(bytes[i])) i++;
  }
  const e = bytes[i];
  if (e === 0x65 || e === 0x45) {
    const sign = bytes[++i];
    if (sign === 0x2b || sign === 0x2d) i++;
    if (!isDigit(bytes[i])) return -1;
    while (isDigit(bytes[i])) i++;
  }
  return i;
}
