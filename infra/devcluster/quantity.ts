// Resource quantities ("10Gi", "500M", "1.5e3"): compared as numbers (the PVC rules need order), and
// rewritten to the canonical text kube-apiserver stores (canonicalQuantity).
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** The value in base units, or undefined when the string is not a quantity. */
export function parseQuantity(text: string): number | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return Number(m[1] + m[2]);
  const suffix = m[3] ?? "";
  return base * (BINARY[suffix] ?? DECIMAL[suffix] ?? 1);
}

export function isQuantity(v: unknown): boolean {
  return (typeof v === "string" && parseQuantity(v) !== undefined) || typeof v === "number";
}

// ---- canonical text ------------------------------------------------------------------------------
// A real API server decodes every quantity of a built-in object into Go's resource.Quantity and
// stores (and answers) its String(): what a client reads back is that text, not the spelling it
// wrote. The rules below are apimachinery's (pkg/api/resource quantity.go, amount.go, suffix.go),
// including its quirks: a spelling ParseQuantity finds canonical-looking is kept verbatim.

type Format = "DecimalSI" | "BinarySI" | "DecimalExponent";

const INT64_MAX = (1n << 63n) - 1n;
const MAX_INT64_FACTORS = 18;
const NANO = -9;
const SUFFIX_CHARS = "eEinumkKMGTP";
const BINARY_EXP: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SI_EXP: Record<string, number> = { "": 0, n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_SI_SUFFIX = new Map(Object.entries(DECIMAL_SI_EXP).map(([s, e]) => [e, s]));
const BINARY_SUFFIX = new Map(Object.entries(BINARY_EXP).map(([s, e]) => [e, s]));

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

interface Scanned {
  positive: boolean;
  /** The number as written (sign, leading zeros and point included), without the suffix. */
  value: string;
  num: string;
  denom: string;
  suffix: string;
}

/** apimachinery's parseQuantityString, step for step (it accepts a few odd spellings: "1.", ".5", "Gi"). */
function scan(str: string): Scanned | undefined {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (pos < end && (str[0] === "-" || str[0] === "+")) {
    positive = str[0] !== "-";
    pos++;
  }
  while (pos < end && str[pos] === "0") pos++;
  if (pos >= end) return { positive, value: "0", num: "0", denom: "", suffix: "" };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, value: str, num, denom: "", suffix: "" };
  pos = i;
  if (num === "") num = "0";
  let denom = "";
  if (str[pos] === ".") {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, value: str, num, denom, suffix: "" };
    pos = i;
  }
  const value = str.slice(0, pos);
  const suffixStart = pos;
  while (pos < end && SUFFIX_CHARS.includes(str[pos]!)) pos++;
  if (pos < end && (str[pos] === "-" || str[pos] === "+")) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) return undefined;
  return { positive, value, num, denom, suffix: str.slice(suffixStart) };
}

/** The suffix as base, exponent and format; undefined when Go does not know it. */
function interpret(suffix: string): { base: 2 | 10; exponent: number; format: Format } | undefined {
  if (Object.hasOwn(DECIMAL_SI_EXP, suffix)) return { base: 10, exponent: DECIMAL_SI_EXP[suffix]!, format: "DecimalSI" };
  if (Object.hasOwn(BINARY_EXP, suffix)) return { base: 2, exponent: BINARY_EXP[suffix]!, format: "BinarySI" };
  if (suffix.length > 1 && (suffix[0] === "e" || suffix[0] === "E")) {
    // strconv.ParseInt(…, 10, 64): an optional sign and decimal digits, within int64; then int32().
    const digits = suffix.slice(1);
    if (!/^[+-]?\d+$/.test(digits)) return undefined;
    const parsed = BigInt(digits);
    if (parsed > INT64_MAX || parsed < -INT64_MAX - 1n) return undefined;
    return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: "DecimalExponent" };
  }
  return undefined;
}

/** A parsed quantity: value = mantissa × 10^exponent; `cached` is the text Go keeps verbatim. */
interface Parsed {
  mantissa: bigint;
  exponent: number;
  format: Format;
  cached?: string;
}

const pow10 = (n: number) => 10n ** BigInt(n);
const abs = (n: bigint) => (n < 0n ? -n : n);

