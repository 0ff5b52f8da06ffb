// The YAML reader against what kubectl makes of the same text (each expectation was checked with
// `kubectl annotate --local -f FILE -o json`; test/e2e/yaml.test.ts compares whole files with
// kubectl itself).
import { parse } from 'yaml';
import { readKubernetesYaml } from '../../../src/shared/kubernetesYaml';

const readValue = (text: string): unknown => {
  const read = readKubernetesYaml(`v: ${text}\n`);
  expect(read.problems).toEqual([]);
  return (read.documents[0]?.value as { v: unknown } | undefined)?.v;
};

describe('scalars are YAML 1.1, as go-yaml v2 reads them', () => {
  test.each([
    ['0644', 420],
    ['0o644', 420],
    ['0O17', 15],
    ['0x1F', 31],
    ['0X1f', 31],
    ['0b101', 5],
    ['-0b11', -3],
    ['+0x10', 16],
    ['1_000', 1000],
    ['0x_1F', 31],
    ['08', 8],
    ['0779', 779],
    ['1.5', 1.5],
    ['1_000.5', 1000.5],
    ['1e3', 1000],
    ['2.5E-3', 0.0025],
    ['.5', 0.5],
    ['.5e2', 50],
    ['+.5', 0.5],
    ['5.', 5],
    ['99999999999999999999', 1e20],
    ['y', true],
    ['Y', true],
    ['yes', true],
    ['ON', true],
    ['TRUE', true],
    ['n', false],
    ['No', false],
    ['off', false],
    ['~', null],
    ['Null', null],
    ['', null],
    ['!!int "12"', 12],
    ['!!float 3', 3],
    ['!!bool "yes"', true],
    ['!!binary aGVsbG8=', 'hello'],
  ])('%s is %p', (text, expected) => {
    expect(readValue(text)).toEqual(expected);
  });

  test.each([
    // What a YAML 1.1 reader of the yaml package would turn into numbers and dates.
    ['1:30', '1:30'],
    ['1:30.5', '1:30.5'],
    ['2002-12-14', '2002-12-14'],
    ['2001-12-14t21:59:43.10-05:00', '2001-12-14t21:59:43.10-05:00'],
    // Too large for a double: go-yaml keeps the text.
    ['1e400', '1e400'],
    ['"0644"', '0644'],
    ["'yes'", 'yes'],
    ['!!str 0644', '0644'],
    ['!foo 123', '123'],
    ['! 123', '123'],
    ['+', '+'],
    ['.', '.'],
    ['=', '='],
    ['yes we can', 'yes we can'],
    ['a~b', 'a~b'],
    ['<<', '<<'],
  ])('%s is the string %p', (text, expected) => {
    expect(readValue(text)).toBe(expected);
  });

  test('a block scalar is a string', () => {
    expect(readKubernetesYaml('v: |\n  0644\n').documents[0]?.value).toEqual({ v: '0644\n' });
  });
});

