import { describe, expect, it } from "vitest";
import type { PersistentVolume, PersistentVolumeClaim } from "../api/core.js";
import type { VolumeSnapshot, VolumeSnapshotClass } from "../api/snapshot.js";
import { checkSourceVolume, pickDefaultClass, sourceDriver } from "./source.js";

const cls = (name: string, driver: string, isDefault?: string): VolumeSnapshotClass => ({
  metadata: { name, ...(isDefault === undefined ? {} : { annotations: { "snapshot.storage.kubernetes.io/is-default-class": isDefault } }) },
  driver,
  deletionPolicy: "Delete",
});

describe("pickDefaultClass", () => {
  it.each([
    ["the one default for the driver", [cls("a", "d1", "true"), cls("b", "d2", "true"), cls("c", "d1")], "d1", { ok: true, value: cls("a", "d1", "true") }],
    ["none", [cls("a", "d1"), cls("b", "d2", "true")], "d1", { ok: false, error: "cannot find default snapshot class" }],
    ["only the exact string true counts", [cls("a", "d1", "True"), cls("b", "d1", "yes")], "d1", { ok: false, error: "cannot find default snapshot class" }],
    ["several", [cls("a", "d1", "true"), cls("b", "d1", "true")], "d1", { ok: false, error: "2 default snapshot classes were found" }],
  ])("%s", (_, classes, driver, expected) => {
    expect(pickDefaultClass(classes, driver)).toEqual(expected);
  });
});

describe("checkSourceVolume / sourceDriver", () => {
  const vs = (pvcName?: string): VolumeSnapshot => ({
    metadata: { name: "snap", namespace: "ns", uid: "u" },
    spec: { source: pvcName === undefined ? { volumeSnapshotContentName: "c" } : { persistentVolumeClaimName: pvcName } },
  });
  const pvc = (phase: "Bound" | "Pending" = "Bound"): PersistentVolumeClaim => ({
    metadata: { name: "data", namespace: "ns", uid: "pvc-uid" },
    spec: { volumeName: "pv-1" },
    status: { phase },
  });
  const pv = (claimRef: PersistentVolume["spec"]["claimRef"], csi = true): PersistentVolume => ({
    metadata: { name: "pv-1" },
    spec: { claimRef, ...(csi ? { csi: { driver: "hostpath.snapflow.dev", volumeHandle: "vol-1" } } : { hostPath: { path: "/x" } }) },
  });
  const goodRef = { name: "data", namespace: "ns", uid: "pvc-uid" };

  it.each([
    ["no PVC name", vs(""), { pvc: pvc(), pv: pv(goodRef) }, "the PVC name is not specified in snapshot ns/snap"],
    // No PVC name at all is a different text from an empty one (upstream getClaimFromVolumeSnapshot).
    ["static snapshot", vs(), { pvc: pvc(), pv: pv(goodRef) }, "the snapshot source PVC name is not specified"],
    [
      "PVC missing",
      vs("data"),
      { pvc: undefined, pv: undefined },
      'failed to retrieve PVC data from the lister: "persistentvolumeclaim \\"data\\" not found"',
    ],
    ["PVC pending", vs("data"), { pvc: pvc("Pending"), pv: undefined }, "the PVC data is not yet bound to a PV, will not attempt to take a snapshot"],
    [
      "PV missing",
      vs("data"),
      { pvc: pvc(), pv: undefined },
      'failed to retrieve PV pv-1 from the API server: "persistentvolumes \\"pv-1\\" not found"',
    ],
    ["claimRef to another PVC", vs("data"), { pvc: pvc(), pv: pv({ name: "other", namespace: "ns" }) }, "claim in dataSource not bound or invalid"],
    ["claimRef with another uid", vs("data"), { pvc: pvc(), pv: pv({ ...goodRef, uid: "x" }) }, "claim in dataSource not bound or invalid"],
    ["no claimRef", vs("data"), { pvc: pvc(), pv: pv(undefined) }, "claim in dataSource not bound or invalid"],
    ["non-CSI", vs("data"), { pvc: pvc(), pv: pv(goodRef, false) }, "snapshotting non-CSI volumes is not supported, snapshot:ns/snap"],
  ])("%s", (_, snapshot, found, error) => {
    expect(sourceDriver(snapshot, found)).toEqual({ ok: false, error });
  });

  it("returns the pair and the driver when everything matches (claimRef uid optional)", () => {
    expect(checkSourceVolume(vs("data"), { pvc: pvc(), pv: pv({ name: "data", namespace: "ns" }) }).ok).toBe(true);
    expect(sourceDriver(vs("data"), { pvc: pvc(), pv: pv(goodRef) })).toEqual({ ok: true, value: "hostpath.snapflow.dev" });
  });
});
