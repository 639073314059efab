// VolumeGroupSnapshotContent (groupsnapshot.storage.k8s.io, cluster-scoped): a group snapshot as it
// exists on the storage system, bound to one VolumeGroupSnapshot. v1beta2 replaced v1beta1's
// volumeSnapshotHandlePairList with volumeSnapshotInfoList and added the immutability rules.
import type { CustomResourceDefinition } from "../../shared/api/crd.js";
import { AGE_COLUMN, column, customResourceDefinition, typeMeta } from "./common.js";
import { objectReferenceField, snapshotErrorField } from "./fields.js";
import {
  GROUP_SNAPSHOT_API_APPROVAL,
  GROUP_SNAPSHOT_GROUP,
  groupSnapshotVersions,
  type GroupApiVersion,
} from "./groupversions.js";
import { array, boolean, dateTime, doc, int64, object, rule, string, when, type Schema } from "./schema.js";

const source = object(
  doc(
    "Source specifies whether the snapshot is (or should be) dynamically provisioned",
    "or already exists, and just requires a Kubernetes object representation.",
    "This field is immutable after creation.",
    "Required.",
  ),
  {
    groupSnapshotHandles: object(
      doc(
        'GroupSnapshotHandles specifies the CSI "group_snapshot_id" of a pre-existing',
        'group snapshot and a list of CSI "snapshot_id" of pre-existing snapshots',
        "on the underlying storage system for which a Kubernetes object",
        "representation was (or should be) created.",
        "This field is immutable.",
      ),
      {
        volumeGroupSnapshotHandle: string(
          doc(
            'VolumeGroupSnapshotHandle specifies the CSI "group_snapshot_id" of a pre-existing',
            "group snapshot on the underlying storage system for which a Kubernetes object",
            "representation was (or should be) created.",
            "This field is immutable.",
            "Required.",
          ),
        ),
        volumeSnapshotHandles: array(
          doc(
            'VolumeSnapshotHandles is a list of CSI "snapshot_id" of pre-existing',
            "snapshots on the underlying storage system for which Kubernetes objects",
            "representation were (or should be) created.",
            "This field is immutable.",
            "Required.",
          ),
          string(),
        ),
      },
      {
        required: ["volumeGroupSnapshotHandle", "volumeSnapshotHandles"],
        rules: [rule("self == oldSelf", "groupSnapshotHandles is immutable")],
      },
    ),
    volumeHandles: array(
      doc(
        "VolumeHandles is a list of volume handles on the backend to be snapshotted",
        "together. It is specified for dynamic provisioning of the VolumeGroupSnapshot.",
        "This field is immutable.",
      ),
      string(),
      { rules: [rule("self == oldSelf", "volumeHandles is immutable")] },
    ),
  },
  {
    rules: [
      rule("!has(oldSelf.volumeHandles) || has(self.volumeHandles)", "volumeHandles is required once set"),
      rule(
        "!has(oldSelf.groupSnapshotHandles) || has(self.groupSnapshotHandles)",
        "groupSnapshotHandles is required once set",
      ),
      rule(
        "(has(self.volumeHandles) && !has(self.groupSnapshotHandles)) || (!has(self.volumeHandles) && has(self.groupSnapshotHandles))",
        "exactly one of volumeHandles and groupSnapshotHandles must be set",
      ),
    ],
  },
);

