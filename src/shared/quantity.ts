// Kubernetes resource quantities (`128Mi`, `250m`, `1.5`, `2e3`): exact amounts for pod-level
// resources, and numbers for parameter bounds and --body-limit. Kubernetes keeps a quantity as a
// decimal rounded up to the nano unit (10^-9); so does this module, in BigInt nano units, so
// that sums and comparisons are exact where floating point would drift.

// resource.Quantity's grammar: a decimal number with an optional binary, decimal or exponent suffix.
const QUANTITY = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))((?:[KMGTPE]i)|[numkMGTPE]|(?:[eE][+-]?\d+))?$/;

const DECIMAL_EXPONENTS: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;
const DECIMAL_SUFFIXES = ['E', 'P', 'T', 'G', 'M', 'k', '', 'm', 'u', 'n'] as const;

/** Exponents beyond this are refused rather than turned into huge numbers (Kubernetes caps at 2^63). */
const MAX_EXPONENT = 40;

/** How a quantity was written: `Mi`-style suffixes or decimal ones; sums keep the first operand's. */
export type QuantityFormat = 'binary' | 'decimal';

export interface Quantity {
  /** The value in nano units (10^-9), rounded up as Kubernetes rounds it. */
  readonly nanos: bigint;
  readonly format: QuantityFormat;
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/**
 * Parses a quantity as Kubernetes does, or returns undefined. JSON numbers are quantities too
 * (`cpu: 2` in YAML is a number).
 */
export function parseQuantity(input: unknown): Quantity | undefined {
  const text = typeof input === 'number' && Number.isFinite(input) ? String(input) : input;
  if (typeof text !== 'string') return undefined;
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, sign, whole = '', fraction = '', onlyFraction, suffix = ''] = match;
  const decimals = onlyFraction ?? fraction;
  const digits = BigInt(`${onlyFraction === undefined ? whole : ''}${decimals}` || '0');

  let binaryPower = 0;
  let exponent: number;
  if (suffix.endsWith('i')) {
    binaryPower = 10 * (BINARY_SUFFIXES.indexOf(suffix as (typeof BINARY_SUFFIXES)[number]) + 1);
    exponent = 0;
  } else if (/^[eE]/.test(suffix)) {
    exponent = Number(suffix.slice(1));
  } else {
    exponent = DECIMAL_EXPONENTS[suffix] as number;
  }
  if (Math.abs(exponent) > MAX_EXPONENT) return undefined;

  // value = digits × 10^(exponent − decimals) × 2^binaryPower, counted in nano units.
  const shift = exponent - decimals.length + 9;
  const numerator = digits * 2n ** BigInt(binaryPower) * (shift > 0 ? pow10(shift) : 1n);
  const denominator = shift < 0 ? pow10(-shift) : 1n;
  // Rounded up (away from zero), as Kubernetes rounds what is finer than a nano unit.
  const magnitude = (numerator + denominator - 1n) / denominator;
  // Below 1, Kubernetes writes even a binary quantity in decimal form.
  const format: QuantityFormat = binaryPower > 0 && magnitude >= 1_000_000_000n ? 'binary' : 'decimal';
  return { nanos: sign === '-' ? -magnitude : magnitude, format };
}

/** Writes a non-negative quantity exactly, with the largest suffix of its format that fits. */
export function formatQuantity(quantity: Quantity): string {
  const { nanos, format } = quantity;
  if (nanos < 0n) return `-${formatQuantity({ nanos: -nanos, format })}`;
  if (nanos === 0n) return '0';
  if (format === 'binary' && nanos % 1_000_000_000n === 0n) {
    const units = nanos / 1_000_000_000n;
    for (let i = BINARY_SUFFIXES.length; i >= 1; i--) {
      const base = 1n << BigInt(10 * i);
      if (units % base === 0n) return `${units / base}${BINARY_SUFFIXES[i - 1]}`;
    }
    return `${units}`;
  }
  for (const suffix of DECIMAL_SUFFIXES) {
    const base = pow10((DECIMAL_EXPONENTS[suffix] as number) + 9);
    if (nanos % base === 0n) return `${nanos / base}${suffix}`;
  }
  return `${nanos}n`;
}

/** The numeric value of a Kubernetes quantity such as `128Mi` or `250m`, or undefined. */
export function quantityValue(text: string): number | undefined {
  const quantity = parseQuantity(text);
  return quantity && Number(quantity.nanos) / 1e9;
}
