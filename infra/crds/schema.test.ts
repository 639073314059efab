import { describe, expect, it } from "vitest";
import { array, dateTime, doc, foldDescriptions, int64, object, propsWhen, quantity, rule, string, stringMap, when, withoutRules } from "./schema.js";

describe("schema builders", () => {
  it("emit apiextensions JSON with no empty or undefined keys", () => {
    expect(string()).toStrictEqual({ type: "string" });
    expect(string("d", { enum: ["A"], rules: [] })).toStrictEqual({ type: "string", enum: ["A"], description: "d" });
    expect(dateTime("t")).toStrictEqual({ type: "string", format: "date-time", description: "t" });
    expect(int64("n", { minimum: 0 })).toStrictEqual({ type: "integer", format: "int64", minimum: 0, description: "n" });
    expect(object(undefined, {})).toStrictEqual({ type: "object" });
    expect(stringMap("m", { rules: [rule("self == oldSelf", "immutable")] })).toStrictEqual({
      type: "object",
      additionalProperties: { type: "string" },
      description: "m",
      "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "immutable" }],
    });
    expect(array("l", string(), { listType: "atomic" })).toStrictEqual({
      type: "array",
      items: { type: "string" },
      "x-kubernetes-list-type": "atomic",
      description: "l",
    });
    expect(quantity()["x-kubernetes-int-or-string"]).toBe(true);
    expect(object("o", { a: string() }, { required: ["a"], mapType: "atomic" })).toStrictEqual({
      type: "object",
      properties: { a: { type: "string" } },
      required: ["a"],
      "x-kubernetes-map-type": "atomic",
      description: "o",
    });
  });

  it("doc keeps line breaks; foldDescriptions joins them with spaces everywhere, without touching the input", () => {
    const s = object(doc("one", "two"), { a: string(doc("x", "y")), l: array(doc("p", "q"), string("r")) });
    const folded = foldDescriptions(s);
    expect(folded.description).toBe("one two");
    expect(folded.properties!.a!.description).toBe("x y");
    expect(folded.properties!.l!.description).toBe("p q");
    expect(s.description).toBe("one\ntwo");
  });

  it("withoutRules strips every rule, at any depth, without touching the input", () => {
    const r = [rule("size(self) > 0", "m")];
    const s = object("o", { a: string("a", { rules: r }), l: array("l", object("i", {}, { rules: r })) }, { rules: r });
    const stripped = withoutRules(s);
    expect(JSON.stringify(stripped)).not.toContain("x-kubernetes-validations");
    expect(s["x-kubernetes-validations"]).toHaveLength(1);
  });

  it("when/propsWhen keep or drop per version", () => {
    expect(when(true, 1)).toEqual([1]);
    expect(when(false, 1)).toEqual([]);
    expect(propsWhen(false, { a: string() })).toEqual({});
    expect(propsWhen(true, { a: string() })).toEqual({ a: { type: "string" } });
  });
});
