import { describe, expect, it } from "vitest";
import { PatchError, applyJsonPatch } from "./json-patch.js";
import { applyMergePatch } from "./merge.js";

describe("JSON patch (RFC 6902)", () => {
  it("applies add, remove, replace, move, copy and test with escaped pointers", () => {
    const out = applyJsonPatch({ a: { "b/c": 1, "d~e": 2 }, list: [1, 2] }, [
      { op: "replace", path: "/a/b~1c", value: 10 },
      { op: "remove", path: "/a/d~0e" },
      { op: "add", path: "/list/-", value: 3 },
      { op: "add", path: "/list/0", value: 0 },
      { op: "move", from: "/a", path: "/moved" },
      { op: "copy", from: "/list/1", path: "/first" },
      { op: "test", path: "/first", value: 1 },
    ]);
    expect(out).toEqual({ moved: { "b/c": 10 }, list: [0, 1, 2, 3], first: 1 });
  });

  it("does not change the input and fails as a whole", () => {
    const input = { a: 1 };
    expect(() => applyJsonPatch(input, [{ op: "add", path: "/b", value: 2 }, { op: "test", path: "/a", value: 2 }])).toThrow(PatchError);
    expect(() => applyJsonPatch(input, [{ op: "remove", path: "/missing" }])).toThrow('path "/missing" does not exist');
    expect(() => applyJsonPatch(input, { op: "add" })).toThrow("must be an array");
    expect(input).toEqual({ a: 1 });
  });
});

describe("JSON merge patch (RFC 7386)", () => {
  it("merges objects, deletes on null and replaces arrays", () => {
    expect(applyMergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [9] })).toEqual({ a: { c: 2, d: 3 }, l: [9] });
    expect(applyMergePatch({ a: 1 }, "x")).toBe("x");
  });
});
