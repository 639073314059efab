// VolumeSnapshotContent (snapshot.storage.k8s.io, cluster-scoped): the snapshot as it exists on the
// storage system, bound to one VolumeSnapshot. v1 served and stored; v1beta1 unserved, as upstream.
import type { CustomResourceDefinition } from "../../shared/api/crd.js";
import { AGE_COLUMN, column, customResourceDefinition, typeMeta, version } from "./common.js";
import { objectReferenceField, snapshotErrorField } from "./fields.js";
import {
  boolean,
  doc,
  foldDescriptions,
  int64,
  object,
  propsWhen,
  rule,
  string,
  withoutRules,
  type Schema,
} from "./schema.js";
import { SNAPSHOT_API_APPROVAL, SNAPSHOT_GROUP } from "./volumesnapshotclass.js";

const source = object(
  doc(
    "source specifies whether the snapshot is (or should be) dynamically provisioned",
    "or already exists, and just requires a Kubernetes object representation.",
    "This field is immutable after creation.",
    "Required.",
  ),
  {
    snapshotHandle: string(
      doc(
        'snapshotHandle specifies the CSI "snapshot_id" of a pre-existing snapshot on',
        "the underlying storage system for which a Kubernetes object representation",
        "was (or should be) created.",
        "This field is immutable.",
      ),
      { rules: [rule("self == oldSelf", "snapshotHandle is immutable")] },
    ),
    volumeHandle: string(
      doc(
        'volumeHandle specifies the CSI "volume_id" of the volume from which a snapshot',
        "should be dynamically taken from.",
        "This field is immutable.",
      ),
      { rules: [rule("self == oldSelf", "volumeHandle is immutable")] },
    ),
  },
  {
    rules: [
      rule("!has(oldSelf.volumeHandle) || has(self.volumeHandle)", "volumeHandle is required once set"),
      rule("!has(oldSelf.snapshotHandle) || has(self.snapshotHandle)", "snapshotHandle is required once set"),
      rule(
        "(has(self.volumeHandle) && !has(self.snapshotHandle)) || (!has(self.volumeHandle) && has(self.snapshotHandle))",
        "exactly one of volumeHandle and snapshotHandle must be set",
      ),
    ],
  },
);

function spec(isV1: boolean): Schema {
  return object(
    doc("spec defines properties of a VolumeSnapshotContent created by the underlying storage system.", "Required."),
    {
      deletionPolicy: string(
        doc(
          "deletionPolicy determines whether this VolumeSnapshotContent and its physical snapshot on",
          "the underlying storage system should be deleted when its bound VolumeSnapshot is deleted.",
          'Supported values are "Retain" and "Delete".',
          '"Retain" means that the VolumeSnapshotContent and its physical snapshot on underlying storage system are kept.',
          '"Delete" means that the VolumeSnapshotContent and its physical snapshot on underlying storage system are deleted.',
          "For dynamically provisioned snapshots, this field will automatically be filled in by the",
          'CSI snapshotter sidecar with the "DeletionPolicy" field defined in the corresponding',
          "VolumeSnapshotClass.",
          "For pre-existing snapshots, users MUST specify this field when creating the",
          " VolumeSnapshotContent object.",
          "Required.",
        ),
        { enum: ["Delete", "Retain"] },
      ),
      driver: string(
        doc(
          "driver is the name of the CSI driver used to create the physical snapshot on",
          "the underlying storage system.",
          "This MUST be the same as the name returned by the CSI GetPluginName() call for",
          "that driver.",
          "Required.",
        ),
      ),
      source,
      ...propsWhen(isV1, {
        sourceVolumeMode: string(
          doc(
            "SourceVolumeMode is the mode of the volume whose snapshot is taken.",
            "Can be either “Filesystem” or “Block”.",
            "If not specified, it indicates the source volume's mode is unknown.",
            "This field is immutable.",
            "This field is an alpha field.",
          ),
          { rules: [rule("self == oldSelf", "sourceVolumeMode is immutable")] },
        ),
      }),
      volumeSnapshotClassName: string(
        doc(
          "name of the VolumeSnapshotClass from which this snapshot was (or will be)",
          "created.",
          "Note that after provisioning, the VolumeSnapshotClass may be deleted or",
          "recreated with different set of values, and as such, should not be referenced",
          "post-snapshot creation.",
        ),
      ),
      volumeSnapshotRef: objectReferenceField(
        doc(
          "volumeSnapshotRef specifies the VolumeSnapshot object to which this",
          "VolumeSnapshotContent object is bound.",
          "VolumeSnapshot.Spec.VolumeSnapshotContentName field must reference to",
          "this VolumeSnapshotContent's name for the bidirectional binding to be valid.",
          "For a pre-existing VolumeSnapshotContent object, name and namespace of the",
          "VolumeSnapshot object MUST be provided for binding to happen.",
          "This field is immutable after creation.",
          "Required.",
        ),
        [
          rule(
            "has(self.name) && has(self.__namespace__)",
            "both spec.volumeSnapshotRef.name and spec.volumeSnapshotRef.namespace must be set",
          ),
        ],
        isV1,
      ),
    },
    {
      required: ["deletionPolicy", "driver", "source", "volumeSnapshotRef"],
      rules: [
        rule("!has(oldSelf.sourceVolumeMode) || has(self.sourceVolumeMode)", "sourceVolumeMode is required once set"),
      ],
    },
  );
}

