// bind's executor: read what the plan needs, plan, perform the steps.
import type { PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type {
  VolumeGroupSnapshot,
  VolumeGroupSnapshotContent,
  VolumeSnapshot,
  VolumeSnapshotClass,
  VolumeSnapshotContent,
} from "../../shared/api/snapshot.js";
import type { Outcome, ReconcileContext } from "../../shared/function/types.js";
import type { KubeClient } from "../../shared/kube/types.js";
import { groupOwnerOf, isDeleting, isSnapshotReady } from "../../shared/snapshot/objects.js";
import { executePlan } from "../../shared/snapshot/run-steps.js";
import { contentNamesFor, needsSourceVolume, planContent, planSnapshot, type SnapshotState } from "./plan.js";

export async function loadSnapshotState(kube: KubeClient, vs: VolumeSnapshot, nowMs: number): Promise<SnapshotState> {
  const contents: SnapshotState["contents"] = {};
  await Promise.all(
    contentNamesFor(vs).map(async (name) => {
      contents[name] = await kube.get<VolumeSnapshotContent>(RESOURCES.volumesnapshotcontents, name);
    }),
  );

  let classes: VolumeSnapshotClass[] = [];
  const className = vs.spec.volumeSnapshotClassName;
  if (className !== undefined) {
    const cls = await kube.get<VolumeSnapshotClass>(RESOURCES.volumesnapshotclasses, className);
    classes = cls ? [cls] : [];
  } else if (vs.spec.source.volumeSnapshotContentName === undefined && !groupOwnerOf(vs)) {
    classes = (await kube.list<VolumeSnapshotClass>(RESOURCES.volumesnapshotclasses)).items;
  }

  const state: SnapshotState = { snapshot: vs, classes, contents, nowMs };
  const pvcName = vs.spec.source.persistentVolumeClaimName;
  if (pvcName && needsSourceVolume(vs, contents)) {
    const pvc = await kube.get<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, pvcName, vs.metadata.namespace);
    if (pvc) state.pvc = pvc;
    if (pvc?.status?.phase === "Bound" && pvc.spec.volumeName) {
      const pv = await kube.get<PersistentVolume>(RESOURCES.persistentvolumes, pvc.spec.volumeName);
      if (pv) state.pv = pv;
    }
  }

  if (Object.values(contents).some((c) => c?.status?.volumeGroupSnapshotHandle)) {
    state.groupContents = (await kube.list<VolumeGroupSnapshotContent>(RESOURCES.volumegroupsnapshotcontents)).items;
  }
  const groupName = vs.status?.volumeGroupSnapshotName;
  if (groupName && isSnapshotReady(vs) && !groupOwnerOf(vs)) {
    const group = await kube.get<VolumeGroupSnapshot>(RESOURCES.volumegroupsnapshots, groupName, vs.metadata.namespace);
    if (group) state.groupSnapshot = group;
  }
  return state;
}

export async function executeBind(ctx: ReconcileContext, nowMs = Date.now()): Promise<Outcome> {
  const object = ctx.object;
  if (!object) return { kind: "nothing", why: "object is gone" };
  if (ctx.key.resource === "volumesnapshotcontents") {
    return executePlan(ctx, planContent(object as VolumeSnapshotContent));
  }
  const vs = object as VolumeSnapshot;
  if (isDeleting(vs)) return { kind: "nothing", why: "snapshot is being deleted (the delete function owns it)" };
  const state = await loadSnapshotState(ctx.kube, vs, nowMs);
  return executePlan(ctx, planSnapshot(state));
}
