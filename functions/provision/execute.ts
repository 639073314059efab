// provision's executor: read what a plan needs, plan, write, make the one gateway call, then write
// what its answer means. Three targets: a claim (provision it; release its clone protection), a
// snapshot (release its restore protection) and a PV (its finalizer; delete a released volume).
import type { KubeEvent, PersistentVolume, PersistentVolumeClaim, StorageClass } from "../../shared/api/core.js";
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { Outcome, ReconcileContext } from "../../shared/function/types.js";
import { GatewayError, type DriverCapabilities, type GatewayClient } from "../../shared/gateway/types.js";
import { KubeApiError, type KubeClient } from "../../shared/kube/types.js";
import { outcomeOf, runSteps, type Written } from "../../shared/snapshot/run-steps.js";
import type { Plan } from "../../shared/snapshot/steps.js";
import { attempt, type CallResult } from "../../shared/volume/csi.js";
import { ANN, FINALIZER, REASONS, volumeNameFor } from "./constants.js";
import {
  afterCleanup,
  afterCreateVolume,
  afterDeleteVolume,
  afterDeletedClaimCreate,
  afterDeletedClaimDelete,
  asLiveClaim,
  claimClassName,
  cloningFrom,
  deletionCandidate,
  deletionSecretClassName,
  mayNeedVolume,
  orphanCandidate,
  planClaim,
  planDeletedClaim,
  planCloneRelease,
  planSnapshotRelease,
  planVolume,
  resolveClass,
  restoringFrom,
  volumeWork,
  type ClaimState,
  type DropFinalizer,
  type Protection,
  type ProvisionPlan,
} from "./plan.js";
import { dataSourceOf, isClaimSource, isSnapshotSource } from "./source.js";

/** Upstream's cleanupVolume tries DeleteVolume this many times. */
const CLEANUP_TRIES = 5;

/** Small pages: a release check usually stops at the first pending restore or clone it meets. */
const PAGE = 100;

/** undefined when the gateway does not serve the driver (it answers NOT_FOUND for unknown drivers). */
export async function capabilitiesOf(gateway: GatewayClient, driver: string): Promise<DriverCapabilities | undefined> {
  try {
    return await gateway.capabilities(driver);
  } catch (err) {
    if (err instanceof GatewayError && err.code === "NOT_FOUND") return undefined;
    throw err;
  }
}

/** The namespace's claims, page by page, stopping early at the first one `stop` accepts. */
async function claimsUntil(kube: KubeClient, namespace: string | undefined, stop: (claim: PersistentVolumeClaim) => boolean): Promise<PersistentVolumeClaim[]> {
  const claims: PersistentVolumeClaim[] = [];
  let token: string | undefined;
  do {
    const page = await kube.list<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, { namespace, limit: PAGE, ...(token ? { continue: token } : {}) });
    claims.push(...page.items);
    if (page.items.some(stop)) break;
    token = page.metadata.continue || undefined;
  } while (token);
  return claims;
}

export async function loadClaimState(kube: KubeClient, gateway: GatewayClient, claim: PersistentVolumeClaim, nowMs: number): Promise<ClaimState> {
  const named = claimClassName(claim);
  let classes: StorageClass[] = [];
  if (named) {
    const cls = await kube.get<StorageClass>(RESOURCES.storageclasses, named);
    classes = cls ? [cls] : [];
  } else if (named === undefined) {
    classes = (await kube.list<StorageClass>(RESOURCES.storageclasses)).items;
  }
  const state: ClaimState = { claim, classes, nowMs };
  const resolved = resolveClass(claim, classes);
  if (resolved.kind !== "class") return state;
  const capabilities = await capabilitiesOf(gateway, resolved.cls.provisioner);
  if (!capabilities) return state;
  state.capabilities = capabilities;

  // The PV and the source are independent reads: make them together.
  const [volume] = await Promise.all([kube.get<PersistentVolume>(RESOURCES.persistentvolumes, volumeNameFor(claim.metadata.uid!)), loadSource(kube, claim, state)]);
  if (volume) {
    state.volume = volume;
    for (const key of ["snapshot", "content", "sourceClaim", "sourceVolume"] as const) delete state[key];
  }
  return state;
}

