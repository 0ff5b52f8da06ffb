import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { compileTemplate } from '../../../src/templates/compile';
import {
  CRD_YAML_HEADER,
  type CrdSchema,
  renderCrdYaml,
  sidecarTemplateCrd,
  sidecarTemplateOpenApiSchema,
  structuralProblems,
  toStructural,
} from '../../../src/templates/crdSchema';
import { CRD_OVERRIDE_KEY } from '../../../src/templates/sidecarTemplate';
import { DEPLOY_DIR, type Doc, parseYaml, REPO_ROOT } from './manifests';
import { openApiViolations } from './openApi';

const schema = sidecarTemplateOpenApiSchema();
// biome-ignore lint/suspicious/noExplicitAny: reading into the generated CRD by path.
const crd = sidecarTemplateCrd() as any;

describe("deploy/base/crd.yaml and the Helm chart's crds/", () => {
  test.each(['base/crd.yaml', 'helm/sidecar-injector/crds/sidecartemplates.yaml'])(
    'deploy/%s is exactly what npm run generate:crd writes (run it after changing sidecarTemplate.ts)',
    (file) => {
      const committed = readFileSync(join(DEPLOY_DIR, file), 'utf8');
      expect(committed).toBe(renderCrdYaml());
      expect(committed.startsWith(CRD_YAML_HEADER)).toBe(true);
      expect(parseYaml(committed, file)).toEqual([sidecarTemplateCrd()]);
    },
  );

  test('the chart ships the one CRD and nothing else in crds/ (Helm never upgrades or deletes those)', () => {
    expect(readdirSync(join(DEPLOY_DIR, 'helm/sidecar-injector/crds'))).toEqual(['sidecartemplates.yaml']);
  });

  test('defines the cluster-scoped SidecarTemplate, v1alpha1 served and stored, short name sct', () => {
    expect(crd.metadata.name).toBe('sidecartemplates.sidecar.injector.dev');
    expect(crd.spec.scope).toBe('Cluster');
    expect(crd.spec.names).toMatchObject({ kind: 'SidecarTemplate', plural: 'sidecartemplates', shortNames: ['sct'] });
    expect(crd.spec.versions).toHaveLength(1);
    expect(crd.spec.versions[0]).toMatchObject({ name: 'v1alpha1', served: true, storage: true });
    const columns = crd.spec.versions[0].additionalPrinterColumns.map((c: Doc) => `${c.name}=${c.jsonPath}`);
    expect(columns).toEqual(expect.arrayContaining(['Mode=.spec.mode', 'On-Conflict=.spec.onConflict']));
  });

  test('has a structural schema with spec required', () => {
    expect(structuralProblems(crd.spec.versions[0].schema.openAPIV3Schema)).toEqual([]);
    expect(schema.required).toEqual(['spec']);
    expect(Object.keys(schema.properties as object).sort()).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
  });
});

