// Which snapshots are being cut from a PVC, recorded on the PVC itself next to the
// pvc-as-source-protection finalizer. Upstream answers "may the finalizer go?" by scanning every
// VolumeSnapshot of the namespace in its informer cache; a stateless function would have to LIST
// the namespace instead, once per finished snapshot — O(N²) over a burst and slow next to many
// stored snapshots. With the names beside the finalizer the check reads only those snapshots.
// The record lives exactly as long as the finalizer (added in the same write, removed in the same
// write), so a PVC at rest looks as upstream leaves it. A PVC carrying the finalizer without the
// record (set by upstream's controller, or by an older snapflow) is checked the old way.
import type { PersistentVolumeClaim } from "../api/core.js";
import { FINALIZERS } from "./constants.js";
import { clone, hasFinalizer } from "./objects.js";

/** Annotation on the source PVC: names of the VolumeSnapshots in its namespace still being cut from it. */
export const SOURCE_PINS_ANNOTATION = "snapflow.dev/snapshots-in-progress";

/** The recorded names, or undefined when the PVC has no record (then only a namespace scan can tell). */
export function sourcePinsOf(pvc: PersistentVolumeClaim): string[] | undefined {
  const value = pvc.metadata.annotations?.[SOURCE_PINS_ANNOTATION];
  if (value === undefined) return undefined;
  return value.split(",").filter((name) => name !== "");
}

function withRecord(pvc: PersistentVolumeClaim, names: readonly string[]): PersistentVolumeClaim {
  const copy = clone(pvc);
  copy.metadata.annotations = { ...copy.metadata.annotations, [SOURCE_PINS_ANNOTATION]: [...new Set(names)].sort().join(",") };
  return copy;
}

/**
 * The write bind makes before it creates a content for `snapshot`, or undefined when the PVC is
 * already protected for it: the finalizer plus the snapshot's name in the record. A PVC protected
 * without a record stays that way (adding a record then would hide the snapshots it does not name).
 */
export function pinnedFor(pvc: PersistentVolumeClaim, snapshot: string): PersistentVolumeClaim | undefined {
  if (!hasFinalizer(pvc, FINALIZERS.pvcAsSource)) {
    const copy = withRecord(pvc, [snapshot]);
    copy.metadata.finalizers = [...(copy.metadata.finalizers ?? []), FINALIZERS.pvcAsSource];
    return copy;
  }
  const pins = sourcePinsOf(pvc);
  if (pins === undefined || pins.includes(snapshot)) return undefined;
  return withRecord(pvc, [...pins, snapshot]);
}

/** The PVC with only `stillPinning` recorded; with none left, without the record and the finalizer. */
export function releasedExcept(pvc: PersistentVolumeClaim, stillPinning: readonly string[]): PersistentVolumeClaim {
  if (stillPinning.length > 0) return withRecord(pvc, stillPinning);
  const copy = clone(pvc);
  copy.metadata.finalizers = (copy.metadata.finalizers ?? []).filter((f) => f !== FINALIZERS.pvcAsSource);
  if (copy.metadata.annotations) {
    const { [SOURCE_PINS_ANNOTATION]: _record, ...rest } = copy.metadata.annotations;
    if (Object.keys(rest).length > 0) copy.metadata.annotations = rest;
    else delete copy.metadata.annotations;
  }
  return copy;
}
