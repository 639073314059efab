// VolumeGroupSnapshot (groupsnapshot.storage.k8s.io, namespaced): a request to snapshot every PVC a
// label selector matches, together, or a binding to a pre-existing group snapshot.
import type { CustomResourceDefinition } from "../../shared/api/crd.js";
import { AGE_COLUMN, column, customResourceDefinition, typeMeta } from "./common.js";
import { snapshotErrorField } from "./fields.js";
import {
  GROUP_SNAPSHOT_API_APPROVAL,
  GROUP_SNAPSHOT_GROUP,
  groupSnapshotVersions,
  type GroupApiVersion,
} from "./groupversions.js";
import { array, boolean, dateTime, doc, object, rule, string, stringMap, when, type Schema } from "./schema.js";

/** metav1.LabelSelector, atomic and immutable once set. */
const selector = object(
  doc(
    "Selector is a label query over persistent volume claims that are to be",
    "grouped together for snapshotting.",
    "This labelSelector will be used to match the label added to a PVC.",
    "If the label is added or removed to a volume after a group snapshot",
    "is created, the existing group snapshots won't be modified.",
    "Once a VolumeGroupSnapshotContent is created and the sidecar starts to process",
    "it, the volume list will not change with retries.",
  ),
  {
    matchExpressions: array(
      "matchExpressions is a list of label selector requirements. The requirements are ANDed.",
      object(
        doc(
          "A label selector requirement is a selector that contains values, a key, and an operator that",
          "relates the key and values.",
        ),
        {
          key: string("key is the label key that the selector applies to."),
          operator: string(
            doc(
              "operator represents a key's relationship to a set of values.",
              "Valid operators are In, NotIn, Exists and DoesNotExist.",
            ),
          ),
          values: array(
            doc(
              "values is an array of string values. If the operator is In or NotIn,",
              "the values array must be non-empty. If the operator is Exists or DoesNotExist,",
              "the values array must be empty. This array is replaced during a strategic",
              "merge patch.",
            ),
            string(),
            { listType: "atomic" },
          ),
        },
        { required: ["key", "operator"] },
      ),
      { listType: "atomic" },
    ),
    matchLabels: stringMap(
      doc(
        "matchLabels is a map of {key,value} pairs. A single {key,value} in the matchLabels",
        'map is equivalent to an element of matchExpressions, whose key field is "key", the',
        'operator is "In", and the values array contains only "value". The requirements are ANDed.',
      ),
    ),
  },
  { mapType: "atomic", rules: [rule("self == oldSelf", "selector is immutable")] },
);

const source = object(
  doc("Source specifies where a group snapshot will be created from.", "This field is immutable after creation.", "Required."),
  {
    selector,
    volumeGroupSnapshotContentName: string(
      doc(
        "VolumeGroupSnapshotContentName specifies the name of a pre-existing VolumeGroupSnapshotContent",
        "object representing an existing volume group snapshot.",
        "This field should be set if the volume group snapshot already exists and",
        "only needs a representation in Kubernetes.",
        "This field is immutable.",
      ),
      { rules: [rule("self == oldSelf", "volumeGroupSnapshotContentName is immutable")] },
    ),
  },
  {
    rules: [
      rule("!has(oldSelf.selector) || has(self.selector)", "selector is required once set"),
      rule(
        "!has(oldSelf.volumeGroupSnapshotContentName) || has(self.volumeGroupSnapshotContentName)",
        "volumeGroupSnapshotContentName is required once set",
      ),
      rule(
        "(has(self.selector) && !has(self.volumeGroupSnapshotContentName)) || (!has(self.selector) && has(self.volumeGroupSnapshotContentName))",
        "exactly one of selector and volumeGroupSnapshotContentName must be set",
      ),
    ],
  },
);

const spec = object(
  doc("Spec defines the desired characteristics of a group snapshot requested by a user.", "Required."),
  {
    source,
    volumeGroupSnapshotClassName: string(
      doc(
        "VolumeGroupSnapshotClassName is the name of the VolumeGroupSnapshotClass",
        "requested by the VolumeGroupSnapshot.",
        "VolumeGroupSnapshotClassName may be left nil to indicate that the default",
        "class will be used.",
        "Empty string is not allowed for this field.",
      ),
      { rules: [rule("size(self) > 0", "volumeGroupSnapshotClassName must not be the empty string when set")] },
    ),
  },
  { required: ["source"] },
);

