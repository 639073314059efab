// delete: the snapshot-controller's deletion role as a function (DESIGN: Functions).
import type { ObjectEvent, ObjectKey, SnapflowFunction } from "../../shared/function/types.js";
import { CONTROLLER_COMPONENT } from "../../shared/snapshot/constants.js";
import { executeDelete } from "./execute.js";

/**
 * Snapshots being deleted, and a snapshot's final "deleted" event (it ends the DeleteSnapshot
 * metric). The event's copy only filters; the reconcile re-reads. Waiting for a content to go or a
 * restore to finish is done by requeueing, so delete needs no content or claim events at all.
 */
export function deleteTargets(event: ObjectEvent): ObjectKey[] {
  if (event.resource !== "volumesnapshots") return [];
  if (event.verb !== "deleted" && !event.data.metadata.deletionTimestamp) return [];
  return [{ resource: "volumesnapshots", namespace: event.namespace, name: event.name, uid: event.uid }];
}

export const deleteFunction: SnapflowFunction = {
  name: "delete",
  component: CONTROLLER_COMPONENT,
  resources: ["volumesnapshots"],
  reconcileAbsent: true,
  targets: deleteTargets,
  reconcile: (ctx) => executeDelete(ctx),
};

export default deleteFunction;
