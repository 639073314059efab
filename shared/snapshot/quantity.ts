// Kubernetes resource quantities, as far as snapshots need them: restoreSize travels as int64 bytes
// on a VolumeSnapshotContent and as a BinarySI quantity ("1Gi") on a VolumeSnapshot.

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL_EXP: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

export class QuantityError extends Error {
  constructor(readonly input: string) {
    super(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${JSON.stringify(input)}`);
    this.name = "QuantityError";
  }
}

/** ceil(n / d) for bigints of either sign. */
function ceilDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d !== 0n && n > 0n ? q + 1n : q;
}

/** The quantity's value in whole units, rounded up as Kubernetes' Value() does. */
export function parseQuantity(input: string | number): bigint {
  if (typeof input === "number") {
    if (!Number.isFinite(input)) throw new QuantityError(String(input));
    return BigInt(Math.ceil(input));
  }
  const m = QUANTITY.exec(input.trim());
  if (!m) throw new QuantityError(input);
  const [, sign, number, suffix = ""] = m;
  const [intPart, fracPart = ""] = number!.split(".");
  // value = digits × 10^-fracLen × multiplier, computed exactly with bigints.
  const digits = BigInt((intPart || "0") + fracPart);
  let numerator = digits;
  let denominator = 10n ** BigInt(fracPart.length);
  if (suffix in BINARY) {
    numerator *= BINARY[suffix]!;
  } else {
    const exp = suffix.startsWith("e") || suffix.startsWith("E") ? Number(suffix.slice(1)) : DECIMAL_EXP[suffix]!;
    if (exp >= 0) numerator *= 10n ** BigInt(exp);
    else denominator *= 10n ** BigInt(-exp);
  }
  const value = ceilDiv(numerator, denominator);
  return sign === "-" ? -value : value;
}

/** Canonical BinarySI form of a whole number: the largest binary suffix that divides it exactly. */
export function formatBinarySI(value: number | bigint): string {
  const n = typeof value === "bigint" ? value : BigInt(Math.trunc(value));
  if (n === 0n) return "0";
  const abs = n < 0n ? -n : n;
  const sign = n < 0n ? "-" : "";
  for (const suffix of ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"]) {
    const unit = BINARY[suffix]!;
    if (abs % unit === 0n) return `${sign}${abs / unit}${suffix}`;
  }
  return `${sign}${abs}`;
}

/** Bytes as a JS number (restoreSize fits: volumes are far below 2^53 bytes). */
export function quantityToBytes(input: string | number): number {
  return Number(parseQuantity(input));
}
