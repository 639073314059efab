// The function runtime: a hono app taking one CloudEvent per POST, re-reading each target object,
// running the function's reconcile, and answering with the HTTP status of the outcome and the audit
// record as a binary-mode CloudEvent reply. The same handler serves Knative/OpenFaaS (POST /), the
// local function host (POST /<name>) and in-process delivery (app.request / fetch).
import { Hono } from "hono";
import type { KubeObject } from "../api/meta.js";
import { RESOURCES } from "../api/resources.js";
import type { GatewayClient } from "../gateway/types.js";
import { KubeEventRecorder } from "../kube/event-recorder.js";
import { KubeApiError, type KubeClient } from "../kube/types.js";
import { redactText } from "../log.js";
import {
  auditHeaders,
  auditResponse,
  OUTCOME_STATUS,
  UNKNOWN_CLUSTER,
  verdictOf,
  worstOutcome,
  type AuditOutcome,
  type AuditRecord,
  type TargetRecord,
} from "./audit.js";
import { DEFAULT_MAX_BODY_BYTES, readObjectEvent, RequestProblem, type EventRequest } from "./incoming.js";
import { recordingGateway } from "./recording-gateway.js";
import type { EventRecorder, GatewayCallRecord, Logger, ObjectEvent, ObjectKey, ReconcileContext, SnapflowFunction } from "./types.js";

export interface FunctionDeps {
  /** The cluster's API (single-cluster deployments). */
  kube?: KubeClient;
  /** With `kube`: the only cluster accepted; events of any other cluster get 422. Unset: any cluster. */
  clusterName?: string;
  /** Multi-cluster: the API of each cluster by name (takes precedence over `kube`). */
  kubeFor?: Record<string, KubeClient> | ((cluster: string) => KubeClient | undefined);
  gateway: GatewayClient;
  log?: Logger;
  /** source.component of recorded Events; default: the function's `component`, then its name. */
  componentName?: string;
  /** Default 3 MiB. */
  maxBodyBytes?: number;
  /** Event-recorder dedupe window (default 10 min). */
  eventWindowMs?: number;
  /** Called with every audit record (the function host counts outcomes with it). */
  onAudit?: (record: AuditRecord) => void;
}

/** Takes a WHATWG Request, or (in-process) an event's headers and body bytes without one. */
export type FunctionHandler = (request: EventRequest) => Promise<Response>;

/** The dispatcher numbers deliveries of one event (1, 2, ...) in this header. */
export const DELIVERY_HEADER = "x-snapflow-delivery";

const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The default retry delay for a throttled API server that did not say how long to wait. */
const DEFAULT_THROTTLE_MS = 1000;

type Level = "debug" | "info" | "warn" | "error";

/** Whether `log` writes `level` at all (loggers without isLevelEnabled, such as test doubles: always). */
function enabled(log: Logger, level: Level): boolean {
  return typeof log.isLevelEnabled === "function" ? log.isLevelEnabled(level) : true;
}

/** `log` with `fields` on every line; nothing is merged for a level that `log` does not write. */
function withFields(log: Logger, fields: object): Logger {
  const at = (level: Level) => (o: object, m?: string) => {
    if (enabled(log, level)) log[level]({ ...fields, ...o }, m);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), isLevelEnabled: (level) => enabled(log, level as Level) };
}

function kubeResolver(fn: SnapflowFunction, deps: FunctionDeps): (cluster: string) => KubeClient | undefined {
  const { kubeFor, kube, clusterName } = deps;
  if (typeof kubeFor === "function") return kubeFor;
  if (kubeFor) return (cluster) => (Object.hasOwn(kubeFor, cluster) ? kubeFor[cluster] : undefined);
  if (kube) return (cluster) => (clusterName === undefined || cluster === clusterName ? kube : undefined);
  throw new Error(`function ${fn.name}: deps need kube or kubeFor`);
}

function knownClusters(deps: FunctionDeps): string {
  if (deps.kubeFor && typeof deps.kubeFor === "object") return Object.keys(deps.kubeFor).join(", ") || "(none)";
  return deps.clusterName ?? "(see configuration)";
}

interface Classified {
  outcome: AuditOutcome;
  message: string;
  retryAfterMs?: number;
}

function classifyError(err: unknown): Classified {
  const message = redactText(err instanceof Error ? err.message : String(err));
  if (err instanceof KubeApiError) {
    if (err.code === 409) return { outcome: "conflict", message };
    if (err.code === 429) {
      const seconds = err.status?.details?.retryAfterSeconds;
      return { outcome: "throttled", message, retryAfterMs: seconds !== undefined ? seconds * 1000 : DEFAULT_THROTTLE_MS };
    }
  }
  return { outcome: "error", message };
}

