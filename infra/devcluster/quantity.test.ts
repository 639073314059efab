// What a real API server stores (and so answers) for a quantity written in some spelling: Go's
// resource.Quantity as parsed by ParseQuantity and printed by String()/MarshalJSON
// (k8s.io/apimachinery pkg/api/resource/quantity.go, amount.go, suffix.go). Cases marked "Go" are
// taken from that package's own quantity_test.go (TestQuantityParseEmit, TestQuantityString's
// alternates, TestParseQuantity's canonical column, TestJSONWhitespace).
import { describe, expect, it } from "vitest";
import { canonicalQuantity } from "./quantity.js";

describe("canonicalQuantity: Go's canonical Quantity text", () => {
  it.each<[string | number, string]>([
    // BinarySI: the largest binary suffix that divides the value; below 1024 it prints as DecimalSI.
    ["1.5Gi", "1536Mi"],
    ["1Gi", "1Gi"],
    ["1024Mi", "1Gi"], // Go
    ["300Mi", "300Mi"],
    ["307200Ki", "300Mi"], // Go
    ["1025024Mi", "1001Gi"], // Go
    ["1024Gi", "1Ti"], // Go
    ["2048Ki", "2Mi"],
    ["1000Ki", "1000Ki"],
    ["1025Ki", "1025Ki"],
    ["0.5Ki", "512"],
    ["0.5Mi", "512Ki"],
    ["1.5Ki", "1536"],
    ["0.05Gi", "53687091200m"],
    ["100.035Ki", "102435840m"],
    [".001Ki", "1024m"], // Go
    [".000001Ki", "1024u"], // Go
    [".000000001Ki", "1024n"], // Go
    [".000000000001Ki", "2n"], // Go: rounds up to the nano, and is no longer BinarySI
    ["1Pi", "1Pi"],
    ["5Ti", "5Ti"],
    ["3Ei", "3Ei"],
    ["8Ei", "9223372036854775807"], // capped at the largest int64
    ["9223372036854775807Ki", "9223372036854775807"],
    // DecimalSI: trailing zeros move into the suffix, the exponent a multiple of three.
    ["1000Mi", "1000Mi"],
    ["1000M", "1G"], // Go
    ["1000", "1k"],
    ["1500", "1500"],
    ["1500000", "1500k"],
    ["0.5", "500m"],
    ["1.08", "1080m"], // Go
    ["1080000000n", "1080m"], // Go
    ["0.001T", "1G"], // Go
    ["1000u", "1m"], // Go
    ["8.1k", "8100"],
    ["0.0000000001", "1n"],
    ["0.00000012345", "124n"],
    ["3.001n", "4n"],
    ["50k", "50k"],
    ["1E", "1E"],
    ["10E", "10E"],
    ["1000000000000000000", "1E"], // Go
    ["9999999999999999999000m", "9999999999999999999"], // Go
    ["999999999999999999.1", "999999999999999999100m"], // Go
    ["1.0000000000000000001E", "1000000000000000000100m"], // Go
    ["9223372036854775808", "9223372036854775808"], // Go
    // Go's suffix table ends at E: a DecimalSI value past it prints without one (sic).
    ["1000E", "1"],
    // DecimalExponent stays in e-notation, exponent a multiple of three.
    ["2e3", "2e3"],
    ["2000e0", "2e3"],
    ["1E6", "1E6"],
    ["1e4", "10e3"],
    ["1.2e3", "1200"],
    ["1.3E+6", "1300e3"],
    [".001e12", "1e9"], // Go
    ["0.001e0", "1e-3"], // Go
    ["1000e-12", "1e-9"], // Go
    ["0.5e0", "500e-3"],
    ["1.1E-9", "2e-9"],
    ["1e100", "10e99"],
    // A spelling ParseQuantity deems canonical already is kept as written, sign and zeros included.
    ["+1", "+1"],
    ["007", "007"],
    ["-1Gi", "-1Gi"],
    ["-1.5Gi", "-1536Mi"],
    ["-1000", "-1k"],
    ["1.", "1."],
    ["1.G", "1.G"],
    ["10.035M", "10.035M"],
    ["1.5k", "1500"],
    // Zero, in any spelling.
    ["0", "0"],
    ["00", "0"], // Go
    ["0Gi", "0"],
    ["-0", "0"],
    ["0.0", "0"],
    ["Gi", "0"],
    // JSON: numbers are quantities too; surrounding blanks are trimmed.
    [1024, "1024"],
    [1500, "1500"],
    [0.5, "500m"],
    [" 1", "1"], // Go
    ["1Gi ", "1Gi"],
  ])("%j → %s", (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected);
  });

  it.each(["", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", "1K", "1 Gi", "1e", "1e+", "1Kii"])(
    "%j is not a quantity (Go: ParseQuantity fails)",
    (input) => {
      expect(canonicalQuantity(input)).toBeUndefined();
    },
  );
});
