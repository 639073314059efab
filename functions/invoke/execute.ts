// invoke's executor: read the content (and its class), plan, write, make the one gateway call,
// then write what its answer means.
import { RESOURCES } from "../../shared/api/resources.js";
import type { VolumeSnapshotClass, VolumeSnapshotContent } from "../../shared/api/snapshot.js";
import type { Outcome, ReconcileContext } from "../../shared/function/types.js";
import { attempt } from "../../shared/gateway/failure.js";
import type { GatewayClient } from "../../shared/gateway/types.js";
import { ANNOTATIONS } from "../../shared/snapshot/constants.js";
import { goneOutcome, outcomeOf, runSteps, writtenKey } from "../../shared/snapshot/run-steps.js";
import { afterCreate, afterDelete, afterList, type CallResult, type GatewayCall, type InvokePlan, planInvoke } from "./plan.js";

async function perform(gateway: GatewayClient, call: GatewayCall, read: VolumeSnapshotContent, content: VolumeSnapshotContent, nowMs: () => number): Promise<InvokePlan> {
  switch (call.kind) {
    case "createSnapshot": {
      const result = await attempt(() => gateway.createSnapshot(call.driver, call.request));
      const marked = (c: VolumeSnapshotContent) => Object.hasOwn(c.metadata.annotations ?? {}, ANNOTATIONS.beingCreated);
      return afterCreate(content, result, nowMs(), { markedNow: !marked(read) && marked(content) });
    }
    case "listSnapshot": {
      const result = await attempt(async () => {
        const page = await gateway.listSnapshots(call.driver, { snapshotId: call.snapshotId, ...(call.secretRef ? { secretRef: call.secretRef } : {}) });
        return page.entries;
      });
      return afterList(content, call.snapshotId, result, nowMs(), call.secretRef);
    }
    case "deleteSnapshot": {
      const result = await attempt(() =>
        gateway.deleteSnapshot(call.driver, { snapshotId: call.snapshotId, ...(call.secretRef ? { secretRef: call.secretRef } : {}) }),
      );
      return afterDelete(content, result, nowMs());
    }
  }
}

export async function executeInvoke(ctx: ReconcileContext, clock: () => number = Date.now): Promise<Outcome> {
  try {
    return await invoke(ctx, clock);
  } catch (err) {
    return goneOutcome(err);
  }
}

async function invoke(ctx: ReconcileContext, clock: () => number): Promise<Outcome> {
  const content = ctx.object as VolumeSnapshotContent | undefined;
  if (!content) return { kind: "nothing", why: "content is gone" };
  const className = content.spec.volumeSnapshotClassName;
  const snapshotClass = className ? await ctx.kube.get<VolumeSnapshotClass>(RESOURCES.volumesnapshotclasses, className) : undefined;

  const plan = planInvoke({ content, ...(snapshotClass ? { snapshotClass } : {}), nowMs: clock() });
  const first = await runSteps(ctx, plan.steps);
  if (!plan.call) return outcomeOf(plan, first.did);

  const latest = (first.written.get(writtenKey("volumesnapshotcontents", undefined, content.metadata.name)) as VolumeSnapshotContent | undefined) ?? content;
  const follow = await perform(ctx.gateway, plan.call, content, latest, clock);
  const second = await runSteps(ctx, follow.steps, first.written);
  return outcomeOf(follow, [...first.did, `called ${plan.call.kind} on ${plan.call.driver}`, ...second.did]);
}
