// A pod author's values can never change what a template injects, only fill the strings it
// leaves open; and a template can only open a sensitive field to them with enum or pattern.
import { join } from 'node:path';
import fc from 'fast-check';
import { inject } from '../../../src/injection/inject';
import type { AddOperation } from '../../../src/injection/patchBuilder';
import { loadTemplatePaths } from '../../../src/sources/templateFiles';
import { type CatalogSnapshot, snapshotOf } from '../../../src/templates/catalog';
import { compileTemplate } from '../../../src/templates/compile';
import { compiled, template } from '../../support/templates';

/** An unconstrained string parameter, used everywhere a template may put one. */
const ECHO = template('echo', {
  parameters: [{ name: 'message', default: 'hello' }],
  containers: [
    {
      name: 'echo',
      image: 'busybox:1.37',
      command: ['sh', '-c', 'echo "$MESSAGE"; sleep infinity'],
      args: ['--message=${params.message}', '${params.message}'],
      env: [{ name: 'MESSAGE', value: '${params.message}' }],
    },
  ],
  appContainers: { env: [{ name: 'ECHO_MESSAGE', value: 'said: ${params.message}' }] },
});

/** Values the declarations of the example templates require and accept. */
const GOOD: Record<string, string> = { 'config-map': 'app-config', 'secret-name': 'app-tls' };

const HOSTILE = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    'x", "privileged": true, "y": "',
    "a'\n- name: evil\n  image: evil:latest\n  securityContext: {privileged: true}",
    '${params.message}${params.config-map}',
    '$${x}',
    '{{ .Values.image }}',
    '__proto__',
    '/var/log/app/../../../etc',
    '/a: {b: c}',
    'http://127.0.0.1:8080/#"}',
  ),
);

let catalog: CatalogSnapshot;
let parameters: Array<{ template: string; name: string; pattern?: string; enum?: string[]; good: string }>;
beforeAll(async () => {
  const examples = await loadTemplatePaths([join(__dirname, '..', '..', '..', 'deploy', 'templates')]);
  expect(examples.errors).toEqual([]);
  catalog = snapshotOf([...examples.templates, compiled(ECHO)]);
  parameters = [...catalog.templates.values()].flatMap((t) =>
    (t.spec.parameters ?? [])
      .filter((p) => (p.type ?? 'string') === 'string')
      .map((p) => ({
        template: t.name,
        name: p.name,
        ...(p.pattern ? { pattern: p.pattern } : {}),
        ...(p.enum ? { enum: p.enum.map(String) } : {}),
        good: String(p.default ?? GOOD[p.name]),
      })),
  );
});

const context = { namespace: 'default', namespaceLabels: {}, nativeSidecars: true };
function podSetting(name: string, values: Record<string, string>) {
  const declared = catalog.templates.get(name)?.parameters;
  const annotations: Record<string, string> = { 'sidecar.injector.dev/inject': name };
  for (const [parameter, value] of Object.entries({ ...GOOD, ...values }))
    if (declared?.has(parameter)) annotations[`${name}.sidecar.injector.dev/${parameter}`] = value;
  return {
    metadata: { name: 'web', annotations },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 3000 }] }] },
  };
}

/** Every JSON path the patch writes, with the type of what is there: its structure, not its strings. */
function structure(patch: AddOperation[]): string[] {
  const paths: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) walk(v, `${path}/${k}`);
    else paths.push(`${path}: ${typeof value}`);
  };
  for (const op of patch) walk(op.value, `${op.op} ${op.path}`);
  return paths.sort();
}

