import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.js";
import { EVENT_FIELDS, parseFieldSelector, parseLabelSelector } from "./selectors.js";

describe("label selectors", () => {
  const l = { app: "web", tier: "front", "example.com/owner": "me" };
  it.each([
    ["app=web", true],
    ["app==web,tier=front", true],
    ["app!=web", false],
    ["app in (db, web)", true],
    ["app notin (web)", false],
    ["tier,!missing", true],
    ["!app", false],
    ["example.com/owner=me", true],
    ["app in (db),tier", false],
    ["", true],
  ])("%s → %s", (selector, expected) => {
    expect(parseLabelSelector(selector)(l)).toBe(expected);
  });

  it("rejects garbage with 400", () => {
    expect(() => parseLabelSelector("app in web")).toThrow(ApiError);
  });
});

describe("field selectors", () => {
  const ev = { metadata: { name: "e1", namespace: "ns" }, involvedObject: { kind: "PersistentVolumeClaim", name: "pvc", uid: "u" }, type: "Warning" };
  it("matches event fields, != and several terms", () => {
    expect(parseFieldSelector("involvedObject.kind=PersistentVolumeClaim,involvedObject.name=pvc,type!=Normal", EVENT_FIELDS)(ev)).toBe(true);
    expect(parseFieldSelector("involvedObject.uid=other", EVENT_FIELDS)(ev)).toBe(false);
    expect(parseFieldSelector("metadata.namespace==ns", EVENT_FIELDS)(ev)).toBe(true);
  });
  it("refuses an unsupported field with kube's message", () => {
    expect(() => parseFieldSelector("spec.nodeName=x", EVENT_FIELDS)).toThrow("field label not supported: spec.nodeName");
  });
});