/** The request handler alone (used by the host and by createFunctionApp). */
export function createFunctionHandler(fn: SnapflowFunction, deps: FunctionDeps): FunctionHandler {
  const resolveKube = kubeResolver(fn, deps);
  const log = withFields(deps.log ?? silentLog, { function: fn.name });
  const maxBody = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const component = deps.componentName ?? fn.component ?? fn.name;
  // One recorder per cluster for the life of the app, so repeats across events are counted.
  const recorders = new Map<string, KubeEventRecorder>();
  const recorderFor = (cluster: string, kube: KubeClient) => {
    let r = recorders.get(cluster);
    if (!r) {
      r = new KubeEventRecorder({ kube, component, log, windowMs: deps.eventWindowMs });
      recorders.set(cluster, r);
    }
    return r;
  };

  function answer(record: AuditRecord, declined = false): Response {
    deps.onAudit?.(record);
    // A declined event (targets named nothing: nothing was read or decided) gets the record as plain
    // JSON, not as an audit CloudEvent reply: the trail holds decisions, the way a Knative Trigger
    // filter would never have delivered such an event at all. Still counted in the host's metrics.
    const headers = declined ? { "content-type": "application/json" } : auditHeaders(record);
    if (record.retryAfterMs !== undefined) {
      headers["retry-after"] = String(Math.max(1, Math.ceil(record.retryAfterMs / 1000)));
      headers["x-snapflow-retry-after-ms"] = String(Math.max(0, Math.round(record.retryAfterMs)));
    }
    const level: Level = record.verdict === "succeeded" ? (record.outcome === "done" ? "info" : "debug") : record.outcome === "error" ? "error" : "warn";
    if (enabled(log, level)) {
      log[level](
        { uid: record.uid, eventId: record.eventId, outcome: record.outcome, status: record.status, did: record.did, durationMs: record.durationMs, message: record.message },
        `${record.outcome}: ${record.resource ?? "?"} ${record.namespace ? `${record.namespace}/` : ""}${record.name ?? "?"}`,
      );
    }
    return auditResponse(JSON.stringify(record), record.status, headers);
  }

  return async function handle(request: EventRequest): Promise<Response> {
    const started = performance.now();
    const deliveryHeader = Number(request.headers.get(DELIVERY_HEADER));
    const delivery = Number.isInteger(deliveryHeader) && deliveryHeader > 0 ? deliveryHeader : undefined;
    const gatewayCalls: GatewayCallRecord[] = [];
    const events: { type: string; reason: string }[] = [];
    // The record is built field by field, in its documented order, without intermediate objects.
    const finish = (
      cluster: string,
      event: Partial<ObjectEvent> | undefined,
      outcome: AuditOutcome,
      did: string[] = [],
      targets: TargetRecord[] = [],
      message?: string,
      retryAfterMs?: number,
      declined = false,
    ): Response => {
      const record = { function: fn.name, cluster } as AuditRecord;
      if (event) {
        if (event.resource) record.resource = event.resource;
        if (event.namespace) record.namespace = event.namespace;
        if (event.name) record.name = event.name;
        if (event.uid) record.uid = event.uid;
        if (event.id) record.eventId = event.id;
        if (event.type) record.eventType = event.type;
      }
      record.outcome = outcome;
      record.verdict = verdictOf(outcome);
      record.status = OUTCOME_STATUS[outcome];
      record.did = did;
      record.gatewayCalls = gatewayCalls;
      record.events = events;
      record.targets = targets;
      if (delivery !== undefined) record.delivery = delivery;
      if (retryAfterMs !== undefined) record.retryAfterMs = retryAfterMs;
      record.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      if (message !== undefined) record.message = message;
      record.time = new Date().toISOString();
      return answer(record, declined);
    };

    let event: ObjectEvent;
    try {
      event = await readObjectEvent(request, maxBody);
    } catch (err) {
      if (!(err instanceof RequestProblem)) return finish(UNKNOWN_CLUSTER, undefined, "error", undefined, undefined, `reading the request: ${classifyError(err).message}`);
      const outcome: AuditOutcome = err.status === 413 ? "too-large" : err.status === 415 ? "unsupported" : "malformed";
      return finish(err.partial.cluster ?? UNKNOWN_CLUSTER, err.partial, outcome, undefined, undefined, err.message);
    }

    if (!fn.resources.includes(event.resource)) {
      return finish(event.cluster, event, "invalid", undefined, undefined, `function ${fn.name} does not handle ${event.resource} (it handles ${fn.resources.join(", ")})`);
    }
    const kube = resolveKube(event.cluster);
    if (!kube) return finish(event.cluster, event, "invalid", undefined, undefined, `unknown cluster "${event.cluster}": this function serves ${knownClusters(deps)}`);

    let keys: ObjectKey[];
    try {
      keys = fn.targets ? fn.targets(event) : [{ resource: event.resource, namespace: event.namespace, name: event.name, uid: event.uid }];
    } catch (err) {
      return finish(event.cluster, event, "error", undefined, undefined, `targets: ${classifyError(err).message}`);
    }
    // Nothing to reconcile (the most common answer): no gateway, recorder or log wrappers are built.
    if (keys.length === 0) return finish(event.cluster, event, "nothing", undefined, undefined, undefined, undefined, true);

    // The gateway, recorder and log a reconcile gets are made on first use (many never touch them).
    let gateway: GatewayClient | undefined;
    let recorder: EventRecorder | undefined;
    let eventLog: Logger | undefined;
    const gatewayOf = (): GatewayClient => {
      // A gateway client that can tag calls with the object UID (HttpGatewayClient.forUid) lets the
      // gateway's log lines be joined to this event.
      const tagged = (deps.gateway as GatewayClient & { forUid?: (uid: string) => GatewayClient }).forUid?.(event.uid) ?? deps.gateway;
      return recordingGateway(tagged, gatewayCalls);
    };
    const recorderOf = (): EventRecorder => {
      const inner = recorderFor(event.cluster, kube);
      return {
        record(object, e) {
          events.push({ type: e.type, reason: e.reason });
          return inner.record(object, e);
        },
        async recordStrictly(object, e) {
          events.push({ type: e.type, reason: e.reason });
          await inner.recordStrictly(object, e);
        },
      };
    };
    const logOf = (): Logger => (eventLog ??= withFields(log, { cluster: event.cluster, uid: event.uid, eventId: event.id }));
    const contextFor = (key: ObjectKey, object: KubeObject | undefined): ReconcileContext => ({
      event,
      key,
      object,
      cluster: event.cluster,
      kube,
      get gateway() {
        return (gateway ??= gatewayOf());
      },
      get recorder() {
        return (recorder ??= recorderOf());
      },
      get log() {
        return logOf();
      },
    });

    let outcome: AuditOutcome = "nothing";
    const did: string[] = [];
    const targets: TargetRecord[] = [];
    let message: string | undefined;
    let retryAfterMs: number | undefined;
    for (const key of keys) {
      const target = await reconcileTarget(key);
      targets.push(target.record);
      outcome = worstOutcome(outcome, target.record.outcome);
      for (const d of target.record.did) did.push(d);
      if (target.record.message) {
        const line = keys.length > 1 ? `${key.name}: ${target.record.message}` : target.record.message;
        message = message === undefined ? line : `${message}; ${line}`;
      }
      if (target.retryAfterMs !== undefined) retryAfterMs = Math.min(retryAfterMs ?? Infinity, target.retryAfterMs);
    }
    const retrying = outcome === "requeue" || outcome === "throttled";
    return finish(event.cluster, event, outcome, did, targets, message, retrying ? retryAfterMs : undefined);

    async function reconcileTarget(key: ObjectKey): Promise<{ record: TargetRecord; retryAfterMs?: number }> {
      const record = { resource: key.resource } as TargetRecord;
      if (key.namespace) record.namespace = key.namespace;
      record.name = key.name;
      if (key.uid) record.uid = key.uid;
      record.outcome = "nothing";
      record.did = [];
      try {
        if (!Object.hasOwn(RESOURCES, key.resource)) throw new Error(`targets named unknown resource "${String(key.resource)}"`);
        const type = RESOURCES[key.resource];
        let object = await kube!.get<KubeObject>(type, key.name, type.namespaced ? key.namespace : undefined);
        if (!fn.reconcileAbsent) {
          if (object && key.uid && object.metadata.uid !== key.uid) {
            record.message = `${type.kind} ${key.name} now has uid ${object.metadata.uid ?? "(none)"}, not ${key.uid}`;
            return { record };
          }
          if (!object) {
            record.message = `${type.kind} ${key.namespace ? `${key.namespace}/` : ""}${key.name} is gone`;
            return { record };
          }
        } else if (object && key.uid && object.metadata.uid !== key.uid) object = undefined;
        const result = await fn.reconcile(contextFor(key, object));
        switch (result.kind) {
          case "done":
            record.outcome = "done";
            record.did = result.did.map(redactText);
            return { record };
          case "nothing":
            if (result.why) record.message = redactText(result.why);
            return { record };
          case "requeue":
            record.outcome = "requeue";
            record.did = (result.did ?? []).map(redactText);
            record.message = redactText(result.reason);
            return { record, retryAfterMs: Math.max(0, result.afterMs) };
          case "invalid":
            record.outcome = "invalid";
            record.message = redactText(result.message);
            return { record };
          default:
            record.outcome = "error";
            record.message = `reconcile returned an unknown outcome ${JSON.stringify((result as { kind?: unknown }).kind)}`;
            return { record };
        }
      } catch (err) {
        const c = classifyError(err);
        record.outcome = c.outcome;
        record.message = c.message;
        if (c.outcome === "error") logOf().error({ err, target: key }, "reconcile failed");
        return { record, ...(c.retryAfterMs !== undefined ? { retryAfterMs: c.retryAfterMs } : {}) };
      }
    }
  };
}

/** One function as a hono app answering POST / (the production shape: one function per service). */
export function createFunctionApp(fn: SnapflowFunction, deps: FunctionDeps): Hono {
  const handle = createFunctionHandler(fn, deps);
  const app = new Hono();
  app.post("/", (c) => handle(c.req.raw));
  return app;
}
