// The body parser skips building request.object.metadata.managedFields. It must agree with
// JSON.parse on everything else: the same value, the same errors, for any bytes at all, and leave
// the body as it found it.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { managedFieldsSpan, parseReviewBody, validValueEnd } from '../../../src/admission/reviewJson';

type Obj = Record<string, unknown>;

/** What JSON.parse gives, or its error message. */
function outcome<T>(parse: (input: T) => unknown, input: T): { value: unknown } | { error: string } {
  try {
    return { value: parse(input) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** `value` with request.object.metadata.managedFields set to null, where that path holds objects. */
function withNullManagedFields(value: unknown): unknown {
  const metadata = ((value as Obj)?.request as Obj)?.object as Obj;
  const holder = metadata?.metadata as Obj;
  if (!isPlainObject(value) || !isPlainObject(holder) || !Object.hasOwn(holder, 'managedFields')) return value;
  const copy = structuredClone(value) as Obj;
  (((copy.request as Obj).object as Obj).metadata as Obj).managedFields = null;
  return copy;
}

const isPlainObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** JSON.parse of a body as the server decodes it. */
const parseDecoded = (body: Buffer) => JSON.parse(body.toString('utf8'));

/** Asserts that parseReviewBody(body) is JSON.parse's, but for a managedFields read as null. */
function expectAgreement(body: Buffer): void {
  const before = Buffer.from(body);
  const expected = outcome(parseDecoded, body);
  const actual = outcome(parseReviewBody, body);
  expect(body.equals(before)).toBe(true);
  if ('error' in expected) {
    expect(actual).toEqual(expected);
    return;
  }
  expect('value' in actual).toBe(true);
  const value = (actual as { value: unknown }).value;
  // Either untouched (the body took a path the scanner does not follow) or with that one value null.
  if (isDeepStrictEqual(value, expected.value)) return;
  if (!isDeepStrictEqual(value, withNullManagedFields(expected.value)))
    expect(value).toEqual(withNullManagedFields(expected.value));
}

const agreesOnText = (text: string) => expectAgreement(Buffer.from(text));

/** A JSON text of `value`, laid out compactly, indented, or with JSON whitespace between tokens. */
const layouts = (value: unknown) =>
  fc.constantFrom(
    JSON.stringify(value),
    JSON.stringify(value, null, 2),
    JSON.stringify(value, null, '\t'),
    spaced(value),
  );

/** JSON text with every kind of JSON whitespace between all tokens. */
function spaced(value: unknown): string {
  if (Array.isArray(value)) return ` [\t${value.map(spaced).join('\r\n,')} ]`;
  if (!isPlainObject(value)) return JSON.stringify(value);
  return `\n{ ${Object.entries(value)
    .map(([key, v]) => `${JSON.stringify(key)}\t:${spaced(v)}`)
    .join(' , ')}\r}\t`;
}

/** Small edits that make valid JSON invalid (or valid in another way). */
const mutated = (text: string) =>
  fc
    .tuple(
      fc.nat({ max: Math.max(0, text.length) }),
      fc.nat({ max: 3 }),
      fc.constantFrom(
        ...['', '"', '\\', '\\x', '\\u12', '{', '}', '[', ']', ',', ':', '0', '-', '+', '.', 'e', 'tru', 'n'],
        ...[' ', '\t', '\u000b', '\u00a0', '\u0001', '\u2028'],
      ),
    )
    .map(([at, drop, insert]) => text.slice(0, at) + insert + text.slice(at + drop));

const managedFields = fc.array(
  fc.record({ manager: fc.string(), operation: fc.constantFrom('Update', 'Apply'), fieldsV1: fc.jsonValue() }),
  { maxLength: 3 },
);

/** AdmissionReview-shaped values whose path to managedFields varies, with other fields around it. */
const review = fc
  .record({
    before: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
    managedFields: fc.oneof(managedFields, fc.jsonValue()),
    keyOrder: fc.boolean(),
    spec: fc.jsonValue({ maxDepth: 3 }),
  })
  .map(({ before, managedFields, keyOrder, spec }) => {
    const metadata = keyOrder ? { ...before, managedFields } : { managedFields, ...before };
    return {
      kind: 'AdmissionReview',
      apiVersion: 'admission.k8s.io/v1',
      request: { uid: 'u', ...before, object: { kind: 'Pod', metadata, spec } },
    };
  });

describe('parsing an AdmissionReview body', () => {
  it('finds managedFields and reads it as null, all else as JSON.parse does', () => {
    const text = JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      request: {
        uid: 'u',
        userInfo: { username: 'a"}{' },
        object: { metadata: { name: 'p', managedFields: [{ 'f:x': {} }], labels: { a: 'b' } }, spec: {} },
      },
    });
    const body = Buffer.from(text);
    const span = managedFieldsSpan(body);
    expect(span && body.subarray(...span).toString()).toBe('[{"f:x":{}}]');
    expect(parseReviewBody(body)).toEqual(withNullManagedFields(JSON.parse(text)));
  });

  it.each([
    ['an escaped key on the path', '{"request":{"obj\\u0065ct":{"metadata":{"managedFields":[1]}}}}'],
    ['managedFields inside a string', '{"request":{"object":{"metadata":{"x":"\\"managedFields\\":[1]"}}}}'],
    ['managedFields elsewhere', '{"request":{"oldObject":{"metadata":{"managedFields":[1]}}}}'],
    ['an array on the path', '{"request":[{"object":{"metadata":{"managedFields":[1]}}}]}'],
  ])('parses the whole text when the path is not plain: %s', (_name, text) => {
    expect(managedFieldsSpan(Buffer.from(text))).toBeUndefined();
    expect(parseReviewBody(Buffer.from(text))).toEqual(JSON.parse(text));
  });

  it.each([
    ['a trailing comma', '[1,]'],
    ['a leading zero', '[01]'],
    ['a raw control character', '["a\u0001"]'],
    ['a bad escape', '["\\x41"]'],
    ['a short unicode escape', '["\\u12"]'],
    ['a bare word', '[nul]'],
    ['a missing colon', '{"a" 1}'],
  ])('refuses a body that JSON.parse refuses, with its message, for %s in managedFields', (_name, value) => {
    const text = `{"request":{"object":{"metadata":{"managedFields":${value}}}}}`;
    expect(managedFieldsSpan(Buffer.from(text))).toBeUndefined();
    expect(outcome(parseReviewBody, Buffer.from(text))).toEqual(outcome(JSON.parse, text));
    expect('error' in outcome(JSON.parse, text)).toBe(true);
  });

  it('is JSON.parse for reviews in any layout', () => {
    fc.assert(
      fc.property(review.chain(layouts), (text) => {
        // Every one of these takes the fast path: the test would not show it otherwise.
        expect(managedFieldsSpan(Buffer.from(text))).toBeDefined();
        agreesOnText(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('is JSON.parse, errors and all, for edited reviews', () => {
    fc.assert(fc.property(review.chain(layouts).chain(mutated), agreesOnText), { numRuns: 2000 });
  });

  it('is JSON.parse for any text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), agreesOnText), { numRuns: 1000 });
  });

  it('is JSON.parse for bodies that are not valid UTF-8', () => {
    const invalidUtf8 = fc.constantFrom(
      [0xff],
      [0xc3],
      [0xe2, 0x82],
      [0xf0, 0x9f, 0x98],
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
    );
    fc.assert(
      fc.property(review.chain(layouts), fc.array(fc.tuple(fc.nat(), invalidUtf8), { maxLength: 3 }), (text, edits) => {
        let body = Buffer.from(text);
        for (const [at, bytes] of edits) {
          const i = at % (body.length + 1);
          body = Buffer.concat([body.subarray(0, i), Buffer.from(bytes), body.subarray(i)]);
        }
        expectAgreement(body);
      }),
      { numRuns: 1000 },
    );
  });

  it('checks a value exactly as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.jsonValue().chain(layouts).chain(mutated), (text) => {
        const body = Buffer.from(text.trimEnd());
        expect(validValueEnd(body, 0) === body.length).toBe('value' in outcome(parseDecoded, body));
      }),
      { numRuns: 5000 },
    );
  });

  it('survives deep nesting and huge strings in managedFields without recursion', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const text = `{"request":{"object":{"metadata":{"managedFields":${deep}},"spec":{"s":"${'x'.repeat(1 << 20)}"}}}}`;
    expect(managedFieldsSpan(Buffer.from(text))).toEqual([text.indexOf(deep), text.indexOf(deep) + deep.length]);
    expect(parseReviewBody(Buffer.from(text))).toEqual({
      request: { object: { metadata: { managedFields: null }, spec: { s: 'x'.repeat(1 << 20) } } },
    });
  });
});
