// The core/storage objects snapflow touches, JSON-shaped (see meta.ts).
import type { KubeObject, ObjectReference } from "./meta.js";

export type VolumeMode = "Filesystem" | "Block";

export interface TypedLocalObjectReference {
  apiGroup?: string;
  kind: string;
  name: string;
}

export interface TypedObjectReference extends TypedLocalObjectReference {
  namespace?: string;
}

export interface PersistentVolumeClaimCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface PersistentVolumeClaim extends KubeObject {
  spec: {
    accessModes?: string[];
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    storageClassName?: string;
    volumeName?: string;
    volumeMode?: VolumeMode;
    dataSource?: TypedLocalObjectReference;
    dataSourceRef?: TypedObjectReference;
    selector?: unknown;
  };
  status?: {
    phase?: "Pending" | "Bound" | "Lost";
    accessModes?: string[];
    capacity?: Record<string, string>;
    conditions?: PersistentVolumeClaimCondition[];
    allocatedResources?: Record<string, string>;
    /** Per resource: ControllerResizeInProgress, ControllerResizeInfeasible, NodeResizePending, ... */
    allocatedResourceStatuses?: Record<string, string>;
  };
}

export interface CSIPersistentVolumeSource {
  driver: string;
  volumeHandle: string;
  fsType?: string;
  readOnly?: boolean;
  volumeAttributes?: Record<string, string>;
  controllerExpandSecretRef?: { name: string; namespace: string };
  nodeExpandSecretRef?: { name: string; namespace: string };
  controllerPublishSecretRef?: { name: string; namespace: string };
  nodeStageSecretRef?: { name: string; namespace: string };
  nodePublishSecretRef?: { name: string; namespace: string };
}

export interface PersistentVolume extends KubeObject {
  spec: {
    capacity?: Record<string, string>;
    accessModes?: string[];
    claimRef?: ObjectReference;
    persistentVolumeReclaimPolicy?: "Delete" | "Retain" | "Recycle";
    storageClassName?: string;
    volumeMode?: VolumeMode;
    csi?: CSIPersistentVolumeSource;
    hostPath?: { path: string };
    mountOptions?: string[];
  };
  status?: { phase?: "Pending" | "Available" | "Bound" | "Released" | "Failed"; message?: string; reason?: string };
}

export interface StorageClass extends KubeObject {
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: "Delete" | "Retain";
  allowVolumeExpansion?: boolean;
  volumeBindingMode?: "Immediate" | "WaitForFirstConsumer";
  mountOptions?: string[];
}

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface KubeEvent extends KubeObject {
  involvedObject: ObjectReference;
  reason?: string;
  message?: string;
  type?: "Normal" | "Warning";
  source?: { component?: string; host?: string };
  firstTimestamp?: string;
  lastTimestamp?: string;
  count?: number;
  reportingComponent?: string;
  reportingInstance?: string;
  action?: string;
  eventTime?: string | null;
}
