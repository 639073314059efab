import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkId, checkIdShape, checkName, dirFor, isIssuedId, newId } from "./ids.js";
import { CsiError } from "./errors.js";

describe("ids", () => {
  it("issues prefixed uuids it recognises, per kind", () => {
    const volume = newId("volume");
    expect(volume).toMatch(/^vol-[0-9a-f-]{36}$/);
    expect(isIssuedId("volume", volume)).toBe(true);
    expect(isIssuedId("snapshot", volume)).toBe(false);
    expect(isIssuedId("group", newId("group"))).toBe(true);
    expect(newId("snapshot")).not.toBe(newId("snapshot"));
  });

  it("builds paths only from issued ids, always directly under the root", () => {
    const root = "/data/volumes";
    const id = newId("volume");
    expect(dirFor(root, "volume", id)).toBe(path.join(root, id));
    for (const hostile of ["../x", "/etc", "a/b", "vol-../../x", `${id}/..`, ""]) {
      expect(() => dirFor(root, "volume", hostile)).toThrow(CsiError);
    }
  });

  it("checks id shape: length, characters, no dot-only names", () => {
    expect(() => checkId("volume_id", "")).toThrow(/required/);
    expect(() => checkId("volume_id", "a".repeat(129))).toThrow(/128 bytes/);
    checkId("volume_id", "a".repeat(128));
    for (const bad of ["..", ".", "a/b", "/etc", "a\u0000b", "-leading", "a b"]) {
      expect(() => checkIdShape("volume_id", bad)).toThrow(/not a valid id/);
    }
  });

  it("allows any Unicode name up to 128 bytes without control characters", () => {
    checkName("name", "pvc-ü-日本");
    checkName("name", "é".repeat(64));
    expect(() => checkName("name", "é".repeat(65))).toThrow(/128 bytes/);
    expect(() => checkName("name", "")).toThrow(/required/);
    for (const control of ["\u0000", "\u0007", "\u001f", "\u007f", "\u0085"]) {
      expect(() => checkName("name", `a${control}b`)).toThrow(/control character/);
    }
    // Tab, newline and CR are not in the spec's forbidden list.
    checkName("name", "a\tb\nc\rd");
  });
});
