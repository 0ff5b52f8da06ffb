import { quantityValue } from '../../../src/shared/quantity';
import { compileLabelSelector } from '../../../src/templates/labelSelector';
import { renderPlaceholders } from '../../../src/templates/placeholders';

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

test('quantities compare by amount', () => {
  expect(quantityValue('1Gi')).toBe(2 ** 30);
  expect(quantityValue('250m')).toBe(0.25);
  expect(quantityValue('1e3')).toBe(1000);
  expect(quantityValue('1.5k')).toBe(1500);
  expect(quantityValue('12XB')).toBeUndefined();
});

test('placeholders are replaced in values only, typed when alone, $${ is a literal', () => {
  const params = new Map<string, string | number | boolean>([
    ['port', 8080],
    ['on', true],
    ['path', '/x'],
  ]);
  const rendered = renderPlaceholders(
    {
      '${params.path}': '${params.path}/a',
      port: '${params.port}',
      on: '${params.on}',
      text: 'p=${params.port} $${HOME}',
      list: ['${params.port}'],
    },
    params,
  );
  expect(rendered).toEqual({ '${params.path}': '/x/a', port: 8080, on: true, text: 'p=8080 ${HOME}', list: [8080] });
});
