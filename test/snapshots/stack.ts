// The snapshot suite's stack (test/support/stack.ts): the four snapshot functions, fed the
// snapshot, content and claim events, plus the suite's own object helpers.
import { bindFunction } from "../../functions/bind/index.js";
import { deleteFunction } from "../../functions/delete/index.js";
import { invokeFunction } from "../../functions/invoke/index.js";
import { protectFunction } from "../../functions/protect/index.js";
import type { PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type { VolumeSnapshotClass } from "../../shared/api/snapshot.js";
import { ANNOTATIONS, SNAPSHOT_API_VERSION } from "../../shared/snapshot/constants.js";
import { FunctionStack, HOSTPATH_DRIVER } from "../support/stack.js";

export const DRIVER = HOSTPATH_DRIVER;
export const CLUSTER = "dev";

export class SnapshotStack extends FunctionStack {
  constructor() {
    super({
      name: "snapshots",
      cluster: CLUSTER,
      token: "snapshots-it-token-51f0c2",
      functions: [bindFunction, invokeFunction, protectFunction, deleteFunction],
      watched: ["volumesnapshots", "volumesnapshotcontents", "persistentvolumeclaims"],
      settleRounds: 25,
      auditTail: 8,
    });
  }

  async createClass(name: string, o: { isDefault?: boolean; deletionPolicy?: "Delete" | "Retain"; parameters?: Record<string, string> } = {}): Promise<VolumeSnapshotClass> {
    const cls: VolumeSnapshotClass = {
      apiVersion: SNAPSHOT_API_VERSION,
      kind: "VolumeSnapshotClass",
      metadata: { name, ...(o.isDefault ? { annotations: { [ANNOTATIONS.isDefaultClass]: "true" } } : {}) },
      driver: DRIVER,
      deletionPolicy: o.deletionPolicy ?? "Delete",
      ...(o.parameters ? { parameters: o.parameters } : {}),
    };
    return this.kube.create(RESOURCES.volumesnapshotclasses, cls);
  }

  /** A 1 GiB volume on the hostpath driver, its PV pre-bound to a new PVC, waited until Bound. */
  async createBoundClaim(name: string, namespace = "default"): Promise<{ pvc: PersistentVolumeClaim; pv: PersistentVolume; volumeHandle: string }> {
    return this.createPreboundClaim(name, { namespace });
  }
}
