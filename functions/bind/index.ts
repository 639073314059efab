// bind: the snapshot-controller's binding role as a function (DESIGN: Functions).
import type { VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { ObjectEvent, ObjectKey, SnapflowFunction } from "../../shared/function/types.js";
import { CONTROLLER_COMPONENT } from "../../shared/snapshot/constants.js";
import { executeBind } from "./execute.js";

/** A content change is also news for the snapshot it names (status sync, binding). */
export function bindTargets(event: ObjectEvent): ObjectKey[] {
  if (event.resource !== "volumesnapshotcontents") {
    return [{ resource: event.resource, namespace: event.namespace, name: event.name, uid: event.uid }];
  }
  const keys: ObjectKey[] = [];
  if (event.verb !== "deleted") keys.push({ resource: "volumesnapshotcontents", name: event.name, uid: event.uid });
  const ref = (event.data as VolumeSnapshotContent).spec?.volumeSnapshotRef;
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