test('a random value for any string parameter of the example templates fills strings, never adds or changes fields', () => {
  expect(parameters.length).toBeGreaterThanOrEqual(8);
  for (const p of parameters) {
    const benign = inject(podSetting(p.template, { [p.name]: p.good }), context, catalog);
    if (benign.outcome !== 'injected') throw new Error(`${p.template}: ${JSON.stringify(benign)}`);
    const accepted = p.enum
      ? fc.constantFrom(...p.enum)
      : p.pattern
        ? fc.stringMatching(new RegExp(p.pattern))
        : fc.constant(p.good);
    fc.assert(
      fc.property(fc.oneof(accepted, HOSTILE), (value) => {
        const result = inject(podSetting(p.template, { [p.name]: value }), context, catalog);
        if (result.outcome === 'denied') {
          // Only the declaration may refuse it, and the denial says which parameter.
          expect(result.message).toContain(`template ${p.template} parameter ${p.name}:`);
          return;
        }
        expect(result.outcome).toBe('injected');
        if (result.outcome !== 'injected') return;
        expect(structure(result.patch)).toEqual(structure(benign.patch));
      }),
      { numRuns: 300 },
    );
  }
});

test('an unconstrained value lands verbatim inside the strings that name it, and nowhere else', () => {
  fc.assert(
    fc.property(HOSTILE, (value) => {
      const result = inject(podSetting('echo', { message: value }), context, catalog);
      if (result.outcome !== 'injected') throw new Error(JSON.stringify(result));
      const added = (path: string) => result.patch.find((op) => op.path === path)?.value;
      const [sidecar] = added('/spec/initContainers') as Array<{
        args: string[];
        env: unknown;
        image: string;
        command: string[];
      }>;
      const env = added('/spec/containers/0/env');
      if (!sidecar) throw new Error('no sidecar');
      expect(sidecar.args).toEqual([`--message=${value}`, value]);
      expect(sidecar.env).toEqual([{ name: 'MESSAGE', value }]);
      expect(sidecar.image).toBe('busybox:1.37');
      expect(sidecar.command).toEqual(['sh', '-c', 'echo "$MESSAGE"; sleep infinity']);
      expect(env).toEqual([{ name: 'ECHO_MESSAGE', value: `said: ${value}` }]);
    }),
    { numRuns: 1000 },
  );
});

describe('a template opens a sensitive field to pod authors only with enum or pattern', () => {
  const sidecar = { name: 'side', image: 'busybox:1.37' };
  // Image, hostPath.path and securityContext.privileged are in test/unit/templates/compile.test.ts.
  const placements: Array<[string, Record<string, unknown>, string]> = [
    [
      'a host port',
      { containers: [{ ...sidecar, ports: [{ containerPort: 80, hostPort: '${params.v}' }] }] },
      'integer',
    ],
    [
      'capabilities',
      { containers: [{ ...sidecar, securityContext: { capabilities: { add: ['${params.v}'] } } }] },
      'string',
    ],
    ['a user id', { containers: [{ ...sidecar, securityContext: { runAsUser: '${params.v}' } }] }, 'integer'],
    [
      'a namespace',
      {
        containers: [sidecar],
        volumes: [
          { name: 'v', ephemeral: { volumeClaimTemplate: { metadata: { namespace: '${params.v}' }, spec: {} } } },
        ],
      },
      'string',
    ],
    ['an image', { containers: [{ ...sidecar, image: 'busybox:${params.v}' }] }, 'string'],
  ];
  const declare = (type: string, constraint: Record<string, unknown>) => ({
    parameters: [{ name: 'v', type, default: type === 'integer' ? 1000 : 'x', ...constraint }],
  });
  test.each(placements)('%s: refused unconstrained, accepted with enum or pattern', (_what, spec, type) => {
    const problems = (extra: Record<string, unknown>) => {
      const result = compileTemplate(template('t', { ...spec, ...declare(type, extra) }), 'test');
      return result.ok ? [] : result.problems;
    };
    const refused = problems({});
    expect(refused.some((p) => /parameter v sets a sensitive field, so it must declare enum or pattern/.test(p))).toBe(
      true,
    );
    expect(problems({ enum: type === 'integer' ? [1000] : ['x'] })).toEqual([]);
    if (type === 'string') expect(problems({ pattern: '[a-z]+' })).toEqual([]);
  });
});
