import { applyPatch } from 'fast-json-patch';
import { PatchBuilder } from '../../../src/injection/patchBuilder';
import { escapePointerSegment } from '../../../src/injection/pointer';

test('keys are escaped per RFC 6901: ~ first, then /', () => {
  expect(escapePointerSegment('a/b~c')).toBe('a~1b~0c');
  expect(escapePointerSegment('~1')).toBe('~01');
});

test('a missing map is added whole, once, and later keys go into it', () => {
  const doc = { metadata: { name: 'x' } };
  const patch = new PatchBuilder(doc);
  patch.set(['metadata', 'annotations'], 'a/b', '1');
  patch.set(['metadata', 'annotations'], 'c~d', '2');
  expect(patch.patch()).toEqual([{ op: 'add', path: '/metadata/annotations', value: { 'a/b': '1', 'c~d': '2' } }]);
  expect(doc).toEqual({ metadata: { name: 'x' } });
});

test('an existing map gets one escaped add per key', () => {
  const doc = { metadata: { annotations: { x: 'y' } } };
  const patch = new PatchBuilder(doc);
  patch.set(['metadata', 'annotations'], 'sidecar.injector.dev/status', '{}');
  expect(patch.patch()).toEqual([
    { op: 'add', path: '/metadata/annotations/sidecar.injector.dev~1status', value: '{}' },
  ]);
  expect(applyPatch(structuredClone(doc), patch.patch()).newDocument.metadata.annotations).toEqual({
    x: 'y',
    'sidecar.injector.dev/status': '{}',
  });
});

test('inserting into a missing array creates it once, in order; into an existing one uses indexes', () => {
  const missing = new PatchBuilder({ spec: {} });
  missing.insert(['spec', 'initContainers'], 0, { name: 'a' });
  missing.insert(['spec', 'initContainers'], 1, { name: 'b' });
  expect(missing.patch()).toEqual([{ op: 'add', path: '/spec/initContainers', value: [{ name: 'a' }, { name: 'b' }] }]);

  const doc = { spec: { initContainers: [{ name: 'own' }] } };
  const existing = new PatchBuilder(doc);
  existing.insert(['spec', 'initContainers'], 0, { name: 'a' });
  existing.insert(['spec', 'initContainers'], 1, { name: 'b' });
  const result = applyPatch(structuredClone(doc), existing.patch()).newDocument;
  expect(result.spec.initContainers.map((c) => c.name)).toEqual(['a', 'b', 'own']);
});

test('a null value counts as missing; nested missing parents are created in one operation', () => {
  const patch = new PatchBuilder({ metadata: { annotations: null } });
  patch.set(['metadata', 'annotations'], 'k', 'v');
  expect(patch.patch()).toEqual([{ op: 'add', path: '/metadata/annotations', value: { k: 'v' } }]);
  const deep = new PatchBuilder({});
  deep.append(['spec', 'volumes'], { name: 'v' });
  deep.set(['metadata', 'annotations'], 'k', 'v');
  expect(deep.patch()).toEqual([
    { op: 'add', path: '/spec', value: { volumes: [{ name: 'v' }] } },
    { op: 'add', path: '/metadata', value: { annotations: { k: 'v' } } },
  ]);
});

test('appending to an existing array uses -', () => {
  const patch = new PatchBuilder({ spec: { containers: [{ name: 'app', env: [] }] } });
  patch.append(['spec', 'containers', 0, 'env'], { name: 'A' });
  patch.append(['spec', 'containers'], { name: 'side' });
  expect(patch.patch().map((op) => op.path)).toEqual(['/spec/containers/0/env/-', '/spec/containers/-']);
});
