// Pulls each function's durable consumers and delivers every message to the function as a binary
// CloudEvent over HTTP (or in-process through the same Request/Response interface). Acks only what
// a function finished; naks with back-off what may succeed later; dead-letters the rest.
import { plainAuditResponse } from "../../shared/function/audit.js";
import { PairHeaders, type HeaderSource } from "../../shared/function/pair-headers.js";
import { readStream } from "../../shared/function/read-stream.js";
import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, type ConsumerMessages, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import { createInbox, MsgHdrsImpl, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import type { ResourceName } from "../../shared/api/resources.js";
import type { Logger } from "../../shared/function/types.js";
import { deadLetterAuditEvent, parseAuditType } from "../audit/record.js";
import { forwardHttpToNats, hasCloudEvent, natsHeaderMap, percentDecode, toNatsMessage, type ForwardedEvent } from "../codec/index.js";
import { DEFAULT_DELIVERY_POLICY, ensureConsumers, type DeliveryPolicy } from "../jetstream/consumers.js";
import { auditSubject, consumerName, deadSubject, K8S_STREAM, uidFromSubject } from "../jetstream/subjects.js";
import { classify, type Verdict } from "./classify.js";
import { httpDeliver, type Deliver } from "./deliver.js";
import { KeyQueue } from "./key-queue.js";
import { Semaphore } from "./semaphore.js";

export interface FunctionTarget {
  name: string;
  resources: readonly ResourceName[];
  /** Where the function answers POST, e.g. http://127.0.0.1:8080/bind (any URL for in-process). */
  url: string;
  deliver?: Deliver;
  /** Calls in flight for this function (default 16). */
  concurrency?: number;
  /**
   * Per resource, the only event verbs delivered (as a Knative Trigger's type filter would pass
   * them); the others are acked without a call and counted as `filtered`. Absent: every verb.
   */
  verbs?: Partial<Record<ResourceName, readonly string[]>>;
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
  /** Events that waited behind a call on the same object and were replaced by a newer event of it. */
  superseded: number;
  /** Events of a verb the function does not take (FunctionTarget.verbs), acked without a call. */
  filtered: number;
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
function requestHeaders(h: ReadonlyMap<string, string>, deliveryCount: number): Array<[string, string]> {
  // Name/value pairs, not a Headers object: the Request would copy (and sort) a Headers object again.
  const headers: Array<[string, string]> = [];
  for (const [name, value] of h) {
    if (name.startsWith("ce-") || name === "content-type") headers.push([name, value]);
  }
  headers.push(["x-snapflow-delivery", String(deliveryCount)]);
  return headers;
}

/** A function's answer, read in full. */
interface Reply {
  status: number;
  headers: HeaderSource;
  body: Uint8Array;
}

async function exchange(deliver: Deliver, request: Request): Promise<Reply> {
  return readReply(await deliver(request));
}

async function readReply(response: Response): Promise<Reply> {
  // The framework's audit reply, untouched: its status, headers and text as built (no body stream).
  const plain = plainAuditResponse(response);
  if (plain) return { status: plain.status, headers: new PairHeaders(Object.entries(plain.headers)), body: Buffer.from(plain.body) };
  return { status: response.status, headers: response.headers, body: (await readStream(response.body)) as Uint8Array };
}

/** A call in flight, watched by the dispatcher's one ticker (heartbeats and the call timeout). */
interface Call {
  m: JsMsg;
  deadline: number;
  beatAt: number;
  expire: (reason: Error) => void;
  controller: AbortController | undefined;
}

/** An audit record written, its JetStream acknowledgement not seen yet. */
interface PendingAudit {
  fn: string;
  uid: string;
  at: number;
}

/** How long an audit record may go unacknowledged before it is reported as not written. */
const AUDIT_ACK_TIMEOUT_MS = 10_000;
const NO_HEADERS: HeaderSource = new PairHeaders([]);
const PLAIN_HEADER_VALUE = /^[\x21-\x7e]+$/;
const utf8Decoder = new TextDecoder();

function header(h: ReadonlyMap<string, string>, name: string): string | undefined {
  const value = h.get(name);
  if (value === undefined) return undefined;
  try {
    return percentDecode(value);
  } catch {
    return value;
  }
}

const OBJECT_TYPE = /^dev\.snapflow\.k8s\.([a-z0-9]+)\.([a-z]+)$/;

/** Whether an event of this type passes the function's verb filter; any other type goes through (the function judges it). */
function takesVerb(verbs: NonNullable<FunctionTarget["verbs"]>, type: string | undefined): boolean {
  const m = type === undefined ? null : OBJECT_TYPE.exec(type);
  if (!m) return true;
  const wanted = verbs[m[1] as ResourceName];
  return wanted === undefined || wanted.includes(m[2]!);
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

  // Audit records go out as core publishes to the audit subject (SNAPFLOW_AUDIT captures it; the
  // Nats-Msg-Id header de-duplicates as with a JetStream publish), each with a reply subject under
  // one shared inbox: JetStream's acknowledgements arrive there and are checked without a
  // request/reply (a promise, timer and error objects) per record, and nothing waits for them.
  // A record the stream refused or never acknowledged is logged, as before: audit loss is a warning.
  const auditInbox = createInbox((nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix);
  const auditInboxPrefix = `${auditInbox}.`;
  const pendingAudits = new Map<string, PendingAudit>();
  let auditSeq = 0;
  let auditAcks: Subscription | undefined;
  const auditNotWritten = (fn: string, uid: string, err: string) => log?.warn({ function: fn, uid, err }, "audit record not written");
  const onAuditAck = (err: Error | null, msg: Msg) => {
    if (err) return;
    const token = msg.subject.slice(auditInboxPrefix.length);
    const pending = pendingAudits.get(token);
    if (!pending) return;
    pendingAudits.delete(token);
    const code = msg.headers?.code ?? 0;
    if (code >= 300) {
      auditNotWritten(pending.fn, pending.uid, `${code} ${msg.headers?.description ?? ""}`.trim());
      return;
    }
    // A PubAck is {"stream":..,"seq":..}; a refusal is {"error":{..}}.
    const text = utf8Decoder.decode(msg.data);
    if (text.includes('"error"')) auditNotWritten(pending.fn, pending.uid, text);
  };

  function publishAudit(fn: string, uid: string, headers: MsgHdrs, data: Uint8Array, id: string): void {
    try {
      auditAcks ??= nc.subscribe(`${auditInbox}.*`, { callback: onAuditAck });
      const msgId = `audit.${id}`;
      // Straight into the map when it needs none of set()'s checks (a decoded id may hold anything).
      if (headers instanceof MsgHdrsImpl && PLAIN_HEADER_VALUE.test(msgId) && !headers.headers.has("Nats-Msg-Id")) headers.headers.set("Nats-Msg-Id", [msgId]);
      else headers.set("Nats-Msg-Id", msgId);
      const token = String(++auditSeq);
      nc.publish(auditSubject(cluster, fn, uid), data, { headers, reply: auditInboxPrefix + token });
      pendingAudits.set(token, { fn, uid, at: Date.now() });
      startTicker();
    } catch (err) {
      auditNotWritten(fn, uid, String(err));
    }
  }

  let turn: Promise<void> | undefined;
  function settleTurn(): Promise<void> {
    return (turn ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        turn = undefined;
        resolve();
      }),
    ));
  }

  // One ticker for every call in flight and every unacknowledged audit record (instead of a timeout
  // and a heartbeat interval per call): it heartbeats calls due for one, expires calls past their
  // deadline, and reports audit records never acknowledged. It runs only while there is something
  // to watch.
  const calls = new Set<Call>();
  // Per function: the object (subject) each call is on, and the events waiting behind one.
  const keyQueues = new Map<string, KeyQueue<JsMsg>>();
  const waitingCount = () => {
    let n = 0;
    for (const q of keyQueues.values()) n += q.waitingSize;
    return n;
  };
  let waitingBeatAt = 0;
  const tickMs = Math.min(1_000, Math.max(5, Math.floor(Math.min(heartbeatMs, callTimeoutMs) / 4)));
  let ticker: NodeJS.Timeout | undefined;
  function startTicker(): void {
    // A watchdog, not work: it never keeps the process alive by itself.
    ticker ??= setInterval(tick, tickMs).unref();
  }
  function tick(): void {
    const now = Date.now();
    for (const call of calls) {
      if (now >= call.deadline) {
        calls.delete(call);
        const reason = new Error("call timed out");
        call.controller?.abort(reason);
        call.expire(reason);
      } else if (now >= call.beatAt) {
        call.beatAt = now + heartbeatMs;
        call.m.working();
      }
    }
    if (now >= waitingBeatAt) {
      // Events waiting behind a call on their object are ours too: keep JetStream from redelivering them.
      waitingBeatAt = now + heartbeatMs;
      for (const q of keyQueues.values()) for (const m of q.waiting()) m.working();
    }
    if (pendingAudits.size > 0) {
      if (nc.isClosed()) pendingAudits.clear();
      for (const [token, pending] of pendingAudits) {
        // Oldest first (insertion order): stop at the first one still within its time.
        if (now - pending.at < AUDIT_ACK_TIMEOUT_MS) break;
        pendingAudits.delete(token);
        auditNotWritten(pending.fn, pending.uid, "no acknowledgement from JetStream");
      }
    }
    if (calls.size === 0 && pendingAudits.size === 0 && waitingCount() === 0) {
      clearInterval(ticker);
      ticker = undefined;
    }
  }

  async function deadLetter(fn: string, m: JsMsg, h: ReadonlyMap<string, string>, uid: string, reason: string, httpStatus: number | undefined, replyAudit: ForwardedEvent | undefined): Promise<void> {
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
    const replyOutcome = replyAudit ? parseAuditType(replyAudit.type)?.outcome : undefined;
    if (replyOutcome !== "failed") {
      const event = deadLetterAuditEvent({
        function: fn,
        cluster,
        uid,
        outcome: "failed",
        deadLettered: true,
        reason,
        httpStatus,
        deliveries: m.info.deliveryCount,
        event: { id: eventId, type: header(h, "ce-type"), namespace: header(h, "ce-namespace"), name: header(h, "ce-name"), resourceVersion: header(h, "ce-resourceversion") },
      });
      const { headers, data } = toNatsMessage(event);
      publishAudit(fn, uid, headers, data, event.attributes.id!);
    }
  }

  /**
   * A requeue that would run into max_deliver starts over as a fresh copy of the event, unless the
   * object has a newer event already: that one reaches the function anyway, and a copy of the old
   * state published after it would hold every consumer of the object back until its not-before.
   */
  async function requeueFresh(m: JsMsg, h: ReadonlyMap<string, string>, delayMs: number): Promise<void> {
    const out = toNatsMessage({ attributes: {}, data: m.data }, [
      ...[...h].filter(([name]) => name.startsWith("ce-") || name === "content-type"),
      [NOT_BEFORE, String(Date.now() + delayMs)],
      [REQUEUE_OF, String(m.info.streamSequence)],
    ]);
    try {
      await js.publish(m.subject, out.data, {
        headers: out.headers,
        msgID: `requeue.${m.info.stream}.${m.info.streamSequence}`,
        expect: { lastSubjectSequence: m.info.streamSequence },
      });
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence) return;
      throw err;
    }
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

    if (target.verbs && !takesVerb(target.verbs, header(h, "ce-type"))) {
      s.filtered++;
      m.ack();
      return;
    }

    s.delivered++;
    const deliver = target.deliver ?? httpDeliver;
    // In-process handlers get no abort signal and may ignore the timeout: the dispatcher stops waiting
    // for them all the same (the ticker expires the call).
    const controller = deliver.inProcess ? undefined : new AbortController();
    const now = Date.now();
    const call: Call = { m, deadline: now + callTimeoutMs, beatAt: now + heartbeatMs, expire: () => undefined, controller };
    let status = 0;
    let responseHeaders = NO_HEADERS;
    let replyAudit: ForwardedEvent | undefined;
    calls.add(call);
    startTicker();
    try {
      const headers = requestHeaders(h, deliveries);
      // The function host's direct entry skips the Request (and its body stream) altogether.
      const answered = deliver.direct?.(target.url, headers, m.data);
      const pending = answered
        ? answered.then(readReply)
        : exchange(deliver, new Request(target.url, { method: "POST", headers, body: m.data.length > 0 ? m.data : null, signal: controller?.signal }));
      const reply = await new Promise<Reply>((resolve, reject) => {
        call.expire = reject;
        pending.then(resolve, reject);
      });
      status = reply.status;
      responseHeaders = reply.headers;
      if (hasCloudEvent(reply.headers)) {
        try {
          replyAudit = forwardHttpToNats(reply.headers, reply.body);
        } catch (err) {
          log?.warn({ function: fn, uid, err: String(err) }, "function reply is not a valid CloudEvent");
        }
      }
    } catch (err) {
      log?.warn({ function: fn, uid, err: String(err) }, "delivery failed");
    } finally {
      calls.delete(call);
    }

    // Settle together with every other call that finished in this turn of the event loop: their audit
    // records, acks and naks leave in one socket write instead of one (or two) each.
    await settleTurn();
    // Written before the ack below, never waited for (see publishAudit).
    if (replyAudit) publishAudit(fn, uid, replyAudit.headers, replyAudit.data, replyAudit.id);
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

  /** Runs `m` in the slot it holds; the next event of the same object, if one waits, follows in that slot. */
  const run = (target: FunctionTarget, queue: KeyQueue<JsMsg>, semaphore: Semaphore, m: JsMsg): void => {
    stats[target.name]!.inFlight++;
    const task = handle(target, m)
      .catch((err) => log?.error({ function: target.name, err: String(err) }, "message handling failed"))
      .finally(() => {
        stats[target.name]!.inFlight--;
        inFlight.delete(task);
        const next = queue.done(m.subject);
        if (next && !draining) {
          run(target, queue, semaphore, next);
          return;
        }
        if (next) {
          // Never started: hand it back (and free the key behind it).
          next.nak();
          queue.done(m.subject);
        }
        semaphore.release();
      });
    inFlight.add(task);
  };

  const pull = async (target: FunctionTarget, resource: ResourceName, semaphore: Semaphore, queue: KeyQueue<JsMsg>, concurrency: number): Promise<void> => {
    const durable = consumerName(cluster, target.name, resource);
    let restartDelay = 250;
    while (!draining && !nc.isClosed()) {
      try {
        const consumer = await js.consumers.get(K8S_STREAM, durable);
        // Short pulls: when a clustered consumer's leader dies, its pending pull dies with it and the
        // client only notices by missed heartbeats (expires / 2 apart); 30 s (the default) stalled
        // delivery ~40 s per failover in chaos:cluster, 5 s keeps it to a few seconds.
        // Refill when a quarter of the batch is left outstanding (the client's default is three
        // quarters): a pull request, each its own socket write and server round, per ~3/4 batch
        // instead of per ~1/4. Up to `concurrency` messages stay requested or buffered, as before.
        const messages = await consumer.consume({
          max_messages: concurrency,
          ...(concurrency >= 4 ? { threshold_messages: Math.floor(concurrency / 4) } : {}),
          abort_on_missing_resource: true,
          expires: 5_000,
        });
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
            const offer = queue.offer(m.subject, m);
            if (!offer.run) {
              // Waits beside the call on its object, without a slot; an older waiting event is done with.
              semaphore.release();
              if (offer.superseded) {
                stats[target.name]!.superseded++;
                offer.superseded.ack();
              }
              startTicker();
              continue;
            }
            run(target, queue, semaphore, m);
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
    stats[target.name] = { delivered: 0, acked: 0, retried: 0, requeued: 0, deadLettered: 0, inFlight: 0, superseded: 0, filtered: 0 };
    const concurrency = target.concurrency ?? 16;
    const semaphore = new Semaphore(concurrency);
    const queue = new KeyQueue<JsMsg>((m) => m.info.streamSequence);
    keyQueues.set(target.name, queue);
    for (const resource of target.resources) {
      // Fail start-up loudly when a consumer is missing; later interruptions are retried in pull().
      await js.consumers.get(K8S_STREAM, consumerName(cluster, target.name, resource));
      loops.push(pull(target, resource, semaphore, queue, concurrency));
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
      // What is still unacknowledged is in the server's hands; stop watching for it.
      auditAcks?.unsubscribe();
      auditAcks = undefined;
      pendingAudits.clear();
      if (ticker) clearInterval(ticker);
      ticker = undefined;
    },
  };
}