function spec(v: GroupApiVersion): Schema {
  const immutable = v !== "v1beta1";
  return object(
    doc("Spec defines properties of a VolumeGroupSnapshotContent created by the underlying storage system.", "Required."),
    {
      deletionPolicy: string(
        doc(
          "DeletionPolicy determines whether this VolumeGroupSnapshotContent and the",
          "physical group snapshot on the underlying storage system should be deleted",
          "when the bound VolumeGroupSnapshot is deleted.",
          'Supported values are "Retain" and "Delete".',
          '"Retain" means that the VolumeGroupSnapshotContent and its physical group',
          "snapshot on underlying storage system are kept.",
          '"Delete" means that the VolumeGroupSnapshotContent and its physical group',
          "snapshot on underlying storage system are deleted.",
          "For dynamically provisioned group snapshots, this field will automatically",
          'be filled in by the CSI snapshotter sidecar with the "DeletionPolicy" field',
          "defined in the corresponding VolumeGroupSnapshotClass.",
          "For pre-existing snapshots, users MUST specify this field when creating the",
          "VolumeGroupSnapshotContent object.",
          "Required.",
        ),
        { enum: ["Delete", "Retain"] },
      ),
      driver: string(
        doc(
          "Driver is the name of the CSI driver used to create the physical group snapshot on",
          "the underlying storage system.",
          "This MUST be the same as the name returned by the CSI GetPluginName() call for",
          "that driver.",
          "Required.",
        ),
        { rules: when(immutable, rule("self == oldSelf", "driver is immutable once set")) },
      ),
      source,
      volumeGroupSnapshotClassName: string(
        doc(
          "VolumeGroupSnapshotClassName is the name of the VolumeGroupSnapshotClass from",
          "which this group snapshot was (or will be) created.",
          "Note that after provisioning, the VolumeGroupSnapshotClass may be deleted or",
          "recreated with different set of values, and as such, should not be referenced",
          "post-snapshot creation.",
          "For dynamic provisioning, this field must be set.",
          "This field may be unset for pre-provisioned snapshots.",
        ),
        { rules: when(immutable, rule("self == oldSelf", "volumeGroupSnapshotClassName is immutable once set")) },
      ),
      volumeGroupSnapshotRef: objectReferenceField(
        doc(
          "VolumeGroupSnapshotRef specifies the VolumeGroupSnapshot object to which this",
          "VolumeGroupSnapshotContent object is bound.",
          "VolumeGroupSnapshot.Spec.VolumeGroupSnapshotContentName field must reference to",
          "this VolumeGroupSnapshotContent's name for the bidirectional binding to be valid.",
          "For a pre-existing VolumeGroupSnapshotContent object, name and namespace of the",
          "VolumeGroupSnapshot object MUST be provided for binding to happen.",
          "This field is immutable after creation.",
          "Required.",
        ),
        [
          rule(
            "has(self.name) && has(self.__namespace__)",
            "both volumeGroupSnapshotRef.name and volumeGroupSnapshotRef.namespace must be set",
          ),
          ...when(
            immutable,
            rule(
              "self.name == oldSelf.name && self.__namespace__ == oldSelf.__namespace__",
              "volumeGroupSnapshotRef.name and volumeGroupSnapshotRef.namespace are immutable",
            ),
          ),
          ...when(
            immutable,
            rule(
              "!has(oldSelf.uid) || (has(self.uid) && self.uid == oldSelf.uid)",
              "volumeGroupSnapshotRef.uid is immutable once set",
            ),
          ),
        ],
      ),
    },
    { required: ["deletionPolicy", "driver", "source", "volumeGroupSnapshotRef"] },
  );
}

/** v1beta2 and later: one entry per member snapshot, with its own readiness, size and time. */
const volumeSnapshotInfoList = array(
  doc(
    "This field is introduced in v1beta2",
    "It is replacing VolumeSnapshotHandlePairList",
    "VolumeSnapshotInfoList is a list of snapshot information returned by",
    "by the CSI driver to identify snapshots on the storage system.",
  ),
  object(doc("The VolumeSnapshotInfo struct is added in v1beta2", "VolumeSnapshotInfo contains information for a snapshot"), {
    creationTime: int64(
      doc("creationTime is the timestamp when the point-in-time snapshot is taken", "by the underlying storage system."),
    ),
    readyToUse: boolean("ReadyToUse indicates if the snapshot is ready to be used to restore a volume."),
    restoreSize: int64(
      doc("RestoreSize represents the minimum size of volume required to create a volume", "from this snapshot."),
    ),
    snapshotHandle: string('SnapshotHandle is the CSI "snapshot_id" of this snapshot on the underlying storage system.'),
    volumeHandle: string(
      doc('VolumeHandle specifies the CSI "volume_id" of the volume from which this snapshot', "was taken from."),
    ),
  }),
);

/** v1beta1: bare (volume handle, snapshot handle) pairs. */
const volumeSnapshotHandlePairList = array(
  doc(
    'VolumeSnapshotHandlePairList is a list of CSI "volume_id" and "snapshot_id"',
    "pair returned by the CSI driver to identify snapshots and their source volumes",
    "on the storage system.",
  ),
  object(
    "VolumeSnapshotHandlePair defines a pair of a source volume handle and a snapshot handle",
    {
      snapshotHandle: string(
        doc(
          "SnapshotHandle is a unique id returned by the CSI driver to identify a volume",
          "snapshot on the storage system",
          "Required.",
        ),
      ),
      volumeHandle: string(
        doc("VolumeHandle is a unique id returned by the CSI driver to identify a volume", "on the storage system", "Required."),
      ),
    },
    { required: ["snapshotHandle", "volumeHandle"] },
  ),
);

