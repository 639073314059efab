// invoke: the csi-snapshotter sidecar's role as a function (DESIGN: Functions).
import type { VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { ObjectEvent, ObjectKey, SnapflowFunction } from "../../shared/function/types.js";
import { ANNOTATIONS } from "../../shared/snapshot/constants.js";
import { executeInvoke } from "./execute.js";

/**
 * A content needs invoke unless it is gone, or ready with nothing left to tidy (no being-created
 * mark, not being deleted): ready contents are never polled again, as upstream's sidecar does.
 * The event's copy only filters; the reconcile re-reads.
 */
export function invokeTargets(event: ObjectEvent): ObjectKey[] {
  if (event.resource !== "volumesnapshotcontents" || event.verb === "deleted") return [];
  const content = event.data as VolumeSnapshotContent;
  // A change while the being-created mark is on is invoke's own work in progress (upstream's
  // sidecar ignores such updates too): the reconcile that set the mark — or, after a crash, the
  // redelivery of its unacknowledged event, or a requeue — finishes it. Not a second CreateSnapshot.
  if (event.verb === "modified" && Object.hasOwn(content.metadata.annotations ?? {}, ANNOTATIONS.beingCreated)) return [];
  const settled =
    content.status?.readyToUse === true &&
    !content.metadata.deletionTimestamp &&
    !Object.hasOwn(content.metadata.annotations ?? {}, ANNOTATIONS.beingCreated);
  return settled ? [] : [{ resource: "volumesnapshotcontents", name: event.name, uid: event.uid }];
}

export const invokeFunction: SnapflowFunction = {
  name: "invoke",
  // Events name the driver's sidecar, as upstream's do; each step sets its own component.
  component: "csi-snapshotter",
  resources: ["volumesnapshotcontents"],
  targets: invokeTargets,
  reconcile: (ctx) => executeInvoke(ctx),
};

export default invokeFunction;
