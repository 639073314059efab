import { describe, expect, it } from "vitest";
import type { LabelSelector } from "../api/meta.js";
import { formatLabelSelector, LabelSelectorError, matchesLabelSelector, parseLabelSelector, validateLabelSelector } from "./label-selector.js";

describe("matchesLabelSelector", () => {
  const labels = { app: "db", tier: "backend", "example.com/team": "storage" };
  it.each<[string, LabelSelector | undefined | null, Record<string, string> | undefined, boolean]>([
    ["null selects nothing", null, labels, false],
    ["undefined selects nothing", undefined, labels, false],
    ["empty selects everything", {}, labels, true],
    ["empty selects unlabelled objects too", {}, undefined, true],
    ["matchLabels equal", { matchLabels: { app: "db" } }, labels, true],
    ["matchLabels differ", { matchLabels: { app: "web" } }, labels, false],
    ["matchLabels missing key", { matchLabels: { zone: "a" } }, labels, false],
    ["matchLabels with empty value needs the key", { matchLabels: { zone: "" } }, labels, false],
    ["In hit", { matchExpressions: [{ key: "tier", operator: "In", values: ["frontend", "backend"] }] }, labels, true],
    ["In miss", { matchExpressions: [{ key: "tier", operator: "In", values: ["frontend"] }] }, labels, false],
    ["In on absent key", { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }, labels, false],
    ["NotIn hit", { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["backend"] }] }, labels, false],
    ["NotIn on absent key matches", { matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }, labels, true],
    ["Exists", { matchExpressions: [{ key: "example.com/team", operator: "Exists" }] }, labels, true],
    ["Exists absent", { matchExpressions: [{ key: "zone", operator: "Exists" }] }, labels, false],
    ["DoesNotExist", { matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }, labels, true],
    ["DoesNotExist present", { matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, labels, false],
    ["labels and expressions are ANDed", { matchLabels: { app: "db" }, matchExpressions: [{ key: "tier", operator: "In", values: ["frontend"] }] }, labels, false],
    ["all terms hold", { matchLabels: { app: "db" }, matchExpressions: [{ key: "tier", operator: "Exists" }, { key: "x", operator: "DoesNotExist" }] }, labels, true],
  ])("%s", (_name, selector, have, want) => {
    expect(matchesLabelSelector(selector, have)).toBe(want);
  });

  it("does not match inherited properties", () => {
    expect(matchesLabelSelector({ matchExpressions: [{ key: "constructor", operator: "Exists" }] }, {})).toBe(false);
  });
});

describe("formatLabelSelector", () => {
  it("formats as kube does: sorted by key, values sorted", () => {
    expect(
      formatLabelSelector({
        matchLabels: { z: "1", app: "db" },
        matchExpressions: [
          { key: "tier", operator: "NotIn", values: ["b", "a"] },
          { key: "env", operator: "In", values: ["prod", "dev"] },
          { key: "gone", operator: "DoesNotExist" },
          { key: "here", operator: "Exists" },
        ],
      }),
    ).toBe("app=db,env in (dev,prod),!gone,here,tier notin (a,b),z=1");
  });
  it("formats {} as the empty string and refuses null", () => {
    expect(formatLabelSelector({})).toBe("");
    expect(() => formatLabelSelector(null)).toThrow(LabelSelectorError);
  });
  it("round-trips through parse", () => {
    const text = "app=db,env in (dev,prod),!gone,here,tier notin (a,b)";
    expect(formatLabelSelector(parseLabelSelector(text))).toBe(text);
  });
});

describe("parseLabelSelector", () => {
  it("parses every operator", () => {
    expect(parseLabelSelector("a=1, b==2,c!=3,d in (x, y),e notin (z),f,!g")).toEqual({
      matchLabels: { a: "1", b: "2" },
      matchExpressions: [
        { key: "c", operator: "NotIn", values: ["3"] },
        { key: "d", operator: "In", values: ["x", "y"] },
        { key: "e", operator: "NotIn", values: ["z"] },
        { key: "f", operator: "Exists" },
        { key: "g", operator: "DoesNotExist" },
      ],
    });
  });
  it("parses the empty string as everything", () => {
    expect(parseLabelSelector("")).toEqual({});
  });
  it("keeps a repeated key with a different value as an extra requirement", () => {
    const s = parseLabelSelector("a=1,a=2");
    expect(matchesLabelSelector(s, { a: "1" })).toBe(false);
    expect(matchesLabelSelector(s, { a: "2" })).toBe(false);
  });
  it.each([
    ["a>1", /< and > operators/],
    ["a in ()", /at least one value/],
    ["a in (x", /unbalanced/],
    ["a,,b", /empty requirement/],
    ["-bad=1", /invalid label key/],
    ["a=-bad-", /invalid label value/],
    ["a b", /cannot parse/],
  ])("rejects %s", (text, message) => {
    expect(() => parseLabelSelector(text)).toThrow(message);
  });
});

describe("validateLabelSelector", () => {
  it.each<[string, LabelSelector, RegExp]>([
    ["In without values", { matchExpressions: [{ key: "a", operator: "In", values: [] }] }, /at least one value/],
    ["Exists with values", { matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }, /takes no values/],
    ["unknown operator", { matchExpressions: [{ key: "a", operator: "Gt" as never, values: ["1"] }] }, /unknown operator/],
    ["bad prefix", { matchLabels: { "Bad_Prefix/a": "1" } }, /prefix must be a DNS subdomain/],
    ["long name", { matchLabels: { ["a".repeat(64)]: "1" } }, /1-63 characters/],
  ])("rejects %s", (_name, selector, message) => {
    expect(() => validateLabelSelector(selector)).toThrow(message);
  });
  it("accepts prefixed keys and empty values", () => {
    expect(() => validateLabelSelector({ matchLabels: { "groupsnapshot.example.com/member": "" } })).not.toThrow();
  });
});
