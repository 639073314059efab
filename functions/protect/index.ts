// protect: PVC-as-source protection release as a function (DESIGN: Functions).
import type { VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { ObjectEvent, ObjectKey, SnapflowFunction } from "../../shared/function/types.js";
import { ANNOTATIONS, CONTROLLER_COMPONENT } from "../../shared/snapshot/constants.js";
import { executeProtect } from "./execute.js";

/**
 * PVC events look at the PVC; snapshot events at the snapshot (which leads to its PVC, also when
 * the snapshot is gone); content events at the snapshot they name (a failed or finished cut).
 */
export function protectTargets(event: ObjectEvent): ObjectKey[] {
  switch (event.resource) {
    case "persistentvolumeclaims":
      return [{ resource: event.resource, namespace: event.namespace, name: event.name, uid: event.uid }];
    case "volumesnapshots":
      return [{ resource: event.resource, namespace: event.namespace, name: event.name, uid: event.uid }];
    case "volumesnapshotcontents": {
      const ref = (event.data as VolumeSnapshotContent).spec?.volumeSnapshotRef;
      if (!ref?.name || !ref.namespace || event.data.metadata.annotations?.[ANNOTATIONS.volumeGroupSnapshotHandle]) return [];
      return [{ resource: "volumesnapshots", namespace: ref.namespace, name: ref.name, ...(ref.uid ? { uid: ref.uid } : {}) }];
    }
    default:
      return [];
  }
}

export const protectFunction: SnapflowFunction = {
  name: "protect",
  component: CONTROLLER_COMPONENT,
  resources: ["volumesnapshots", "persistentvolumeclaims", "volumesnapshotcontents"],
  // A deleted snapshot still names its PVC in the event: that is when a PVC is often released.
  reconcileAbsent: true,
  targets: protectTargets,
  reconcile: (ctx) => executeProtect(ctx),
};

export default protectFunction;
