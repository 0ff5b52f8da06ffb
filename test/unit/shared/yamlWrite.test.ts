import fc from 'fast-check';
import { parse } from 'yaml';
import { readKubernetesYaml } from '../../../src/shared/kubernetesYaml';
import { needsQuotes, yamlText } from '../../../src/shared/yamlWrite';

// Strings that some YAML reader takes for something else when they are written plain.
const TRICKY = [
  'yes',
  'no',
  'y',
  'n',
  'Y',
  'N',
  'on',
  'off',
  'true',
  'False',
  '~',
  'null',
  '',
  ' ',
  '0644',
  '0755',
  '0o17',
  '0x1F',
  '0b101',
  '1_000',
  '1:30',
  '1:30.5',
  '2024-01-02',
  '2024-01-02T10:20:30Z',
  '1e3',
  '.5',
  '5.',
  '+1',
  '-1',
  '.inf',
  '-.inf',
  '.nan',
  '=',
  '<<',
  '- a',
  'a: b',
  '# x',
  '@x',
  '`x',
  '{a}',
  '[a]',
  '!x',
  '&x',
  '*x',
  '%x',
  '|',
  '>',
  "'q'",
  '"q"',
  'a #b',
  'tab\there',
  'line\nbreak',
  'trailing ',
  'ünïcödé',
  '08',
  '0779',
  '1e400',
];

/** What each reader makes of a YAML text: kubectl's, and the yaml package's YAML 1.1 and 1.2. */
function readBack(text: string): unknown[] {
  const kubernetes = readKubernetesYaml(text);
  expect(kubernetes.problems).toEqual([]);
  return [
    kubernetes.documents[0]?.value,
    parse(text, { version: '1.1', logLevel: 'silent' }),
    parse(text, { version: '1.2', logLevel: 'silent' }),
  ];
}

test.each(TRICKY)('%p is written so that every reader reads it back as that string', (text) => {
  const written = yamlText({ value: text, [text]: 'as a key' });
  for (const value of readBack(written)) expect(value).toEqual({ value: text, [text]: 'as a key' });
});

test('words that are strings in every reader stay plain', () => {
  for (const text of ['nginx:1.27', '/var/log/app', 'hello world', 'a~b', 'yes we can', 'v1.2.3'])
    expect(needsQuotes(text)).toBe(false);
  expect(yamlText({ image: 'nginx:1.27' })).toBe('image: nginx:1.27\n');
});

test('numbers are written so that YAML 1.1 readers, which want a dot in a float, read numbers', () => {
  const values = [0, 1, -1, 1.5, 1e21, 1e-7, 5e-324, 2 ** 53, 123456789.125];
  for (const value of readBack(yamlText(values))) expect(value).toEqual(values);
});

test('any JSON value is read back as itself by every reader', () => {
  const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
  const withTricky = fc.oneof(json, fc.dictionary(fc.constantFrom(...TRICKY), fc.constantFrom(...TRICKY)));
  fc.assert(
    fc.property(withTricky, (value) => {
      for (const read of readBack(yamlText(value))) expect(read).toEqual(value);
    }),
    { numRuns: 300 },
  );
});
