// delete: the snapshot-controller's deletion role as a function (DESIGN: Functions).
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import type { VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { ObjectEvent, ObjectKey, SnapflowFunction } from "../../shared/function/types.js";
import { CONTROLLER_COMPONENT, SNAPSHOT_GROUP } from "../../shared/snapshot/constants.js";
import { executeDelete } from "./execute.js";

/**
 * Snapshot events: the snapshot. Content events: the snapshot it names (a content that disappears
 * lets its snapshot drop the bound finalizer) and, while deleting, the content itself. Claim events:
 * the snapshot it restores from (a restore that stopped being Pending unblocks a deletion).
 */
export function deleteTargets(event: ObjectEvent): ObjectKey[] {
  switch (event.resource) {
    case "volumesnapshots":
      return [{ resource: "volumesnapshots", namespace: event.namespace, name: event.name, uid: event.uid }];
    case "volumesnapshotcontents": {
      const content = event.data as VolumeSnapshotContent;
      const keys: ObjectKey[] = [];
      const ref = content.spec?.volumeSnapshotRef;
      if (ref?.name && ref.namespace) keys.push({ resource: "volumesnapshots", namespace: ref.namespace, name: ref.name, ...(ref.uid ? { uid: ref.uid } : {}) });
      if (content.metadata.deletionTimestamp && event.verb !== "deleted") keys.push({ resource: "volumesnapshotcontents", name: event.name, uid: event.uid });
      return keys;
    }
    case "persistentvolumeclaims": {
      const pvc = event.data as PersistentVolumeClaim;
      const source = pvc.spec?.dataSource ?? pvc.spec?.dataSourceRef;
      if (source?.kind !== "VolumeSnapshot" || source.apiGroup !== SNAPSHOT_GROUP) return [];
      return [{ resource: "volumesnapshots", namespace: event.namespace, name: source.name }];
    }
    default:
      return [];
  }
}

export const deleteFunction: SnapflowFunction = {
  name: "delete",
  component: CONTROLLER_COMPONENT,
  resources: ["volumesnapshots", "volumesnapshotcontents", "persistentvolumeclaims"],
  reconcileAbsent: true,
  targets: deleteTargets,
  reconcile: (ctx) => executeDelete(ctx),
};

export default deleteFunction;
