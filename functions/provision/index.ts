// provision: external-provisioner's role as a function (DESIGN: Functions) — blank volumes, restore
// from a VolumeSnapshot, clone of a PVC, and deletion of released volumes.
import type { PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";
import type { ObjectEvent, ObjectKey, SnapflowFunction } from "../../shared/function/types.js";
import { FINALIZER } from "./constants.js";
import { executeProvision } from "./execute.js";
import { deletionCandidate, mayNeedVolume, orphanCandidate } from "./plan.js";
import { dataSourceOf, isClaimSource, isSnapshotSource } from "./source.js";

/**
 * Which objects an event is news for. Every state change brings its own event, so an event whose
 * object (as carried) needs nothing from provision targets nothing, and costs no re-read:
 *  - a claim: itself while it may need a volume, or while it is deleted with a clone protection, or
 *    once it is gone while it still waited for a volume (a CreateVolume whose outcome was unknown
 *    may have left one behind: planDeletedClaim); once it
 *    stopped waiting (bound, lost, deleting or gone) also the snapshot or claim it was made from,
 *    whose protection finalizer it may release;
 *  - a PV a CSI driver provisioned: itself when its finalizer is out of step with its reclaim
 *    policy, or when it is released with reclaimPolicy Delete (also while its finalizer holds it).
 */
export function provisionTargets(event: ObjectEvent): ObjectKey[] {
  const self: ObjectKey = { resource: event.resource, namespace: event.namespace, name: event.name, uid: event.uid };
  if (event.resource === "persistentvolumes") {
    const pv = event.data as PersistentVolume;
    return event.verb !== "deleted" && pv.spec && deletionCandidate(pv) ? [self] : [];
  }
  if (event.resource !== "persistentvolumeclaims") return [];
  const claim = event.data as PersistentVolumeClaim;
  if (!claim.spec) return event.verb === "deleted" ? [] : [self];
  const keys: ObjectKey[] = [];
  // The clone protection is released only once its claim is being deleted (upstream's rule).
  const protectsClone = (claim.metadata.finalizers?.includes(FINALIZER.cloneSource) ?? false) && !!claim.metadata.deletionTimestamp;
  if (event.verb !== "deleted" && (mayNeedVolume(claim) === undefined || protectsClone)) keys.push(self);
  else if (event.verb === "deleted" && orphanCandidate(claim) === undefined) keys.push(self);
  const finished = event.verb === "deleted" || !!claim.metadata.deletionTimestamp || (claim.status?.phase !== undefined && claim.status.phase !== "Pending");
  const source = finished ? dataSourceOf(claim) : undefined;
  if (source?.name && !source.crossNamespace) {
    if (isSnapshotSource(source)) keys.push({ resource: "volumesnapshots", namespace: source.namespace, name: source.name });
    else if (isClaimSource(source) && source.name !== event.name) keys.push({ resource: "persistentvolumeclaims", namespace: source.namespace, name: source.name });
  }
  return keys;
}

export const provisionFunction: SnapflowFunction = {
  name: "provision",
  component: "external-provisioner",
  resources: ["persistentvolumeclaims", "persistentvolumes"],
  targets: provisionTargets,
  // A deleted claim is reconciled from its last state (the event's object): see executeProvision.
  reconcileAbsent: true,
  reconcile: (ctx) => executeProvision(ctx),
};

export default provisionFunction;
