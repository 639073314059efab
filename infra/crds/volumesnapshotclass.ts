// VolumeSnapshotClass (snapshot.storage.k8s.io): which driver cuts a snapshot and what happens to it
// when its VolumeSnapshot goes. v1 is served and stored; v1beta1 is kept, unserved, as upstream has it.
import type { CustomResourceDefinition } from "../../shared/api/crd.js";
import { AGE_COLUMN, column, customResourceDefinition, typeMeta, version } from "./common.js";
import { doc, foldDescriptions, object, string, stringMap, type Schema } from "./schema.js";

export const SNAPSHOT_GROUP = "snapshot.storage.k8s.io";
/** The API review of the snapshot.storage.k8s.io group. */
export const SNAPSHOT_API_APPROVAL = "https://github.com/kubernetes-csi/external-snapshotter/pull/814";

function classSchema(withMetadata: boolean): Schema {
  return object(
    doc(
      "VolumeSnapshotClass specifies parameters that a underlying storage system uses when",
      "creating a volume snapshot. A specific VolumeSnapshotClass is used by specifying its",
      "name in a VolumeSnapshot object.",
      "VolumeSnapshotClasses are non-namespaced",
    ),
    {
      ...typeMeta(withMetadata),
      deletionPolicy: string(
        doc(
          "deletionPolicy determines whether a VolumeSnapshotContent created through",
          "the VolumeSnapshotClass should be deleted when its bound VolumeSnapshot is deleted.",
          'Supported values are "Retain" and "Delete".',
          '"Retain" means that the VolumeSnapshotContent and its physical snapshot on underlying storage system are kept.',
          '"Delete" means that the VolumeSnapshotContent and its physical snapshot on underlying storage system are deleted.',
          "Required.",
        ),
        { enum: ["Delete", "Retain"] },
      ),
      driver: string(
        doc("driver is the name of the storage driver that handles this VolumeSnapshotClass.", "Required."),
      ),
      parameters: stringMap(
        doc(
          "parameters is a key-value map with storage driver specific parameters for creating snapshots.",
          "These values are opaque to Kubernetes.",
        ),
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
    "Determines whether a VolumeSnapshotContent created through the VolumeSnapshotClass should be deleted when its bound VolumeSnapshot is deleted.",
  ),
  AGE_COLUMN,
];

export function volumeSnapshotClassCrd(): CustomResourceDefinition {
  return customResourceDefinition({
    group: SNAPSHOT_GROUP,
    kind: "VolumeSnapshotClass",
    plural: "volumesnapshotclasses",
    singular: "volumesnapshotclass",
    shortNames: ["vsclass", "vsclasses"],
    scope: "Cluster",
    apiApproval: SNAPSHOT_API_APPROVAL,
    versions: [
      version("v1", classSchema(true), { served: true, storage: true, statusSubresource: false, columns }),
      version("v1beta1", foldDescriptions(classSchema(false)), {
        served: false,
        storage: false,
        deprecated: true,
        deprecationWarning: `${SNAPSHOT_GROUP}/v1beta1 VolumeSnapshotClass is deprecated; use ${SNAPSHOT_GROUP}/v1 VolumeSnapshotClass`,
        statusSubresource: false,
        columns,
      }),
    ],
  });
}
