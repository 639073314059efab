// Publishes CloudEvents to JetStream with Nats-Msg-Id = event id, never giving up on an event while
// NATS is away: failed publishes go back to the head of the queue and are retried with back-off.
// The queue is bounded; what overflows is dropped and counted (the next resync re-emits it).
//
// Publishes are pipelined: each is a plain NATS publish with a reply subject under one inbox
// subscription of the publisher's own, and JetStream's acknowledgements (PubAck JSON) settle them as
// they arrive; one sweep timer fails those not acknowledged in time. This is what js.publish does
// per message (a request through the connection's mux), without its per-request timer, error
// objects with stack traces and header-builder work.
import type { JetStreamClient } from "@nats-io/jetstream";
import { createInbox, Empty, MsgHdrsImpl, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { percentEncode, type CloudEvent } from "../codec/index.js";
import type { Logger } from "../../shared/function/types.js";

export interface PublisherOptions {
  /** Publishes in flight at once (JetStream keeps their order on one connection). */
  concurrency?: number;
  maxPending?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  publishTimeoutMs?: number;
  log?: Logger;
}

export interface PublisherStats {
  published: number;
  duplicates: number;
  failures: number;
  dropped: number;
  pending: number;
}

interface Item {
  subject: string;
  id: string;
  event: CloudEvent;
  /** The NATS headers, built on the first attempt and reused by retries. */
  headers?: MsgHdrs;
}

interface Waiting {
  item: Item;
  deadline: number;
}

/** Not acknowledged within publishTimeoutMs (the request may or may not have reached the stream). */
export class PublishTimeoutError extends Error {
  constructor() {
    super("publish not acknowledged in time");
    this.name = "PublishTimeoutError";
  }
}

export class EventPublisher {
  private readonly queue: Item[] = [];
  private inFlight = 0;
  private pausedUntil = 0;
  private retryDelay: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  readonly stats: PublisherStats = { published: 0, duplicates: 0, failures: 0, dropped: 0, pending: 0 };
  private readonly concurrency: number;
  private readonly maxPending: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly publishTimeoutMs: number;
  /** The connection behind the JetStream client (undefined: fall back to js.publish). */
  private readonly nc: NatsConnection | undefined;
  private inbox = "";
  private subscription: Subscription | undefined;
  private replySeq = 0;
  private readonly waiting = new Map<string, Waiting>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly options: PublisherOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 64;
    this.maxPending = options.maxPending ?? 100_000;
    this.retryInitialMs = options.retryInitialMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 5_000;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
    this.retryDelay = this.retryInitialMs;
    const nc = (js as unknown as { nc?: NatsConnection }).nc;
    this.nc = nc && typeof nc.publish === "function" && typeof nc.subscribe === "function" ? nc : undefined;
  }

  enqueue(subject: string, id: string, event: CloudEvent): void {
    if (this.stopped) return;
    this.queue.push({ subject, id, event });
    if (this.queue.length > this.maxPending) {
      this.queue.shift();
      this.stats.dropped++;
    }
    // Published at once: the events of one watch chunk leave in the same tick, which NATS sends as
    // one socket write.
    this.pump();
  }

  /** Resolves once everything queued so far is published (or the publisher stopped). */
  async idle(): Promise<void> {
    if (this.isIdle() || this.stopped) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.waiting.size === 0) this.unsubscribe();
    this.wakeIdle(true);
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.inFlight === 0;
  }

  private wakeIdle(force = false): void {
    if (!force && !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private pump(): void {
    this.stats.pending = this.queue.length;
    if (this.stopped) return;
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
      }
      return;
    }
    while (this.inFlight < this.concurrency && this.queue.length > 0) {
      const item = this.queue.shift()!;
      this.inFlight++;
      void this.publish(item);
    }
  }

  private publish(item: Item): void {
    if (!this.nc) {
      this.publishWithClient(item);
      return;
    }
    let token: string | undefined;
    try {
      item.headers ??= natsHeaders(item.event, item.id);
      const inbox = this.ensureSubscription(this.nc);
      token = String(++this.replySeq);
      this.waiting.set(token, { item, deadline: Date.now() + this.publishTimeoutMs });
      this.nc.publish(item.subject, item.event.data ?? Empty, { headers: item.headers, reply: `${inbox}.${token}` });
      this.ensureSweep();
    } catch (err) {
      if (token !== undefined) this.waiting.delete(token);
      // Settled later, as an awaited publish would be: every queued item gets its first attempt.
      queueMicrotask(() => this.settle(item, err, false));
    }
  }

  private publishWithClient(item: Item): void {
    let headers: MsgHdrs;
    try {
      headers = item.headers ??= natsHeaders(item.event, item.id);
    } catch (err) {
      queueMicrotask(() => this.settle(item, err, false));
      return;
    }
    this.js.publish(item.subject, item.event.data ?? Empty, { headers, timeout: this.publishTimeoutMs }).then(
      (ack) => this.settle(item, undefined, ack.duplicate),
      (err: unknown) => this.settle(item, err, false),
    );
  }

  private ensureSubscription(nc: NatsConnection): string {
    if (this.subscription && !this.subscription.isClosed()) return this.inbox;
    const inbox = createInbox((nc as unknown as { options?: { inboxPrefix?: string } }).options?.inboxPrefix);
    this.subscription = nc.subscribe(`${inbox}.*`, {
      callback: (err, msg) => {
        if (err) {
          // The inbox subscription is gone (e.g. a permission error): fail what waits; retries resubscribe.
          this.subscription = undefined;
          this.failWaiting(err);
          return;
        }
        this.onAck(msg);
      },
    });
    this.inbox = inbox;
    return inbox;
  }

  private onAck(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length + 1);
    const waiting = this.waiting.get(token);
    if (!waiting) return; // late: it timed out and was retried (JetStream de-duplicates the retry)
    this.waiting.delete(token);
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      this.settle(waiting.item, new Error("no responders: JetStream is not available for this subject"), false);
      return;
    }
    let ack: { stream?: string; duplicate?: boolean; error?: { code?: number; err_code?: number; description?: string } };
    try {
      ack = msg.json();
    } catch {
      this.settle(waiting.item, new Error("invalid ack response"), false);
      return;
    }
    if (ack.error) this.settle(waiting.item, new Error(`JetStream: ${ack.error.description ?? "error"} (${ack.error.code ?? ""}/${ack.error.err_code ?? ""})`), false);
    else if (!ack.stream) this.settle(waiting.item, new Error("invalid ack response"), false);
    else this.settle(waiting.item, undefined, ack.duplicate === true);
  }

  private ensureSweep(): void {
    if (this.sweepTimer) return;
    const every = Math.min(1_000, Math.max(20, Math.floor(this.publishTimeoutMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  /** Fails what waited longer than publishTimeoutMs (oldest first: deadlines grow with insertion). */
  private sweep(): void {
    const now = Date.now();
    for (const [token, waiting] of this.waiting) {
      if (waiting.deadline > now) break;
      this.waiting.delete(token);
      this.settle(waiting.item, new PublishTimeoutError(), false);
    }
    if (this.waiting.size === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
  }

  private failWaiting(err: unknown): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiting of all) this.settle(waiting.item, err, false);
  }

  private unsubscribe(): void {
    const subscription = this.subscription;
    this.subscription = undefined;
    if (subscription && !subscription.isClosed()) {
      try {
        subscription.unsubscribe();
      } catch {
        // the connection is closed already
      }
    }
  }

  private settle(item: Item, err: unknown, duplicate: boolean): void {
    if (err === undefined) {
      if (duplicate) this.stats.duplicates++;
      else this.stats.published++;
      this.retryDelay = this.retryInitialMs;
    } else {
      this.stats.failures++;
      if (!this.stopped) {
        this.queue.unshift(item);
        while (this.queue.length > this.maxPending) {
          this.queue.shift();
          this.stats.dropped++;
        }
        this.pausedUntil = Date.now() + this.retryDelay;
        this.options.log?.warn({ err: String(err), subject: item.subject, retryInMs: this.retryDelay }, "publish failed; will retry");
        this.retryDelay = Math.min(this.retryDelay * 2, this.retryMaxMs);
      }
    }
    this.inFlight--;
    if (this.stopped && this.waiting.size === 0) this.unsubscribe();
    this.pump();
    this.wakeIdle();
  }
}

/**
 * The event in the NATS binding's binary mode (as toNatsMessage writes it: `ce-<attribute>` with
 * percent-encoded values, datacontenttype as content-type) plus Nats-Msg-Id = id.
 */
function natsHeaders(event: CloudEvent, id: string): MsgHdrs {
  const record: Record<string, string[]> = {};
  for (const name in event.attributes) {
    const value = event.attributes[name]!;
    if (name === "datacontenttype") {
      if (/[\r\n]/.test(value)) throw new Error("content-type cannot contain \\r or \\n");
      record["content-type"] = [value.trim()];
    } else {
      record[`ce-${name}`] = [percentEncode(value)];
    }
  }
  if (/[\r\n]/.test(id)) throw new Error("Nats-Msg-Id cannot contain \\r or \\n");
  record["Nats-Msg-Id"] = [id];
  return MsgHdrsImpl.fromRecord(record);
}
