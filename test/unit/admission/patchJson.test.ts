import fc from 'fast-check';
import { stringifyOperations } from '../../../src/admission/patchJson';
import { freezeWithJson } from '../../../src/shared/frozenJson';

test('writes exactly what JSON.stringify writes, with and without reused parts, the second time too', () => {
  fc.assert(
    fc.property(fc.array(fc.jsonValue()), fc.array(fc.jsonValue()), (shared, fresh) => {
      freezeWithJson(shared);
      // Reused objects nested in fresh ones, as a patch holds rendered containers in a new list.
      const patch = [
        { op: 'add', path: '/spec/containers', value: [...fresh, { shared, skipped: undefined }, shared] },
      ];
      expect(stringifyOperations(patch)).toBe(JSON.stringify(patch));
      expect(stringifyOperations(patch)).toBe(JSON.stringify(patch));
    }),
  );
});

test('writes a patch exactly as JSON.stringify does, whatever its values', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ op: fc.constantFrom('add', 'test'), path: fc.string(), value: fc.jsonValue() })),
      fc.jsonValue(),
      (operations, shared) => {
        freezeWithJson(shared);
        const patch = [...operations, { op: 'add', path: '/spec/volumes/-', value: shared }];
        expect(stringifyOperations(patch)).toBe(JSON.stringify(patch));
        expect(stringifyOperations(patch)).toBe(JSON.stringify(patch));
      },
    ),
  );
  // A value JSON.stringify leaves out takes its key with it.
  const odd = [{ op: 'add', path: '/a', value: undefined }];
  expect(stringifyOperations(odd)).toBe(JSON.stringify(odd));
});

test('leaves what is not plain JSON data to JSON.stringify', () => {
  const odd = [
    new Date(0),
    { toJSON: () => 'x' },
    Object.create(null),
    [undefined, () => 1],
    { f: () => 1, u: undefined },
  ];
  (odd[2] as Record<string, number>).a = 1;
  const patch = [{ op: 'add', path: '/x', value: odd }];
  expect(stringifyOperations(patch)).toBe(JSON.stringify(patch));
});
