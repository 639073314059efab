// Which claim events expand looks at: only claims that want a resize.
import { describe, expect, it } from "vitest";
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import type { ObjectEvent } from "../../shared/function/types.js";
import { expandTargets } from "./index.js";

function event(request: string, capacity: string, verb: ObjectEvent["verb"] = "modified"): ObjectEvent {
  const data: PersistentVolumeClaim = {
    metadata: { name: "c1", namespace: "ns", uid: "u1" },
    spec: { resources: { requests: { storage: request } }, volumeName: "pv" },
    status: { phase: "Bound", capacity: { storage: capacity } },
  };
  return { id: "e", type: `dev.snapflow.k8s.persistentvolumeclaims.${verb}`, cluster: "c", resource: "persistentvolumeclaims", verb, uid: "u1", name: "c1", namespace: "ns", resourceVersion: "1", data };
}

describe("expand targets", () => {
  it("a claim asking for more than it has: itself", () => {
    expect(expandTargets(event("2Gi", "1Gi"))).toEqual([{ resource: "persistentvolumeclaims", namespace: "ns", name: "c1", uid: "u1" }]);
  });
  it("a claim at its size, or a deleted one: nothing", () => {
    expect(expandTargets(event("1Gi", "1Gi"))).toEqual([]);
    expect(expandTargets(event("2Gi", "1Gi", "deleted"))).toEqual([]);
  });
  it("a claim whose resize finished: itself (its PV's pre-resize mark may be due for removal)", () => {
    const e = event("2Gi", "2Gi");
    (e.data as PersistentVolumeClaim).status!.allocatedResources = { storage: "2Gi" };
    expect(expandTargets(e)).toHaveLength(1);
  });
  it("a malformed quantity is looked at (reconcile reports it)", () => {
    expect(expandTargets(event("lots", "1Gi"))).toHaveLength(1);
  });
});
