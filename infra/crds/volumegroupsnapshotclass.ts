// VolumeGroupSnapshotClass (groupsnapshot.storage.k8s.io, cluster-scoped): the group counterpart of
// VolumeSnapshotClass. From v1beta2 on, driver, deletionPolicy and parameters are immutable.
import type { CustomResourceDefinition } from "../../shared/api/crd.js";
import { AGE_COLUMN, column, customResourceDefinition, typeMeta } from "./common.js";
import {
  GROUP_SNAPSHOT_API_APPROVAL,
  GROUP_SNAPSHOT_GROUP,
  groupSnapshotVersions,
  type GroupApiVersion,
} from "./groupversions.js";
import { doc, object, rule, string, stringMap, when, type Schema } from "./schema.js";

function classSchema(v: GroupApiVersion): Schema {
  const immutable = v !== "v1beta1";
  return object(
    doc(
      "VolumeGroupSnapshotClass specifies parameters that a underlying storage system",
      "uses when creating a volume group snapshot. A specific VolumeGroupSnapshotClass",
      "is used by specifying its name in a VolumeGroupSnapshot object.",
      "VolumeGroupSnapshotClasses are non-namespaced.",
    ),
    {
      ...typeMeta(),
      deletionPolicy: string(
        doc(
          "DeletionPolicy determines whether a VolumeGroupSnapshotContent created",
          "through the VolumeGroupSnapshotClass should be deleted when its bound",
          "VolumeGroupSnapshot is deleted.",
          'Supported values are "Retain" and "Delete".',
          '"Retain" means that the VolumeGroupSnapshotContent and its physical group',
          "snapshot on underlying storage system are kept.",
          '"Delete" means that the VolumeGroupSnapshotContent and its physical group',
          "snapshot on underlying storage system are deleted.",
          "Required.",
        ),
        {
          enum: ["Delete", "Retain"],
          rules: when(immutable, rule("self == oldSelf", "deletionPolicy is immutable once set")),
        },
      ),
      driver: string(
        doc("Driver is the name of the storage driver expected to handle this VolumeGroupSnapshotClass.", "Required."),
        { rules: when(immutable, rule("self == oldSelf", "driver is immutable once set")) },
      ),
      parameters: stringMap(
        doc(
          "Parameters is a key-value map with storage driver specific parameters for",
          "creating group snapshots.",
          "These values are opaque to Kubernetes and are passed directly to the driver.",
        ),
        { rules: when(immutable, rule("self == oldSelf", "parameters are immutable once set")) },
      ),
    },
    { required: ["deletionPolicy", "driver"] },
  );
}

const columns = [
  column("Driver", "string", ".driver"),
  column(
    "DeletionPolicy",
    "string",
    ".deletionPolicy",
    "Determines whether a VolumeGroupSnapshotContent created through the VolumeGroupSnapshotClass should be deleted when its bound VolumeGroupSnapshot is deleted.",
  ),
  AGE_COLUMN,
];

export function volumeGroupSnapshotClassCrd(): CustomResourceDefinition {
  return customResourceDefinition({
    group: GROUP_SNAPSHOT_GROUP,
    kind: "VolumeGroupSnapshotClass",
    plural: "volumegroupsnapshotclasses",
    singular: "volumegroupsnapshotclass",
    shortNames: ["vgsclass", "vgsclasses"],
    scope: "Cluster",
    apiApproval: GROUP_SNAPSHOT_API_APPROVAL,
    versions: groupSnapshotVersions(classSchema, columns, false),
  });
}
