import { describe, expect, it } from "vitest";
import { formatChecker, isDateTime } from "./formats.js";

describe("date-time", () => {
  const valid = ["2024-01-02T03:04:05Z", "2024-01-02t03:04:05z", "2024-01-02T03:04:05.123456789Z", "2024-02-29T23:59:59+05:30", "2024-01-02T03:04:05-00:00"];
  const invalid = ["2024-01-02", "2024-01-02 03:04:05Z", "2024-13-02T03:04:05Z", "2023-02-29T00:00:00Z", "2024-01-02T24:00:00Z", "2024-01-02T03:04:05", "yesterday", ""];
  for (const s of valid) it(`accepts ${s}`, () => expect(isDateTime(s)).toBe(true));
  for (const s of invalid) it(`refuses ${JSON.stringify(s)}`, () => expect(isDateTime(s)).toBe(false));
});

describe("other formats", () => {
  const cases: Array<[string, string, boolean]> = [
    ["uuid", "123e4567-e89b-12d3-a456-426614174000", true],
    ["uuid", "not-a-uuid", false],
    ["byte", "aGVsbG8=", true],
    ["byte", "not base64!", false],
    ["ipv4", "10.0.0.1", true],
    ["ipv4", "10.0.0.256", false],
    ["ipv6", "fe80::1", true],
    ["ipv6", "10.0.0.1", false],
    ["cidr", "10.0.0.0/8", true],
    ["cidr", "10.0.0.0/33", false],
    ["date", "2024-02-29", true],
    ["date", "2024-02-30", false],
  ];
  for (const [format, value, ok] of cases) {
    it(`${format} ${ok ? "accepts" : "refuses"} ${value}`, () => expect(formatChecker(format)!(value)).toBe(ok));
  }

  it("knows no checker for formats kube ignores", () => {
    expect(formatChecker("int-or-string")).toBeUndefined();
    expect(formatChecker("int64")).toBeUndefined();
  });
});
