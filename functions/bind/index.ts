// bind: the snapshot-controller's binding role as a function (DESIGN: Functions).
import type { VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { ObjectEvent, ObjectKey, SnapflowFunction } from "../../shared/function/types.js";
import { CONTROLLER_COMPONENT, FINALIZERS } from "../../shared/snapshot/constants.js";
import { hasFinalizer } from "../../shared/snapshot/objects.js";
import { executeBind } from "./execute.js";

/**
 * Which objects an event makes bind look at. The event's copy of the object (its state when the
 * event was emitted) only filters: every state bind acts on arrives with an event of its own.
 * - a snapshot: itself, unless it is being deleted (the delete function owns it) or gone;
 * - a content: the snapshot it names (status sync, binding, a missing content), and the content
 *   itself only while it still lacks its finalizer.
 */
export function bindTargets(event: ObjectEvent): ObjectKey[] {
  if (event.resource === "volumesnapshots") {
    if (event.verb === "deleted" || event.data.metadata.deletionTimestamp) return [];
    return [{ resource: event.resource, namespace: event.namespace, name: event.name, uid: event.uid }];
  }
  if (event.resource !== "volumesnapshotcontents") return [];
  const content = event.data as VolumeSnapshotContent;
  const keys: ObjectKey[] = [];
  const ref = content.spec?.volumeSnapshotRef;
  const needsFinalizer = event.verb !== "deleted" && !content.metadata.deletionTimestamp && !!ref?.uid && !hasFinalizer(content, FINALIZERS.contentBound);
  const source = content.spec?.source ?? {};
  const invalid = (source.volumeHandle === undefined) === (source.snapshotHandle === undefined);
  if (event.verb !== "deleted" && (needsFinalizer || invalid)) keys.push({ resource: "volumesnapshotcontents", name: event.name, uid: event.uid });
  if (ref?.name && ref.namespace) {
    keys.push({ resource: "volumesnapshots", namespace: ref.namespace, name: ref.name, ...(ref.uid ? { uid: ref.uid } : {}) });
  }
  return keys;
}

export const bindFunction: SnapflowFunction = {
  name: "bind",
  component: CONTROLLER_COMPONENT,
  resources: ["volumesnapshots", "volumesnapshotcontents"],
  targets: bindTargets,
  reconcile: (ctx) => executeBind(ctx),
};

export default bindFunction;
