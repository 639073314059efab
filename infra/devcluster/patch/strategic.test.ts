import { describe, expect, it } from "vitest";
import { applyStrategicMergePatch, type StrategyLookup } from "./strategic.js";

const lookup: StrategyLookup = (path) =>
  ({ "metadata.finalizers": {}, "metadata.ownerReferences": { key: "uid" }, "status.conditions": { key: "type" } })[path];

describe("strategic merge patch", () => {
  it("merges maps, deletes keys with null and replaces atomic lists", () => {
    const out = applyStrategicMergePatch(
      { metadata: { labels: { a: "1", b: "2" } }, spec: { accessModes: ["ReadWriteOnce"] } },
      { metadata: { labels: { b: null, c: "3" } }, spec: { accessModes: ["ReadOnlyMany"] } },
      lookup,
    );
    expect(out).toEqual({ metadata: { labels: { a: "1", c: "3" } }, spec: { accessModes: ["ReadOnlyMany"] } });
  });

  it("adds to merge lists of primitives and removes with $deleteFromPrimitiveList, ordering with $setElementOrder", () => {
    const out = applyStrategicMergePatch(
      { metadata: { finalizers: ["one", "two"] } },
      { metadata: { "$deleteFromPrimitiveList/finalizers": ["one"], "$setElementOrder/finalizers": ["three", "two"], finalizers: ["three"] } },
      lookup,
    );
    expect(out).toEqual({ metadata: { finalizers: ["three", "two"] } });
  });

  it("merges object lists by key, deletes with $patch: delete, replaces with $patch: replace", () => {
    const original = { status: { conditions: [{ type: "Ready", status: "False" }, { type: "Resizing", status: "True" }] } };
    expect(applyStrategicMergePatch(original, { status: { conditions: [{ type: "Ready", status: "True" }, { type: "New", status: "True" }] } }, lookup)).toEqual({
      status: { conditions: [{ type: "Ready", status: "True" }, { type: "Resizing", status: "True" }, { type: "New", status: "True" }] },
    });
    expect(applyStrategicMergePatch(original, { status: { conditions: [{ type: "Resizing", $patch: "delete" }] } }, lookup)).toEqual({
      status: { conditions: [{ type: "Ready", status: "False" }] },
    });
    expect(applyStrategicMergePatch(original, { status: { conditions: [{ $patch: "replace" }, { type: "Only", status: "True" }] } }, lookup)).toEqual({
      status: { conditions: [{ type: "Only", status: "True" }] },
    });
    expect(applyStrategicMergePatch({ spec: { a: 1, b: 2 } }, { spec: { $patch: "replace", c: 3 } }, lookup)).toEqual({ spec: { c: 3 } });
  });

  it("keeps only listed keys with $retainKeys", () => {
    expect(applyStrategicMergePatch({ spec: { a: 1, b: 2 } }, { spec: { $retainKeys: ["b", "c"], c: 3 } }, lookup)).toEqual({ spec: { b: 2, c: 3 } });
  });

  it("rejects a patch that is not an object", () => {
    expect(() => applyStrategicMergePatch({}, [1], lookup)).toThrow("must be a JSON object");
  });
});