async function loadSource(kube: KubeClient, claim: PersistentVolumeClaim, state: ClaimState): Promise<void> {
  const source = dataSourceOf(claim);
  // Sources the plan refuses before looking at them are not read.
  if (!source?.name || source.namespaceSpecified) return;
  if (isSnapshotSource(source)) {
    const snapshot = await kube.get<VolumeSnapshot>(RESOURCES.volumesnapshots, source.name, source.namespace);
    if (snapshot) state.snapshot = snapshot;
    const contentName = snapshot?.status?.boundVolumeSnapshotContentName;
    const content = contentName ? await kube.get<VolumeSnapshotContent>(RESOURCES.volumesnapshotcontents, contentName) : undefined;
    if (content) state.content = content;
  } else if (isClaimSource(source)) {
    const sourceClaim = await kube.get<PersistentVolumeClaim>(RESOURCES.persistentvolumeclaims, source.name, source.namespace);
    if (sourceClaim) state.sourceClaim = sourceClaim;
    const sourceVolume = sourceClaim?.spec.volumeName ? await kube.get<PersistentVolume>(RESOURCES.persistentvolumes, sourceClaim.spec.volumeName) : undefined;
    if (sourceVolume) state.sourceVolume = sourceVolume;
  }
}

/**
 * Adds a protection finalizer. A conflict means someone else wrote the object (often another
 * restore adding the same finalizer): re-read and try again, a few times, instead of failing the
 * whole reconcile into a redelivery.
 */
async function protect(kube: KubeClient, p: Protection): Promise<string> {
  const type = RESOURCES[p.resource];
  let object = p.object;
  for (let attempt = 0; ; attempt++) {
    try {
      await kube.update(type, object);
      return `updated ${p.resource} ${object.metadata.namespace}/${object.metadata.name}`;
    } catch (err) {
      // Upstream's setSnapshotFinalizer: without the RBAC to update VolumeSnapshots the restore
      // goes ahead unprotected (older deployments lack that verb). Not so for a clone source.
      if (p.resource === "volumesnapshots" && err instanceof KubeApiError && err.code === 403) {
        return `could not protect ${p.resource} ${object.metadata.namespace}/${object.metadata.name} (forbidden): restoring unprotected`;
      }
      if (!(err instanceof KubeApiError && err.isConflict) || attempt >= 4) throw err;
    }
    const fresh = await kube.get<KubeObject>(type, object.metadata.name!, object.metadata.namespace);
    if (!fresh || fresh.metadata.uid !== p.object.metadata.uid) throw new KubeApiError(409, "Conflict", `${type.kind} ${object.metadata.name} changed while it was being protected`);
    if (fresh.metadata.finalizers?.includes(p.finalizer)) return `found ${p.resource} ${object.metadata.namespace}/${object.metadata.name} protected`;
    object = { ...fresh, metadata: { ...fresh.metadata, finalizers: [...(fresh.metadata.finalizers ?? []), p.finalizer] } };
  }
}

/**
 * Takes a finalizer off the current version of an object (upstream re-reads it first: a step may
 * just have changed it). Gone, another object by that name, or no such finalizer: nothing to do.
 */
