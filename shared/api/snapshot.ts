// snapshot.storage.k8s.io/v1 and groupsnapshot.storage.k8s.io/v1 (= v1beta2) objects, as upstream's
// CRDs define them. Field comments only where the wire format surprises.
import type { KubeObject, LabelSelector, ObjectReference } from "./meta.js";

export type DeletionPolicy = "Delete" | "Retain";

export interface SnapshotError {
  time?: string;
  message?: string;
}

export interface VolumeSnapshotClass extends KubeObject {
  driver: string;
  parameters?: Record<string, string>;
  deletionPolicy: DeletionPolicy;
}

export interface VolumeSnapshot extends KubeObject {
  spec: {
    source: { persistentVolumeClaimName?: string; volumeSnapshotContentName?: string };
    volumeSnapshotClassName?: string;
  };
  status?: {
    boundVolumeSnapshotContentName?: string;
    /** RFC 3339 date-time (the content's creationTime is Unix nanoseconds instead). */
    creationTime?: string;
    readyToUse?: boolean;
    /** A quantity string, e.g. "1Gi" or "1073741824". */
    restoreSize?: string;
    error?: SnapshotError;
    volumeGroupSnapshotName?: string;
  };
}

export interface VolumeSnapshotContent extends KubeObject {
  spec: {
    volumeSnapshotRef: ObjectReference;
    deletionPolicy: DeletionPolicy;
    driver: string;
    volumeSnapshotClassName?: string;
    source: { volumeHandle?: string; snapshotHandle?: string };
    sourceVolumeMode?: "Filesystem" | "Block";
  };
  status?: {
    snapshotHandle?: string;
    /** Unix time in nanoseconds. JSON numbers lose precision past 2^53, so sub-microsecond digits may round. */
    creationTime?: number;
    /** Bytes. */
    restoreSize?: number;
    readyToUse?: boolean;
    error?: SnapshotError;
    volumeGroupSnapshotHandle?: string;
  };
}

export interface VolumeGroupSnapshotClass extends KubeObject {
  driver: string;
  parameters?: Record<string, string>;
  deletionPolicy: DeletionPolicy;
}

export interface VolumeGroupSnapshot extends KubeObject {
  spec: {
    source: { selector?: LabelSelector; volumeGroupSnapshotContentName?: string };
    volumeGroupSnapshotClassName?: string;
  };
  status?: {
    boundVolumeGroupSnapshotContentName?: string;
    creationTime?: string;
    readyToUse?: boolean;
    error?: SnapshotError;
  };
}

export interface VolumeSnapshotInfo {
  volumeHandle?: string;
  snapshotHandle?: string;
  /** Unix nanoseconds. */
  creationTime?: number;
  readyToUse?: boolean;
  restoreSize?: number;
}

export interface VolumeGroupSnapshotContent extends KubeObject {
  spec: {
    volumeGroupSnapshotRef: ObjectReference;
    deletionPolicy: DeletionPolicy;
    driver: string;
    volumeGroupSnapshotClassName?: string;
    source: {
      volumeHandles?: string[];
      groupSnapshotHandles?: { volumeGroupSnapshotHandle: string; volumeSnapshotHandles: string[] };
    };
  };
  status?: {
    volumeGroupSnapshotHandle?: string;
    /** RFC 3339 date-time (unlike VolumeSnapshotContent). */
    creationTime?: string;
    readyToUse?: boolean;
    error?: SnapshotError;
    volumeSnapshotInfoList?: VolumeSnapshotInfo[];
  };
}
