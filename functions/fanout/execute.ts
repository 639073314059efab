// fanout's executor: read what the plans need, plan, write, fan the members out, make the one
// gateway call of a group content and write what its answer means.
import type { PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES, type ResourceType } from "../../shared/api/resources.js";
import type {
  VolumeGroupSnapshot,
  VolumeGroupSnapshotClass,
  VolumeGroupSnapshotContent,
  VolumeSnapshot,
  VolumeSnapshotContent,
} from "../../shared/api/snapshot.js";
import type { Outcome, ReconcileContext } from "../../shared/function/types.js";
import { attempt, type CallResult } from "../../shared/gateway/failure.js";
import type { GatewayClient } from "../../shared/gateway/types.js";
import { formatLabelSelector, LabelSelectorError } from "../../shared/kube/label-selector.js";
import { KubeApiError, type KubeClient, type ListOptions } from "../../shared/kube/types.js";
import { ANNOTATIONS } from "../../shared/snapshot/constants.js";
import { recordOperation } from "../../shared/snapshot/metrics.js";
import { isDeleting } from "../../shared/snapshot/objects.js";
import { goneOutcome, outcomeOf, runSteps, writtenKey, type Written } from "../../shared/snapshot/run-steps.js";
import {
  afterGroupCreate,
  afterGroupDelete,
  afterGroupDiscard,
  afterGroupGet,
  planGroupContent,
  type GroupCall,
  type GroupContentPlan,
} from "./content.js";
import {
  buildMemberContent,
  buildMemberSnapshot,
  indexVolumes,
  memberInfos,
  memberIsComplete,
  memberNames,
  memberWrites,
  volumeIndexKey,
  type MemberInput,
  type MemberWrite,
} from "./members.js";
import { GMSG } from "./messages.js";
import {
  candidateGroupContentName,
  groupContentNamesFor,
  groupMetricKey,
  isDynamicGroup,
  isMemberOf,
  needsClaims,
  planGroupDeletion,
  planGroupSnapshot,
  type GroupState,
  type MemberTask,
} from "./plan.js";

const PAGE = 500;
/** Parallel member writes of one group (the API server, not this loop, is the limit). */
const MEMBER_CONCURRENCY = 48;