async function dropFinalizer(ctx: ReconcileContext, drop: DropFinalizer): Promise<string | undefined> {
  const type = RESOURCES[drop.resource];
  const where = `${drop.resource} ${drop.namespace ? `${drop.namespace}/` : ""}${drop.name}`;
  try {
    for (let attempt = 0; ; attempt++) {
      const fresh = await ctx.kube.get<KubeObject>(type, drop.name, drop.namespace);
      if (!fresh || (drop.uid && fresh.metadata.uid !== drop.uid) || !fresh.metadata.finalizers?.includes(drop.finalizer)) return undefined;
      try {
        await ctx.kube.update(type, { ...fresh, metadata: { ...fresh.metadata, finalizers: fresh.metadata.finalizers.filter((f) => f !== drop.finalizer) } });
        return `removed finalizer ${drop.finalizer} from ${where}`;
      } catch (err) {
        if (err instanceof KubeApiError && err.isNotFound) return undefined;
        if (!(err instanceof KubeApiError && err.isConflict) || attempt >= 4) throw err;
      }
    }
  } catch (err) {
    if (!drop.bestEffort) throw err;
    ctx.log.warn({ err: err instanceof Error ? err.message : String(err) }, `removing finalizer ${drop.finalizer} from ${where} failed; the release check removes it later`);
    return undefined;
  }
}

/** Runs a plan that may end in a gateway call, then the plan made from the call's answer. */
async function runWithCall(
  ctx: ReconcileContext,
  plan: ProvisionPlan,
  follow: (written: Written) => Promise<{ plan: ProvisionPlan; did: string }>,
  done: string[] = [],
): Promise<Outcome> {
  const first = await runSteps(ctx, plan.steps);
  if (!plan.call || plan.verdict.kind !== "done") return outcomeOf(plan, [...done, ...first.did]);
  if (plan.protect) first.did.push(await protect(ctx.kube, plan.protect));
  const next = await follow(first.written);
  let after = next.plan;
  const did = [...done, ...first.did, next.did];
  if (after.call?.kind === "deleteVolume") {
    // Cleanup of a volume the driver made wrongly, before the report (which says whether it
    // worked): a few tries now, as upstream; the claim's retry repeats it if needed.
    const cleanup = after.call;
    let result: CallResult<void> = { ok: false, failure: { message: "not tried" } };
    for (let i = 0; i < CLEANUP_TRIES && !result.ok; i++) {
      result = await attempt(() => ctx.gateway.deleteVolume(cleanup.driver, { volumeId: cleanup.volumeId, ...(cleanup.secretRef ? { secretRef: cleanup.secretRef } : {}) }));
    }
    did.push(result.ok ? `deleted volume ${cleanup.volumeId} again` : `cleanup of volume ${cleanup.volumeId} failed: ${result.failure.message}`);
    after = afterCleanup(after, result);
  }
  const second = await runSteps(ctx, after.steps, first.written);
  did.push(...second.did);
  if (after.dropFinalizer) {
    const dropped = await dropFinalizer(ctx, after.dropFinalizer);
    if (dropped) did.push(dropped);
  }
  return outcomeOf(after, did);
}

