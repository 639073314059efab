// The vocabulary every snapshot function's plan speaks: API writes, Events, metric marks and a
// verdict. Plans return these as plain data so table-driven tests can compare them with toEqual.
import type { KubeObject } from "../api/meta.js";
import type { ResourceName } from "../api/resources.js";

/** A Warning Event to record when a write fails at run time; `{err}` is replaced by the error text. */
export interface FailureEvent {
  on: KubeObject;
  reason: string;
  message: string;
  component?: string;
  /**
   * `on` is a VolumeSnapshot (or VolumeGroupSnapshot) and the message also becomes its status.error
   * (readyToUse false when asked), as upstream's update(Group)SnapshotErrorStatusWithEvent: same
   * message already there → no write and no Event.
   */
  errorStatus?: { setReadyFalse: boolean };
}

/** What a failing write reports: one Warning, or several in order. */
export type FailureReport = FailureEvent | readonly FailureEvent[];

export type Step =
  /** PUT of the whole object, conditional on its resourceVersion (metadata/spec changes). */
  | { op: "update"; resource: ResourceName; object: KubeObject; onFailure?: FailureReport }
  /** PUT to the status subresource, conditional on its resourceVersion. */
  | { op: "updateStatus"; resource: ResourceName; object: KubeObject; onFailure?: FailureReport }
  /** AlreadyExists counts as success when alreadyExistsOk (names derive from UIDs). */
  | { op: "create"; resource: ResourceName; object: KubeObject; alreadyExistsOk: boolean; onFailure?: FailureReport }
  /** Gone already is success. uid is a precondition: never delete a same-named successor. */
  | { op: "delete"; resource: ResourceName; name: string; namespace?: string; uid?: string; onFailure?: FailureReport }
  /**
   * component: source.component when not the function's default (the sidecar's `csi-snapshotter <driver>`).
   * required: the Event is the durable record of a call about to be made (provision's Provisioning
   * before CreateVolume): a failed write fails the run instead of being logged and skipped.
   */
  | { op: "event"; on: KubeObject; type: "Normal" | "Warning"; reason: string; message: string; component?: string; required?: boolean }
  | { op: "metric"; mark: MetricMark };

export type OperationName =
  | "CreateSnapshot"
  | "CreateSnapshotAndReady"
  | "DeleteSnapshot"
  | "CreateGroupSnapshot"
  | "CreateGroupSnapshotAndReady"
  | "DeleteGroupSnapshot";

export interface OperationKey {
  operation: OperationName;
  /** UID of the object the operation is about. */
  uid: string;
  driver: string;
  snapshotType: "dynamic" | "pre-provisioned";
}

export type MetricMark =
  | { kind: "start"; key: OperationKey; startedAt?: string }
  | { kind: "record"; key: OperationKey; status: "success" | "cancel" | "unknown"; startedAt?: string };

export type Verdict =
  | { kind: "done" }
  | { kind: "nothing"; why: string }
  | { kind: "requeue"; afterMs: number; reason: string }
  | { kind: "invalid"; message: string };

export interface Plan {
  steps: Step[];
  verdict: Verdict;
}

export const nothing = (why: string): Plan => ({ steps: [], verdict: { kind: "nothing", why } });
export const done = (steps: Step[]): Plan => ({ steps, verdict: { kind: "done" } });
export const requeue = (steps: Step[], afterMs: number, reason: string): Plan => ({
  steps,
  verdict: { kind: "requeue", afterMs, reason },
});

export interface BackoffOptions {
  baseMs: number;
  factor: number;
  capMs: number;
}

/** For readiness polling: quick first looks, then slower, never slower than a minute. */
export const POLL_BACKOFF: BackoffOptions = { baseMs: 200, factor: 0.5, capMs: 60_000 };
/** For errors: upstream's 1 s start and 5 min cap. */
export const ERROR_BACKOFF: BackoffOptions = { baseMs: 1_000, factor: 0.5, capMs: 300_000 };

/**
 * Exponential back-off without memory: the delay grows with the time since `since` (the object's
 * creation or the error's time), so successive looks happen at t, 1.5t, 2.25t … — a geometric
 * series like a doubling back-off, but derived from the object, so any replica computes the same
 * delay, a restart does not reset it into a storm, and the cap means it is never stuck.
 */
export function backoffMs(since: string | undefined, nowMs: number, options: BackoffOptions = POLL_BACKOFF): number {
  const start = since ? Date.parse(since) : NaN;
  const age = Number.isFinite(start) ? Math.max(0, nowMs - start) : 0;
  return Math.round(Math.min(options.capMs, Math.max(options.baseMs, age * options.factor)));
}

/** A short human description of a step for Outcome.did (no object bodies, no secrets). */
export function describeStep(step: Step): string {
  switch (step.op) {
    case "update":
      return `updated ${step.resource} ${nameOf(step.object)}`;
    case "updateStatus":
      return `updated ${step.resource} ${nameOf(step.object)} status`;
    case "create":
      return `created ${step.resource} ${nameOf(step.object)}`;
    case "delete":
      return `deleted ${step.resource} ${step.namespace ? `${step.namespace}/` : ""}${step.name}`;
    case "event":
      return `event ${step.reason} on ${nameOf(step.on)}`;
    case "metric":
      return `metric ${step.mark.kind} ${step.mark.key.operation}`;
  }
}

function nameOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : (obj.metadata.name ?? "");
}
