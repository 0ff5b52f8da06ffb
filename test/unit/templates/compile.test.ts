// Template validation: every problem names the field, and says what would be valid.
import { compileTemplate } from '../../../src/templates/compile';
import { template } from '../../support/templates';

const sidecar = { name: 'side', image: 'busybox:1.37' };
const problemsOf = (spec: Record<string, unknown>, name = 'example') => {
  const result = compileTemplate(template(name, spec), 'test');
  return result.ok ? [] : result.problems;
};

test('a minimal template compiles with the contract defaults', () => {
  const result = compileTemplate(template('example', { containers: [sidecar] }), 'test');
  if (!result.ok) throw new Error(result.problems.join('\n'));
  expect(result.template).toMatchObject({
    mode: 'Auto',
    onConflict: 'Reject',
    automatic: false,
    appContainerNames: '*',
  });
});

test.each([
  [
    'a bad regular expression',
    {
      parameters: [
        { name: 'a', default: 'x' },
        { name: 'b', pattern: '([a-z', default: 'x' },
      ],
      containers: [sidecar],
    },
    /^spec\.parameters\[1\]\.pattern: not a valid regular expression/,
  ],
  ['a schema error names the path', { containers: [sidecar], mode: 'Sometimes' }, /^spec\.mode: /],
  ['an unknown field', { containers: [sidecar], onconflict: 'Skip' }, /^spec\.onconflict: Unexpected property/],
  [
    'a parameter name',
    { parameters: [{ name: 'Log_Path', default: 'x' }], containers: [sidecar] },
    /^spec\.parameters\[0\]\.name: /,
  ],
  [
    'an undeclared placeholder',
    { containers: [{ ...sidecar, args: ['${params.missing}'] }] },
    /^spec\.containers\[0\]\.args\[0\]: \$\{params\.missing\} is not a declared parameter \(declared: none\)/,
  ],
  [
    'a malformed placeholder',
    { containers: [{ ...sidecar, args: ['echo ${HOME}'] }] },
    /^spec\.containers\[0\]\.args\[0\]: "\$\{HOME\}" is not a placeholder; write \$\{params\.NAME\}, or \$\$\{ for a literal/,
  ],
  [
    'duplicate parameters',
    {
      parameters: [
        { name: 'a', default: 'x' },
        { name: 'a', default: 'y' },
      ],
      containers: [sidecar],
    },
    /^spec\.parameters\[1\]\.name: duplicate parameter "a"/,
  ],
  [
    'duplicate container names',
    { initContainers: [sidecar], containers: [sidecar] },
    /^spec\.containers\[0\]\.name: duplicate container name "side"/,
  ],
  [
    'duplicate volumes',
    {
      volumes: [
        { name: 'v', emptyDir: {} },
        { name: 'v', emptyDir: {} },
      ],
    },
    /^spec\.volumes\[1\]\.name: duplicate volume name "v"/,
  ],
  [
    'a restartPolicy set by hand',
    { containers: [{ ...sidecar, restartPolicy: 'Always' }] },
    /^spec\.containers\[0\]\.restartPolicy: set by the injector/,
  ],
  [
    'a bad container name',
    { containers: [{ ...sidecar, name: 'Side_Car' }] },
    /^spec\.containers\[0\]\.name: "Side_Car" must be a DNS label/,
  ],
  [
    'a placeholder for a name',
    { parameters: [{ name: 'n', default: 'x' }], containers: [{ ...sidecar, name: '${params.n}' }] },
    /^spec\.containers\[0\]\.name: /,
  ],
  [
    'a string placeholder as a port',
    {
      parameters: [{ name: 'p', default: '80' }],
      containers: [{ ...sidecar, ports: [{ containerPort: '${params.p}' }] }],
    },
    /^spec\.containers\[0\]\.ports\[0\]\.containerPort: must be exactly one placeholder of an integer parameter/,
  ],
  [
    'an unconstrained image parameter',
    { parameters: [{ name: 'image', default: 'busybox' }], containers: [{ ...sidecar, image: '${params.image}' }] },
    /^spec\.containers\[0\]\.image: parameter image sets a sensitive field, so it must declare enum or pattern/,
  ],
  [
    'an unconstrained hostPath parameter',
    { parameters: [{ name: 'dir', default: '/var' }], volumes: [{ name: 'v', hostPath: { path: '${params.dir}' } }] },
    /^spec\.volumes\[0\]\.hostPath\.path: parameter dir sets a sensitive field/,
  ],
  [
    'an unconstrained securityContext parameter',
    {
      parameters: [{ name: 'priv', type: 'boolean', default: false }],
      containers: [{ ...sidecar, securityContext: { privileged: '${params.priv}' } }],
    },
    /securityContext\.privileged: parameter priv sets a sensitive field/,
  ],
  [
    'a default that fails its pattern',
    { parameters: [{ name: 'a', default: 'UPPER', pattern: '[a-z]+' }], containers: [sidecar] },
    /^spec\.parameters\[0\]\.default: "UPPER" does not match \[a-z\]\+/,
  ],
  [
    'an enum entry of the wrong type',
    { parameters: [{ name: 'a', type: 'integer', enum: [1, 'two'], default: 1 }], containers: [sidecar] },
    /^spec\.parameters\[0\]\.enum\[1\]: "two" is not a valid integer/,
  ],
  [
    'minimum above maximum',
    { parameters: [{ name: 'a', type: 'integer', default: 5, minimum: 10, maximum: 1 }], containers: [sidecar] },
    /^spec\.parameters\[0\]\.minimum: 10 is above maximum 1/,
  ],
  [
    'bounds on a string',
    { parameters: [{ name: 'a', default: 'x', minimum: 1 }], containers: [sidecar] },
    /^spec\.parameters\[0\]: minimum and maximum apply only to integer and quantity parameters/,
  ],
  [
    'an integer without default or required',
    { parameters: [{ name: 'a', type: 'integer' }], containers: [sidecar] },
    /^spec\.parameters\[0\]: a integer parameter needs a default or required: true/,
  ],
  [
    'an app mount of an unknown volume',
    { containers: [sidecar], appContainers: { volumeMounts: [{ name: 'nope', mountPath: '/x' }] } },
    /^spec\.appContainers\.volumeMounts\[0\]\.name: "nope" is not one of spec\.volumes \(none\)/,
  ],
  [
    'a bad selector operator values',
    { containers: [sidecar], selector: { podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } } },
    /^spec\.selector\.podSelector\.matchExpressions\[0\]\.values: must be non-empty when operator is In/,
  ],
  [
    'a bad selector label key',
    { containers: [sidecar], selector: { namespaceSelector: { matchLabels: { 'bad key!': 'x' } } } },
    /^spec\.selector\.namespaceSelector\.matchLabels\["bad key!"\]: label key/,
  ],
  ['an empty template', {}, /^spec: injects nothing/],
  [
    'a port clash inside the template',
    {
      containers: [
        { ...sidecar, ports: [{ containerPort: 80 }] },
        { name: 'two', image: 'x', ports: [{ containerPort: 80 }] },
      ],
    },
    /^spec\.containers\[1\]\.ports: port 80\/TCP is also used by container side/,
  ],
  [
    'a rendered default that Kubernetes refuses',
    {
      parameters: [{ name: 'p', type: 'integer', default: 70000 }],
      containers: [{ ...sidecar, ports: [{ containerPort: '${params.p}' }] }],
    },
    /^spec\.containers\[0\]\.ports\[0\]\.containerPort: 70000 must be an integer from 1 to 65535/,
  ],
  [
    'a boolean placeholder alone as an env value',
    {
      parameters: [{ name: 'b', type: 'boolean', default: true }],
      containers: [{ ...sidecar, env: [{ name: 'B', value: '${params.b}' }] }],
    },
    /^spec\.containers\[0\]\.env\[0\]\.value: must be a string/,
  ],
])('%s is reported', (_what, spec, expected) => {
  const problems = problemsOf(spec);
  expect(problems.some((p) => expected.test(p))).toBe(true);
});

