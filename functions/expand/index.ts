// expand: external-resizer's role as a function (DESIGN: Functions) — ControllerExpandVolume for a
// bound claim whose storage request grew, then the new size on the PV and the claim.
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import type { ObjectEvent, ObjectKey, SnapflowFunction } from "../../shared/function/types.js";
import { executeExpand } from "./execute.js";
import { mayHoldPreResizeMark, resizeWanted } from "./plan.js";

/**
 * A claim event is news only when the claim it carries wants a resize, or has finished one (its PV
 * may keep a pre-resize mark to remove): the many claim events of provisioning and binding then
 * cost expand no re-read.
 */
export function expandTargets(event: ObjectEvent): ObjectKey[] {
  if (event.verb === "deleted") return [];
  const self: ObjectKey = { resource: event.resource, namespace: event.namespace, name: event.name, uid: event.uid };
  const claim = event.data as PersistentVolumeClaim;
  try {
    return !claim.spec || resizeWanted(claim) || mayHoldPreResizeMark(claim) ? [self] : [];
  } catch {
    return [self]; // a malformed quantity: reconcile reports it
  }
}

export const expandFunction: SnapflowFunction = {
  name: "expand",
  // Events name the driver's resizer, as upstream's do; each step sets its own component.
  component: "external-resizer",
  resources: ["persistentvolumeclaims"],
  targets: expandTargets,
  reconcile: (ctx) => executeExpand(ctx),
};

export default expandFunction;
