// The member VolumeSnapshot / VolumeSnapshotContent pair of one volume of a dynamic group
// (upstream §4.3), and the writes that bind them both ways once the API has assigned the
// snapshot's UID. Pure.
import type { PersistentVolume } from "../../shared/api/core.js";
import type { VolumeGroupSnapshot, VolumeGroupSnapshotContent, VolumeSnapshot, VolumeSnapshotContent, VolumeSnapshotInfo } from "../../shared/api/snapshot.js";
import {
  ANNOTATIONS,
  FINALIZERS,
  GROUP_SNAPSHOT_API_VERSION,
  groupMemberContentNameFor,
  groupMemberSnapshotNameFor,
  SNAPSHOT_API_VERSION,
} from "../../shared/snapshot/constants.js";

export interface MemberInput {
  group: VolumeGroupSnapshot;
  content: VolumeGroupSnapshotContent;
  info: VolumeSnapshotInfo;
  /** The PV holding info.volumeHandle for the content's driver, when exactly one exists. */
  pv?: PersistentVolume;
  secret?: { name: string; namespace: string };
}

/** `"<driver>^<volumeHandle>"`: upstream's PV index key. */
export function volumeIndexKey(driver: string, volumeHandle: string): string {
  return `${driver}^${volumeHandle}`;
}

/** PVs by driver and handle; a key held by two PVs maps to undefined (upstream: treated as none). */
export function indexVolumes(volumes: readonly PersistentVolume[]): Map<string, PersistentVolume | undefined> {
  const index = new Map<string, PersistentVolume | undefined>();
  for (const pv of volumes) {
    if (!pv.spec.csi) continue;
    const key = volumeIndexKey(pv.spec.csi.driver, pv.spec.csi.volumeHandle);
    index.set(key, index.has(key) ? undefined : pv);
  }
  return index;
}

export function memberNames(group: VolumeGroupSnapshot, volumeHandle: string): { snapshot: string; content: string } {
  const uid = group.metadata.uid!;
  return { snapshot: groupMemberSnapshotNameFor(uid, volumeHandle), content: groupMemberContentNameFor(uid, volumeHandle) };
}

/** The member VolumeSnapshot: owned by the group, in-group protected, sourced from the volume's claim. */
export function buildMemberSnapshot(i: MemberInput): VolumeSnapshot {
  const names = memberNames(i.group, i.info.volumeHandle!);
  return {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: "VolumeSnapshot",
    metadata: {
      name: names.snapshot,
      namespace: i.content.spec.volumeGroupSnapshotRef.namespace!,
      ownerReferences: [{ apiVersion: GROUP_SNAPSHOT_API_VERSION, kind: "VolumeGroupSnapshot", name: i.group.metadata.name!, uid: i.group.metadata.uid! }],
      finalizers: [FINALIZERS.snapshotInGroup],
    },
    // Upstream writes "" when no PV holds the volume (the member then cannot be restored by claim).
    spec: { source: { persistentVolumeClaimName: i.pv?.spec.claimRef?.name ?? "" } },
  };
}

/**
 * The member VolumeSnapshotContent. With the snapshot's UID known it is created bound (upstream
 * creates it first and patches the UID in afterwards: same object, one write fewer).
 */
export function buildMemberContent(i: MemberInput, snapshotUid?: string): VolumeSnapshotContent {
  const names = memberNames(i.group, i.info.volumeHandle!);
  const content: VolumeSnapshotContent = {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: "VolumeSnapshotContent",
    metadata: {
      name: names.content,
      annotations: { [ANNOTATIONS.volumeGroupSnapshotHandle]: i.content.status!.volumeGroupSnapshotHandle! },
    },
    spec: {
      volumeSnapshotRef: {
        kind: "VolumeSnapshot",
        name: names.snapshot,
        namespace: i.content.spec.volumeGroupSnapshotRef.namespace!,
        ...(snapshotUid ? { uid: snapshotUid } : {}),
      },
      deletionPolicy: i.content.spec.deletionPolicy,
      driver: i.content.spec.driver,
      source: { volumeHandle: i.info.volumeHandle! },
    },
  };
  if (i.pv?.spec.volumeMode) content.spec.sourceVolumeMode = i.pv.spec.volumeMode;
  if (i.secret) {
    content.metadata.annotations![ANNOTATIONS.deletionSecretName] = i.secret.name;
    content.metadata.annotations![ANNOTATIONS.deletionSecretNamespace] = i.secret.namespace;
  }
  return content;
}

/** The member content's status as the group's info entry says (upstream §4.3 step 7). */
export function memberContentStatus(i: MemberInput): NonNullable<VolumeSnapshotContent["status"]> {
  const status: NonNullable<VolumeSnapshotContent["status"]> = {
    snapshotHandle: i.info.snapshotHandle!,
    volumeGroupSnapshotHandle: i.content.status!.volumeGroupSnapshotHandle!,
  };
  if (i.info.creationTime !== undefined) status.creationTime = i.info.creationTime;
  if (i.info.restoreSize !== undefined) status.restoreSize = i.info.restoreSize;
  status.readyToUse = i.info.readyToUse ?? false;
  return status;
}

/** A write that binds an existing member pair (performed as merge patches, like upstream's JSON patches). */
export type MemberWrite =
  | { kind: "bindContent"; content: string; snapshotUid: string }
  | { kind: "snapshotBound"; namespace: string; snapshot: string; content: string }
  | { kind: "contentStatus"; content: string; status: NonNullable<VolumeSnapshotContent["status"]> };

/**
 * What is still missing between the member pair as the API holds it and as upstream leaves it:
 * the content's ref UID, the snapshot's bound content name, the content's handles. Fields already
 * set are left alone (the member's own functions keep them current from then on).
 */
export function memberWrites(i: MemberInput, snapshot: VolumeSnapshot, content: VolumeSnapshotContent): MemberWrite[] {
  const writes: MemberWrite[] = [];
  const uid = snapshot.metadata.uid!;
  if (content.spec.volumeSnapshotRef.uid !== uid) writes.push({ kind: "bindContent", content: content.metadata.name!, snapshotUid: uid });
  if (!content.status?.snapshotHandle || !content.status.volumeGroupSnapshotHandle) {
    writes.push({ kind: "contentStatus", content: content.metadata.name!, status: memberContentStatus(i) });
  }
  // Last: a member snapshot with its bound name is a complete pair (memberIsComplete).
  if (!snapshot.status?.boundVolumeSnapshotContentName) {
    writes.push({ kind: "snapshotBound", namespace: snapshot.metadata.namespace!, snapshot: snapshot.metadata.name!, content: content.metadata.name! });
  }
  return writes;
}

/**
 * Whether an existing member snapshot marks a complete pair: the bound name is the last of the
 * pair's writes, so once it is there (naming this volume's content) nothing is left to do.
 */
export function memberIsComplete(group: VolumeGroupSnapshot, volumeHandle: string, snapshot: VolumeSnapshot | undefined): boolean {
  return !!snapshot?.metadata.uid && snapshot.status?.boundVolumeSnapshotContentName === memberNames(group, volumeHandle).content;
}

/** The info entries that can become members (a volume handle and a snapshot handle each). */
export function memberInfos(content: VolumeGroupSnapshotContent): VolumeSnapshotInfo[] {
  return (content.status?.volumeSnapshotInfoList ?? []).filter((info) => !!info.volumeHandle && !!info.snapshotHandle);
}