function status(isV1: boolean): Schema {
  return object("status represents the current information of a snapshot.", {
    creationTime: int64(
      doc(
        "creationTime is the timestamp when the point-in-time snapshot is taken",
        "by the underlying storage system.",
        "In dynamic snapshot creation case, this field will be filled in by the",
        'CSI snapshotter sidecar with the "creation_time" value returned from CSI',
        '"CreateSnapshot" gRPC call.',
        'For a pre-existing snapshot, this field will be filled with the "creation_time"',
        'value returned from the CSI "ListSnapshots" gRPC call if the driver supports it.',
        "If not specified, it indicates the creation time is unknown.",
        "The format of this field is a Unix nanoseconds time encoded as an int64.",
        "On Unix, the command `date +%s%N` returns the current time in nanoseconds",
        "since 1970-01-01 00:00:00 UTC.",
      ),
    ),
    error: snapshotErrorField(
      doc(
        "error is the last observed error during snapshot creation, if any.",
        "Upon success after retry, this error field will be cleared.",
      ),
    ),
    readyToUse: boolean(
      doc(
        "readyToUse indicates if a snapshot is ready to be used to restore a volume.",
        "In dynamic snapshot creation case, this field will be filled in by the",
        'CSI snapshotter sidecar with the "ready_to_use" value returned from CSI',
        '"CreateSnapshot" gRPC call.',
        'For a pre-existing snapshot, this field will be filled with the "ready_to_use"',
        'value returned from the CSI "ListSnapshots" gRPC call if the driver supports it,',
        'otherwise, this field will be set to "True".',
        "If not specified, it means the readiness of a snapshot is unknown.",
      ),
    ),
    restoreSize: int64(
      doc(
        "restoreSize represents the complete size of the snapshot in bytes.",
        "In dynamic snapshot creation case, this field will be filled in by the",
        'CSI snapshotter sidecar with the "size_bytes" value returned from CSI',
        '"CreateSnapshot" gRPC call.',
        'For a pre-existing snapshot, this field will be filled with the "size_bytes"',
        'value returned from the CSI "ListSnapshots" gRPC call if the driver supports it.',
        "When restoring a volume from this snapshot, the size of the volume MUST NOT",
        "be smaller than the restoreSize if it is specified, otherwise the restoration will fail.",
        "If not specified, it indicates that the size is unknown.",
      ),
      { minimum: 0 },
    ),
    snapshotHandle: string(
      doc(
        'snapshotHandle is the CSI "snapshot_id" of a snapshot on the underlying storage system.',
        "If not specified, it indicates that dynamic snapshot creation has either failed",
        "or it is still in progress.",
      ),
    ),
    ...propsWhen(isV1, {
      volumeGroupSnapshotHandle: string(
        doc(
          'VolumeGroupSnapshotHandle is the CSI "group_snapshot_id" of a group snapshot',
          "on the underlying storage system.",
        ),
      ),
    }),
  });
}

function contentSchema(isV1: boolean): Schema {
  return object(
    doc('VolumeSnapshotContent represents the actual "on-disk" snapshot object in the', "underlying storage system"),
    { ...typeMeta(isV1), spec: spec(isV1), status: status(isV1) },
    { required: ["spec"] },
  );
}

const columns = [
  column("ReadyToUse", "boolean", ".status.readyToUse", "Indicates if the snapshot is ready to be used to restore a volume."),
  column("RestoreSize", "integer", ".status.restoreSize", "Represents the complete size of the snapshot in bytes"),
  column(
    "DeletionPolicy",
    "string",
    ".spec.deletionPolicy",
    "Determines whether this VolumeSnapshotContent and its physical snapshot on the underlying storage system should be deleted when its bound VolumeSnapshot is deleted.",
  ),
  column(
    "Driver",
    "string",
    ".spec.driver",
    "Name of the CSI driver used to create the physical snapshot on the underlying storage system.",
  ),
  column(
    "VolumeSnapshotClass",
    "string",
    ".spec.volumeSnapshotClassName",
    "Name of the VolumeSnapshotClass to which this snapshot belongs.",
  ),
  column(
    "VolumeSnapshot",
    "string",
    ".spec.volumeSnapshotRef.name",
    "Name of the VolumeSnapshot object to which this VolumeSnapshotContent object is bound.",
  ),
  column(
    "VolumeSnapshotNamespace",
    "string",
    ".spec.volumeSnapshotRef.namespace",
    "Namespace of the VolumeSnapshot object to which this VolumeSnapshotContent object is bound.",
  ),
  AGE_COLUMN,
];

/** The content kind's API review (it came later than the rest of the group). */
const CONTENT_API_APPROVAL = "https://github.com/kubernetes-csi/external-snapshotter/pull/955";

export function volumeSnapshotContentCrd(): CustomResourceDefinition {
  return customResourceDefinition({
    group: SNAPSHOT_GROUP,
    kind: "VolumeSnapshotContent",
    plural: "volumesnapshotcontents",
    singular: "volumesnapshotcontent",
    shortNames: ["vsc", "vscs"],
    scope: "Cluster",
    apiApproval: CONTENT_API_APPROVAL,
    versions: [
      version("v1", contentSchema(true), { served: true, storage: true, statusSubresource: true, columns }),
      version("v1beta1", foldDescriptions(withoutRules(contentSchema(false))), {
        served: false,
        storage: false,
        deprecated: true,
        deprecationWarning: `${SNAPSHOT_GROUP}/v1beta1 VolumeSnapshotContent is deprecated; use ${SNAPSHOT_GROUP}/v1 VolumeSnapshotContent`,
        statusSubresource: true,
        columns,
      }),
    ],
  });
}
