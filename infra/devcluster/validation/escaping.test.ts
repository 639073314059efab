import { describe, expect, it } from "vitest";
import { escapePropertyName } from "./escaping.js";

describe("escapePropertyName (kube's CEL property escaping)", () => {
  const cases: Array<[string, string | undefined]> = [
    ["name", "name"],
    ["namespace", "__namespace__"],
    ["in", "__in__"],
    ["null", "__null__"],
    ["a-b", "a__dash__b"],
    ["a.b", "a__dot__b"],
    ["a/b", "a__slash__b"],
    ["a__b", "a__underscores__b"],
    ["__a", "__underscores__a"],
    ["x-y.z/w", "x__dash__y__dot__z__slash__w"],
    ["_under", "_under"],
    ["1abc", undefined],
    ["has space", undefined],
    ["ünïcode", undefined],
  ];
  for (const [name, want] of cases) {
    it(`${JSON.stringify(name)} → ${want === undefined ? "hidden" : want}`, () => expect(escapePropertyName(name)).toBe(want));
  }
});
