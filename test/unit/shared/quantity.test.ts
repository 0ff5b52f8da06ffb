import fc from 'fast-check';
import { parseByteSize, UsageError } from '../../../src/cli/flags';
import { formatQuantity, parseQuantity, quantityValue } from '../../../src/shared/quantity';

test('quantities compare by amount', () => {
  expect(quantityValue('1Gi')).toBe(2 ** 30);
  expect(quantityValue('250m')).toBe(0.25);
  expect(quantityValue('1e3')).toBe(1000);
  expect(quantityValue('1.5k')).toBe(1500);
  expect(quantityValue('12XB')).toBeUndefined();
});

test('--body-limit takes a whole number of bytes as a quantity, and names the flag when it is not one', () => {
  expect(parseByteSize('3Mi', 'body-limit')).toBe(3 * 2 ** 20);
  expect(parseByteSize(' 512Ki ', 'body-limit')).toBe(512 * 1024);
  expect(parseByteSize('3145728', 'body-limit')).toBe(3145728);
  for (const bad of ['lots', '', '-1Mi', '1.5', '500m']) {
    expect(() => parseByteSize(bad, 'body-limit')).toThrow(UsageError);
    expect(() => parseByteSize(bad, 'body-limit')).toThrow(/--body-limit: .* is not a size such as 3Mi/);
  }
});

const nanosOf = (text: unknown) => parseQuantity(text)?.nanos;

test.each([
  ['1', 1_000_000_000n],
  ['250m', 250_000_000n],
  ['1.5', 1_500_000_000n],
  ['.5', 500_000_000n],
  ['5.', 5_000_000_000n],
  ['64Mi', 64n * 2n ** 20n * 1_000_000_000n],
  ['1.5Gi', 1_610_612_736n * 1_000_000_000n],
  ['0.1Ki', 102_400_000_000n],
  ['1k', 1_000n * 1_000_000_000n],
  ['2e3', 2_000n * 1_000_000_000n],
  ['2E3', 2_000n * 1_000_000_000n],
  ['1n', 1n],
  ['1u', 1_000n],
  // Finer than a nano unit rounds up, as Kubernetes rounds it.
  ['1.0000000001', 1_000_000_001n],
  ['1e-12', 1n],
  ['+3', 3_000_000_000n],
  ['-3', -3_000_000_000n],
  [2, 2_000_000_000n],
  [0.5, 500_000_000n],
])('%p is %p nano units', (text, nanos) => {
  expect(nanosOf(text)).toBe(nanos);
});

test.each(['', 'lots', '1.2.3', '12XB', '1Kb', 'Mi', '1 Mi', '1e', '1e999', null, {}, Number.NaN])(
  '%p is not a quantity',
  (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  },
);

test.each([
  ['80Mi', 'binary', '80Mi'],
  ['1536Mi', 'binary', '1536Mi'],
  ['1Gi', 'binary', '1Gi'],
  ['1000', 'decimal', '1k'],
  ['1250m', 'decimal', '1250m'],
  ['1.5', 'decimal', '1500m'],
  ['2000', 'decimal', '2k'],
  ['0', 'decimal', '0'],
  ['1n', 'decimal', '1n'],
])('%p reads as %s and is written %p', (text, format, written) => {
  const quantity = parseQuantity(text);
  expect(quantity?.format).toBe(format);
  expect(formatQuantity(quantity!)).toBe(written);
});

test('a binary amount that is no whole number of Ki is written as a plain number', () => {
  expect(formatQuantity({ nanos: 1000n * 1_000_000_000n, format: 'binary' })).toBe('1000');
});

test('a binary quantity below 1 is written in decimal form, as Kubernetes writes it', () => {
  expect(parseQuantity('0.5Ki')?.format).toBe('binary');
  expect(parseQuantity('0.0001Ki')?.format).toBe('decimal');
});

test('what is written reads back to the same amount', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 2n ** 70n }), fc.constantFrom('binary', 'decimal'), (nanos, format) => {
      const text = formatQuantity({ nanos, format: format as 'binary' | 'decimal' });
      expect(nanosOf(text)).toBe(nanos);
    }),
  );
});
