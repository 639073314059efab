// The contract between a function (functions/<name>/) and the function framework in shared/function/.
// A function is level-triggered: the framework hands it the freshly re-read object an event points
// at; the function's pure plan decides one step; its executor performs it and reports an Outcome.
import type { KubeObject } from "../api/meta.js";
import type { ResourceName } from "../api/resources.js";
import type { GatewayClient } from "../gateway/types.js";
import type { KubeClient } from "../kube/types.js";

export type ObjectVerb = "added" | "modified" | "deleted" | "resynced";

/** What an incoming CloudEvent says, after validation. */
export interface ObjectEvent {
  id: string;
  type: string; // dev.snapflow.k8s.<resource>.<verb>
  cluster: string;
  resource: ResourceName;
  verb: ObjectVerb;
  uid: string;
  namespace?: string;
  name: string;
  resourceVersion: string;
  /** The object as it was when the event was emitted (may be stale: re-read before acting). */
  data: KubeObject;
}

/** An object a function wants reconciled, derived from an event. */
export interface ObjectKey {
  resource: ResourceName;
  namespace?: string;
  name: string;
  /** When set, the re-read object must have this UID or there is nothing to do. */
  uid?: string;
}

/** A Kubernetes Event to record on an object (reason names are upstream's). */
export interface RecordedEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  /** source.component when it differs from the function's default (e.g. `csi-snapshotter <driver>`). */
  component?: string;
}

export interface EventRecorder {
  record(object: KubeObject & { apiVersion?: string; kind?: string }, event: RecordedEvent): Promise<void>;
  /**
   * Like record, but a failed write rejects: for an Event that must exist before an action (it is
   * that action's durable record). Recorders without it cannot fail to record (test recorders).
   */
  recordStrictly?(object: KubeObject & { apiVersion?: string; kind?: string }, event: RecordedEvent): Promise<void>;
}

/** One gateway call as the audit trail records it (never a secret value). */
export interface GatewayCallRecord {
  operation: string;
  driver: string;
  ok: boolean;
  code?: string;
  durationMs: number;
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** When present (pino has it), the framework skips building lines for levels that are not written. */
  isLevelEnabled?(level: string): boolean;
}

export interface ReconcileContext<T extends KubeObject = KubeObject> {
  event: ObjectEvent;
  key: ObjectKey;
  /** The object named by key, re-read from the API (undefined when it no longer exists). */
  object: T | undefined;
  cluster: string;
  kube: KubeClient;
  gateway: GatewayClient;
  recorder: EventRecorder;
  log: Logger;
}

/**
 * done      → 200, acknowledged; `did` lists what was done ("created content snapcontent-…").
 * nothing   → 200, acknowledged; nothing to do for this state.
 * requeue   → 503 with Retry-After: look again later (polling readyToUse, waiting for another object).
 * invalid   → 422: this input can never succeed; dead-lettered and audited.
 * A thrown KubeApiError 409 becomes 409 (redeliver); any other throw 500 (redeliver with back-off).
 */
export type Outcome =
  | { kind: "done"; did: string[] }
  | { kind: "nothing"; why?: string }
  | { kind: "requeue"; afterMs: number; reason: string; did?: string[] }
  | { kind: "invalid"; message: string };

export interface SnapflowFunction {
  /** bind, invoke, protect, delete, fanout, provision, expand. */
  name: string;
  /** Resources whose events this function consumes. */
  resources: ResourceName[];
  /**
   * Per resource, the only verbs of its events the function is given (its Knative Triggers filter
   * on those types, the dispatcher acks the others unread); a resource not named here: every verb.
   */
  verbs?: Partial<Record<ResourceName, readonly ObjectVerb[]>>;
  /** source.component of the Events it records (default: the function name), e.g. `snapshot-controller`. */
  component?: string;
  /**
   * When true, reconcile is also called for a target that is gone (404 or another UID now holds the
   * name) with `object: undefined`; by default that is "nothing to do" and reconcile is skipped.
   */
  reconcileAbsent?: boolean;
  /** Which objects to reconcile for an event; default: the event's own object (with its uid). */
  targets?(event: ObjectEvent): ObjectKey[];
  reconcile(ctx: ReconcileContext): Promise<Outcome>;
}
