import { parseByteSize, UsageError } from '../../../src/cli/flags';
import { quantityValue } from '../../../src/shared/quantity';

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
