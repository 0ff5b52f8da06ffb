// Golden files: each test/golden/cases/NAME.yaml (context, extra templates, input pod) has a
// NAME.expected.yaml (outcome, warnings, and the pod after the patch). UPDATE_GOLDEN=1 rewrites
// the expected files; review the diff before committing.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPatch, validate } from 'fast-json-patch';
import { parse, stringify } from 'yaml';
import { type InjectionContext, inject } from '../../../src/injection/inject';
import { snapshotOf } from '../../../src/templates/catalog';
import { compiled, yamlDocuments } from '../../support/templates';

const dir = join(__dirname, '..', '..', 'golden');
const library = yamlDocuments(readFileSync(join(dir, 'templates.yaml'), 'utf8'));
const cases = readdirSync(join(dir, 'cases'))
  .filter((f) => f.endsWith('.yaml') && !f.endsWith('.expected.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

interface Case {
  context?: Partial<InjectionContext>;
  templates?: unknown[];
  pod: unknown;
}

test('there are golden cases', () => {
  expect(cases.length).toBeGreaterThan(30);
});

describe.each(cases)('%s', (name) => {
  const input = parse(readFileSync(join(dir, 'cases', `${name}.yaml`), 'utf8')) as Case;
  const context: InjectionContext = {
    namespace: 'default',
    namespaceLabels: {},
    nativeSidecars: true,
    ...input.context,
  };
  const catalog = snapshotOf([...(input.templates ?? []), ...library].map((t) => compiled(t, name)));
  const original = structuredClone(input.pod);
  const result = inject(input.pod, context, catalog);

  test('matches the expected file', () => {
    const actual: Record<string, unknown> = { outcome: result.outcome };
    if (result.outcome === 'injected') actual.injected = result.injected;
    if (result.outcome === 'denied') actual.message = result.message;
    actual.warnings = result.warnings;
    if (result.outcome === 'injected') actual.pod = applyPatch(structuredClone(input.pod), result.patch).newDocument;
    const expectedFile = join(dir, 'cases', `${name}.expected.yaml`);
    if (process.env.UPDATE_GOLDEN) writeFileSync(expectedFile, stringify(actual, { lineWidth: 0 }));
    expect(actual).toEqual(parse(readFileSync(expectedFile, 'utf8')));
  });

  test('never modifies the request object', () => {
    expect(input.pod).toEqual(original);
  });

  if (result.outcome === 'injected') {
    test('the patch has only add operations and applies to the request object', () => {
      expect(result.patch.every((op) => op.op === 'add')).toBe(true);
      expect(validate(result.patch, structuredClone(input.pod))).toBeUndefined();
      // Every missing array or map is added once, as a whole.
      const paths = result.patch.map((op) => op.path);
      expect(new Set(paths.filter((p) => !/\/(-|\d+)$/.test(p))).size).toBe(
        paths.filter((p) => !/\/(-|\d+)$/.test(p)).length,
      );
    });
    test('a second run on the result adds nothing', () => {
      const mutated = applyPatch(structuredClone(input.pod), result.patch).newDocument;
      expect(inject(mutated, context, catalog).outcome).toBe('unchanged');
    });
  }

  test('every warning is at most 120 characters', () => {
    for (const w of result.warnings) expect(w.length).toBeLessThanOrEqual(120);
  });
});
