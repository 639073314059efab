// fanout: volume group snapshots as a function (DESIGN: Functions) — the snapshot-controller's
// group role and the csi-snapshotter's group-content role.
import type { VolumeGroupSnapshot, VolumeGroupSnapshotContent } from "../../shared/api/snapshot.js";
import type { ObjectEvent, ObjectKey, SnapflowFunction } from "../../shared/function/types.js";
import { ANNOTATIONS, CONTROLLER_COMPONENT, FINALIZERS } from "../../shared/snapshot/constants.js";
import { executeFanout } from "./execute.js";

/**
 * A group event: the group (also when it is gone: its deletion metric). A group content event: the
 * content itself, and the group it names once the content has news for it (status, deletion).
 * Events that only echo a write in progress are filtered by their state — the invocation that made
 * the write finishes the step (its own event is redelivered if it dies), so a second invocation
 * would only duplicate it and collide with it.
 */
export function fanoutTargets(event: ObjectEvent): ObjectKey[] {
  const resync = event.verb === "resynced";
  if (event.resource === "volumegroupsnapshots") {
    const g = event.data as VolumeGroupSnapshot;
    // The bound finalizer was just added by the invocation now creating the content.
    const echo = event.verb === "modified" && !g.status && !g.metadata?.deletionTimestamp && (g.metadata?.finalizers ?? []).includes(FINALIZERS.groupSnapshotBound);
    if (echo && !resync) return [];
    return [{ resource: "volumegroupsnapshots", namespace: event.namespace, name: event.name, uid: event.uid }];
  }
  if (event.resource !== "volumegroupsnapshotcontents") return [];
  const content = event.data as VolumeGroupSnapshotContent;
  const keys: ObjectKey[] = [];
  const creating = Object.hasOwn(content.metadata?.annotations ?? {}, ANNOTATIONS.groupBeingCreated);
  // The being-created mark was just set by the invocation now calling the driver.
  const echo = event.verb === "modified" && creating && !content.status && !content.metadata?.deletionTimestamp;
  if (event.verb !== "deleted" && (!echo || resync)) keys.push({ resource: "volumegroupsnapshotcontents", name: event.name, uid: event.uid });
  const ref = content.spec?.volumeGroupSnapshotRef;
  const news =
    resync ||
    event.verb === "deleted" ||
    !!content.metadata?.deletionTimestamp ||
    !!content.status?.error ||
    (!!content.status?.volumeGroupSnapshotHandle && !creating);
  if (news && ref?.name && ref.namespace) {
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
