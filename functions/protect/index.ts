// protect: PVC-as-source protection release as a function (DESIGN: Functions).
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import type { VolumeSnapshot } from "../../shared/api/snapshot.js";
import type { ObjectEvent, ObjectKey, SnapflowFunction } from "../../shared/function/types.js";
import { CONTROLLER_COMPONENT, FINALIZERS } from "../../shared/snapshot/constants.js";
import { hasFinalizer } from "../../shared/snapshot/objects.js";
import { executeProtect } from "./execute.js";

/**
 * Only snapshot events that can end a pin: a dynamic snapshot that is ready, failed (bind mirrors
 * a failed cut onto the snapshot), being deleted, or gone — including its periodic resync, the
 * catch-all. An un-ready snapshot still being cut keeps the pin, so its events need no look. The
 * event's copy only filters; the reconcile re-reads everything.
 *
 * A protected PVC's own periodic resync is the safety net: once its last snapshot is gone, no
 * snapshot event is left to bring protect back, so a release that failed for good (dead-lettered
 * while the API was away) would otherwise pin the PVC forever. Its other events need no look: bind
 * and protect's own writes cause them.
 */
export function protectTargets(event: ObjectEvent): ObjectKey[] {
  if (event.resource === "persistentvolumeclaims") {
    const pvc = event.data as PersistentVolumeClaim;
    return event.verb === "resynced" && hasFinalizer(pvc, FINALIZERS.pvcAsSource) ? [{ resource: event.resource, namespace: event.namespace, name: event.name, uid: event.uid }] : [];
  }
  if (event.resource !== "volumesnapshots") return [];
  const vs = event.data as VolumeSnapshot;
  if (vs.spec?.source?.persistentVolumeClaimName === undefined) return [];
  const releasing =
    event.verb === "deleted" || event.verb === "resynced" || !!vs.metadata.deletionTimestamp || vs.status?.readyToUse === true || !!vs.status?.error;
  return releasing ? [{ resource: event.resource, namespace: event.namespace, name: event.name, uid: event.uid }] : [];
}

export const protectFunction: SnapflowFunction = {
  name: "protect",
  component: CONTROLLER_COMPONENT,
  resources: ["volumesnapshots", "persistentvolumeclaims"],
  // Only a protected PVC's resync is looked at (see protectTargets): its other events never reach protect.
  verbs: { persistentvolumeclaims: ["resynced"] },
  // A deleted snapshot still names its PVC in the event: that is when a PVC is often released.
  reconcileAbsent: true,
  targets: protectTargets,
  reconcile: (ctx) => executeProtect(ctx),
};

export default protectFunction;