describe('toStructural', () => {
  test('turns unions of string literals into enums and records into maps', () => {
    const converted = toStructural(
      Type.Object(
        {
          mode: Type.Union([Type.Literal('A'), Type.Literal('B')], { description: 'which' }),
          labels: Type.Record(Type.String(), Type.String()),
          fixed: Type.Literal('x'),
        },
        { additionalProperties: false },
      ),
    );
    expect(converted).toEqual({
      type: 'object',
      required: ['mode', 'labels', 'fixed'],
      properties: {
        mode: { type: 'string', enum: ['A', 'B'], description: 'which' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        fixed: { type: 'string', enum: ['x'] },
      },
    });
  });

  test('an x-crd override replaces the node and keeps its description', () => {
    const node = Type.Union([Type.Integer(), Type.String()], {
      description: 'a port',
      [CRD_OVERRIDE_KEY]: { 'x-kubernetes-int-or-string': true },
    });
    expect(toStructural(node)).toEqual({ description: 'a port', 'x-kubernetes-int-or-string': true });
  });

  test('refuses a union of types without an override, naming where', () => {
    const node = Type.Object({ port: Type.Union([Type.Integer(), Type.String()]) });
    expect(() => toStructural(node, '.spec')).toThrow(/\.spec\.port: a union of types is not structural/);
  });

  test('open objects keep unknown fields by x-kubernetes-preserve-unknown-fields, not additionalProperties', () => {
    const container = (schema.properties as Record<string, CrdSchema>).spec as Doc;
    const item = container.properties.containers.items;
    expect(item['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(item.additionalProperties).toBeUndefined();
  });
});

describe('structuralProblems', () => {
  test.each<[string, CrdSchema, RegExp]>([
    [
      'a node without a type',
      { type: 'object', properties: { a: { description: 'x' } } },
      /<root>\.a: every node needs a type/,
    ],
    [
      'properties with additionalProperties',
      { type: 'object', properties: {}, additionalProperties: { type: 'string' } },
      /mutually exclusive/,
    ],
    ['additionalProperties: false', { type: 'object', additionalProperties: false }, /not structural/],
    [
      'a type inside anyOf',
      { type: 'object', properties: { a: { type: 'string', anyOf: [{ type: 'integer' }] } } },
      /"type" is not allowed inside a logical junctor/,
    ],
    [
      'a JSON Schema keyword a CRD lacks',
      { type: 'object', properties: { a: { type: 'string', const: 'x' } } },
      /"const" is not a CRD schema keyword/,
    ],
    ['an array without items', { type: 'object', properties: { a: { type: 'array' } } }, /an array needs items/],
    [
      'a typed int-or-string',
      { type: 'object', properties: { a: { type: 'string', 'x-kubernetes-int-or-string': true } } },
      /must not have a type/,
    ],
    [
      'restrictions on metadata beyond name',
      { type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } },
      /only name and generateName/,
    ],
    ['a root that is not an object', { type: 'string' }, /must be of type object/],
  ])('finds %s', (_what, bad, message) => {
    expect(structuralProblems(bad).join('\n')).toMatch(message);
  });

  test('accepts int-or-string with its allowed anyOf, and preserve-unknown-fields without a type', () => {
    const ok = {
      type: 'object',
      properties: {
        port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        free: { 'x-kubernetes-preserve-unknown-fields': true },
      },
    };
    expect(structuralProblems(ok)).toEqual([]);
  });
});

/** The example from CONTRACT.md §2, with a parameter of every type. */
const CONTRACT_EXAMPLE = `
apiVersion: sidecar.injector.dev/v1alpha1
kind: SidecarTemplate
metadata: { name: log-shipper }
spec:
  description: Tails the app's log files from a shared emptyDir and ships them.
  selector:
    namespaceSelector: { matchLabels: { team: payments } }
    podSelector: { matchExpressions: [ { key: app, operator: Exists } ] }
  mode: Auto
  onConflict: Reject
  parameters:
    - { name: log-path, type: string, default: /var/log/app, pattern: '^/[A-Za-z0-9._/-]+$' }
    - { name: port, type: integer, default: 2020, minimum: 1024, maximum: 65535, required: false }
    - { name: memory, type: quantity, default: 64Mi, maximum: 1Gi, description: limit }
    - { name: read-only, type: boolean, default: true }
    - { name: level, enum: [info, debug] , default: info }
  initContainers: []
  containers:
    - name: log-shipper
      image: fluent/fluent-bit:3.2
      args: ["-i", "tail", "-p", "path=\${params.log-path}/*.log", "-o", "stdout"]
      ports: [ { name: http, containerPort: "\${params.port}", protocol: TCP } ]
      resources: { limits: { memory: "\${params.memory}" } }
      env: [ { name: LEVEL, value: "\${params.level}" }, { name: POD, valueFrom: { fieldRef: { fieldPath: metadata.name } } } ]
      volumeMounts: [ { name: app-logs, mountPath: "\${params.log-path}", readOnly: "\${params.read-only}" } ]
  volumes:
    - { name: app-logs, emptyDir: {} }
  appContainers:
    containers: ["*"]
    volumeMounts: [ { name: app-logs, mountPath: "\${params.log-path}" } ]
    env: []
`;

/** SidecarTemplates the injector accepts as files: the API server must accept them unchanged. */
function acceptedTemplates(): Array<[string, Doc]> {
  const sources: Array<[string, string]> = [['CONTRACT.md example', CONTRACT_EXAMPLE]];
  const examples = join(DEPLOY_DIR, 'templates');
  if (existsSync(examples))
    for (const f of readdirSync(examples).filter((n) => /\.ya?ml$/.test(n)))
      sources.push([`deploy/templates/${f}`, readFileSync(join(examples, f), 'utf8')]);
  const golden = join(REPO_ROOT, 'test/golden/templates.yaml');
  if (existsSync(golden)) sources.push(['test/golden/templates.yaml', readFileSync(golden, 'utf8')]);
  return sources.flatMap(([name, text]) =>
    parseYaml(text, name)
      .filter((d) => d.kind === 'SidecarTemplate' && compileTemplate(d, name).ok)
      .map((d): [string, Doc] => [`${name}: ${d.metadata?.name}`, d]),
  );
}

describe('the CRD schema admits what the injector accepts', () => {
  test('the contract example compiles (so the checks below are not vacuous)', () => {
    const result = compileTemplate(parseYaml(CONTRACT_EXAMPLE, 'example')[0], 'example');
    expect(result).toMatchObject({ ok: true });
  });

  test.each(acceptedTemplates())('%s: no field rejected or pruned', (_name, template) => {
    expect(openApiViolations(template, schema)).toEqual([]);
  });

  test('rejects or prunes what the injector would reject', () => {
    const bad = parseYaml(CONTRACT_EXAMPLE, 'example')[0] as Doc;
    bad.spec.mode = 'Sometimes';
    bad.spec.parameters[0].name = 'Log_Path';
    bad.spec.bogus = true;
    delete bad.spec.containers[0].name;
    const violations = openApiViolations(bad, schema).join('\n');
    expect(violations).toMatch(/\.spec\.mode: "Sometimes" is not one of Auto, Native, Classic/);
    expect(violations).toMatch(/\.spec\.parameters\[0\]\.name: does not match/);
    expect(violations).toMatch(/\.spec\.bogus: unknown field/);
    expect(violations).toMatch(/\.spec\.containers\[0\]\.name: is required/);
  });
});
