import fc from 'fast-check';
import { allow, allowWithPatch, deny, reviewText } from '../../../src/admission/response';
import type { AddOperation } from '../../../src/injection/patchBuilder';

const operations = fc.array(
  fc.record({ op: fc.constant('add' as const), path: fc.string(), value: fc.jsonValue() }),
) as fc.Arbitrary<AddOperation[]>;
const warnings = fc.array(fc.string({ unit: 'binary' }), { maxLength: 3 });

test('writes every kind of answer exactly as JSON.stringify would', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), operations, warnings, fc.string(), (uid, patch, warned, message) => {
      for (const review of [allow(uid, warned), allowWithPatch(uid, patch, warned), deny(uid, message, warned)]) {
        expect(reviewText(review)).toBe(JSON.stringify(review));
        expect(JSON.parse(reviewText(review))).toEqual(review);
      }
    }),
  );
});

test('the patch travels as base64 of its JSON, with its type', () => {
  const patch: AddOperation[] = [{ op: 'add', path: '/metadata/labels/a~1b', value: { x: ['"\n'] } }];
  const answer = JSON.parse(reviewText(allowWithPatch('u', patch))) as { response: Record<string, unknown> };
  expect(answer.response.patchType).toBe('JSONPatch');
  expect(JSON.parse(Buffer.from(answer.response.patch as string, 'base64').toString('utf8'))).toEqual(patch);
});
