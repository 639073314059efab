// Class resolution and the source-volume checks the snapshot-controller does before it snapshots a
// PVC. Pure: callers fetch the objects (PVC from a list/get, PV by GET) and pass what they found.
import type { PersistentVolume, PersistentVolumeClaim } from "../api/core.js";
import type { KubeObject } from "../api/meta.js";
import type { VolumeSnapshot } from "../api/snapshot.js";
import { ANNOTATIONS, DEFAULT_CLASS_VALUE } from "./constants.js";
import { MSG, notFound } from "./messages.js";
import { fail, ok, type Result } from "./result.js";

export interface ClassLike extends KubeObject {
  driver: string;
}

/**
 * The default class for `driver`: exactly one class annotated `<annotation>: "true"` with that driver.
 * Zero or several are errors (upstream's texts; group callers pass their own "none" text).
 */
export function pickDefaultClass<C extends ClassLike>(
  classes: readonly C[],
  driver: string,
  annotation: string = ANNOTATIONS.isDefaultClass,
  noneMessage: string = MSG.noDefaultClass,
): Result<C> {
  const candidates = classes.filter(
    (c) => c.metadata.annotations?.[annotation] === DEFAULT_CLASS_VALUE && c.driver === driver,
  );
  if (candidates.length === 0) return fail(noneMessage);
  if (candidates.length > 1) return fail(MSG.severalDefaultClasses(candidates.length));
  return ok(candidates[0]!);
}

/** Whether a PV's claimRef points at this PVC (name, namespace, and uid when the PV records one). */
export function pvBoundToClaim(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec.claimRef;
  if (!ref) return false;
  if (ref.name !== pvc.metadata.name || ref.namespace !== pvc.metadata.namespace) return false;
  return !ref.uid || ref.uid === pvc.metadata.uid;
}

/** What the caller found when it looked the source up (undefined = does not exist). */
export interface SourceLookup {
  pvc: PersistentVolumeClaim | undefined;
  pv: PersistentVolume | undefined;
}

/** The PV name a snapshot's source PVC is bound to, once the PVC is known (for the caller's GET). */
export function boundVolumeName(pvc: PersistentVolumeClaim | undefined): string | undefined {
  return pvc?.status?.phase === "Bound" ? pvc.spec.volumeName : undefined;
}

/**
 * Upstream's chain for a dynamic snapshot's volume: PVC named, PVC exists, PVC Bound, PV exists,
 * PV bound back to the PVC. Returns the pair or the exact upstream error.
 */
export function checkSourceVolume(
  snapshot: VolumeSnapshot,
  found: SourceLookup,
): Result<{ pvc: PersistentVolumeClaim; pv: PersistentVolume }> {
  const pvcName = snapshot.spec.source.persistentVolumeClaimName;
  if (pvcName === undefined) return fail(MSG.pvcSourceNotSpecified);
  if (pvcName === "") return fail(MSG.pvcNameNotSpecified(snapshot.metadata.namespace, snapshot.metadata.name));
  const pvc = found.pvc;
  if (!pvc) return fail(MSG.pvcNotInLister(pvcName, notFound.pvcInLister(pvcName)));
  if (pvc.status?.phase !== "Bound" || !pvc.spec.volumeName) return fail(MSG.pvcNotBound(pvcName));
  const pvName = pvc.spec.volumeName;
  const pv = found.pv;
  if (!pv) return fail(MSG.pvNotFromApi(pvName, notFound.pvFromApi(pvName)));
  if (!pvBoundToClaim(pv, pvc)) return fail(MSG.claimMismatch);
  return ok({ pvc, pv });
}

/** The CSI driver of a snapshot's source volume (for the default class), or upstream's error. */
export function sourceDriver(snapshot: VolumeSnapshot, found: SourceLookup): Result<string> {
  const checked = checkSourceVolume(snapshot, found);
  if (!checked.ok) return checked;
  const driver = checked.value.pv.spec.csi?.driver;
  if (!driver) return fail(MSG.nonCsiVolume(snapshot.metadata.namespace, snapshot.metadata.name));
  return ok(driver);
}
