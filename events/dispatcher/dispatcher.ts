// Pulls each function's durable consumers and delivers every message to the function as a binary
// CloudEvent over HTTP (or in-process through the same Request/Response interface). Acks only what
// a function finished; naks with back-off what may succeed later; dead-letters the rest.
import { jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { ResourceName } from "../../shared/api/resources.js";
import type { Logger } from "../../shared/function/types.js";
import { deadLetterAuditEvent, parseAuditType } from "../audit/record.js";
import { fromHttpMessage, hasCloudEvent, natsHeaderMap, percentDecode, toNatsMessage, type CloudEvent } from "../codec/index.js";
import { DEFAULT_DELIVERY_POLICY, ensureConsumers, type DeliveryPolicy } from "../jetstream/consumers.js";
import { auditSubject, consumerName, deadSubject, K8S_STREAM, uidFromSubject } from "../jetstream/subjects.js";
import { classify, type Verdict } from "./classify.js";
import { httpDeliver, type Deliver } from "./deliver.js";
import { Semaphore } from "./semaphore.js";

export interface FunctionTarget {
  name: string;
  resources: readonly ResourceName[];
  /** Where the function answers POST, e.g. http://127.0.0.1:8080/bind (any URL for in-process). */
  url: string;
  deliver?: Deliver;
  /** Calls in flight for this function (default 16). */
  concurrency?: number;
}

export interface DispatcherOptions {
  nc: NatsConnection;
  cluster: string;
  functions: readonly FunctionTarget[];
  /** Must match the consumers' settings (created/updated here unless ensureConsumers is false). */
  policy?: DeliveryPolicy;
  ensureConsumers?: boolean;
  /** Per-call timeout (default 60 s); heartbeats keep the message ours meanwhile. */
  callTimeoutMs?: number;
  /** Nak delay by delivery count when the function gives no Retry-After (default 0.25 s doubling to 30 s). */
  retryDelayMs?: (deliveryCount: number) => number;
  log?: Logger;
}

export interface FunctionStats {
  delivered: number;
  acked: number;
  retried: number;
  requeued: number;
  deadLettered: number;
  inFlight: number;
}

export interface Dispatcher {
  stats: Record<string, FunctionStats>;
  /** Stop pulling, let in-flight calls finish and settle, then resolve. Nothing unfinished is acked. */
  drain(): Promise<void>;
}

/** Header on a re-published requeue: do not deliver before this epoch-ms. */
const NOT_BEFORE = "snapflow-not-before";
const REQUEUE_OF = "snapflow-requeue-of";

function defaultRetryDelay(deliveryCount: number): number {
  return Math.min(250 * 2 ** Math.max(0, deliveryCount - 1), 30_000);
}

/** Copies the event's transport headers (ce-*, content-type) from NATS to HTTP unchanged. */
function requestHeaders(h: ReadonlyMap<string, string>, deliveryCount: number): Headers {
  const headers = new Headers();
  for (const [name, value] of h) {
    if (name.startsWith("ce-") || name === "content-type") headers.set(name, value);
  }
  headers.set("x-snapflow-delivery", String(deliveryCount));
  return headers;
}

function header(h: ReadonlyMap<string, string>, name: string): string | undefined {
  const value = h.get(name);
  if (value === undefined) return undefined;
  try {
    return percentDecode(value);
  } catch {
    return value;
  }
}

export async function startDispatcher(options: DispatcherOptions): Promise<Dispatcher> {
  const { nc, cluster, log } = options;
  const policy = options.policy ?? DEFAULT_DELIVERY_POLICY;
  const callTimeoutMs = options.callTimeoutMs ?? 60_000;
  const retryDelay = options.retryDelayMs ?? defaultRetryDelay;
  const heartbeatMs = Math.max(100, Math.floor(policy.ackWaitMs / 3));
  const js: JetStreamClient = jetstream(nc);
  if (options.ensureConsumers !== false) {
    await ensureConsumers(await jetstreamManager(nc), cluster, options.functions.map((f) => ({ function: f.name, resources: f.resources })), policy);
  }

  const stats: Record<string, FunctionStats> = {};
  const inFlight = new Set<Promise<void>>();
  const streams = new Set<ConsumerMessages>();
  const loops: Array<Promise<void>> = [];
  let draining = false;

  async function publishAudit(fn: string, uid: string, event: CloudEvent): Promise<void> {
    try {
      const { headers, data } = toNatsMessage(event);
      await js.publish(auditSubject(cluster, fn, uid), data, { headers, msgID: `audit.${event.attributes.id}` });
    } catch (err) {
      log?.warn({ function: fn, uid, err: String(err) }, "audit record not written");
    }
  }

  async function deadLetter(fn: string, m: JsMsg, h: ReadonlyMap<string, string>, uid: string, reason: string, httpStatus: number | undefined, replyAudit: CloudEvent | undefined): Promise<void> {
    const out = toNatsMessage({ attributes: {}, data: m.data }, [
      ...[...h].filter(([name]) => name.startsWith("ce-") || name === "content-type"),
      ["snapflow-dead-reason", reason],
      ["snapflow-dead-function", fn],
      ["snapflow-dead-deliveries", String(m.info.deliveryCount)],
      ["snapflow-original-subject", m.subject],
      ...(httpStatus ? ([["snapflow-dead-status", String(httpStatus)]] as Array<[string, string]>) : []),
    ]);
    const eventId = header(h, "ce-id");
    await js.publish(deadSubject(cluster, fn, uid), out.data, { headers: out.headers, msgID: `dead.${fn}.${eventId ?? `seq${m.info.streamSequence}`}` });
    const replyOutcome = replyAudit ? parseAuditType(replyAudit.attributes.type ?? "")?.outcome : undefined;
    if (replyOutcome !== "failed") {
      await publishAudit(
        fn,
        uid,
        deadLetterAuditEvent({
          function: fn,
          cluster,
          uid,
          outcome: "failed",
          deadLettered: true,
          reason,
          httpStatus,
          deliveries: m.info.deliveryCount,
          event: { id: eventId, type: header(h, "ce-type"), namespace: header(h, "ce-namespace"), name: header(h, "ce-name"), resourceVersion: header(h, "ce-resourceversion") },
        }),
      );
    }
  }

  /** A requeue that would run into max_deliver starts over as a fresh copy of the event. */
  async function requeueFresh(m: JsMsg, h: ReadonlyMap<string, string>, delayMs: number): Promise<void> {
    const out = toNatsMessage({ attributes: {}, data: m.data }, [
      ...[...h].filter(([name]) => name.startsWith("ce-") || name === "content-type"),
      [NOT_BEFORE, String(Date.now() + delayMs)],
      [REQUEUE_OF, String(m.info.streamSequence)],
    ]);
    await js.publish(m.subject, out.data, { headers: out.headers, msgID: `requeue.${m.info.stream}.${m.info.streamSequence}` });
  }

  async function handle(target: FunctionTarget, m: JsMsg): Promise<void> {
    const fn = target.name;
    const s = stats[fn]!;
    const h = natsHeaderMap(m.headers);
    const uid = header(h, "ce-subject") ?? uidFromSubject(m.subject);
    const deliveries = m.info.deliveryCount;

    const notBefore = Number(header(h, NOT_BEFORE) ?? 0);
    if (notBefore > Date.now()) {
      m.nak(notBefore - Date.now());
      return;
    }

    s.delivered++;
    const controller = new AbortController();
    // In-process handlers may ignore the signal: the race makes the timeout hold for them too.
    const timedOut = new Promise<never>((_, reject) => controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true }));
    timedOut.catch(() => undefined);
    const timeout = setTimeout(() => controller.abort(new Error("call timed out")), callTimeoutMs);
    const heartbeat = setInterval(() => m.working(), heartbeatMs);
    let status = 0;
    let responseHeaders = new Headers();
    let replyAudit: CloudEvent | undefined;
    try {
      const request = new Request(target.url, {
        method: "POST",
        headers: requestHeaders(h, deliveries),
        body: m.data.length > 0 ? m.data : null,
        signal: controller.signal,
      });
      const response = await Promise.race([(target.deliver ?? httpDeliver)(request), timedOut]);
      const body = new Uint8Array(await Promise.race([response.arrayBuffer(), timedOut]));
      status = response.status;
      responseHeaders = response.headers;
      if (hasCloudEvent(response.headers)) {
        try {
          replyAudit = fromHttpMessage(response.headers, body);
        } catch (err) {
          log?.warn({ function: fn, uid, err: String(err) }, "function reply is not a valid CloudEvent");
        }
      }
    } catch (err) {
      log?.warn({ function: fn, uid, err: String(err) }, "delivery failed");
    } finally {
      clearTimeout(timeout);
      clearInterval(heartbeat);
    }

    if (replyAudit) await publishAudit(fn, uid, replyAudit);
    const verdict: Verdict = classify(status, responseHeaders);
    try {
      switch (verdict.kind) {
        case "ack":
          s.acked++;
          m.ack();
          return;
        case "requeue":
          s.requeued++;
          if (deliveries >= policy.maxDeliver - 1) {
            await requeueFresh(m, h, verdict.delayMs);
            m.ack();
          } else {
            m.nak(verdict.delayMs);
          }
          return;
        case "retry":
          if (deliveries >= policy.maxDeliver) {
            s.deadLettered++;
            await deadLetter(fn, m, h, uid, `delivery limit (${policy.maxDeliver}) reached; last: ${verdict.reason}`, status || undefined, replyAudit);
            m.term(`delivery limit reached`);
          } else {
            s.retried++;
            m.nak(verdict.delayMs ?? retryDelay(deliveries));
          }
          return;
        case "dead":
          s.deadLettered++;
          await deadLetter(fn, m, h, uid, `not retryable: ${verdict.reason}`, status, replyAudit);
          m.term(verdict.reason);
          return;
      }
    } catch (err) {
      // The dead letter or requeue copy could not be written: leave the message to redelivery.
      log?.error({ function: fn, uid, err: String(err) }, "could not settle message; it will be redelivered");
      m.nak(retryDelay(deliveries));
    }
  }

  const pull = async (target: FunctionTarget, resource: ResourceName, semaphore: Semaphore, concurrency: number): Promise<void> => {
    const durable = consumerName(cluster, target.name, resource);
    let restartDelay = 250;
    while (!draining && !nc.isClosed()) {
      try {
        const consumer = await js.consumers.get(K8S_STREAM, durable);
        // Short pulls: when a clustered consumer's leader dies, its pending pull dies with it and the
        // client only notices by missed heartbeats (expires / 2 apart); 30 s (the default) stalled
        // delivery ~40 s per failover in chaos:cluster, 5 s keeps it to a few seconds.
        const messages = await consumer.consume({ max_messages: concurrency, abort_on_missing_resource: true, expires: 5_000 });
        streams.add(messages);
        if (draining) messages.stop();
        try {
          for await (const m of messages) {
            restartDelay = 250;
            await semaphore.acquire();
            if (draining) {
              // Pulled but never started: hand it straight back.
              m.nak();
              semaphore.release();
              continue;
            }
            stats[target.name]!.inFlight++;
            const task = handle(target, m)
              .catch((err) => log?.error({ function: target.name, err: String(err) }, "message handling failed"))
              .finally(() => {
                stats[target.name]!.inFlight--;
                semaphore.release();
                inFlight.delete(task);
              });
            inFlight.add(task);
          }
        } finally {
          streams.delete(messages);
        }
      } catch (err) {
        log?.warn({ function: target.name, resource, err: String(err) }, "consumer stopped");
      }
      if (draining || nc.isClosed()) break;
      // The pull ended without a drain (consumer deleted, server trouble): re-create it and go on.
      await new Promise((r) => setTimeout(r, restartDelay));
      restartDelay = Math.min(restartDelay * 2, 10_000);
      if (options.ensureConsumers !== false) {
        await ensureConsumers(await jetstreamManager(nc), cluster, [{ function: target.name, resources: [resource] }], policy).catch((err) =>
          log?.warn({ function: target.name, resource, err: String(err) }, "consumer not re-created yet"),
        );
      }
    }
  };

  for (const target of options.functions) {
    stats[target.name] = { delivered: 0, acked: 0, retried: 0, requeued: 0, deadLettered: 0, inFlight: 0 };
    const concurrency = target.concurrency ?? 16;
    const semaphore = new Semaphore(concurrency);
    for (const resource of target.resources) {
      // Fail start-up loudly when a consumer is missing; later interruptions are retried in pull().
      await js.consumers.get(K8S_STREAM, consumerName(cluster, target.name, resource));
      loops.push(pull(target, resource, semaphore, concurrency));
    }
  }

  return {
    stats,
    async drain() {
      if (draining) return;
      draining = true;
      for (const messages of streams) messages.stop();
      await Promise.all(loops);
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      if (!nc.isClosed()) await nc.flush().catch(() => undefined);
    },
  };
}
