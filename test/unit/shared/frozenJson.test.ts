import { stringify } from 'yaml';
import { freezeWithJson, jsonTextOf } from '../../../src/shared/frozenJson';

test('reused values are frozen all the way down, so their JSON text cannot go stale', () => {
  const value = freezeWithJson({ name: 'x', ports: [{ containerPort: 1 }] });
  expect(Object.isFrozen(value.ports[0])).toBe(true);
  expect(() => {
    (value.ports[0] as { containerPort: number }).containerPort = 2;
  }).toThrow(TypeError);
  expect(jsonTextOf(value)).toBe(JSON.stringify(value));
  expect(jsonTextOf(value.ports)).toBe('[{"containerPort":1}]');
});

test('the JSON text is invisible to JSON, copies, YAML and key listings', () => {
  const value = freezeWithJson({ name: 'x', args: ['a'] });
  expect(Object.keys(value)).toEqual(['name', 'args']);
  expect(JSON.stringify(value)).toBe('{"name":"x","args":["a"]}');
  expect(jsonTextOf(structuredClone(value))).toBeUndefined();
  expect(stringify(value)).toBe('name: x\nargs:\n  - a\n');
});

test('objects frozen without it have no text', () => {
  expect(jsonTextOf(Object.freeze({ a: 1 }))).toBeUndefined();
  expect(jsonTextOf({ a: 1 })).toBeUndefined();
});