async function reconcileClaim(ctx: ReconcileContext, claim: PersistentVolumeClaim, clock: () => number): Promise<Outcome> {
  const done: string[] = [];
  // A deleted claim other claims clone from: release the protection once no clone is pending.
  if (claim.metadata.finalizers?.includes(FINALIZER.cloneSource) && claim.metadata.deletionTimestamp) {
    const release = planCloneRelease(claim, await claimsUntil(ctx.kube, claim.metadata.namespace, cloningFrom(claim)));
    const ran = await runSteps(ctx, release.steps);
    done.push(...ran.did);
    if (ran.did.length > 0) return outcomeOf(release, done);
  }
  const skip = mayNeedVolume(claim);
  if (skip) return done.length > 0 ? { kind: "done", did: done } : { kind: "nothing", why: skip };
  // The PV's name comes from the claim's UID: when it exists and the claim already names its
  // provisioner, everything is done (the binder binds) — no class, driver or source to read.
  const ann = claim.metadata.annotations ?? {};
  if (ann[ANN.storageProvisioner] ?? ann[ANN.betaStorageProvisioner]) {
    const pv = await ctx.kube.get<PersistentVolume>(RESOURCES.persistentvolumes, volumeNameFor(claim.metadata.uid!));
    if (pv) return done.length > 0 ? { kind: "done", did: done } : { kind: "nothing", why: `PV ${pv.metadata.name} exists; the binder binds it` };
  }
  const state = await loadClaimState(ctx.kube, ctx.gateway, claim, clock());
  const plan = planClaim(state);
  const annotate = async () => {
    if (!plan.annotate) return;
    try {
      await ctx.kube.patch(RESOURCES.persistentvolumeclaims, claim.metadata.name!, claim.metadata.namespace, { metadata: { annotations: plan.annotate } }, "merge");
      done.push(`annotated persistentvolumeclaims ${claim.metadata.namespace}/${claim.metadata.name}`);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.isNotFound)) throw err;
    }
  };
  if (!plan.call) {
    await annotate();
    // A claim refused after its source checked out (class secrets or parameters) has protected the
    // source already: upstream adds the finalizer before it resolves those.
    if (plan.protect) done.push(await protect(ctx.kube, plan.protect));
    const ran = await runSteps(ctx, plan.steps);
    return outcomeOf(plan, [...done, ...ran.did]);
  }
  const outcome = await runWithCall(ctx, plan, async (written) => {
    const call = plan.call!;
    if (call.kind !== "createVolume") throw new Error("provision: a claim plan can only create a volume");
    const latest = (written.get(`persistentvolumeclaims/${claim.metadata.namespace ?? ""}/${claim.metadata.name ?? ""}`) as PersistentVolumeClaim | undefined) ?? claim;
    const result = await attempt(() => ctx.gateway.createVolume(call.driver, call.request));
    return { plan: afterCreateVolume(latest, call, result, clock()), did: `called createVolume on ${call.driver}` };
  });
  // After the PV exists (or the attempt failed): the claim's "modified" event then finds the PV.
  await annotate();
  if (done.length === 0) return outcome;
  if (outcome.kind === "done") return { ...outcome, did: [...outcome.did, ...done] };
  if (outcome.kind === "nothing") return { kind: "done", did: done };
  if (outcome.kind === "requeue") return { ...outcome, did: [...(outcome.did ?? []), ...done] };
  return outcome;
}

async function reconcileSnapshot(ctx: ReconcileContext, snapshot: VolumeSnapshot): Promise<Outcome> {
  if (!snapshot.metadata.finalizers?.includes(FINALIZER.snapshotSource)) {
    return { kind: "nothing", why: "snapshot carries no restore protection" };
  }
  const plan: Plan = planSnapshotRelease(snapshot, await claimsUntil(ctx.kube, snapshot.metadata.namespace, restoringFrom(snapshot)));
  try {
    const { did } = await runSteps(ctx, plan.steps);
    return outcomeOf(plan, did);
  } catch (err) {
    // As upstream's sweep: without the RBAC to update VolumeSnapshots the finalizer stays; no retry helps.
    if (err instanceof KubeApiError && err.code === 403) return { kind: "nothing", why: `cannot release the restore protection: ${err.message}` };
    throw err;
  }
}

async function reconcileVolume(ctx: ReconcileContext, pv: PersistentVolume, clock: () => number): Promise<Outcome> {
  const driver = deletionCandidate(pv);
  const served = driver ? (await capabilitiesOf(ctx.gateway, driver)) !== undefined : false;
  // The class only matters when the volume is to be deleted by us now; absent = gone (upstream goes on without secrets).
  const className = served && volumeWork(pv) === "deleteVolume" ? deletionSecretClassName(pv) : undefined;
  const cls = className ? await ctx.kube.get<StorageClass>(RESOURCES.storageclasses, className) : undefined;
  const plan = planVolume(pv, served, clock(), cls);
  return runWithCall(ctx, plan, async () => {
    const call = plan.call!;
    if (call.kind !== "deleteVolume") throw new Error("provision: a volume plan can only delete a volume");
    const result = await attempt(() => ctx.gateway.deleteVolume(call.driver, { volumeId: call.volumeId, ...(call.secretRef ? { secretRef: call.secretRef } : {}) }));
    return { plan: afterDeleteVolume(pv, result, clock()), did: `called deleteVolume on ${call.driver}` };
  });
}

