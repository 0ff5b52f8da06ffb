// What the API server does with a custom object, in small: validate it against the CRD's
// openAPIV3Schema and prune the fields the schema does not know. Enough to tell whether an
// object would reach the injector as written.

type Node = Record<string, unknown>;
const isObject = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);

function typeProblem(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'object':
      return !isObject(value);
    case 'array':
      return !Array.isArray(value);
    case 'string':
      return typeof value !== 'string';
    case 'integer':
      return !Number.isInteger(value);
    case 'number':
      return typeof value !== 'number';
    case 'boolean':
      return typeof value !== 'boolean';
    default:
      return false;
  }
}

/** Each way `value` fails `schema`, including fields the API server would silently prune. */
export function openApiViolations(value: unknown, schema: Node, path = ''): string[] {
  const at = path || '<root>';
  // ObjectMeta is validated by the API server itself, whatever the CRD says.
  if (path === '.metadata') return [];
  if (schema['x-kubernetes-int-or-string'] === true) {
    return Number.isInteger(value) || typeof value === 'string' ? [] : [`${at}: must be an integer or a string`];
  }
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && schema.type === undefined) return [];
  if (typeProblem(value, schema.type)) return [`${at}: must be of type ${schema.type}`];

  const problems: string[] = [];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      problems.push(`${at}: does not match ${schema.pattern}`);
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) problems.push(`${at}: too short`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) problems.push(`${at}: too few items`);
    if (isObject(schema.items))
      value.forEach((item, i) => {
        problems.push(...openApiViolations(item, schema.items as Node, `${path}[${i}]`));
      });
  }
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    for (const required of Array.isArray(schema.required) ? schema.required : [])
      if (!(required in value)) problems.push(`${at}.${required}: is required`);
    for (const [key, child] of Object.entries(value)) {
      const childSchema = properties[key] ?? schema.additionalProperties;
      if (isObject(childSchema)) problems.push(...openApiViolations(child, childSchema, `${path}.${key}`));
      else if (schema['x-kubernetes-preserve-unknown-fields'] !== true)
        problems.push(`${path}.${key}: unknown field, the API server would prune it`);
    }
  }
  return problems;
}
