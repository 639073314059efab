// fanout: volume group snapshots as a function (DESIGN: Functions) — the snapshot-controller's
// group role and the csi-snapshotter's group-content role.
import type { VolumeGroupSnapshotContent } from "../../shared/api/snapshot.js";
import type { ObjectEvent, ObjectKey, SnapflowFunction } from "../../shared/function/types.js";
import { CONTROLLER_COMPONENT } from "../../shared/snapshot/constants.js";
import { executeFanout } from "./execute.js";

/**
 * A group event: the group (also when it is gone: its deletion metric). A group content event: the
 * content itself, and the group it names (status sync, member fan-out, and a vanished content lets
 * the group drop its finalizer).
 */
export function fanoutTargets(event: ObjectEvent): ObjectKey[] {
  if (event.resource === "volumegroupsnapshots") {
    return [{ resource: "volumegroupsnapshots", namespace: event.namespace, name: event.name, uid: event.uid }];
  }
  if (event.resource !== "volumegroupsnapshotcontents") return [];
  const keys: ObjectKey[] = [];
  if (event.verb !== "deleted") keys.push({ resource: "volumegroupsnapshotcontents", name: event.name, uid: event.uid });
  const ref = (event.data as VolumeGroupSnapshotContent).spec?.volumeGroupSnapshotRef;
  if (ref?.name && ref.namespace) {
    keys.push({ resource: "volumegroupsnapshots", namespace: ref.namespace, name: ref.name, ...(ref.uid ? { uid: ref.uid } : {}) });
  }
  return keys;
}

export const fanoutFunction: SnapflowFunction = {
  name: "fanout",
  // Controller Events name snapshot-controller; the content's sidecar steps set `csi-snapshotter <driver>`.
  component: CONTROLLER_COMPONENT,
  resources: ["volumegroupsnapshots", "volumegroupsnapshotcontents"],
  reconcileAbsent: true,
  targets: fanoutTargets,
  reconcile: (ctx) => executeFanout(ctx),
};

export default fanoutFunction;
