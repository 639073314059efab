// bind: the snapshot-controller's binding role as a function (DESIGN: Functions).
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { ObjectEvent, ObjectKey, SnapflowFunction } from "../../shared/function/types.js";
import { ANNOTATIONS, CONTROLLER_COMPONENT, FINALIZERS } from "../../shared/snapshot/constants.js";
import { groupOwnerOf, hasFinalizer } from "../../shared/snapshot/objects.js";
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
    if (event.verb === "modified" && awaitsContent(event.data as VolumeSnapshot)) return [];
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
  // A content without status has nothing for its snapshot yet (e.g. invoke's being-created mark),
  // nor has a new dynamic one as bind creates them (with the finalizer): bind bound its snapshot in
  // the same reconcile (had that failed, the snapshot's own event is redelivered). Any other new
  // content is news: a pre-provisioned one's snapshot may be waiting for it.
  const createdByBind = event.verb === "added" && source.volumeHandle !== undefined && hasFinalizer(content, FINALIZERS.contentBound);
  const quiet = event.verb === "modified" || createdByBind;
  // invoke's status write right after CreateSnapshot still carries the being-created mark, which
  // invoke removes in its very next write: that event brings the same status, so look once, then.
  // An error is news at once (a retryable failure keeps the mark).
  const markStillOn = event.verb === "modified" && Object.hasOwn(content.metadata.annotations ?? {}, ANNOTATIONS.beingCreated) && !content.status?.error;
  const news = (!quiet || content.status !== undefined) && !markStillOn;
  if (ref?.name && ref.namespace && news) {
    keys.push({ resource: "volumesnapshots", namespace: ref.namespace, name: ref.name, ...(ref.uid ? { uid: ref.uid } : {}) });
  }
  return keys;
}

/**
 * A dynamic snapshot whose next step comes from its content, not from itself: just given its
 * finalizers (bind is creating the content), bound and waiting for the cut, or ready. Changes to
 * it need no look (content events and resyncs bring bind back; a crash mid-plan leaves the
 * original event unacknowledged, so it is delivered again).
 */
function awaitsContent(vs: VolumeSnapshot): boolean {
  if (vs.spec?.source?.persistentVolumeClaimName === undefined || !hasFinalizer(vs, FINALIZERS.snapshotAsSource)) return false;
  const st = vs.status;
  if (st?.error || st?.volumeGroupSnapshotName || groupOwnerOf(vs)) return false;
  if (!st) return true;
  return !!st.boundVolumeSnapshotContentName;
}

export const bindFunction: SnapflowFunction = {
  name: "bind",
  component: CONTROLLER_COMPONENT,
  resources: ["volumesnapshots", "volumesnapshotcontents"],
  targets: bindTargets,
  reconcile: (ctx) => executeBind(ctx),
};

export default bindFunction;
