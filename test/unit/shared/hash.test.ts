import { shortHash } from '../../../src/shared/hash';

test('the status hash does not depend on the order of keys, as the API server writes its own', () => {
  const fromFile = { name: 'agent', image: 'x:1', resources: { requests: { memory: '1Mi', cpu: '1m' } } };
  const fromServer = { image: 'x:1', name: 'agent', resources: { requests: { cpu: '1m', memory: '1Mi' } } };
  expect(shortHash([fromFile])).toBe(shortHash([fromServer]));
  expect(shortHash([fromFile])).toMatch(/^[0-9a-f]{16}$/);
});

test('it still tells different values and orders of list items apart', () => {
  expect(shortHash({ a: [1, 2] })).not.toBe(shortHash({ a: [2, 1] }));
  expect(shortHash({ a: '1' })).not.toBe(shortHash({ a: 1 }));
  expect(shortHash({ ['__proto__']: 1 })).not.toBe(shortHash({}));
});
