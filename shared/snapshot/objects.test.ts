import { describe, expect, it } from "vitest";
import { clone, withFinalizers, withoutFinalizers } from "./objects.js";

describe("clone", () => {
  it("copies a parsed API object deeply: changing the copy never touches the original", () => {
    const original = {
      metadata: { name: "snap", finalizers: ["a"], annotations: { k: "v" }, managedFields: [{ fieldsV1: { "f:spec": {} } }] },
      spec: { source: { volumeHandle: "vol-1" } },
      status: { readyToUse: false, restoreSize: 1024, error: null, creationTime: 1763800000000000000 },
    };
    const copy = clone(original);
    expect(copy).toStrictEqual(original);
    copy.metadata.finalizers.push("b");
    copy.metadata.annotations.k = "changed";
    (copy.metadata.managedFields[0]!.fieldsV1 as Record<string, unknown>)["f:status"] = {};
    copy.spec.source.volumeHandle = "vol-2";
    expect(original.metadata.finalizers).toEqual(["a"]);
    expect(original.metadata.annotations.k).toBe("v");
    expect(original.metadata.managedFields[0]!.fieldsV1).toEqual({ "f:spec": {} });
    expect(original.spec.source.volumeHandle).toBe("vol-1");
  });

  it("keeps keys whose value is undefined, as a plan may set them, and passes scalars through", () => {
    expect(clone({ a: undefined, b: [1, "x", true, null] })).toStrictEqual({ a: undefined, b: [1, "x", true, null] });
    expect(clone("text")).toBe("text");
    expect(clone(null)).toBeNull();
  });

  it("withFinalizers and withoutFinalizers return copies with the list changed, order kept", () => {
    const obj = { metadata: { name: "pvc", finalizers: ["x", "y"] } };
    expect(withFinalizers(obj, "y", "z").metadata.finalizers).toEqual(["x", "y", "z"]);
    expect(withoutFinalizers(obj, "x").metadata.finalizers).toEqual(["y"]);
    expect(obj.metadata.finalizers).toEqual(["x", "y"]);
  });
});
