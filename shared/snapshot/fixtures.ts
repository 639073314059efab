// Builders for snapshot objects in the shape upstream's controller tests use (newVolumeSnapshot,
// newContent, …). Used by the functions' table-driven plan tests and the integration tests.
import type { PersistentVolume, PersistentVolumeClaim } from "../api/core.js";
import type { KubeObject } from "../api/meta.js";
import type { ResourceName } from "../api/resources.js";
import type { VolumeSnapshot, VolumeSnapshotClass, VolumeSnapshotContent } from "../api/snapshot.js";
import type { ObjectEvent } from "../function/types.js";
import { ANNOTATIONS, SNAPSHOT_API_VERSION } from "./constants.js";

export const DRIVER = "hostpath.snapflow.dev";
export const T0 = Date.parse("2026-03-01T12:00:00Z");
export const T0_ISO = "2026-03-01T12:00:00Z";
/** 2026-03-01T12:00:05Z in Unix ns. */
export const CREATED_NS = 1772366405000000000;
export const CREATED_ISO = "2026-03-01T12:00:05Z";

export interface SnapshotOptions {
  name?: string;
  namespace?: string;
  uid?: string;
  pvc?: string;
  content?: string;
  className?: string;
  finalizers?: string[];
  status?: VolumeSnapshot["status"];
  deletionTimestamp?: string;
  resourceVersion?: string;
}

export function newSnapshot(o: SnapshotOptions = {}): VolumeSnapshot {
  const vs: VolumeSnapshot = {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: "VolumeSnapshot",
    metadata: {
      name: o.name ?? "snap-1",
      namespace: o.namespace ?? "default",
      uid: o.uid ?? "snapuid1",
      resourceVersion: o.resourceVersion ?? "1",
      creationTimestamp: T0_ISO,
    },
    spec: {
      source: o.content !== undefined ? { volumeSnapshotContentName: o.content } : { persistentVolumeClaimName: o.pvc ?? "claim-1" },
    },
  };
  if (o.className !== undefined) vs.spec.volumeSnapshotClassName = o.className;
  if (o.finalizers) vs.metadata.finalizers = [...o.finalizers];
  if (o.deletionTimestamp) vs.metadata.deletionTimestamp = o.deletionTimestamp;
  if (o.status) vs.status = o.status;
  return vs;
}

export interface ContentOptions {
  name?: string;
  snapshotName?: string;
  snapshotNamespace?: string;
  snapshotUid?: string;
  volumeHandle?: string;
  snapshotHandle?: string;
  deletionPolicy?: "Delete" | "Retain";
  className?: string;
  driver?: string;
  annotations?: Record<string, string>;
  finalizers?: string[];
  status?: VolumeSnapshotContent["status"];
  deletionTimestamp?: string;
}

export function newContent(o: ContentOptions = {}): VolumeSnapshotContent {
  const c: VolumeSnapshotContent = {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: "VolumeSnapshotContent",
    metadata: { name: o.name ?? "snapcontent-snapuid1", resourceVersion: "1", creationTimestamp: T0_ISO },
    spec: {
      volumeSnapshotRef: {
        kind: "VolumeSnapshot",
        apiVersion: SNAPSHOT_API_VERSION,
        name: o.snapshotName ?? "snap-1",
        namespace: o.snapshotNamespace ?? "default",
        ...(o.snapshotUid === "" ? {} : { uid: o.snapshotUid ?? "snapuid1" }),
      },
      deletionPolicy: o.deletionPolicy ?? "Delete",
      driver: o.driver ?? DRIVER,
      source: o.snapshotHandle !== undefined ? { snapshotHandle: o.snapshotHandle } : { volumeHandle: o.volumeHandle ?? "vol-1" },
    },
  };
  if (o.className !== undefined) c.spec.volumeSnapshotClassName = o.className;
  if (o.annotations) c.metadata.annotations = { ...o.annotations };
  if (o.finalizers) c.metadata.finalizers = [...o.finalizers];
  if (o.deletionTimestamp) c.metadata.deletionTimestamp = o.deletionTimestamp;
  if (o.status) c.status = o.status;
  return c;
}

export function newClass(name: string, o: { driver?: string; isDefault?: boolean; deletionPolicy?: "Delete" | "Retain"; parameters?: Record<string, string> } = {}): VolumeSnapshotClass {
  const c: VolumeSnapshotClass = {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: "VolumeSnapshotClass",
    metadata: { name, resourceVersion: "1" },
    driver: o.driver ?? DRIVER,
    deletionPolicy: o.deletionPolicy ?? "Delete",
  };
  if (o.isDefault) c.metadata.annotations = { [ANNOTATIONS.isDefaultClass]: "true" };
  if (o.parameters) c.parameters = { ...o.parameters };
  return c;
}

export function newClaim(o: { name?: string; namespace?: string; uid?: string; volumeName?: string; phase?: "Bound" | "Pending"; finalizers?: string[]; annotations?: Record<string, string>; deletionTimestamp?: string; dataSource?: PersistentVolumeClaim["spec"]["dataSource"] } = {}): PersistentVolumeClaim {
  const pvc: PersistentVolumeClaim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: o.name ?? "claim-1", namespace: o.namespace ?? "default", uid: o.uid ?? "pvcuid1", resourceVersion: "1" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeName: o.volumeName ?? "pv-1" },
    status: { phase: o.phase ?? "Bound" },
  };
  if (o.finalizers) pvc.metadata.finalizers = [...o.finalizers];
  if (o.annotations) pvc.metadata.annotations = { ...o.annotations };
  if (o.deletionTimestamp) pvc.metadata.deletionTimestamp = o.deletionTimestamp;
  if (o.dataSource) pvc.spec.dataSource = o.dataSource;
  return pvc;
}

export function newVolume(o: { name?: string; claim?: string; claimNamespace?: string; claimUid?: string; volumeHandle?: string; driver?: string; csi?: boolean; volumeMode?: "Filesystem" | "Block" } = {}): PersistentVolume {
  const pv: PersistentVolume = {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: o.name ?? "pv-1", resourceVersion: "1" },
    spec: {
      capacity: { storage: "1Gi" },
      claimRef: { kind: "PersistentVolumeClaim", name: o.claim ?? "claim-1", namespace: o.claimNamespace ?? "default", uid: o.claimUid ?? "pvcuid1" },
      ...(o.csi === false ? { hostPath: { path: "/tmp/x" } } : { csi: { driver: o.driver ?? DRIVER, volumeHandle: o.volumeHandle ?? "vol-1" } }),
    },
  };
  if (o.volumeMode) pv.spec.volumeMode = o.volumeMode;
  return pv;
}

/** An ObjectEvent as the framework hands it to `targets`, carrying `data` (tests of target rules). */
export function newObjectEvent(resource: ResourceName, data: KubeObject, verb: ObjectEvent["verb"] = "modified"): ObjectEvent {
  return {
    id: "x",
    type: `dev.snapflow.k8s.${resource}.${verb}`,
    cluster: "c",
    resource,
    verb,
    uid: data.metadata.uid ?? "content-uid",
    ...(data.metadata.namespace ? { namespace: data.metadata.namespace } : {}),
    name: data.metadata.name!,
    resourceVersion: "1",
    data,
  };
}
