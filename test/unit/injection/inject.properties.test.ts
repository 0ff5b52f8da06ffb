// Invariants that must hold for every pod, checked on generated pods with fast-check.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { applyPatch, validate } from 'fast-json-patch';
import { inject } from '../../../src/injection/inject';
import { snapshotOf } from '../../../src/templates/catalog';
import { contextArbitrary, podArbitrary } from '../../support/podArbitraries';
import { compiled, yamlDocuments } from '../../support/templates';

const library = yamlDocuments(readFileSync(join(__dirname, '..', '..', 'golden', 'templates.yaml'), 'utf8'));
const catalog = snapshotOf(library.map((t) => compiled(t)));
const names = [...catalog.templates.keys()];

const pod = podArbitrary(names);
const context = contextArbitrary;

const runs = { numRuns: 2000 };

test('the patch has only add operations and applies to the pod', () => {
  fc.assert(
    fc.property(pod, context, (p, ctx) => {
      const result = inject(p, ctx, catalog);
      if (result.outcome !== 'injected') return;
      expect(result.patch.every((op) => op.op === 'add')).toBe(true);
      expect(validate(result.patch, structuredClone(p))).toBeUndefined();
    }),
    runs,
  );
});

test("app containers keep every field they had; the pod's init containers keep their order", () => {
  fc.assert(
    fc.property(pod, context, (p, ctx) => {
      const result = inject(p, ctx, catalog);
      if (result.outcome !== 'injected') return;
      const after = applyPatch(structuredClone(p), result.patch).newDocument as typeof p;
      p.spec.containers.forEach((before, i) => {
        const now = after.spec.containers[i] as Record<string, unknown>;
        for (const [key, value] of Object.entries(before)) {
          if (Array.isArray(value)) expect((now[key] as unknown[]).slice(0, value.length)).toEqual(value);
          else expect(now[key]).toEqual(value);
        }
      });
      const own = p.spec.initContainers ?? [];
      if (own.length > 0) expect((after.spec.initContainers ?? []).slice(-own.length)).toEqual(own);
    }),
    runs,
  );
});

test('a second run on the result adds nothing', () => {
  fc.assert(
    fc.property(pod, context, (p, ctx) => {
      const result = inject(p, ctx, catalog);
      if (result.outcome !== 'injected') return;
      const after = applyPatch(structuredClone(p), result.patch).newDocument;
      expect(inject(after, ctx, catalog).outcome).toBe('unchanged');
    }),
    runs,
  );
});

test('every warning is at most 120 characters, and denials say which template or annotation', () => {
  fc.assert(
    fc.property(pod, context, (p, ctx) => {
      const result = inject(p, ctx, catalog);
      for (const w of result.warnings) expect(w.length).toBeLessThanOrEqual(120);
      if (result.outcome === 'denied')
        expect(result.message).toMatch(/template|sidecar\.injector\.dev|pod is malformed/);
    }),
    runs,
  );
});

test('some generated pods are injected, some denied, some skipped (the generator reaches every outcome)', () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(pod, context, (p, ctx) => {
      seen.add(inject(p, ctx, catalog).outcome);
    }),
    runs,
  );
  expect([...seen].sort()).toEqual(['denied', 'injected', 'unchanged']);
});
