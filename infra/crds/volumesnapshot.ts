// VolumeSnapshot (snapshot.storage.k8s.io, namespaced): a user's request for a snapshot of a PVC, or
// a binding to a pre-existing VolumeSnapshotContent. v1 carries the CEL rules that make the source
// immutable; v1beta1 (unserved) predates them.
import type { CustomResourceDefinition } from "../../shared/api/crd.js";
import { AGE_COLUMN, column, customResourceDefinition, typeMeta, version } from "./common.js";
import {
  boolean,
  dateTime,
  doc,
  foldDescriptions,
  object,
  propsWhen,
  quantity,
  rule,
  string,
  withoutRules,
  type Schema,
} from "./schema.js";
import { snapshotErrorField } from "./fields.js";
import { SNAPSHOT_API_APPROVAL, SNAPSHOT_GROUP } from "./volumesnapshotclass.js";

const source = object(
  doc("source specifies where a snapshot will be created from.", "This field is immutable after creation.", "Required."),
  {
    persistentVolumeClaimName: string(
      doc(
        "persistentVolumeClaimName specifies the name of the PersistentVolumeClaim",
        "object representing the volume from which a snapshot should be created.",
        "This PVC is assumed to be in the same namespace as the VolumeSnapshot",
        "object.",
        "This field should be set if the snapshot does not exists, and needs to be",
        "created.",
        "This field is immutable.",
      ),
      { rules: [rule("self == oldSelf", "persistentVolumeClaimName is immutable")] },
    ),
    volumeSnapshotContentName: string(
      doc(
        "volumeSnapshotContentName specifies the name of a pre-existing VolumeSnapshotContent",
        "object representing an existing volume snapshot.",
        "This field should be set if the snapshot already exists and only needs a representation in Kubernetes.",
        "This field is immutable.",
      ),
      { rules: [rule("self == oldSelf", "volumeSnapshotContentName is immutable")] },
    ),
  },
  {
    rules: [
      rule(
        "!has(oldSelf.persistentVolumeClaimName) || has(self.persistentVolumeClaimName)",
        "persistentVolumeClaimName is required once set",
      ),
      rule(
        "!has(oldSelf.volumeSnapshotContentName) || has(self.volumeSnapshotContentName)",
        "volumeSnapshotContentName is required once set",
      ),
      rule(
        "(has(self.volumeSnapshotContentName) && !has(self.persistentVolumeClaimName)) || (!has(self.volumeSnapshotContentName) && has(self.persistentVolumeClaimName))",
        "exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set",
      ),
    ],
  },
);

const spec = object(
  doc(
    "spec defines the desired characteristics of a snapshot requested by a user.",
    "More info: https://kubernetes.io/docs/concepts/storage/volume-snapshots#volumesnapshots",
    "Required.",
  ),
  {
    source,
    volumeSnapshotClassName: string(
      doc(
        "VolumeSnapshotClassName is the name of the VolumeSnapshotClass",
        "requested by the VolumeSnapshot.",
        "VolumeSnapshotClassName may be left nil to indicate that the default",
        "SnapshotClass should be used.",
        "A given cluster may have multiple default Volume SnapshotClasses: one",
        "default per CSI Driver. If a VolumeSnapshot does not specify a SnapshotClass,",
        "VolumeSnapshotSource will be checked to figure out what the associated",
        "CSI Driver is, and the default VolumeSnapshotClass associated with that",
        "CSI Driver will be used. If more than one VolumeSnapshotClass exist for",
        "a given CSI Driver and more than one have been marked as default,",
        "CreateSnapshot will fail and generate an event.",
        "Empty string is not allowed for this field.",
      ),
      { rules: [rule("size(self) > 0", "volumeSnapshotClassName must not be the empty string when set")] },
    ),
  },
  { required: ["source"] },
);