/** apimachinery's ParseQuantity: its int64 fast path (with the verbatim-text cache) and its inf.Dec path. */
function parse(str: string): Parsed | undefined {
  if (str.length === 0) return undefined;
  if (str === "0") return { mantissa: 0n, exponent: 0, format: "DecimalSI", cached: str };
  const s = scan(str);
  if (!s) return undefined;
  const suffix = interpret(s.suffix);
  if (!suffix) return undefined;
  const { base, exponent, format } = suffix;

  let precision: number;
  let scale = 0;
  let multiplier = 1n;
  if (base === 10) {
    scale = exponent;
    precision = MAX_INT64_FACTORS - (s.num.length + s.denom.length);
  } else if (s.denom.length === 0) {
    multiplier = 1n << BigInt(exponent);
    precision = 15 - s.num.length - Math.trunc((exponent * 3) / 10) - 1;
  } else {
    precision = -1;
  }
  if (precision >= 0) {
    scale -= s.denom.length;
    if (scale >= NANO) {
      const shifted = s.num + s.denom;
      const value = BigInt(shifted);
      const product = value * multiplier;
      if (product <= INT64_MAX) {
        const mantissa = s.positive ? product : -product;
        const canonicalLooking =
          format === "BinarySI" ? exponent % 10 === 0 && (value & 7n) !== 0n : scale % 3 === 0 && !shifted.endsWith("000") && shifted[0] !== "0";
        return { mantissa, exponent: scale, format, ...(canonicalLooking ? { cached: str } : {}) };
      }
    }
  }

  // inf.Dec: exact, rounded up (away from zero) to the nano; BinarySI capped at the largest int64.
  const m = /^[+-]?(\d*)(?:\.(\d*))?$/.exec(s.value);
  if (!m || (m[1]! + (m[2] ?? "")).length === 0) return undefined;
  const frac = m[2] ?? "";
  let unscaled = BigInt(m[1]! + frac);
  let decimals = frac.length;
  if (base === 10) decimals -= exponent;
  else unscaled *= 1n << BigInt(exponent);
  let fmt = format;
  if (unscaled !== 0n && decimals > -NANO) {
    const drop = decimals + NANO;
    // A divisor longer than the number leaves only the round-up: no need to build 10^drop.
    if (drop > unscaled.toString().length) unscaled = 1n;
    else {
      const d = pow10(drop);
      unscaled = unscaled / d + (unscaled % d === 0n ? 0n : 1n);
    }
    decimals = -NANO;
  }
  if (fmt === "BinarySI") {
    const overMax = decimals <= 0 ? unscaled * pow10(-decimals) > INT64_MAX : unscaled > INT64_MAX * pow10(decimals);
    if (overMax) {
      unscaled = INT64_MAX;
      decimals = 0;
    }
    if (unscaled !== 0n && (decimals > 0 ? unscaled < pow10(decimals) : false)) fmt = "DecimalSI";
  }
  return { mantissa: s.positive ? unscaled : -unscaled, exponent: -decimals, format: fmt };
}

/** Strips factors of `factor` from |n| (Go's removeInt64Factors / removeBigIntFactors). */
function removeFactors(n: bigint, factor: bigint): [bigint, number] {
  let times = 0;
  while (n !== 0n && n % factor === 0n) {
    n /= factor;
    times++;
  }
  return [n, times];
}

/** Quantity.CanonicalizeBytes. */
function format(q: Parsed): string {
  if (q.mantissa === 0n) return "0";
  let fmt = q.format;
  if (fmt === "BinarySI") {
    const magnitude = abs(q.mantissa);
    const under1024 = q.exponent >= 0 ? q.exponent <= 3 && magnitude * pow10(q.exponent) < 1024n : magnitude < 1024n * pow10(-q.exponent);
    const integral = q.exponent >= 0 || q.mantissa % pow10(-q.exponent) === 0n;
    if (under1024 || !integral) fmt = "DecimalSI";
    else {
      const whole = q.exponent >= 0 ? q.mantissa * pow10(q.exponent) : q.mantissa / pow10(-q.exponent);
      const [amount, times] = removeFactors(whole, 1024n);
      // No binary suffix for 1024^0: the bare number.
      return `${amount}${BINARY_SUFFIX.get(times * 10) ?? ""}`;
    }
  }
  let [amount, times] = removeFactors(q.mantissa, 10n);
  let exponent = q.exponent + times;
  while (exponent % 3 !== 0) {
    amount *= 10n;
    exponent--;
  }
  // Go's constructBytes answers no suffix for a DecimalSI exponent past its table (e.g. 1000E → "1").
  const suffix = fmt === "DecimalSI" ? (DECIMAL_SI_SUFFIX.get(exponent) ?? "") : exponent === 0 ? "" : `e${exponent}`;
  return `${amount}${suffix}`;
}

/**
 * The text a real API server stores for this quantity (a JSON string or number), or undefined when
 * Go's ParseQuantity would refuse it. Blanks around it are dropped, as Quantity.UnmarshalJSON does.
 */
export function canonicalQuantity(input: string | number): string | undefined {
  if (typeof input === "number" && !Number.isFinite(input)) return undefined;
  const parsed = parse(String(input).trim());
  if (!parsed) return undefined;
  return parsed.cached ?? format(parsed);
}
