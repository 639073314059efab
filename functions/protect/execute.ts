// protect's executor: find the PVC, the snapshots cut from it and their contents; plan; write.
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { Outcome, ReconcileContext } from "../../shared/function/types.js";
import type { KubeClient } from "../../shared/kube/types.js";
import { FINALIZERS } from "../../shared/snapshot/constants.js";
import { hasFinalizer } from "../../shared/snapshot/objects.js";
import { sourcePinsOf } from "../../shared/snapshot/source-pins.js";
import { executePlan } from "../../shared/snapshot/run-steps.js";
import { contentNameOf, pinsClaim, planProtect, type ProtectState } from "./plan.js";

const PAGE = 500;

async function contentOf(kube: KubeClient, vs: VolumeSnapshot): Promise<VolumeSnapshotContent | undefined> {
  const name = contentNameOf(vs);
  return name ? kube.get<VolumeSnapshotContent>(RESOURCES.volumesnapshotcontents, name) : undefined;
}

/**
 * The snapshots that name the PVC, with their contents. Stops at the first one that pins the PVC:
 * then the finalizer stays whatever the rest say, and a busy namespace is not read to the end.
 */
async function loadState(kube: KubeClient, pvc: PersistentVolumeClaim, hint?: VolumeSnapshot): Promise<ProtectState> {
  const recorded = sourcePinsOf(pvc);
  return recorded ? loadRecorded(kube, pvc, recorded, hint) : scanNamespace(kube, pvc, hint);
}

/** The snapshots the PVC's record names (a handful), each with its content while it is not ready. */
async function loadRecorded(kube: KubeClient, pvc: PersistentVolumeClaim, names: string[], hint?: VolumeSnapshot): Promise<ProtectState> {
  const state: ProtectState = { pvc, snapshots: [], contents: {} };
  await Promise.all(
    names.map(async (name) => {
      const vs =
        hint && hint.metadata.name === name ? hint : await kube.get<VolumeSnapshot>(RESOURCES.volumesnapshots, name, pvc.metadata.namespace);
      if (!vs) return;
      state.snapshots.push(vs);
      const contentName = contentNameOf(vs);
      if (contentName && vs.status?.readyToUse !== true) state.contents[contentName] = await contentOf(kube, vs);
    }),
  );
  return state;
}

/** A PVC protected without a record: every snapshot of the namespace may be the one that pins it. */
async function scanNamespace(kube: KubeClient, pvc: PersistentVolumeClaim, hint?: VolumeSnapshot): Promise<ProtectState> {
  const claim = pvc.metadata.name!;
  const state: ProtectState = { pvc, snapshots: [], contents: {} };
  const consider = async (vs: VolumeSnapshot): Promise<boolean> => {
    if (vs.spec.source.persistentVolumeClaimName !== claim) return false;
    const content = vs.status?.readyToUse === true ? undefined : await contentOf(kube, vs);
    state.snapshots.push(vs);
    const name = contentNameOf(vs);
    if (name) state.contents[name] = content;
    return pinsClaim(vs, claim, content);
  };
  // The snapshot whose change brought us here is the likeliest to still pin the PVC.
  if (hint && (await consider(hint))) return state;
  let continueToken: string | undefined;
  do {
    const page = await kube.list<VolumeSnapshot>(RESOURCES.volumesnapshots, {
      namespace: pvc.metadata.namespace,
      limit: PAGE,
      ...(continueToken ? { continue: continueToken } : {}),
    });
    for (const vs of page.items) {
      if (hint && vs.metadata.uid === hint.metadata.uid) continue;
      if (await consider(vs)) return state;
    }
    continueToken = page.metadata.continue || undefined;
  } while (continueToken);
  return state;
}

export async function executeProtect(ctx: ReconcileContext): Promise<Outcome> {
  let pvc: PersistentVolumeClaim | undefined;
  let hint: VolumeSnapshot | undefined;
  let trigger: VolumeSnapshot | undefined;
  if (ctx.key.resource === "persistentvolumeclaims") {
    pvc = ctx.object as PersistentVolumeClaim | undefined;
  } else {
    // A snapshot changed (or is gone: then the event's copy names the PVC).
    const fromEvent = ctx.event.resource === "volumesnapshots" ? ctx.event.data : undefined;
    const vs = (ctx.object ?? fromEvent) as VolumeSnapshot | undefined;
    const claim = vs?.spec?.source?.persistentVolumeClaimName;
    if (!vs || !claim) return { kind: "nothing", why: "not a dynamic snapshot" };
    if (ctx.object) hint = vs;
    trigger = vs;
    pvc = await ctx.kube.get<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, claim, vs.metadata.namespace);
  }
  if (!pvc) return { kind: "nothing", why: "PVC is gone" };
  if (!hasFinalizer(pvc, FINALIZERS.pvcAsSource)) return { kind: "nothing", why: "PVC carries no snapshot source protection" };
  const state = await loadState(ctx.kube, pvc, hint);
  return executePlan(ctx, planProtect(trigger ? { ...state, trigger } : state));
}