function status(isV1: boolean): Schema {
  return object(
    doc(
      "status represents the current information of a snapshot.",
      "Consumers must verify binding between VolumeSnapshot and",
      "VolumeSnapshotContent objects is successful (by validating that both",
      "VolumeSnapshot and VolumeSnapshotContent point at each other) before",
      "using this object.",
    ),
    {
      boundVolumeSnapshotContentName: string(
        doc(
          "boundVolumeSnapshotContentName is the name of the VolumeSnapshotContent",
          "object to which this VolumeSnapshot object intends to bind to.",
          "If not specified, it indicates that the VolumeSnapshot object has not been",
          "successfully bound to a VolumeSnapshotContent object yet.",
          "NOTE: To avoid possible security issues, consumers must verify binding between",
          "VolumeSnapshot and VolumeSnapshotContent objects is successful (by validating that",
          "both VolumeSnapshot and VolumeSnapshotContent point at each other) before using",
          "this object.",
        ),
      ),
      creationTime: dateTime(
        doc(
          "creationTime is the timestamp when the point-in-time snapshot is taken",
          "by the underlying storage system.",
          "In dynamic snapshot creation case, this field will be filled in by the",
          'snapshot controller with the "creation_time" value returned from CSI',
          '"CreateSnapshot" gRPC call.',
          'For a pre-existing snapshot, this field will be filled with the "creation_time"',
          'value returned from the CSI "ListSnapshots" gRPC call if the driver supports it.',
          "If not specified, it may indicate that the creation time of the snapshot is unknown.",
        ),
      ),
      error: snapshotErrorField(
        doc(
          "error is the last observed error during snapshot creation, if any.",
          "This field could be helpful to upper level controllers(i.e., application controller)",
          "to decide whether they should continue on waiting for the snapshot to be created",
          "based on the type of error reported.",
          "The snapshot controller will keep retrying when an error occurs during the",
          "snapshot creation. Upon success, this error field will be cleared.",
        ),
      ),
      readyToUse: boolean(
        doc(
          "readyToUse indicates if the snapshot is ready to be used to restore a volume.",
          "In dynamic snapshot creation case, this field will be filled in by the",
          'snapshot controller with the "ready_to_use" value returned from CSI',
          '"CreateSnapshot" gRPC call.',
          'For a pre-existing snapshot, this field will be filled with the "ready_to_use"',
          'value returned from the CSI "ListSnapshots" gRPC call if the driver supports it,',
          'otherwise, this field will be set to "True".',
          "If not specified, it means the readiness of a snapshot is unknown.",
        ),
      ),
      restoreSize: quantity(
        doc(
          "restoreSize represents the minimum size of volume required to create a volume",
          "from this snapshot.",
          "In dynamic snapshot creation case, this field will be filled in by the",
          'snapshot controller with the "size_bytes" value returned from CSI',
          '"CreateSnapshot" gRPC call.',
          'For a pre-existing snapshot, this field will be filled with the "size_bytes"',
          'value returned from the CSI "ListSnapshots" gRPC call if the driver supports it.',
          "When restoring a volume from this snapshot, the size of the volume MUST NOT",
          "be smaller than the restoreSize if it is specified, otherwise the restoration will fail.",
          "If not specified, it indicates that the size is unknown.",
        ),
      ),
      ...propsWhen(isV1, {
        volumeGroupSnapshotName: string(
          doc(
            "VolumeGroupSnapshotName is the name of the VolumeGroupSnapshot of which this",
            "VolumeSnapshot is a part of.",
          ),
        ),
      }),
    },
  );
}

function snapshotSchema(isV1: boolean): Schema {
  return object(
    doc(
      "VolumeSnapshot is a user's request for either creating a point-in-time",
      "snapshot of a persistent volume, or binding to a pre-existing snapshot.",
    ),
    { ...typeMeta(isV1), spec, status: status(isV1) },
    { required: ["spec"] },
  );
}

const columns = [
  column("ReadyToUse", "boolean", ".status.readyToUse", "Indicates if the snapshot is ready to be used to restore a volume."),
  column(
    "SourcePVC",
    "string",
    ".spec.source.persistentVolumeClaimName",
    "If a new snapshot needs to be created, this contains the name of the source PVC from which this snapshot was (or will be) created.",
  ),
  column(
    "SourceSnapshotContent",
    "string",
    ".spec.source.volumeSnapshotContentName",
    "If a snapshot already exists, this contains the name of the existing VolumeSnapshotContent object representing the existing snapshot.",
  ),
  column(
    "RestoreSize",
    "string",
    ".status.restoreSize",
    "Represents the minimum size of volume required to rehydrate from this snapshot.",
  ),
  column(
    "SnapshotClass",
    "string",
    ".spec.volumeSnapshotClassName",
    "The name of the VolumeSnapshotClass requested by the VolumeSnapshot.",
  ),
  column(
    "SnapshotContent",
    "string",
    ".status.boundVolumeSnapshotContentName",
    "Name of the VolumeSnapshotContent object to which the VolumeSnapshot object intends to bind to. Please note that verification of binding actually requires checking both VolumeSnapshot and VolumeSnapshotContent to ensure both are pointing at each other. Binding MUST be verified prior to usage of this object.",
  ),
  column(
    "CreationTime",
    "date",
    ".status.creationTime",
    "Timestamp when the point-in-time snapshot was taken by the underlying storage system.",
  ),
  AGE_COLUMN,
];

export function volumeSnapshotCrd(): CustomResourceDefinition {
  return customResourceDefinition({
    group: SNAPSHOT_GROUP,
    kind: "VolumeSnapshot",
    plural: "volumesnapshots",
    singular: "volumesnapshot",
    shortNames: ["vs"],
    scope: "Namespaced",
    apiApproval: SNAPSHOT_API_APPROVAL,
    versions: [
      version("v1", snapshotSchema(true), { served: true, storage: true, statusSubresource: true, columns }),
      version("v1beta1", foldDescriptions(withoutRules(snapshotSchema(false))), {
        served: false,
        storage: false,
        deprecated: true,
        deprecationWarning: `${SNAPSHOT_GROUP}/v1beta1 VolumeSnapshot is deprecated; use ${SNAPSHOT_GROUP}/v1 VolumeSnapshot`,
        statusSubresource: true,
        columns,
      }),
    ],
  });
}