function creationTime(v: GroupApiVersion): Schema {
  const lines = [
    "CreationTime is the timestamp when the point-in-time group snapshot is taken",
    "by the underlying storage system.",
    "If not specified, it may indicate that the creation time of the group snapshot",
    "is unknown.",
  ];
  const source = "This field is updated based on the CreationTime field in VolumeGroupSnapshotContentStatus";
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
  return object(
    doc(
      "Status represents the current information of a group snapshot.",
      "Consumers must verify binding between VolumeGroupSnapshot and",
      "VolumeGroupSnapshotContent objects is successful (by validating that both",
      "VolumeGroupSnapshot and VolumeGroupSnapshotContent point to each other) before",
      "using this object.",
    ),
    {
      boundVolumeGroupSnapshotContentName: string(
        doc(
          "BoundVolumeGroupSnapshotContentName is the name of the VolumeGroupSnapshotContent",
          "object to which this VolumeGroupSnapshot object intends to bind to.",
          "If not specified, it indicates that the VolumeGroupSnapshot object has not",
          "been successfully bound to a VolumeGroupSnapshotContent object yet.",
          "NOTE: To avoid possible security issues, consumers must verify binding between",
          "VolumeGroupSnapshot and VolumeGroupSnapshotContent objects is successful",
          "(by validating that both VolumeGroupSnapshot and VolumeGroupSnapshotContent",
          "point at each other) before using this object.",
        ),
        {
          rules: when(
            v !== "v1beta1",
            rule("self == oldSelf", "boundVolumeGroupSnapshotContentName is immutable once set"),
          ),
        },
      ),
      creationTime: creationTime(v),
      error: snapshotErrorField(
        doc(
          "Error is the last observed error during group snapshot creation, if any.",
          "This field could be helpful to upper level controllers (i.e., application",
          "controller) to decide whether they should continue on waiting for the group",
          "snapshot to be created based on the type of error reported.",
          "The snapshot controller will keep retrying when an error occurs during the",
          "group snapshot creation. Upon success, this error field will be cleared.",
        ),
      ),
      readyToUse: boolean(
        doc(
          "ReadyToUse indicates if all the individual snapshots in the group are ready",
          "to be used to restore a group of volumes.",
          "ReadyToUse becomes true when ReadyToUse of all individual snapshots become true.",
          "If not specified, it means the readiness of a group snapshot is unknown.",
        ),
      ),
    },
  );
}

function groupSnapshotSchema(v: GroupApiVersion): Schema {
  return object(
    doc(
      "VolumeGroupSnapshot is a user's request for creating either a point-in-time",
      "group snapshot or binding to a pre-existing group snapshot.",
    ),
    { ...typeMeta(), spec, status: status(v) },
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
    "VolumeGroupSnapshotClass",
    "string",
    ".spec.volumeGroupSnapshotClassName",
    "The name of the VolumeGroupSnapshotClass requested by the VolumeGroupSnapshot.",
  ),
  column(
    "VolumeGroupSnapshotContent",
    "string",
    ".status.boundVolumeGroupSnapshotContentName",
    "Name of the VolumeGroupSnapshotContent object to which the VolumeGroupSnapshot object intends to bind to. Please note that verification of binding actually requires checking both VolumeGroupSnapshot and VolumeGroupSnapshotContent to ensure both are pointing at each other. Binding MUST be verified prior to usage of this object.",
  ),
  column(
    "CreationTime",
    "date",
    ".status.creationTime",
    "Timestamp when the point-in-time group snapshot was taken by the underlying storage system.",
  ),
  AGE_COLUMN,
];

export function volumeGroupSnapshotCrd(): CustomResourceDefinition {
  return customResourceDefinition({
    group: GROUP_SNAPSHOT_GROUP,
    kind: "VolumeGroupSnapshot",
    plural: "volumegroupsnapshots",
    singular: "volumegroupsnapshot",
    shortNames: ["vgs"],
    scope: "Namespaced",
    apiApproval: GROUP_SNAPSHOT_API_APPROVAL,
    versions: groupSnapshotVersions(groupSnapshotSchema, columns, true),
  });
}
