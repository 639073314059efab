// Publishes CloudEvents to JetStream with Nats-Msg-Id = event id, never giving up on an event while
// NATS is away: failed publishes go back to the head of the queue and are retried with back-off.
// The queue is bounded; what overflows is dropped and counted (the next resync re-emits it).
import type { JetStreamClient } from "@nats-io/jetstream";
import type { CloudEvent } from "../codec/index.js";
import { toNatsMessage } from "../codec/index.js";
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
  }

  enqueue(subject: string, id: string, event: CloudEvent): void {
    if (this.stopped) return;
    this.queue.push({ subject, id, event });
    if (this.queue.length > this.maxPending) {
      this.queue.shift();
      this.stats.dropped++;
    }
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

  private async publish(item: Item): Promise<void> {
    try {
      const { headers, data } = toNatsMessage(item.event);
      const ack = await this.js.publish(item.subject, data, { headers, msgID: item.id, timeout: this.publishTimeoutMs });
      if (ack.duplicate) this.stats.duplicates++;
      else this.stats.published++;
      this.retryDelay = this.retryInitialMs;
    } catch (err) {
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
    } finally {
      this.inFlight--;
      this.pump();
      this.wakeIdle();
    }
  }
}
