// provision: external-provisioner's role as a function (DESIGN: Functions) — blank volumes, restore
// from a VolumeSnapshot, clone of a PVC, and deletion of released volumes.
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import type { ObjectEvent, ObjectKey, SnapflowFunction } from "../../shared/function/types.js";
import { executeProvision } from "./execute.js";
import { dataSourceOf, isClaimSource, isSnapshotSource } from "./source.js";

/**
 * A claim event is news for the claim itself (unless it is gone) and for the object it restores or
 * clones from: a restore or clone that stopped being Pending (or vanished) may release its source's
 * protection finalizer. A PV event is news for the PV (deletion of a released volume).
 */
export function provisionTargets(event: ObjectEvent): ObjectKey[] {
  if (event.resource !== "persistentvolumeclaims") {
    return event.verb === "deleted" ? [] : [{ resource: event.resource, namespace: event.namespace, name: event.name, uid: event.uid }];
  }
  const keys: ObjectKey[] = [];
  if (event.verb !== "deleted") keys.push({ resource: "persistentvolumeclaims", namespace: event.namespace, name: event.name, uid: event.uid });
  const claim = event.data as PersistentVolumeClaim;
  const source = claim.spec ? dataSourceOf(claim) : undefined;
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
  reconcile: (ctx) => executeProvision(ctx),
};

export default provisionFunction;
