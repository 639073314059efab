// Performs a plan's steps against the API with optimistic concurrency. Steps that write the same
// object one after another carry the resourceVersion the previous write returned (the plan built
// them cumulatively from the version it read), so a write by anyone else in between is a 409.
import type { KubeObject } from "../api/meta.js";
import { RESOURCES, type ResourceName } from "../api/resources.js";
import type { VolumeGroupSnapshot, VolumeSnapshot } from "../api/snapshot.js";
import type { EventRecorder, Logger, Outcome } from "../function/types.js";
import { KubeApiError, type KubeClient } from "../kube/types.js";
import { applyMetricMark } from "./metrics.js";
import { snapshotWithError } from "./status.js";
import { describeStep, type FailureEvent, type FailureReport, type Plan, type Step } from "./steps.js";

export interface StepContext {
  kube: KubeClient;
  recorder: EventRecorder;
  log: Logger;
}

/** The objects as the API returned them after this run's writes, by resource/namespace/name. */
export type Written = Map<string, KubeObject>;

export function writtenKey(resource: ResourceName, namespace: string | undefined, name: string | undefined): string {
  return `${resource}/${namespace ?? ""}/${name ?? ""}`;
}

function withLatestVersion(resource: ResourceName, object: KubeObject, written: Written): KubeObject {
  const latest = written.get(writtenKey(resource, object.metadata.namespace, object.metadata.name));
  if (!latest?.metadata.resourceVersion) return object;
  return { ...object, metadata: { ...object.metadata, resourceVersion: latest.metadata.resourceVersion } };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function reportFailure(ctx: StepContext, report: FailureReport | undefined, err: unknown, written: Written): Promise<void> {
  // A conflict only means "someone wrote first": the event is redelivered and decided afresh. Upstream
  // records these as Warnings (its issue #525), which backup tools then mistake for failures.
  if (!report || (err instanceof KubeApiError && err.isConflict)) return;
  for (const failure of Array.isArray(report) ? (report as readonly FailureEvent[]) : [report as FailureEvent]) {
    const message = failure.message.replace("{err}", errorText(err));
    if (failure.errorStatus) {
      // The group controller writes its error statuses the same way, onto the VolumeGroupSnapshot.
      const resource: ResourceName = failure.on.kind === "VolumeGroupSnapshot" ? "volumegroupsnapshots" : "volumesnapshots";
      const target = withLatestVersion(resource, failure.on, written) as VolumeSnapshot | VolumeGroupSnapshot;
      const updated = snapshotWithError(target, message, failure.errorStatus.setReadyFalse, Date.now());
      if (!updated) continue;
      try {
        const result = await ctx.kube.updateStatus(RESOURCES[resource], updated);
        written.set(writtenKey(resource, result.metadata.namespace, result.metadata.name), result);
      } catch (statusErr) {
        // Upstream records the Event whatever became of the status write; the original error is
        // what the caller sees and retries on.
        ctx.log.warn({ reason: failure.reason, err: errorText(statusErr) }, "recording an error status failed");
      }
    }
    await recordSafely(ctx, failure.on, "Warning", failure.reason, message, failure.component);
  }
}

async function recordSafely(
  ctx: StepContext,
  on: KubeObject,
  type: "Normal" | "Warning",
  reason: string,
  message: string,
  component?: string,
): Promise<void> {
  try {
    await ctx.recorder.record(on, { type, reason, message, ...(component ? { component } : {}) });
  } catch (err) {
    // An Event is advice for humans; losing one must not undo or repeat the real work.
    ctx.log.warn({ reason, err: errorText(err) }, "recording an event failed");
  }
}

/** A write found its object gone: whoever removed it settled the matter; the rest of the plan is moot. */
export class ObjectGone extends Error {
  constructor(readonly did: string[], cause: KubeApiError) {
    super(cause.message);
    this.name = "ObjectGone";
  }
}

/** Runs the steps in order; the first failing write throws (after its failure Event). */
export async function runSteps(ctx: StepContext, steps: readonly Step[], written: Written = new Map()): Promise<{ did: string[]; written: Written }> {
  const did: string[] = [];
  for (const step of steps) {
    switch (step.op) {
      case "event":
        if (step.required && ctx.recorder.recordStrictly) {
          // The durable record of what follows: without it the run must stop (and be redelivered).
          await ctx.recorder.recordStrictly(step.on, { type: step.type, reason: step.reason, message: step.message, ...(step.component ? { component: step.component } : {}) });
        } else {
          await recordSafely(ctx, step.on, step.type, step.reason, step.message, step.component);
        }
        break;
      case "metric":
        applyMetricMark(step.mark);
        break;
      case "update":
      case "updateStatus": {
        const type = RESOURCES[step.resource];
        const body = withLatestVersion(step.resource, step.object, written);
        try {
          const result = step.op === "update" ? await ctx.kube.update(type, body) : await ctx.kube.updateStatus(type, body);
          written.set(writtenKey(step.resource, result.metadata.namespace, result.metadata.name), result);
        } catch (err) {
          if (err instanceof KubeApiError && err.isNotFound) throw new ObjectGone(did, err);
          await reportFailure(ctx, step.onFailure, err, written);
          throw err;
        }
        break;
      }
      case "create": {
        try {
          const result = await ctx.kube.create(RESOURCES[step.resource], step.object);
          written.set(writtenKey(step.resource, result.metadata.namespace, result.metadata.name), result);
        } catch (err) {
          if (step.alreadyExistsOk && err instanceof KubeApiError && err.code === 409 && err.reason === "AlreadyExists") break;
          await reportFailure(ctx, step.onFailure, err, written);
          throw err;
        }
        break;
      }
      case "delete": {
        try {
          await ctx.kube.delete(RESOURCES[step.resource], step.name, step.namespace, step.uid ? { uid: step.uid } : undefined);
        } catch (err) {
          if (err instanceof KubeApiError && err.isNotFound) break;
          await reportFailure(ctx, step.onFailure, err, written);
          throw err;
        }
        break;
      }
    }
    if (step.op !== "metric") did.push(describeStep(step));
  }
  return { did, written };
}

/** Maps a plan's verdict (after its steps ran) onto the framework's Outcome. */
export function outcomeOf(plan: Plan, did: string[]): Outcome {
  const v = plan.verdict;
  switch (v.kind) {
    case "done":
      return did.length > 0 ? { kind: "done", did } : { kind: "nothing", why: "nothing to change" };
    case "nothing":
      return did.length > 0 ? { kind: "done", did } : { kind: "nothing", why: v.why };
    case "requeue":
      return { kind: "requeue", afterMs: v.afterMs, reason: v.reason, ...(did.length > 0 ? { did } : {}) };
    case "invalid":
      return { kind: "invalid", message: v.message };
  }
}

/** Plan then perform: what every snapshot function's executor does for a single-phase plan. */
export async function executePlan(ctx: StepContext, plan: Plan): Promise<Outcome> {
  try {
    const { did } = await runSteps(ctx, plan.steps);
    return outcomeOf(plan, did);
  } catch (err) {
    return goneOutcome(err);
  }
}

/** ObjectGone → done/nothing (the object vanished under us); anything else is rethrown. */
export function goneOutcome(err: unknown): Outcome {
  if (!(err instanceof ObjectGone)) throw err;
  return err.did.length > 0 ? { kind: "done", did: [...err.did, "object gone before the next write"] } : { kind: "nothing", why: "object is gone" };
}