function creationTime(v: GroupApiVersion): Schema {
  const lines = [
    "CreationTime is the timestamp when the point-in-time group snapshot is taken",
    "by the underlying storage system.",
    "If not specified, it indicates the creation time is unknown.",
    "If not specified, it means the readiness of a group snapshot is unknown.",
  ];
  const source = "This field is the source for the CreationTime field in VolumeGroupSnapshotStatus";
  // v1beta1 still documented the older int64 nanosecond encoding in prose.
  return dateTime(
    v === "v1beta1"
      ? doc(
          ...lines,
          "The format of this field is a Unix nanoseconds time encoded as an int64.",
          "On Unix, the command date +%s%N returns the current time in nanoseconds",
          "since 1970-01-01 00:00:00 UTC.",
          source,
        )
      : doc(...lines, source),
  );
}

function status(v: GroupApiVersion): Schema {
  const beta1 = v === "v1beta1";
  return object("status represents the current information of a group snapshot.", {
    creationTime: creationTime(v),
    error: snapshotErrorField(
      doc(
        "Error is the last observed error during group snapshot creation, if any.",
        "Upon success after retry, this error field will be cleared.",
      ),
    ),
    readyToUse: boolean(
      doc(
        "ReadyToUse indicates if all the individual snapshots in the group are ready to be",
        "used to restore a group of volumes.",
        "ReadyToUse becomes true when ReadyToUse of all individual snapshots become true.",
      ),
    ),
    volumeGroupSnapshotHandle: string(
      doc(
        "VolumeGroupSnapshotHandle is a unique id returned by the CSI driver",
        "to identify the VolumeGroupSnapshot on the storage system.",
        "If a storage system does not provide such an id, the",
        "CSI driver can choose to return the VolumeGroupSnapshot name.",
      ),
      { rules: when(!beta1, rule("self == oldSelf", "volumeGroupSnapshotHandle is immutable once set")) },
    ),
    ...(beta1 ? { volumeSnapshotHandlePairList } : { volumeSnapshotInfoList }),
  });
}

function contentSchema(v: GroupApiVersion): Schema {
  return object(
    doc(
      'VolumeGroupSnapshotContent represents the actual "on-disk" group snapshot object',
      "in the underlying storage system",
    ),
    { ...typeMeta(), spec: spec(v), status: status(v) },
    { required: ["spec"] },
  );
}

const columns = [
  column(
    "ReadyToUse",
    "boolean",
    ".status.readyToUse",
    "Indicates if all the individual snapshots in the group are ready to be used to restore a group of volumes.",
  ),
  column(
    "DeletionPolicy",
    "string",
    ".spec.deletionPolicy",
    "Determines whether this VolumeGroupSnapshotContent and its physical group snapshot on the underlying storage system should be deleted when its bound VolumeGroupSnapshot is deleted.",
  ),
  column(
    "Driver",
    "string",
    ".spec.driver",
    "Name of the CSI driver used to create the physical group snapshot on the underlying storage system.",
  ),
  column(
    "VolumeGroupSnapshotClass",
    "string",
    ".spec.volumeGroupSnapshotClassName",
    "Name of the VolumeGroupSnapshotClass from which this group snapshot was (or will be) created.",
  ),
  column(
    "VolumeGroupSnapshotNamespace",
    "string",
    ".spec.volumeGroupSnapshotRef.namespace",
    "Namespace of the VolumeGroupSnapshot object to which this VolumeGroupSnapshotContent object is bound.",
  ),
  column(
    "VolumeGroupSnapshot",
    "string",
    ".spec.volumeGroupSnapshotRef.name",
    "Name of the VolumeGroupSnapshot object to which this VolumeGroupSnapshotContent object is bound.",
  ),
  AGE_COLUMN,
];

export function volumeGroupSnapshotContentCrd(): CustomResourceDefinition {
  return customResourceDefinition({
    group: GROUP_SNAPSHOT_GROUP,
    kind: "VolumeGroupSnapshotContent",
    plural: "volumegroupsnapshotcontents",
    singular: "volumegroupsnapshotcontent",
    shortNames: ["vgsc", "vgscs"],
    scope: "Cluster",
    apiApproval: GROUP_SNAPSHOT_API_APPROVAL,
    versions: groupSnapshotVersions(contentSchema, columns, true),
  });
}
