import { compileLabelSelector } from '../../../src/templates/labelSelector';

test('matchLabels and every matchExpressions operator', () => {
  const match = compileLabelSelector({
    matchLabels: { team: 'payments' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['web', 'api'] },
      { key: 'legacy', operator: 'DoesNotExist' },
      { key: 'app', operator: 'Exists' },
      { key: 'env', operator: 'NotIn', values: ['dev'] },
    ],
  });
  expect(match({ team: 'payments', tier: 'web', app: 'x' })).toBe(true);
  expect(match({ team: 'payments', tier: 'web', app: 'x', env: 'prod' })).toBe(true);
  expect(match({ team: 'payments', tier: 'web', app: 'x', env: 'dev' })).toBe(false);
  expect(match({ team: 'payments', tier: 'db', app: 'x' })).toBe(false);
  expect(match({ team: 'payments', tier: 'web', app: 'x', legacy: '' })).toBe(false);
  expect(match({ team: 'payments', tier: 'web' })).toBe(false);
  expect(match({ team: 'shop', tier: 'web', app: 'x' })).toBe(false);
});

test('an absent or empty selector matches everything; inherited keys are not labels', () => {
  expect(compileLabelSelector(undefined)({})).toBe(true);
  expect(compileLabelSelector({})({ a: 'b' })).toBe(true);
  expect(compileLabelSelector({ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] })({})).toBe(false);
});
