// delete's executor: read the snapshot's candidate content, the restores waiting on it and its
// group; plan; write. Also the DeleteSnapshot metric's end.
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type { VolumeGroupSnapshot, VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { Outcome, ReconcileContext } from "../../shared/function/types.js";
import { recordOperation } from "../../shared/snapshot/metrics.js";
import { isDeleting } from "../../shared/snapshot/objects.js";
import { executePlan } from "../../shared/snapshot/run-steps.js";
import { candidateContentName, deleteMetricKey, isDeletionCandidate, memberGroupName, planDeleteSnapshot } from "./plan.js";

const PAGE = 500;

async function listClaims(ctx: ReconcileContext, namespace: string | undefined): Promise<PersistentVolumeClaim[]> {
  const claims: PersistentVolumeClaim[] = [];
  let continueToken: string | undefined;
  do {
    const page = await ctx.kube.list<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, {
      namespace,
      limit: PAGE,
      ...(continueToken ? { continue: continueToken } : {}),
    });
    // Only Pending claims can be waiting for a restore; keep the plan's input small.
    claims.push(...page.items.filter((pvc) => pvc.status?.phase === "Pending"));
    continueToken = page.metadata.continue || undefined;
  } while (continueToken);
  return claims;
}

async function deleteSnapshot(ctx: ReconcileContext, vs: VolumeSnapshot, nowMs: number): Promise<Outcome> {
  if (!isDeleting(vs)) return { kind: "nothing", why: "snapshot is not being deleted" };
  if (!isDeletionCandidate(vs)) return { kind: "nothing", why: "no snapshot-controller finalizer left" };
  const contentName = candidateContentName(vs);
  const content = contentName ? await ctx.kube.get<VolumeSnapshotContent>(RESOURCES.volumesnapshotcontents, contentName) : undefined;
  const claims = content ? await listClaims(ctx, vs.metadata.namespace) : [];
  const groupName = memberGroupName(vs);
  const groupExists = groupName
    ? (await ctx.kube.get<VolumeGroupSnapshot>(RESOURCES.volumegroupsnapshots, groupName, vs.metadata.namespace)) !== undefined
    : undefined;
  return executePlan(
    ctx,
    planDeleteSnapshot({ snapshot: vs, ...(content ? { content } : {}), claims, ...(groupExists !== undefined ? { groupExists } : {}), nowMs }),
  );
}

export async function executeDelete(ctx: ReconcileContext, nowMs = Date.now()): Promise<Outcome> {
  const vs = ctx.object as VolumeSnapshot | undefined;
  if (!vs) {
    // The snapshot's own "deleted" event ends its DeleteSnapshot operation.
    const gone = ctx.event.resource === "volumesnapshots" && ctx.event.verb === "deleted" ? (ctx.event.data as VolumeSnapshot) : undefined;
    if (gone?.metadata.deletionTimestamp) {
      recordOperation(deleteMetricKey(gone, undefined), "success", gone.metadata.deletionTimestamp, nowMs);
      return { kind: "nothing", why: "snapshot is gone (DeleteSnapshot recorded)" };
    }
    return { kind: "nothing", why: "snapshot is gone" };
  }
  return deleteSnapshot(ctx, vs, nowMs);
}
