// The group-snapshot suite's stack (test/support/stack.ts): every function involved in group
// snapshots (fanout, bind, invoke, delete, protect, provision), fed group, member and volume
// events, on a cluster with a "standard" StorageClass; plus the suite's own object helpers.
import { bindFunction } from "../../functions/bind/index.js";
import { deleteFunction } from "../../functions/delete/index.js";
import { fanoutFunction } from "../../functions/fanout/index.js";
import { invokeFunction } from "../../functions/invoke/index.js";
import { protectFunction } from "../../functions/protect/index.js";
import { provisionFunction } from "../../functions/provision/index.js";
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type { VolumeGroupSnapshotClass } from "../../shared/api/snapshot.js";
import { ANNOTATIONS, GROUP_SNAPSHOT_API_VERSION } from "../../shared/snapshot/constants.js";
import { FunctionStack, HOSTPATH_DRIVER } from "../support/stack.js";

export const DRIVER = HOSTPATH_DRIVER;
export const CLUSTER = "groups";

export class GroupStack extends FunctionStack {
  constructor() {
    super({
      name: "groups",
      cluster: CLUSTER,
      token: "groups-it-token-8d21e7",
      functions: [fanoutFunction, bindFunction, invokeFunction, deleteFunction, protectFunction, provisionFunction],
      watched: [
        "volumegroupsnapshots",
        "volumegroupsnapshotcontents",
        "volumesnapshots",
        "volumesnapshotcontents",
        "persistentvolumeclaims",
        "persistentvolumes",
      ],
      settleRounds: 20,
      auditTail: 10,
      prepare: async (kube) => {
        await kube.create<StorageClass>(RESOURCES.storageclasses, {
          apiVersion: "storage.k8s.io/v1",
          kind: "StorageClass",
          metadata: { name: "standard" },
          provisioner: DRIVER,
          reclaimPolicy: "Delete",
          volumeBindingMode: "Immediate",
        });
      },
    });
  }

  async createGroupClass(name: string, o: { isDefault?: boolean; deletionPolicy?: "Delete" | "Retain"; parameters?: Record<string, string>; driver?: string } = {}): Promise<VolumeGroupSnapshotClass> {
    return this.kube.create<VolumeGroupSnapshotClass>(RESOURCES.volumegroupsnapshotclasses, {
      apiVersion: GROUP_SNAPSHOT_API_VERSION,
      kind: "VolumeGroupSnapshotClass",
      metadata: { name, ...(o.isDefault ? { annotations: { [ANNOTATIONS.groupIsDefaultClass]: "true" } } : {}) },
      driver: o.driver ?? DRIVER,
      deletionPolicy: o.deletionPolicy ?? "Delete",
      ...(o.parameters ? { parameters: o.parameters } : {}),
    });
  }

  /** A 1 GiB hostpath volume, its PV pre-bound to a new labelled PVC, waited until Bound. */
  async createBoundClaim(name: string, labels: Record<string, string>, namespace = "default"): Promise<{ pvc: PersistentVolumeClaim; pv: PersistentVolume; volumeHandle: string; hostPath: string }> {
    return this.createPreboundClaim(name, { namespace, labels });
  }
}
