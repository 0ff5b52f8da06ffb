// The SidecarTemplate CustomResourceDefinition, derived from the one TypeBox definition in
// sidecarTemplate.ts so that the API server and the injector can never disagree on the shape.
// The API server needs a *structural* schema (no unions of types, no `additionalProperties`
// next to `properties`, a type on every node), so the TypeBox schema is rewritten here; nodes
// that JSON Schema can say but a structural schema cannot carry an `x-crd` override.
import { stringify } from 'yaml';
import { isObject } from '../shared/objects';
import { CRD_OVERRIDE_KEY, GROUP, KIND, PLURAL, type Schema, SidecarTemplateSpec, VERSION } from './sidecarTemplate';

export type CrdSchema = { [keyword: string]: unknown };

/** Keywords copied as they are: value validations that apiextensions.k8s.io/v1 accepts. */
const COPIED = new Set([
  'type',
  'description',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'enum',
  'required',
  'default',
  'nullable',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
]);

/**
 * Rewrites one TypeBox (JSON Schema) node into a structural schema node. Throws, naming the
 * path, on anything it cannot express: the fix is an `x-crd` override in sidecarTemplate.ts.
 */
export function toStructural(node: Schema | Record<string, unknown>, path = ''): CrdSchema {
  const description = typeof node.description === 'string' ? { description: node.description } : {};
  const override = node[CRD_OVERRIDE_KEY];
  if (isObject(override)) return { ...description, ...override };

  if (Array.isArray(node.anyOf)) {
    const literals = node.anyOf.map((member: unknown) => (isObject(member) ? member.const : undefined));
    if (literals.every((l: unknown) => typeof l === 'string'))
      return { type: 'string', enum: literals, ...description };
    throw new Error(
      `${path || '<root>'}: a union of types is not structural; give it an "${CRD_OVERRIDE_KEY}" override`,
    );
  }
  if ('const' in node) return { type: typeof node.const, enum: [node.const], ...description };

  const out: CrdSchema = {};
  const hasProperties = isObject(node.properties);
  for (const [keyword, value] of Object.entries(node)) {
    if (COPIED.has(keyword)) out[keyword] = value;
    else if (keyword === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [name, toStructural(child as Schema, `${path}.${name}`)]),
      );
    } else if (keyword === 'items' && isObject(value)) out.items = toStructural(value, `${path}[]`);
    else if (keyword === 'patternProperties' && isObject(value) && !hasProperties) {
      // Type.Record(String, X): a map whose keys are free, which is additionalProperties in a CRD.
      const values = Object.values(value);
      if (values.length !== 1 || !isObject(values[0])) throw new Error(`${path}: only one value schema per map`);
      out.additionalProperties = toStructural(values[0], `${path}.*`);
    } else if (keyword === 'additionalProperties') {
      // Unknown fields are pruned by the API server; `false` and `true` next to properties are not allowed.
      if (hasProperties) continue;
      if (isObject(value)) out.additionalProperties = toStructural(value, `${path}.*`);
      else if (value === true) out['x-kubernetes-preserve-unknown-fields'] = true;
    } else if (keyword !== 'title' && keyword !== '$id') {
      throw new Error(`${path || '<root>'}: JSON Schema keyword "${keyword}" has no CRD equivalent`);
    }
  }
  // `type` first, as people write schemas by hand.
  return 'type' in out ? { type: out.type, ...out } : out;
}

/** The openAPIV3Schema of the SidecarTemplate CRD. */
export function sidecarTemplateOpenApiSchema(): CrdSchema {
  return {
    type: 'object',
    description:
      'SidecarTemplate declares sidecars, volumes and app-container settings that the sidecar-injector adds to pods.',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string', description: 'The versioned schema of this object.' },
      kind: { type: 'string', description: 'The REST resource this object represents.' },
      metadata: { type: 'object' },
      spec: {
        description: 'What to inject and when. See the sidecar-injector README for every field.',
        ...toStructural(SidecarTemplateSpec, '.spec'),
      },
    },
  };
}

/** The CustomResourceDefinition (apiextensions.k8s.io/v1) for SidecarTemplate. */
export function sidecarTemplateCrd(): CrdSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${PLURAL}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'sidecar-injector', 'app.kubernetes.io/part-of': 'sidecar-injector' },
    },
    spec: {
      group: GROUP,
      scope: 'Cluster',
      names: {
        plural: PLURAL,
        singular: KIND.toLowerCase(),
        kind: KIND,
        listKind: `${KIND}List`,
        shortNames: ['sct'],
        categories: ['sidecar-injector'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          additionalPrinterColumns: [
            { name: 'Mode', type: 'string', jsonPath: '.spec.mode', description: 'Auto (empty), Native or Classic' },
            {
              name: 'On-Conflict',
              type: 'string',
              jsonPath: '.spec.onConflict',
              description: 'Reject (empty) or Skip',
            },
            { name: 'Sidecars', type: 'string', jsonPath: '.spec.containers[*].name', priority: 1 },
            { name: 'Description', type: 'string', jsonPath: '.spec.description', priority: 1 },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: sidecarTemplateOpenApiSchema() },
        },
      ],
    },
  };
}

