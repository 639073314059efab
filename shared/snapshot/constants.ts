// Names that clients (kubectl, Velero, backup operators) depend on, spelled exactly as upstream
// external-snapshotter spells them. Everything here is observable on API objects or Events.
import { createHash } from "node:crypto";

export const SNAPSHOT_GROUP = "snapshot.storage.k8s.io";
export const SNAPSHOT_API_VERSION = "snapshot.storage.k8s.io/v1";
export const GROUP_SNAPSHOT_GROUP = "groupsnapshot.storage.k8s.io";
export const GROUP_SNAPSHOT_API_VERSION = "groupsnapshot.storage.k8s.io/v1";

export const FINALIZERS = {
  contentBound: "snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection",
  snapshotBound: "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection",
  snapshotAsSource: "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection",
  snapshotInGroup: "snapshot.storage.kubernetes.io/volumesnapshot-in-group-protection",
  pvcAsSource: "snapshot.storage.kubernetes.io/pvc-as-source-protection",
  groupContentBound: "groupsnapshot.storage.kubernetes.io/volumegroupsnapshotcontent-bound-protection",
  groupSnapshotBound: "groupsnapshot.storage.kubernetes.io/volumegroupsnapshot-bound-protection",
} as const;

export const ANNOTATIONS = {
  isDefaultClass: "snapshot.storage.kubernetes.io/is-default-class",
  groupIsDefaultClass: "groupsnapshot.storage.kubernetes.io/is-default-class",
  beingDeleted: "snapshot.storage.kubernetes.io/volumesnapshot-being-deleted",
  beingCreated: "snapshot.storage.kubernetes.io/volumesnapshot-being-created",
  groupBeingCreated: "groupsnapshot.storage.kubernetes.io/volumegroupsnapshot-being-created",
  groupBeingDeleted: "groupsnapshot.storage.kubernetes.io/volumegroupsnapshot-being-deleted",
  deletionSecretName: "snapshot.storage.kubernetes.io/deletion-secret-name",
  deletionSecretNamespace: "snapshot.storage.kubernetes.io/deletion-secret-namespace",
  groupDeletionSecretName: "groupsnapshot.storage.kubernetes.io/deletion-secret-name",
  groupDeletionSecretNamespace: "groupsnapshot.storage.kubernetes.io/deletion-secret-namespace",
  /** Note the k8s.io domain (unlike the other group annotations). */
  volumeGroupSnapshotHandle: "groupsnapshot.storage.k8s.io/volumeGroupSnapshotHandle",
  volumeSnapshotInfoList: "groupsnapshot.storage.kubernetes.io/volume-snapshot-info-list",
} as const;

/** Value upstream writes for the being-created / being-deleted annotations. */
export const ANNOTATION_YES = "yes";
/** The only value of is-default-class that makes a class the default. */
export const DEFAULT_CLASS_VALUE = "true";

export const LABELS = {
  managedBy: "snapshot.storage.kubernetes.io/managed-by",
} as const;

export const RESERVED_PARAMETER_PREFIX = "csi.storage.k8s.io/";

export const PARAMETER_KEYS = {
  snapshotterSecretName: "csi.storage.k8s.io/snapshotter-secret-name",
  snapshotterSecretNamespace: "csi.storage.k8s.io/snapshotter-secret-namespace",
  snapshotterListSecretName: "csi.storage.k8s.io/snapshotter-list-secret-name",
  snapshotterListSecretNamespace: "csi.storage.k8s.io/snapshotter-list-secret-namespace",
  groupSnapshotterSecretName: "csi.storage.k8s.io/group-snapshotter-secret-name",
  groupSnapshotterSecretNamespace: "csi.storage.k8s.io/group-snapshotter-secret-namespace",
  groupSnapshotterGetSecretName: "csi.storage.k8s.io/group-snapshotter-get-secret-name",
  groupSnapshotterGetSecretNamespace: "csi.storage.k8s.io/group-snapshotter-get-secret-namespace",
  // Added by the sidecar with --extra-create-metadata, never read from a class.
  volumeSnapshotName: "csi.storage.k8s.io/volumesnapshot/name",
  volumeSnapshotNamespace: "csi.storage.k8s.io/volumesnapshot/namespace",
  volumeSnapshotContentName: "csi.storage.k8s.io/volumesnapshotcontent/name",
  volumeGroupSnapshotName: "csi.storage.k8s.io/volumegroupsnapshot/name",
  volumeGroupSnapshotNamespace: "csi.storage.k8s.io/volumegroupsnapshot/namespace",
  volumeGroupSnapshotContentName: "csi.storage.k8s.io/volumegroupsnapshotcontent/name",
} as const;