/**
 * A claim gone while it waited for a volume (planDeletedClaim): was a volume left behind? Reads
 * only the claim's Provisioning Events first; the class, driver, PV and source only when one exists.
 */
async function reconcileDeletedClaim(ctx: ReconcileContext, claim: PersistentVolumeClaim, clock: () => number): Promise<Outcome> {
  const skip = orphanCandidate(claim);
  if (skip) return { kind: "nothing", why: skip };
  const where = `${claim.metadata.namespace}/${claim.metadata.name}`;
  const events = await ctx.kube.list<KubeEvent>(RESOURCES.events, {
    namespace: claim.metadata.namespace,
    fieldSelector: `involvedObject.uid=${claim.metadata.uid},reason=${REASONS.provisioning}`,
    limit: 1,
  });
  const provisioningRecorded = events.items.length > 0;
  const live = asLiveClaim(claim);
  const state = provisioningRecorded ? await loadClaimState(ctx.kube, ctx.gateway, live, clock()) : { claim: live, classes: [], nowMs: clock() };
  const plan = planDeletedClaim({ ...state, provisioningRecorded });
  if (plan.call?.kind !== "createVolume") return outcomeOf(plan, []);
  const create = plan.call;
  const did = [`called createVolume ${create.request.name} on ${create.driver} again for deleted claim ${where} (its Provisioning Event says one may have been sent)`];
  const created = await attempt(() => ctx.gateway.createVolume(create.driver, create.request));
  const next = afterDeletedClaimCreate(claim, create, created, clock());
  if (next.call?.kind !== "deleteVolume") return outcomeOf(next, did);
  const remove = next.call;
  const deleted = await attempt(() => ctx.gateway.deleteVolume(remove.driver, { volumeId: remove.volumeId, ...(remove.secretRef ? { secretRef: remove.secretRef } : {}) }));
  const last = afterDeletedClaimDelete(claim, remove, deleted, clock());
  if (last.verdict.kind === "done") {
    did.push(`deleted volume ${remove.volumeId} left behind by deleted claim ${where}`);
    ctx.log.warn({ claim: where, uid: claim.metadata.uid, driver: remove.driver, volumeId: remove.volumeId }, "deleted a volume a deleted claim left behind (its CreateVolume had timed out)");
  } else {
    did.push(`called deleteVolume ${remove.volumeId} on ${remove.driver}`);
  }
  return outcomeOf(last, did);
}

/** The "deleted" event of a claim, reconciled for the claim itself: its last state is the event's. */
function deletedClaimOf(ctx: ReconcileContext): PersistentVolumeClaim | undefined {
  const { event, key } = ctx;
  if (event.verb !== "deleted" || event.resource !== "persistentvolumeclaims" || key.resource !== "persistentvolumeclaims") return undefined;
  if (key.uid !== event.uid || key.name !== event.name || key.namespace !== event.namespace) return undefined;
  return event.data as PersistentVolumeClaim;
}

export async function executeProvision(ctx: ReconcileContext, clock: () => number = Date.now): Promise<Outcome> {
  const object = ctx.object;
  if (!object) {
    // Gone (or another object by that name now): only a deleted claim's own check is left to do.
    const deleted = deletedClaimOf(ctx);
    return deleted ? reconcileDeletedClaim(ctx, deleted, clock) : { kind: "nothing", why: "object is gone" };
  }
  switch (ctx.key.resource) {
    case "persistentvolumeclaims":
      return reconcileClaim(ctx, object as PersistentVolumeClaim, clock);
    case "volumesnapshots":
      return reconcileSnapshot(ctx, object as VolumeSnapshot);
    case "persistentvolumes":
      return reconcileVolume(ctx, object as PersistentVolume, clock);
    default:
      return { kind: "nothing", why: `provision does not handle ${ctx.key.resource}` };
  }
}
