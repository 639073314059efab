// Builders for group objects in the shape upstream's controller tests use (newGroupSnapshot,
// newGroupSnapshotContent, …), for fanout's table-driven tests.
import type { VolumeGroupSnapshot, VolumeGroupSnapshotClass, VolumeGroupSnapshotContent } from "../../shared/api/snapshot.js";
import { ANNOTATIONS, GROUP_SNAPSHOT_API_VERSION } from "../../shared/snapshot/constants.js";
import { DRIVER, T0_ISO } from "../../shared/snapshot/fixtures.js";

export const GROUP_UID = "groupuid1";
export const GROUP_CONTENT = `groupsnapcontent-${GROUP_UID}`;

export interface GroupOptions {
  name?: string;
  uid?: string;
  selector?: Record<string, string> | null;
  content?: string;
  className?: string;
  finalizers?: string[];
  status?: VolumeGroupSnapshot["status"];
  deletionTimestamp?: string;
}

export function newGroup(o: GroupOptions = {}): VolumeGroupSnapshot {
  const source: VolumeGroupSnapshot["spec"]["source"] = {};
  if (o.content !== undefined) source.volumeGroupSnapshotContentName = o.content;
  if (o.selector !== null && (o.selector !== undefined || o.content === undefined)) source.selector = { matchLabels: o.selector ?? { group: "myGroup" } };
  const g: VolumeGroupSnapshot = {
    apiVersion: GROUP_SNAPSHOT_API_VERSION,
    kind: "VolumeGroupSnapshot",
    metadata: { name: o.name ?? "group-1", namespace: "default", uid: o.uid ?? GROUP_UID, resourceVersion: "1", creationTimestamp: T0_ISO },
    spec: { source },
  };
  if (o.className !== undefined) g.spec.volumeGroupSnapshotClassName = o.className;
  if (o.finalizers) g.metadata.finalizers = [...o.finalizers];
  if (o.deletionTimestamp) g.metadata.deletionTimestamp = o.deletionTimestamp;
  if (o.status) g.status = o.status;
  return g;
}

export interface GroupContentOptions {
  name?: string;
  groupName?: string;
  groupUid?: string;
  volumeHandles?: string[];
  groupSnapshotHandles?: { volumeGroupSnapshotHandle: string; volumeSnapshotHandles: string[] };
  deletionPolicy?: "Delete" | "Retain";
  className?: string;
  annotations?: Record<string, string>;
  finalizers?: string[];
  status?: VolumeGroupSnapshotContent["status"];
  deletionTimestamp?: string;
}

export function newGroupContent(o: GroupContentOptions = {}): VolumeGroupSnapshotContent {
  const c: VolumeGroupSnapshotContent = {
    apiVersion: GROUP_SNAPSHOT_API_VERSION,
    kind: "VolumeGroupSnapshotContent",
    metadata: { name: o.name ?? GROUP_CONTENT, resourceVersion: "1", creationTimestamp: T0_ISO },
    spec: {
      volumeGroupSnapshotRef: {
        kind: "VolumeGroupSnapshot",
        apiVersion: GROUP_SNAPSHOT_API_VERSION,
        name: o.groupName ?? "group-1",
        namespace: "default",
        ...(o.groupUid === "" ? {} : { uid: o.groupUid ?? GROUP_UID }),
      },
      deletionPolicy: o.deletionPolicy ?? "Delete",
      driver: DRIVER,
      source: o.groupSnapshotHandles ? { groupSnapshotHandles: o.groupSnapshotHandles } : { volumeHandles: o.volumeHandles ?? ["vol-1", "vol-2"] },
    },
  };
  if (o.className !== undefined) c.spec.volumeGroupSnapshotClassName = o.className;
  if (o.annotations) c.metadata.annotations = { ...o.annotations };
  if (o.finalizers) c.metadata.finalizers = [...o.finalizers];
  if (o.deletionTimestamp) c.metadata.deletionTimestamp = o.deletionTimestamp;
  if (o.status) c.status = o.status;
  return c;
}

export function newGroupClass(
  name: string,
  o: { driver?: string; isDefault?: boolean; deletionPolicy?: "Delete" | "Retain"; parameters?: Record<string, string> } = {},
): VolumeGroupSnapshotClass {
  const c: VolumeGroupSnapshotClass = {
    apiVersion: GROUP_SNAPSHOT_API_VERSION,
    kind: "VolumeGroupSnapshotClass",
    metadata: { name, resourceVersion: "1" },
    driver: o.driver ?? DRIVER,
    deletionPolicy: o.deletionPolicy ?? "Delete",
  };
  if (o.isDefault) c.metadata.annotations = { [ANNOTATIONS.groupIsDefaultClass]: "true" };
  if (o.parameters) c.parameters = { ...o.parameters };
  return c;
}
