// delete — the snapshot-controller's deletion flow for a VolumeSnapshot with a deletionTimestamp
// (upstream's processSnapshotWithDeletionTimestamp), and the content-side "being deleted" mark.
// It never creates anything and never deletes a content whose snapshot is gone.
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import { ANNOTATION_YES, ANNOTATIONS, contentNameFor, FINALIZERS, REASONS, SNAPSHOT_GROUP } from "../../shared/snapshot/constants.js";
import { MSG } from "../../shared/snapshot/messages.js";
import { clone, contentPointsTo, hasFinalizer, isDeleting, withAnnotation } from "../../shared/snapshot/objects.js";
import { backoffMs, ERROR_BACKOFF, nothing, type OperationKey, type Plan, type Step } from "../../shared/snapshot/steps.js";

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

export function planDeleteSnapshot(s: DeleteState): Plan {
  const vs = s.snapshot;
  if (!isDeleting(vs)) return nothing("snapshot is not being deleted");
  if (!hasFinalizer(vs, FINALIZERS.snapshotAsSource) && !hasFinalizer(vs, FINALIZERS.snapshotBound)) {
    return nothing("no snapshot-controller finalizer left");
  }
  const content = s.content && contentPointsTo(s.content, vs) ? s.content : undefined;
  const deleteContent = content?.spec.deletionPolicy === "Delete";
  const steps: Step[] = [{ op: "metric", mark: { kind: "start", key: deleteMetricKey(vs, content), startedAt: vs.metadata.deletionTimestamp } }];
  const wait = (reason: string, message: string): Plan => ({
    steps: [...steps, { op: "event", on: vs, type: "Warning", reason, message }],
    verdict: { kind: "requeue", afterMs: backoffMs(vs.metadata.deletionTimestamp, s.nowMs, ERROR_BACKOFF), reason: message },
  });

  if (content && s.claims.some((pvc) => restoresFrom(pvc, vs))) return wait(REASONS.snapshotDeletePending, MSG.deletePendingRestore);

  let releaseInGroup = false;
  const group = vs.status?.volumeGroupSnapshotName;
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
  return { steps, verdict: { kind: "done" } };
}

/**
 * A content deleted directly whose snapshot no longer exists: nobody else will ever mark it, so
 * mark it being-deleted and let invoke apply its deletionPolicy (the user asked for this deletion;
 * a content is still never deleted on anyone's initiative but the user's).
 */
export function planOrphanContent(content: VolumeSnapshotContent, snapshot: VolumeSnapshot | undefined): Plan {
  if (!isDeleting(content)) return nothing("content is not being deleted");
  if (content.metadata.annotations?.[ANNOTATIONS.beingDeleted] === ANNOTATION_YES) return nothing("content already marked");
  if (!hasFinalizer(content, FINALIZERS.contentBound)) return nothing("content finalizer already released");
  const ref = content.spec.volumeSnapshotRef;
  if (!ref.uid) return nothing("content was never bound (invoke handles unbound static contents)");
  const snapshotExists = !!snapshot && snapshot.metadata.uid === ref.uid;
  if (snapshotExists) return nothing("its snapshot exists: the content stays until the snapshot is deleted");
  return {
    steps: [{ op: "update", resource: "volumesnapshotcontents", object: withAnnotation(content, ANNOTATIONS.beingDeleted, ANNOTATION_YES) }],
    verdict: { kind: "done" },
  };
}