/** The secret key pairs a class may carry; `set` is the word upstream's errors use. */
export interface SecretParamSet {
  set: "Snapshotter" | "SnapshotterList" | "GroupSnapshotter" | "GroupSnapshotterGet";
  nameKey: string;
  namespaceKey: string;
}

export const SECRET_PARAMS = {
  snapshotter: {
    set: "Snapshotter",
    nameKey: PARAMETER_KEYS.snapshotterSecretName,
    namespaceKey: PARAMETER_KEYS.snapshotterSecretNamespace,
  },
  snapshotterList: {
    set: "SnapshotterList",
    nameKey: PARAMETER_KEYS.snapshotterListSecretName,
    namespaceKey: PARAMETER_KEYS.snapshotterListSecretNamespace,
  },
  groupSnapshotter: {
    set: "GroupSnapshotter",
    nameKey: PARAMETER_KEYS.groupSnapshotterSecretName,
    namespaceKey: PARAMETER_KEYS.groupSnapshotterSecretNamespace,
  },
  groupSnapshotterGet: {
    set: "GroupSnapshotterGet",
    nameKey: PARAMETER_KEYS.groupSnapshotterGetSecretName,
    namespaceKey: PARAMETER_KEYS.groupSnapshotterGetSecretNamespace,
  },
} as const satisfies Record<string, SecretParamSet>;

/** The 8 secret keys that are stripped (not rejected) before a Create RPC. */
export const SECRET_PARAMETER_KEYS: ReadonlySet<string> = new Set(
  Object.values(SECRET_PARAMS).flatMap((s) => [s.nameKey, s.namespaceKey]),
);

// ---- derived names (idempotency keys: the same UID always yields the same name) ----

export const SNAPSHOT_NAME_PREFIX = "snapshot";
export const GROUP_SNAPSHOT_NAME_PREFIX = "groupsnapshot";

export function contentNameFor(snapshotUid: string): string {
  return `snapcontent-${snapshotUid}`;
}

export function groupContentNameFor(groupSnapshotUid: string): string {
  return `groupsnapcontent-${groupSnapshotUid}`;
}

/**
 * The CSI CreateSnapshot name. uuidLength -1 keeps the whole UID (upstream's default); otherwise the
 * UID without dashes is cut to uuidLength, clamped to what exists (upstream would crash past it).
 */
export function csiSnapshotNameFor(snapshotUid: string, prefix = SNAPSHOT_NAME_PREFIX, uuidLength = -1): string {
  if (uuidLength === -1) return `${prefix}-${snapshotUid}`;
  const compact = snapshotUid.replaceAll("-", "");
  return `${prefix}-${compact.slice(0, Math.max(0, Math.min(uuidLength, compact.length)))}`;
}

export function csiGroupSnapshotNameFor(groupUid: string, prefix = GROUP_SNAPSHOT_NAME_PREFIX, uuidLength = -1): string {
  return csiSnapshotNameFor(groupUid, prefix, uuidLength);
}

function groupMemberHash(groupUid: string, volumeHandle: string): string {
  return createHash("sha256").update(groupUid + volumeHandle).digest("hex");
}

/** Dynamic group member VolumeSnapshot: `snapshot-` + sha256hex(group uid + volume handle). */
export function groupMemberSnapshotNameFor(groupUid: string, volumeHandle: string): string {
  return `snapshot-${groupMemberHash(groupUid, volumeHandle)}`;
}

