// Automatic selection looks only at templates whose pod selector could match the pod's label
// keys; it must choose exactly what checking every template would, in the same order.
import fc from 'fast-check';
import { selectTemplates } from '../../../src/injection/selection';
import { snapshotOf } from '../../../src/templates/catalog';
import { compiled, template } from '../../support/templates';

const key = fc.constantFrom('app', 'team', 'tier', 'example.com/role');
const value = fc.constantFrom('a', 'b', 'c');
const expression = fc.oneof(
  fc.record({ key, operator: fc.constantFrom('In', 'NotIn'), values: fc.array(value, { minLength: 1, maxLength: 2 }) }),
  fc.record({ key, operator: fc.constantFrom('Exists', 'DoesNotExist') }),
);
const selector = fc.record(
  { matchLabels: fc.dictionary(key, value, { maxKeys: 2 }), matchExpressions: fc.array(expression, { maxLength: 2 }) },
  { requiredKeys: [] },
);
const labels = fc.dictionary(key, value, { maxKeys: 4 });

test('choosing among the templates a pod could match selects what checking all of them selects', () => {
  fc.assert(
    fc.property(
      fc.array(fc.option(selector, { nil: undefined }), { minLength: 1, maxLength: 12 }),
      labels,
      (selectors, podLabels) => {
        const catalog = snapshotOf(
          selectors.map((podSelector, i) =>
            compiled(
              template(`t${String(i).padStart(2, '0')}`, {
                selector: podSelector ? { podSelector } : {},
                containers: [{ name: `c${i}`, image: 'x:1' }],
              }),
            ),
          ),
        );
        const expected = catalog.automatic.filter((t) => t.matchesNamespace({}) && t.matchesPod(podLabels));
        const selection = selectTemplates(catalog, {}, podLabels, {});
        expect('templates' in selection && selection.templates.map((t) => t.name)).toEqual(expected.map((t) => t.name));
      },
    ),
  );
});
