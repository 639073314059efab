import { describe, expect, it } from "vitest";
import { formatBinarySI, parseQuantity, QuantityError, quantityToBytes } from "./quantity.js";

describe("parseQuantity", () => {
  it.each([
    ["0", 0n],
    ["1", 1n],
    ["1Ki", 1024n],
    ["1Gi", 1073741824n],
    ["1.5Gi", 1610612736n],
    ["1G", 1000000000n],
    ["1k", 1000n],
    ["500M", 500000000n],
    ["1e3", 1000n],
    ["1E6", 1000000n],
    ["100m", 1n], // rounds up like Value()
    ["1500m", 2n],
    ["-1Ki", -1024n],
    [".5Ki", 512n],
    ["8Ei", 8n << 60n],
  ])("%s → %s", (input, expected) => {
    expect(parseQuantity(input)).toBe(expected);
  });

  it("accepts numbers", () => {
    expect(parseQuantity(1073741824)).toBe(1073741824n);
    expect(quantityToBytes("2Gi")).toBe(2147483648);
  });

  it.each(["", "abc", "1Xi", "1 Gi", "Gi", "1.2.3"])("rejects %j", (input) => {
    expect(() => parseQuantity(input)).toThrow(QuantityError);
  });
});

describe("formatBinarySI", () => {
  it.each([
    [0, "0"],
    [1, "1"],
    [1023, "1023"],
    [1024, "1Ki"],
    [1536, "1536"],
    [1048576, "1Mi"],
    [1073741824, "1Gi"],
    [3221225472, "3Gi"],
    [1099511627776, "1Ti"],
    [-2048, "-2Ki"],
  ])("%d → %s", (input, expected) => {
    expect(formatBinarySI(input)).toBe(expected);
  });

  it("round-trips with parseQuantity", () => {
    for (const bytes of [0n, 7n, 4096n, 5n << 30n, 123456789n]) {
      expect(parseQuantity(formatBinarySI(bytes))).toBe(bytes);
    }
  });
});