async function listAll<T extends KubeObject>(kube: KubeClient, type: ResourceType, options: ListOptions = {}): Promise<T[]> {
  const items: T[] = [];
  let continueToken: string | undefined;
  do {
    const page = await kube.list<T>(type, { ...options, limit: PAGE, ...(continueToken ? { continue: continueToken } : {}) });
    items.push(...page.items);
    continueToken = page.metadata.continue || undefined;
  } while (continueToken);
  return items;
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export async function loadGroupState(kube: KubeClient, g: VolumeGroupSnapshot, nowMs: number): Promise<GroupState> {
  const contents: GroupState["contents"] = {};
  await Promise.all(
    groupContentNamesFor(g).map(async (name) => {
      contents[name] = await kube.get<VolumeGroupSnapshotContent>(RESOURCES.volumegroupsnapshotcontents, name);
    }),
  );
  let classes: VolumeGroupSnapshotClass[] = [];
  const className = g.spec.volumeGroupSnapshotClassName;
  if (className !== undefined) {
    const cls = await kube.get<VolumeGroupSnapshotClass>(RESOURCES.volumegroupsnapshotclasses, className);
    classes = cls ? [cls] : [];
  } else if (isDynamicGroup(g)) {
    classes = await listAll<VolumeGroupSnapshotClass>(kube, RESOURCES.volumegroupsnapshotclasses);
  }
  const state: GroupState = { group: g, classes, contents, nowMs };
  if (needsClaims(g, contents)) {
    let labelSelector: string;
    try {
      labelSelector = formatLabelSelector(g.spec.source.selector);
    } catch (err) {
      if (!(err instanceof LabelSelectorError)) throw err;
      return { ...state, selectorError: err.message };
    }
    // Membership is the selector's answer at this moment (matchExpressions included, unlike upstream's #1286).
    state.claims = await listAll<PersistentVolumeClaim>(kube, RESOURCES.persistentvolumeclaims, { namespace: g.metadata.namespace, labelSelector });
    const volumes: Record<string, PersistentVolume> = {};
    if (state.claims.length > 0) for (const pv of await listAll<PersistentVolume>(kube, RESOURCES.persistentvolumes)) volumes[pv.metadata.name!] = pv;
    state.volumes = volumes;
  }
  return state;
}

async function createOrGet<T extends KubeObject>(kube: KubeClient, type: ResourceType, object: T): Promise<T> {
  try {
    return await kube.create<T>(type, object);
  } catch (err) {
    if (!(err instanceof KubeApiError && err.code === 409 && err.reason === "AlreadyExists")) throw err;
    const existing = await kube.get<T>(type, object.metadata.name!, object.metadata.namespace);
    // Gone between the two calls: a conflict, so the event is redelivered and decided afresh.
    if (!existing) throw new KubeApiError(409, "Conflict", `${type.kind} ${object.metadata.name} vanished while being read`);
    return existing;
  }
}

async function performMemberWrite(kube: KubeClient, w: MemberWrite): Promise<void> {
  switch (w.kind) {
    case "bindContent":
      await kube.patch(RESOURCES.volumesnapshotcontents, w.content, undefined, { spec: { volumeSnapshotRef: { uid: w.snapshotUid } } }, "merge");
      return;
    case "snapshotBound":
      await kube.patch(RESOURCES.volumesnapshots, w.snapshot, w.namespace, { status: { boundVolumeSnapshotContentName: w.content } }, "merge", "status");
      return;
    case "contentStatus":
      await kube.patch(RESOURCES.volumesnapshotcontents, w.content, undefined, { status: w.status }, "merge", "status");
      return;
  }
}

/** Creates (or finds) each member pair and binds it both ways; idempotent, so a retry redoes only what is missing. */
async function ensureMembers(kube: KubeClient, g: VolumeGroupSnapshot, task: MemberTask): Promise<number> {
  // One list tells which pairs are already complete: a re-run (a redelivery, a second event) then
  // costs two reads, not a round of writes per member.
  const existing = new Map(
    (await listAll<VolumeSnapshot>(kube, RESOURCES.volumesnapshots, { namespace: g.metadata.namespace })).map((vs) => [vs.metadata.name!, vs]),
  );
  const infos = memberInfos(task.content).filter((info) => !memberIsComplete(g, info.volumeHandle!, existing.get(memberNames(g, info.volumeHandle!).snapshot)));
  if (infos.length === 0) return 0;
  const index = indexVolumes(await listAll<PersistentVolume>(kube, RESOURCES.persistentvolumes));
  let writes = 0;
  await pool(infos, MEMBER_CONCURRENCY, async (info) => {
    const pv = index.get(volumeIndexKey(task.content.spec.driver, info.volumeHandle!));
    const input: MemberInput = { group: g, content: task.content, info, ...(pv ? { pv } : {}), ...(task.secret ? { secret: task.secret } : {}) };
    const snapshot = await createOrGet<VolumeSnapshot>(kube, RESOURCES.volumesnapshots, buildMemberSnapshot(input));
    if (!snapshot.metadata.uid) throw new Error(GMSG.memberWithoutUid(snapshot.metadata.name!));
    const content = await createOrGet<VolumeSnapshotContent>(kube, RESOURCES.volumesnapshotcontents, buildMemberContent(input, snapshot.metadata.uid));
    for (const w of memberWrites(input, snapshot, content)) {
      await performMemberWrite(kube, w);
      writes++;
    }
  });
  return writes;
}

async function executeGroupSnapshot(ctx: ReconcileContext, g: VolumeGroupSnapshot, nowMs: number): Promise<Outcome> {
  if (isDeleting(g)) {
    const contentName = candidateGroupContentName(g);
    const content = contentName ? await ctx.kube.get<VolumeGroupSnapshotContent>(RESOURCES.volumegroupsnapshotcontents, contentName) : undefined;
    const snapshots = await listAll<VolumeSnapshot>(ctx.kube, RESOURCES.volumesnapshots, { namespace: g.metadata.namespace });
    const members = snapshots.filter((vs) => isMemberOf(vs, g));
    const claims = members.length > 0 ? (await listAll<PersistentVolumeClaim>(ctx.kube, RESOURCES.persistentvolumeclaims, { namespace: g.metadata.namespace })).filter((c) => c.status?.phase !== "Bound") : [];
    const plan = planGroupDeletion({ group: g, ...(content ? { content } : {}), members, claims, nowMs });
    const { did } = await runSteps(ctx, plan.steps);
    return outcomeOf(plan, did);
  }

  const state = await loadGroupState(ctx.kube, g, nowMs);
  const plan = planGroupSnapshot(state);
  const first = await runSteps(ctx, plan.steps);
  if (!plan.members) return outcomeOf(plan, first.did);
  const writes = await ensureMembers(ctx.kube, g, plan.members);
  const did = [...first.did, `ensured ${memberInfos(plan.members.content).length} member snapshots (${writes} binding writes)`];
  const second = await runSteps(ctx, plan.after ?? [], first.written);
  return outcomeOf(plan, [...did, ...second.did]);
}

/** read: the content as this invocation first read it; content: as the plan's writes left it. */
async function perform(gateway: GatewayClient, call: GroupCall, read: VolumeGroupSnapshotContent, content: VolumeGroupSnapshotContent, clock: () => number): Promise<GroupContentPlan> {
  const ref = (c: { groupSnapshotId: string; snapshotIds: string[]; secretRef?: { name: string; namespace: string } }) => ({
    groupSnapshotId: c.groupSnapshotId,
    snapshotIds: c.snapshotIds,
    ...(c.secretRef ? { secretRef: c.secretRef } : {}),
  });
  switch (call.kind) {
    case "createGroup": {
      const result = await attempt(() => gateway.createGroupSnapshot(call.driver, call.request));
      const marked = (c: VolumeGroupSnapshotContent) => Object.hasOwn(c.metadata.annotations ?? {}, ANNOTATIONS.groupBeingCreated);
      return afterGroupCreate(content, call.request, result, clock(), { markedNow: !marked(read) && marked(content) });
    }
    case "getGroup":
      return afterGroupGet(content, await attempt(() => gateway.getGroupSnapshot(call.driver, ref(call))), clock(), call.secretRef);
    case "deleteGroup":
      return afterGroupDelete(content, await attempt(() => gateway.deleteGroupSnapshot(call.driver, ref(call))), clock());
    case "discardGroup":
      return afterGroupDiscard(content, call.message, await attempt(() => gateway.deleteGroupSnapshot(call.driver, ref(call))), clock());
  }
}

async function executeGroupContent(ctx: ReconcileContext, content: VolumeGroupSnapshotContent, clock: () => number): Promise<Outcome> {
  const className = content.spec.volumeGroupSnapshotClassName;
  const groupClass = className ? await ctx.kube.get<VolumeGroupSnapshotClass>(RESOURCES.volumegroupsnapshotclasses, className) : undefined;
  const ref = content.spec.volumeGroupSnapshotRef;
  const groupSnapshot =
    isDeleting(content) && ref.name && ref.namespace ? await ctx.kube.get<VolumeGroupSnapshot>(RESOURCES.volumegroupsnapshots, ref.name, ref.namespace) : undefined;
  const plan = planGroupContent({ content, ...(groupClass ? { groupClass } : {}), ...(groupSnapshot ? { groupSnapshot } : {}), nowMs: clock() });

  const did: string[] = [];
  let written: Written = new Map();
  let current: GroupContentPlan = plan;
  let latest = content;
  // At most two calls: the plan's, and the discard of an incomplete create answer.
  for (let round = 0; round < 3; round++) {
    const ran = await runSteps(ctx, current.steps, written);
    written = ran.written;
    did.push(...ran.did);
    const call = current.call;
    if (!call) return outcomeOf(current, did);
    latest = (written.get(writtenKey("volumegroupsnapshotcontents", undefined, content.metadata.name)) as VolumeGroupSnapshotContent | undefined) ?? latest;
    did.push(`called ${call.kind} on ${call.driver}`);
    current = await perform(ctx.gateway, call, content, latest, clock);
  }
  return outcomeOf(current, did);
}

export async function executeFanout(ctx: ReconcileContext, clock: () => number = Date.now): Promise<Outcome> {
  if (ctx.key.resource === "volumegroupsnapshotcontents") {
    const content = ctx.object as VolumeGroupSnapshotContent | undefined;
    if (!content) return { kind: "nothing", why: "group content is gone" };
    return executeGroupContent(ctx, content, clock).catch(goneOutcome);
  }
  const g = ctx.object as VolumeGroupSnapshot | undefined;
  if (!g) {
    // The group's own "deleted" event ends its DeleteGroupSnapshot operation.
    const gone = ctx.event.resource === "volumegroupsnapshots" && ctx.event.verb === "deleted" ? (ctx.event.data as VolumeGroupSnapshot) : undefined;
    if (gone?.metadata.deletionTimestamp) {
      recordOperation(groupMetricKey(gone, "DeleteGroupSnapshot", undefined), "success", gone.metadata.deletionTimestamp, clock());
      return { kind: "nothing", why: "group snapshot is gone (DeleteGroupSnapshot recorded)" };
    }
    return { kind: "nothing", why: "group snapshot is gone" };
  }
  return executeGroupSnapshot(ctx, g, clock()).catch(goneOutcome);
}