export const CRD_YAML_HEADER = '# generated by npm run generate:crd; do not edit\n';

/** The CRD as the YAML file committed to deploy/base/crd.yaml. */
export function renderCrdYaml(crd: CrdSchema = sidecarTemplateCrd()): string {
  return CRD_YAML_HEADER + stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false });
}

// The structural-schema rules of apiextensions.k8s.io/v1, as the API server enforces them
// (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema).

/** Keywords of JSONSchemaProps that a v1 CRD accepts at all. */
const CRD_KEYWORDS = new Set([
  ...COPIED,
  'title',
  'properties',
  'additionalProperties',
  'items',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'maxProperties',
  'minProperties',
  'uniqueItems',
  'example',
  'externalDocs',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-validations',
]);
const JUNCTORS = ['allOf', 'anyOf', 'oneOf', 'not'] as const;
/** Not allowed anywhere inside a logical junctor. */
const FORBIDDEN_IN_JUNCTOR = ['type', 'description', 'default', 'additionalProperties', 'nullable'];

/** The one junctor form allowed with int-or-string: `anyOf: [{type: integer}, {type: string}]`. */
function isIntOrStringJunctor(node: Record<string, unknown>, junctor: string): boolean {
  if (node['x-kubernetes-int-or-string'] !== true || junctor !== 'anyOf' || !Array.isArray(node.anyOf)) return false;
  const types = node.anyOf.map((m: unknown) => (isObject(m) ? JSON.stringify(m) : ''));
  return types.length === 2 && types.includes('{"type":"integer"}') && types.includes('{"type":"string"}');
}

function junctorProblems(member: unknown, outside: Record<string, unknown>, path: string, problems: string[]): void {
  if (!isObject(member)) return;
  for (const key of FORBIDDEN_IN_JUNCTOR)
    if (key in member) problems.push(`${path}: "${key}" is not allowed inside a logical junctor`);
  const outsideProps = isObject(outside.properties) ? outside.properties : {};
  if (isObject(member.properties)) {
    for (const [name, child] of Object.entries(member.properties)) {
      if (!(name in outsideProps)) problems.push(`${path}.${name}: specified in a junctor but not outside it`);
      junctorProblems(child, isObject(outsideProps[name]) ? outsideProps[name] : {}, `${path}.${name}`, problems);
    }
  }
  if (isObject(member.items)) {
    if (!isObject(outside.items)) problems.push(`${path}[]: items specified in a junctor but not outside it`);
    junctorProblems(member.items, isObject(outside.items) ? outside.items : {}, `${path}[]`, problems);
  }
  for (const j of JUNCTORS) {
    const inner = member[j];
    for (const m of Array.isArray(inner) ? inner : [inner]) junctorProblems(m, outside, path, problems);
  }
}

function nodeProblems(node: unknown, path: string, problems: string[]): void {
  if (!isObject(node)) return void problems.push(`${path}: must be a schema object`);
  for (const keyword of Object.keys(node))
    if (!CRD_KEYWORDS.has(keyword)) problems.push(`${path}: "${keyword}" is not a CRD schema keyword`);

  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (intOrString && 'type' in node) problems.push(`${path}: x-kubernetes-int-or-string must not have a type`);
  if (!intOrString && !preserve && (typeof node.type !== 'string' || node.type === ''))
    problems.push(`${path}: every node needs a type`);
  if ('properties' in node && 'additionalProperties' in node)
    problems.push(`${path}: properties and additionalProperties are mutually exclusive`);
  if (node.additionalProperties === false) problems.push(`${path}: additionalProperties: false is not structural`);
  if (node.uniqueItems === true) problems.push(`${path}: uniqueItems: true is forbidden`);
  if (node.type === 'array' && !isObject(node.items)) problems.push(`${path}: an array needs items`);

  for (const j of JUNCTORS) {
    if (!(j in node) || isIntOrStringJunctor(node, j)) continue;
    const members = node[j];
    for (const m of Array.isArray(members) ? members : [members]) junctorProblems(m, node, `${path}(${j})`, problems);
  }
  if (isObject(node.properties))
    for (const [name, child] of Object.entries(node.properties)) nodeProblems(child, `${path}.${name}`, problems);
  if (isObject(node.items)) nodeProblems(node.items, `${path}[]`, problems);
  if (isObject(node.additionalProperties)) nodeProblems(node.additionalProperties, `${path}.*`, problems);
}

/** Every way `schema` (an openAPIV3Schema) breaks the structural-schema rules; empty when it is structural. */
export function structuralProblems(schema: unknown): string[] {
  const problems: string[] = [];
  nodeProblems(schema, '<root>', problems);
  if (!isObject(schema)) return problems;
  if (schema.type !== 'object') problems.push('<root>: must be of type object');
  const metadata = isObject(schema.properties) ? schema.properties.metadata : undefined;
  if (isObject(metadata)) {
    const allowed = new Set(['name', 'generateName']);
    const fields = isObject(metadata.properties) ? Object.keys(metadata.properties) : [];
    for (const f of fields)
      if (!allowed.has(f)) problems.push(`<root>.metadata.${f}: only name and generateName may be restricted`);
    if (metadata.type !== 'object') problems.push('<root>.metadata: must be of type object');
  }
  return problems;
}
