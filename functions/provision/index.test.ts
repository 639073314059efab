// Which events provision looks at: only those whose object (as carried) may need it.
import { describe, expect, it } from "vitest";
import type { PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";
import type { KubeObject } from "../../shared/api/meta.js";
import type { ObjectEvent } from "../../shared/function/types.js";
import { FINALIZER } from "./constants.js";
import { provisionTargets } from "./index.js";

function event(resource: "persistentvolumeclaims" | "persistentvolumes", data: KubeObject, verb: ObjectEvent["verb"] = "modified"): ObjectEvent {
  const { name, namespace, uid } = data.metadata;
  return { id: "e", type: `dev.snapflow.k8s.${resource}.${verb}`, cluster: "c", resource, verb, uid: uid!, name: name!, resourceVersion: "1", data, ...(namespace ? { namespace } : {}) };
}

function claim(o: { phase?: "Pending" | "Bound"; volumeName?: string; source?: "snapshot" | "claim"; finalizers?: string[]; deleting?: boolean } = {}): PersistentVolumeClaim {
  return {
    metadata: { name: "c1", namespace: "ns", uid: "u1", ...(o.finalizers ? { finalizers: o.finalizers } : {}), ...(o.deleting ? { deletionTimestamp: "2026-03-01T12:00:00Z" } : {}) },
    spec: {
      ...(o.volumeName ? { volumeName: o.volumeName } : {}),
      ...(o.source === "snapshot" ? { dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "snap" } } : {}),
      ...(o.source === "claim" ? { dataSource: { kind: "PersistentVolumeClaim", name: "src" } } : {}),
    },
    status: { phase: o.phase ?? "Pending" },
  };
}

const self = { resource: "persistentvolumeclaims", namespace: "ns", name: "c1", uid: "u1" };

describe("provision targets", () => {
  it.each<[string, ObjectEvent, unknown[]]>([
    ["a pending claim: itself", event("persistentvolumeclaims", claim()), [self]],
    ["a pending restore: itself only (its snapshot stays protected)", event("persistentvolumeclaims", claim({ source: "snapshot" })), [self]],
    ["a bound claim: nothing", event("persistentvolumeclaims", claim({ phase: "Bound", volumeName: "pv" })), []],
    ["a bound restore: its snapshot", event("persistentvolumeclaims", claim({ phase: "Bound", volumeName: "pv", source: "snapshot" })), [{ resource: "volumesnapshots", namespace: "ns", name: "snap" }]],
    ["a deleted pending clone: itself (a volume may be left behind), then its source claim", event("persistentvolumeclaims", claim({ source: "claim" }), "deleted"), [self, { resource: "persistentvolumeclaims", namespace: "ns", name: "src" }]],
    ["a deleted bound clone: its source claim only", event("persistentvolumeclaims", claim({ phase: "Bound", volumeName: "pv", source: "claim" }), "deleted"), [{ resource: "persistentvolumeclaims", namespace: "ns", name: "src" }]],
    ["a deleted pending claim: itself (was a volume left behind?)", event("persistentvolumeclaims", claim(), "deleted"), [self]],
    ["a deleted pending claim that was being deleted (pvc-protection): itself", event("persistentvolumeclaims", claim({ deleting: true, finalizers: ["kubernetes.io/pvc-protection"] }), "deleted"), [self]],
    ["a deleted pending restore: itself, then its snapshot", event("persistentvolumeclaims", claim({ source: "snapshot" }), "deleted"), [self, { resource: "volumesnapshots", namespace: "ns", name: "snap" }]],
    ["a deleted bound claim: nothing", event("persistentvolumeclaims", claim({ phase: "Bound", volumeName: "pv" }), "deleted"), []],
    ["a deleted pending claim naming its volume: nothing", event("persistentvolumeclaims", claim({ volumeName: "pv" }), "deleted"), []],
    ["a deleted claim for static binding only (storageClassName \"\"): nothing", event("persistentvolumeclaims", { ...claim(), spec: { storageClassName: "" } } as PersistentVolumeClaim, "deleted"), []],
    ["a deleted claim without spec: nothing", event("persistentvolumeclaims", { metadata: { name: "c1", namespace: "ns", uid: "u1" } }, "deleted"), []],
    ["a claim being deleted (not yet gone): nothing", event("persistentvolumeclaims", claim({ deleting: true, finalizers: ["kubernetes.io/pvc-protection"] })), []],
    ["a live bound clone source with the protection: nothing (released only once it is deleted)", event("persistentvolumeclaims", claim({ phase: "Bound", volumeName: "pv", finalizers: [FINALIZER.cloneSource] })), []],
    ["a deleting clone source with the protection: itself", event("persistentvolumeclaims", claim({ phase: "Bound", volumeName: "pv", finalizers: [FINALIZER.cloneSource], deleting: true })), [self]],
  ])("%s", (_, e, keys) => {
    expect(provisionTargets(e)).toEqual(keys);
  });

  const F = "external-provisioner.volume.kubernetes.io/finalizer";
  const pv = (phase: "Bound" | "Released", policy: "Delete" | "Retain", finalizers?: string[], deleting = false): PersistentVolume => ({
    metadata: { name: "pv1", uid: "p1", annotations: { "pv.kubernetes.io/provisioned-by": "d" }, ...(finalizers ? { finalizers } : {}), ...(deleting ? { deletionTimestamp: "2026-03-01T12:00:00Z" } : {}) },
    spec: { persistentVolumeReclaimPolicy: policy, csi: { driver: "d", volumeHandle: "h" } },
    status: { phase },
  });
  const pvKey = [{ resource: "persistentvolumes", name: "pv1", uid: "p1" }];
  it.each<[string, PersistentVolume, ObjectEvent["verb"], unknown[]]>([
    ["released with Delete: itself", pv("Released", "Delete"), "modified", pvKey],
    ["released with Delete, deleted while its finalizer holds it: itself", pv("Released", "Delete", [F], true), "modified", pvKey],
    ["released with Delete, deleting without the finalizer: nothing", pv("Released", "Delete", undefined, true), "modified", []],
    ["bound with Delete and the finalizer: nothing", pv("Bound", "Delete", [F]), "modified", []],
    ["bound with Delete without the finalizer: itself (to add it)", pv("Bound", "Delete"), "modified", pvKey],
    ["released with Retain: nothing", pv("Released", "Retain"), "modified", []],
    ["Retain with the finalizer: itself (to remove it)", pv("Bound", "Retain", [F]), "modified", pvKey],
    ["gone: nothing", pv("Released", "Delete"), "deleted", []],
  ])("a PV %s", (_, volume, verb, keys) => {
    expect(provisionTargets(event("persistentvolumes", volume, verb))).toEqual(keys);
  });
});
