import { describe, expect, it } from "vitest";
import type { KObject } from "../resource-def.js";
import { admitStorageObjectInUseProtection, PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from "./storage-object-in-use-protection.js";

const obj = (finalizers?: string[]): KObject => ({ metadata: { name: "x", ...(finalizers ? { finalizers } : {}) } }) as KObject;

describe("StorageObjectInUseProtection admission", () => {
  it.each([
    { name: "PVC without finalizers gets the pvc-protection finalizer", plural: "persistentvolumeclaims", before: undefined, want: [PVC_PROTECTION_FINALIZER] },
    { name: "PVC with others gets it appended after them", plural: "persistentvolumeclaims", before: ["example.com/a", "example.com/b"], want: ["example.com/a", "example.com/b", PVC_PROTECTION_FINALIZER] },
    { name: "PVC that already has it is left as it is (order kept)", plural: "persistentvolumeclaims", before: [PVC_PROTECTION_FINALIZER, "example.com/a"], want: [PVC_PROTECTION_FINALIZER, "example.com/a"] },
    { name: "PV without finalizers gets the pv-protection finalizer", plural: "persistentvolumes", before: undefined, want: [PV_PROTECTION_FINALIZER] },
    { name: "PV with others gets it appended", plural: "persistentvolumes", before: ["example.com/a"], want: ["example.com/a", PV_PROTECTION_FINALIZER] },
    { name: "PV that already has it is left as it is", plural: "persistentvolumes", before: ["example.com/a", PV_PROTECTION_FINALIZER], want: ["example.com/a", PV_PROTECTION_FINALIZER] },
    { name: "PV carrying only the PVC's finalizer still gets its own", plural: "persistentvolumes", before: [PVC_PROTECTION_FINALIZER], want: [PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER] },
    { name: "other kinds are not touched", plural: "configmaps", before: undefined, want: undefined },
  ])("$name", ({ plural, before, want }) => {
    const o = obj(before);
    admitStorageObjectInUseProtection("", plural, o);
    expect(o.metadata.finalizers).toEqual(want);
  });

  it("ignores a same-named resource of another group", () => {
    const o = obj();
    admitStorageObjectInUseProtection("example.com", "persistentvolumeclaims", o);
    expect(o.metadata.finalizers).toBeUndefined();
  });
});
