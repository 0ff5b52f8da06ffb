// Drift agrees with the webhook for every pod: what inject() just produced is `current` (or
// `skipped`, where inject() skipped it), and the pod's metadata alone gives the same answer as
// the whole pod whenever it gives one (the server's watch sees metadata only).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { applyPatch } from 'fast-json-patch';
import { classifyPod, type PodDrift, specForClassification } from '../../../src/injection/drift';
import { inject } from '../../../src/injection/inject';
import { snapshotOf } from '../../../src/templates/catalog';
import { contextArbitrary, podArbitrary } from '../../support/podArbitraries';
import { compiled, yamlDocuments } from '../../support/templates';

const library = yamlDocuments(readFileSync(join(__dirname, '..', '..', 'golden', 'templates.yaml'), 'utf8'));
const catalog = snapshotOf(library.map((t) => compiled(t)));
const names = [...catalog.templates.keys()];
const pod = podArbitrary(names);
const runs = { numRuns: 2000 };

type Pod = { metadata?: Record<string, unknown>; spec: Record<string, unknown> };
type Context = { namespace: string; namespaceLabels: Record<string, string>; nativeSidecars: boolean };

function injected(p: Pod, ctx: Context) {
  const result = inject(p, ctx, catalog);
  const after = result.outcome === 'injected' ? (applyPatch(structuredClone(p), result.patch).newDocument as Pod) : p;
  return { result, after };
}

const driftOf = (p: Pod, ctx: Context, specKnown = true): PodDrift =>
  classifyPod(p, { namespace: ctx.namespace, namespaceLabels: ctx.namespaceLabels, specKnown }, catalog);

const states = (drift: PodDrift) =>
  drift.kind === 'listed' ? Object.fromEntries(drift.templates.map((t) => [t.template, t.state])) : drift.kind;

test('in a pod inject() just produced, every template it injected is current and every other it selected skipped', () => {
  fc.assert(
    fc.property(pod, contextArbitrary, (p, ctx) => {
      const { result, after } = injected(p, ctx);
      if (result.outcome === 'denied' || result.outcome === 'passthrough' || result.selected.length === 0) return;
      const injectedNames = result.outcome === 'injected' ? result.injected : [];
      const expected = Object.fromEntries(
        result.selected.map((name) => [name, injectedNames.includes(name) ? 'current' : 'skipped']),
      );
      expect(states(driftOf(after, ctx))).toEqual(expected);
    }),
    runs,
  );
});

test('the current hash of an injected template is the one inject() recorded', () => {
  fc.assert(
    fc.property(pod, contextArbitrary, (p, ctx) => {
      const { result, after } = injected(p, ctx);
      if (result.outcome !== 'injected') return;
      const drift = driftOf(after, ctx);
      if (drift.kind !== 'listed') throw new Error(`not listed: ${drift.kind}`);
      for (const t of drift.templates.filter((d) => d.state === 'current')) expect(t.currentHash).toBe(t.recordedHash);
    }),
    runs,
  );
});

test('before injection, what inject() would add is missing and what it would skip is skipped', () => {
  fc.assert(
    fc.property(pod, contextArbitrary, (p, ctx) => {
      const result = inject(p, ctx, catalog);
      if (result.outcome !== 'injected') return;
      const expected = Object.fromEntries(
        result.selected.map((name) => [name, result.injected.includes(name) ? 'missing' : 'skipped']),
      );
      expect(states(driftOf(p, ctx))).toEqual(expected);
    }),
    runs,
  );
});

test('the metadata alone gives the answer the whole pod gives, or asks for the spec', () => {
  const hostNetwork = fc.boolean();
  fc.assert(
    fc.property(pod, contextArbitrary, fc.boolean(), hostNetwork, (p, ctx, inject_, onHost) => {
      const withHost = onHost ? { ...p, spec: { ...p.spec, hostNetwork: true } } : p;
      const subject = inject_ ? injected(withHost, ctx).after : withHost;
      const metadataOnly = { metadata: subject.metadata };
      const fromMetadata = classifyPod(
        metadataOnly,
        { namespace: ctx.namespace, namespaceLabels: ctx.namespaceLabels, specKnown: false },
        catalog,
      );
      if (fromMetadata.kind !== 'needsSpec') expect(fromMetadata).toEqual(driftOf(subject, ctx));
    }),
    runs,
  );
});

test('the parts of the spec a watch keeps give the answer the whole spec gives', () => {
  fc.assert(
    fc.property(pod, contextArbitrary, fc.boolean(), fc.boolean(), (p, ctx, inject_, onHost) => {
      const withHost = onHost ? { ...p, spec: { ...p.spec, hostNetwork: true } } : p;
      const subject = inject_ ? injected(withHost, ctx).after : withHost;
      const kept = { metadata: subject.metadata, spec: specForClassification(structuredClone(subject.spec)) };
      expect(driftOf(kept as Pod, ctx)).toEqual(driftOf(subject, ctx));
    }),
    runs,
  );
});

test('the generated pods reach current, missing and skipped, and metadata that suffices as well as metadata that does not', () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(pod, contextArbitrary, fc.boolean(), (p, ctx, inject_) => {
      const subject = inject_ ? injected(p, ctx).after : p;
      const drift = driftOf(subject, ctx);
      if (drift.kind === 'listed') for (const t of drift.templates) seen.add(t.state);
      seen.add(`metadata: ${driftOf({ metadata: subject.metadata } as Pod, ctx, false).kind}`);
    }),
    runs,
  );
  expect([...seen].sort()).toEqual([
    'current',
    'metadata: listed',
    'metadata: needsSpec',
    'metadata: unlisted',
    'missing',
    'skipped',
  ]);
});