test('the template name must be a DNS subdomain', () => {
  expect(problemsOf({ containers: [sidecar] }, 'Bad_Name')).toEqual([
    expect.stringMatching(/^metadata\.name: "Bad_Name" must be a DNS subdomain/),
  ]);
});

test('a wrong apiVersion or kind is reported at the top', () => {
  const result = compileTemplate({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, spec: {} }, 'test');
  expect(result.ok ? [] : result.problems).toEqual(
    expect.arrayContaining([expect.stringMatching(/^apiVersion: /), expect.stringMatching(/^kind: /)]),
  );
});

test('a constrained image parameter is accepted', () => {
  expect(
    problemsOf({
      parameters: [{ name: 'tag', default: '3.2', enum: ['3.1', '3.2'] }],
      containers: [{ ...sidecar, image: 'fluent/fluent-bit:${params.tag}' }],
    }),
  ).toEqual([]);
});

test('quantity bounds accept quantities', () => {
  expect(
    problemsOf({
      parameters: [{ name: 'm', type: 'quantity', default: '64Mi', minimum: '16Mi', maximum: '1Gi' }],
      containers: [{ ...sidecar, resources: { limits: { memory: '${params.m}' } } }],
    }),
  ).toEqual([]);
});

test('a parameter with a bad pattern is reported once, not again as undeclared where it is used', () => {
  const problems = problemsOf({
    parameters: [{ name: 'p', pattern: '(' }],
    containers: [{ ...sidecar, args: ['${params.p}'] }],
  });
  expect(problems).toEqual([expect.stringMatching(/^spec\.parameters\[0\]\.pattern: not a valid regular expression/)]);
});