/** Dynamic group member VolumeSnapshotContent: `snapcontent-` + the same digest. */
export function groupMemberContentNameFor(groupUid: string, volumeHandle: string): string {
  return `snapcontent-${groupMemberHash(groupUid, volumeHandle)}`;
}

// ---- Event reasons ----

export const REASONS = {
  // snapshot-controller, Warning
  getSnapshotClassFailed: "GetSnapshotClassFailed",
  setDefaultSnapshotClassFailed: "SetDefaultSnapshotClassFailed",
  errorPVCFinalizer: "ErrorPVCFinalizer",
  snapshotValidationError: "SnapshotValidationError",
  snapshotFinalizerError: "SnapshotFinalizerError",
  snapshotContentMissing: "SnapshotContentMissing",
  snapshotMisbound: "SnapshotMisbound",
  snapshotContentMisbound: "SnapshotContentMisbound",
  snapshotContentMismatch: "SnapshotContentMismatch",
  snapshotBindFailed: "SnapshotBindFailed",
  snapshotStatusUpdateFailed: "SnapshotStatusUpdateFailed",
  snapshotHandleSet: "SnapshotHandleSet",
  snapshotPVCSourceMissing: "SnapshotPVCSourceMissing",
  snapshotContentCreationFailed: "SnapshotContentCreationFailed",
  createSnapshotContentFailed: "CreateSnapshotContentFailed",
  snapshotDeletePending: "SnapshotDeletePending",
  snapshotContentObjectDeleteError: "SnapshotContentObjectDeleteError",
  contentValidationError: "ContentValidationError",
  // snapshot-controller, Normal
  creatingSnapshot: "CreatingSnapshot",
  snapshotCreated: "SnapshotCreated",
  snapshotReady: "SnapshotReady",
  // csi-snapshotter, Warning
  snapshotCreationFailed: "SnapshotCreationFailed",
  snapshotContentCheckandUpdateFailed: "SnapshotContentCheckandUpdateFailed",
  snapshotDeleteError: "SnapshotDeleteError",
  // group, Warning
  getGroupSnapshotClassFailed: "GetGroupSnapshotClassFailed",
  setDefaultGroupSnapshotClassFailed: "SetDefaultGroupSnapshotClassFailed",
  groupSnapshotValidationError: "GroupSnapshotValidationError",
  groupSnapshotFinalizerError: "GroupSnapshotFinalizerError",
  groupSnapshotContentMissing: "GroupSnapshotContentMissing",
  groupSnapshotMisbound: "GroupSnapshotMisbound",
  groupSnapshotContentMisbound: "GroupSnapshotContentMisbound",
  groupSnapshotContentMismatch: "GroupSnapshotContentMismatch",
  groupSnapshotBindFailed: "GroupSnapshotBindFailed",
  groupSnapshotStatusUpdateFailed: "GroupSnapshotStatusUpdateFailed",
  groupSnapshotHandleSet: "GroupSnapshotHandleSet",
  groupSnapshotContentCreationFailed: "GroupSnapshotContentCreationFailed",
  createGroupSnapshotContentFailed: "CreateGroupSnapshotContentFailed",
  groupSnapshotContentObjectDeleteError: "GroupSnapshotContentObjectDeleteError",
  groupContentValidationError: "GroupContentValidationError",
  groupSnapshotCreationFailed: "GroupSnapshotCreationFailed",
  groupSnapshotContentCheckandUpdateFailed: "GroupSnapshotContentCheckandUpdateFailed",
  groupSnapshotDeleteError: "GroupSnapshotDeleteError",
  // group, Normal
  creatingGroupSnapshot: "CreatingGroupSnapshot",
  groupSnapshotCreated: "GroupSnapshotCreated",
  groupSnapshotReady: "GroupSnapshotReady",
} as const;

/** Event source components (what `kubectl describe` shows as "From"). */
export const CONTROLLER_COMPONENT = "snapshot-controller";
export function sidecarComponent(driver: string): string {
  return `csi-snapshotter ${driver}`;
}
