// Invariants that must hold for every pod, checked on generated pods with fast-check.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { applyPatch, validate } from 'fast-json-patch';
import { inject } from '../../../src/injection/inject';
import { snapshotOf } from '../../../src/templates/catalog';
import { compiled, yamlDocuments } from '../../support/templates';

const library = yamlDocuments(readFileSync(join(__dirname, '..', '..', 'golden', 'templates.yaml'), 'utf8'));
const catalog = snapshotOf(library.map((t) => compiled(t)));
const names = [...catalog.templates.keys()];

const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('/var/log/x', '9200', 'true', '64Mi', '${params.log-path}', '$${x}', '"\n- a: b', '{{ .x }}', ''),
);
const containerName = fc.constantFrom('app', 'worker', 'log-shipper', 'metrics', 'proxy', 'audit', 'migrate', 'x');
const container = fc.record(
  {
    name: containerName,
    image: fc.constantFrom('nginx:1.27', 'api:1'),
    ports: fc.array(
      fc.record({ containerPort: fc.constantFrom(80, 9102, 15001, 8080), protocol: fc.constantFrom('TCP', 'UDP') }),
      { maxLength: 2 },
    ),
    env: fc.array(
      fc.record({ name: fc.constantFrom('STATSD_PORT', 'HTTP_PROXY', 'A', 'B'), value: fc.string({ maxLength: 5 }) }),
      { maxLength: 3 },
    ),
    volumeMounts: fc.array(
      fc.record({
        name: fc.constantFrom('data', 'config'),
        mountPath: fc.constantFrom('/var/log/app', '/data', '/config', '/cache'),
      }),
      { maxLength: 2 },
    ),
    resources: fc.constant({ limits: { cpu: '1' } }),
  },
  { requiredKeys: ['name', 'image'] },
);
const uniqueByName = <T extends { name: string }>(items: T[]) =>
  items.filter((c, i) => items.findIndex((d) => d.name === c.name) === i);

const pod = fc.record(
  {
    metadata: fc.record(
      {
        name: fc.constantFrom('web', 'api'),
        generateName: fc.constant('web-'),
        labels: fc.dictionary(fc.constantFrom('app', 'reload', 'tier'), fc.constantFrom('enabled', 'api', 'x'), {
          maxKeys: 3,
        }),
        annotations: fc.record(
          {
            'sidecar.injector.dev/inject': fc.subarray(names).map((n) => n.join(', ')),
            'sidecar.injector.dev/exclude': fc.subarray(names).map((n) => n.join(',')),
            'log-shipper.sidecar.injector.dev/log-path': hostileText,
            'metrics.sidecar.injector.dev/port': hostileText,
            'metrics.sidecar.injector.dev/debug': fc.constantFrom('true', 'false', 'yes'),
            'proxy.sidecar.injector.dev/app-port': hostileText,
            other: hostileText,
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    spec: fc.record(
      {
        initContainers: fc.array(container, { maxLength: 2 }).map(uniqueByName),
        containers: fc.array(container, { minLength: 1, maxLength: 3 }).map(uniqueByName),
        volumes: fc
          .array(fc.record({ name: fc.constantFrom('data', 'config', 'app-logs'), emptyDir: fc.constant({}) }), {
            maxLength: 2,
          })
          .map(uniqueByName),
        restartPolicy: fc.constantFrom('Always', 'Never'),
      },
      { requiredKeys: ['containers'] },
    ),
  },
  { requiredKeys: ['spec'] },
);
const context = fc.record({
  namespace: fc.constantFrom('default', 'payments'),
  namespaceLabels: fc.constantFrom<Record<string, string>>({}, { team: 'payments' }),
  nativeSidecars: fc.boolean(),
});

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
