// protect — releases `pvc-as-source-protection` once no un-ready snapshot is being cut from the PVC.
// Unlike upstream (issue #1305), a snapshot that failed for good or is being deleted without a
// create in flight does not pin the PVC forever. bind adds the finalizer (just before it creates a
// content); protect only ever removes it.
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import { ANNOTATIONS, contentNameFor, FINALIZERS, REASONS } from "../../shared/snapshot/constants.js";
import { MSG } from "../../shared/snapshot/messages.js";
import { hasFinalizer, isDeleting, isSnapshotReady, withoutFinalizers } from "../../shared/snapshot/objects.js";
import { releasedExcept, sourcePinsOf } from "../../shared/snapshot/source-pins.js";
import { done, nothing, type Plan } from "../../shared/snapshot/steps.js";

/** The content a dynamic snapshot is (or will be) cut into. */
export function contentNameOf(vs: VolumeSnapshot): string | undefined {
  return vs.status?.boundVolumeSnapshotContentName ?? (vs.metadata.uid ? contentNameFor(vs.metadata.uid) : undefined);
}

/**
 * Whether this snapshot is still being cut from the PVC named `claim`:
 * - ready, static, or another PVC's → no;
 * - a CreateSnapshot may be in flight (being-created on its content) → yes, even while deleting;
 * - being deleted otherwise → no (nothing will be cut any more);
 * - a content exists: yes while it has no status yet (invoke is about to call) or has a handle but
 *   is not ready (the driver is still processing); no when its create failed (error, no handle);
 * - no content yet: yes unless the snapshot already failed (e.g. missing class) — bind re-adds the
 *   finalizer should it later get as far as creating the content.
 */
export function pinsClaim(vs: VolumeSnapshot, claim: string, content: VolumeSnapshotContent | undefined): boolean {
  if (vs.spec.source.persistentVolumeClaimName !== claim) return false;
  if (vs.spec.source.volumeSnapshotContentName !== undefined) return false;
  if (isSnapshotReady(vs)) return false;
  if (content && Object.hasOwn(content.metadata.annotations ?? {}, ANNOTATIONS.beingCreated)) return true;
  if (isDeleting(vs)) return false;
  if (content) {
    if (!content.status) return true;
    if (content.status.snapshotHandle) return content.status.readyToUse !== true;
    return !content.status.error;
  }
  return !vs.status?.error;
}

export interface ProtectState {
  pvc: PersistentVolumeClaim;
  /**
   * Snapshots that may pin the PVC: those its record names (that still exist) when it has one
   * (shared/snapshot/source-pins.ts), otherwise those of its namespace that name it as their source.
   */
  snapshots: VolumeSnapshot[];
  /** Their contents by name (absent = does not exist). */
  contents: Record<string, VolumeSnapshotContent | undefined>;
  /**
   * The snapshot whose change brought protect here (its last known copy when it is gone).
   * Upstream's ErrorPVCFinalizer is an Event on the snapshot being synced, not on the PVC.
   */
  trigger?: VolumeSnapshot;
}

export function planProtect(s: ProtectState): Plan {
  const pvc = s.pvc;
  if (!hasFinalizer(pvc, FINALIZERS.pvcAsSource)) return nothing("PVC carries no snapshot source protection");
  const claim = pvc.metadata.name!;
  const pins = (vs: VolumeSnapshot) => {
    const name = contentNameOf(vs);
    return pinsClaim(vs, claim, name ? s.contents[name] : undefined);
  };
  const recorded = sourcePinsOf(pvc);
  if (recorded === undefined) {
    const pinning = s.snapshots.find(pins);
    if (pinning) return nothing(`snapshot ${pinning.metadata.namespace}/${pinning.metadata.name} is being cut from this PVC`);
    return release(s, withoutFinalizers(pvc, FINALIZERS.pvcAsSource));
  }
  // Names whose snapshot is gone (or no longer pins) leave the record; the finalizer goes with the last.
  const stillPinning = recorded.filter((name) => s.snapshots.some((vs) => vs.metadata.name === name && pins(vs)));
  if (stillPinning.length === recorded.length) {
    return nothing(`snapshot ${pvc.metadata.namespace}/${stillPinning[0] ?? "?"} is being cut from this PVC`);
  }
  return release(s, releasedExcept(pvc, stillPinning));
}

function release(s: ProtectState, updated: PersistentVolumeClaim): Plan {
  return done([
    {
      op: "update",
      resource: "persistentvolumeclaims",
      object: updated,
      onFailure: { on: s.trigger ?? s.pvc, reason: REASONS.errorPVCFinalizer, message: MSG.pvcFinalizerError },
    },
  ]);
}