describe('maps as sigs.k8s.io/yaml makes them JSON', () => {
  test('keys become strings the way go-yaml prints them', () => {
    const text = [
      'a:',
      '  1: int',
      '  1.5: float',
      '  0x10: hex',
      '  on: bool',
      '  y: short-bool',
      '  1e6: exponent',
      '  0.0001: small',
      '  123456: int6',
      '  1234567.0: float7',
      '  "yes": quoted',
    ].join('\n');
    expect(readKubernetesYaml(text).documents[0]?.value).toEqual({
      a: {
        '1': 'int',
        '1.5': 'float',
        '16': 'hex',
        true: 'short-bool',
        '1e+06': 'exponent',
        '0.0001': 'small',
        '123456': 'int6',
        '1.234567e+06': 'float7',
        yes: 'quoted',
      },
    });
  });

  test('a duplicate key keeps its last value, and is told', () => {
    const read = readKubernetesYaml('a: 1\nb: {c: 1, c: 2}\na: 2\n');
    expect(read.documents[0]?.value).toEqual({ a: 2, b: { c: 2 } });
    expect(read.duplicateKeys).toEqual([
      'line 2, column 11: map keys must be unique; "c" is written twice',
      'line 3, column 1: map keys must be unique; "a" is written twice',
    ]);
  });

  test('a merge writes its keys where it stands: keys written later win, even over an explicit key', () => {
    const text = 'a:\n  x: explicit\n  <<: {x: merged, z: merged}\nb:\n  <<: {x: merged}\n  x: explicit\n';
    expect(readKubernetesYaml(text).documents[0]?.value).toEqual({
      a: { x: 'merged', z: 'merged' },
      b: { x: 'explicit' },
    });
  });

  test('in a list of merged maps the earlier ones win; aliases merge too', () => {
    const text = 'base: &base {a: 0, d: 4}\nm:\n  <<: [{a: 1, b: 1}, {b: 2, c: 2}, *base]\n  c: 3\n';
    const value = readKubernetesYaml(text).documents[0]?.value as { m: unknown } | undefined;
    expect(value?.m).toEqual({ a: 1, b: 1, c: 3, d: 4 });
  });

  test('a single pair in a flow sequence is a map', () => {
    expect(readKubernetesYaml('s: [a: b, c]\n').documents[0]?.value).toEqual({ s: [{ a: 'b' }, 'c'] });
  });

  test('__proto__ is an ordinary key', () => {
    const value = readKubernetesYaml('__proto__: {polluted: yes}\n').documents[0]?.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('what kubectl refuses is a problem with its line', () => {
  test.each([
    ['v: .inf\n', /line 1, column 4: \.inf cannot be represented in JSON/],
    ['v: !!int abc\n', /line 1, column \d+: cannot decode "abc" as a !!int/],
    ['v: !!binary "not base64!"\n', /line 1, column \d+: !!binary value contains invalid base64/],
    ['a:\n  <<: [1, 2]\n', /line 2, column \d+: map merge requires map or sequence of maps/],
    ['a:\n  ~: null key\n', /line 2, column 3: unsupported map key: null/],
    ['a: [x\n', /^line \d+, column \d+: /],
    ['v: *nowhere\n', /line 1/],
  ])('%p', (text, problem) => {
    const read = readKubernetesYaml(text);
    expect(read.problems).toEqual([expect.stringMatching(problem)]);
    expect(read.documents).toEqual([]);
  });

  test('aliases that expand into a bomb are refused, not expanded', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    expect(readKubernetesYaml(`${levels.join('\n')}\n`).problems).toEqual([
      expect.stringMatching(/too many nodes once aliases are expanded/),
    ]);
  });
});

test('integers beyond 2^53 are read with a warning that says what they became', () => {
  const read = readKubernetesYaml('v: 9223372036854775807\nw: 99999999999999999999\n');
  expect(read.documents[0]?.value).toEqual({ v: Number(9223372036854775807n), w: 1e20 });
  expect(read.warnings).toEqual([expect.stringMatching(/^line 1, column 4: 9223372036854775807 is beyond 2\^53/)]);
});

test('documents keep their order, empty ones included, and each keeps its parsed form', () => {
  const read = readKubernetesYaml('# a comment\n---\na: 1\n---\n# nothing here\n---\nb: 0644\n');
  expect(read.documents.map((d) => d.value)).toEqual([{ a: 1 }, null, { b: 420 }]);
  // The parsed form keeps each scalar's text, to be written back as it was.
  expect(String(read.documents[2]?.document)).toBe('---\nb: 0644\n');
});

test('a YAML 1.2 reader would get these wrong, which is why this reader exists', () => {
  expect(parse('v: 0644').v).toBe(644);
  expect(readValue('0644')).toBe(420);
  expect(parse('v: yes').v).toBe('yes');
  expect(readValue('yes')).toBe(true);
});
