import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { describeParseError } from "./decode-errors.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("did not throw");
}

describe("body parse errors", () => {
  it("never quote the body (it may hold a secret)", () => {
    const json = describeParseError(thrown(() => JSON.parse('{"data":{"password":hunter2}}')));
    expect(json).not.toContain("hunter2");
    expect(json).toMatch(/^invalid JSON/);
    const yaml = describeParseError(thrown(() => parseYaml("data:\n  password: [hunter2\n")));
    expect(yaml).not.toContain("hunter2");
    expect(describeParseError(thrown(() => JSON.parse('{"a":')))).not.toContain('"a"');
  });
});
