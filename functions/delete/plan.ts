// delete — the snapshot-controller's deletion flow for a VolumeSnapshot with a deletionTimestamp
// (upstream's processSnapshotWithDeletionTimestamp). It never creates anything and never deletes a
// content whose snapshot is gone.
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import { ANNOTATION_YES, ANNOTATIONS, contentNameFor, FINALIZERS, REASONS, SNAPSHOT_GROUP } from "../../shared/snapshot/constants.js";
import { MSG } from "../../shared/snapshot/messages.js";
import { clone, contentPointsTo, groupOwnerOf, hasFinalizer, isDeleting, withAnnotation } from "../../shared/snapshot/objects.js";
import { backoffMs, ERROR_BACKOFF, nothing, POLL_BACKOFF, type OperationKey, type Plan, type Step } from "../../shared/snapshot/steps.js";

export interface DeleteState {
  snapshot: VolumeSnapshot;
  /** The candidate content (see candidateContentName), when it exists. */
  content?: VolumeSnapshotContent;
  /** PVCs in the snapshot's namespace (only the Pending ones restoring from it matter). */
  claims: PersistentVolumeClaim[];
  /** Whether the group in status.volumeGroupSnapshotName still exists (undefined: not a member). */
  groupExists?: boolean;
  nowMs: number;
}

/** The bound content, or for a dynamic snapshot deleted before its status said so, `snapcontent-<uid>`. */
export function candidateContentName(vs: VolumeSnapshot): string | undefined {
  const bound = vs.status?.boundVolumeSnapshotContentName;
  if (bound) return bound;
  if (vs.spec.source.persistentVolumeClaimName !== undefined && vs.metadata.uid) return contentNameFor(vs.metadata.uid);
  return undefined;
}

/** A PVC that is still waiting to be restored from this snapshot. */
export function restoresFrom(pvc: PersistentVolumeClaim, vs: VolumeSnapshot): boolean {
  if (pvc.status?.phase !== "Pending") return false;
  const sources = [pvc.spec.dataSource, pvc.spec.dataSourceRef].filter((s) => s !== undefined);
  return sources.some(
    (s) =>
      s.kind === "VolumeSnapshot" &&
      s.apiGroup === SNAPSHOT_GROUP &&
      s.name === vs.metadata.name &&
      (!("namespace" in s) || !s.namespace || s.namespace === vs.metadata.namespace),
  );
}

export function deleteMetricKey(vs: VolumeSnapshot, content: VolumeSnapshotContent | undefined): OperationKey {
  return {
    operation: "DeleteSnapshot",
    uid: vs.metadata.uid ?? "",
    driver: content?.spec.driver ?? "unknown",
    snapshotType: vs.spec.source.volumeSnapshotContentName !== undefined ? "pre-provisioned" : "dynamic",
  };
}

/**
 * The group a member snapshot belongs to: its status, or — when its group was deleted before bind
 * ever synced it — its group owner reference (else the in-group finalizer would never go).
 */
export function memberGroupName(vs: VolumeSnapshot): string | undefined {
  return vs.status?.volumeGroupSnapshotName || groupOwnerOf(vs)?.name;
}

/** Upstream's deletion candidate (as-source or bound finalizer), plus a group member's in-group finalizer. */
export function isDeletionCandidate(vs: VolumeSnapshot): boolean {
  return (
    hasFinalizer(vs, FINALIZERS.snapshotAsSource) ||
    hasFinalizer(vs, FINALIZERS.snapshotBound) ||
    (hasFinalizer(vs, FINALIZERS.snapshotInGroup) && groupOwnerOf(vs) !== undefined)
  );
}

export function planDeleteSnapshot(s: DeleteState): Plan {
  const vs = s.snapshot;
  if (!isDeleting(vs)) return nothing("snapshot is not being deleted");
  if (!isDeletionCandidate(vs)) return nothing("no snapshot-controller finalizer left");
  const content = s.content && contentPointsTo(s.content, vs) ? s.content : undefined;
  const deleteContent = content?.spec.deletionPolicy === "Delete";
  const steps: Step[] = [{ op: "metric", mark: { kind: "start", key: deleteMetricKey(vs, content), startedAt: vs.metadata.deletionTimestamp } }];
  const wait = (reason: string, message: string): Plan => ({
    steps: [...steps, { op: "event", on: vs, type: "Warning", reason, message }],
    verdict: { kind: "requeue", afterMs: backoffMs(vs.metadata.deletionTimestamp, s.nowMs, ERROR_BACKOFF), reason: message },
  });

  if (content && s.claims.some((pvc) => restoresFrom(pvc, vs))) return wait(REASONS.snapshotDeletePending, MSG.deletePendingRestore);

  let releaseInGroup = false;
  const group = memberGroupName(vs);
  if (group) {
    if (s.groupExists) return wait(REASONS.snapshotDeletePending, MSG.deletePendingGroup(vs.metadata.namespace, vs.metadata.name, group));
    releaseInGroup = true;
  }

  if (content) {
    // The sidecar (invoke) acts on a deleting content only with this mark, whatever the policy.
    let marked = content;
    if (content.metadata.annotations?.[ANNOTATIONS.beingDeleted] !== ANNOTATION_YES) {
      marked = withAnnotation(content, ANNOTATIONS.beingDeleted, ANNOTATION_YES);
      steps.push({ op: "update", resource: "volumesnapshotcontents", object: marked });
    }
    if (deleteContent && !isDeleting(content)) {
      steps.push({
        op: "delete",
        resource: "volumesnapshotcontents",
        name: content.metadata.name!,
        ...(content.metadata.uid ? { uid: content.metadata.uid } : {}),
        onFailure: { on: vs, reason: REASONS.snapshotContentObjectDeleteError, message: MSG.contentObjectDeleteError },
      });
    }
  }

  // as-source always; in-group once the group is gone; bound only when no content deletion is
  // pending — otherwise it stays until the content is gone (its deleted event brings us back).
  const remove = new Set<string>([FINALIZERS.snapshotAsSource]);
  if (releaseInGroup) remove.add(FINALIZERS.snapshotInGroup);
  if (!(content && deleteContent)) remove.add(FINALIZERS.snapshotBound);
  const finalizers = (vs.metadata.finalizers ?? []).filter((f) => !remove.has(f));
  if (finalizers.length !== (vs.metadata.finalizers ?? []).length) {
    const updated = clone(vs);
    updated.metadata.finalizers = finalizers;
    steps.push({ op: "update", resource: "volumesnapshots", object: updated });
  }
  if (content && deleteContent) {
    // The bound finalizer waits for invoke to delete the backend snapshot and release the content;
    // look again then (delete does not consume content events: fewer deliveries per snapshot).
    return { steps, verdict: { kind: "requeue", afterMs: backoffMs(vs.metadata.deletionTimestamp, s.nowMs, POLL_BACKOFF), reason: `waiting for VolumeSnapshotContent ${content.metadata.name} to be deleted` } };
  }
  return { steps, verdict: { kind: "done" } };
}
