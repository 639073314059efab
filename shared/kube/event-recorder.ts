// core/v1 Events written the way client-go's record.EventRecorder writes them, so `kubectl describe`
// shows snapflow's events exactly like snapshot-controller's: name `<object>.<hex nanos>`, the
// involvedObject reference, source.component, first/lastTimestamp and count. A repeat of the same
// event (same object, component, type, reason and message) within the window bumps count and
// lastTimestamp with a patch instead of creating another Event. Like client-go's aggregator, once
// one object has seen 10 different messages for the same reason within the window, further ones are
// folded into a single "(combined from similar events): <latest message>" Event. Recording never
// fails the caller: events are advisory, a failed write is logged.
import { hostname } from "node:os";
import type { KubeObject, ObjectReference } from "../api/meta.js";
import { RESOURCES } from "../api/resources.js";
import type { EventRecorder, Logger, RecordedEvent } from "../function/types.js";
import { redactText } from "../log.js";
import { KubeApiError, type KubeClient } from "./types.js";

/** core/v1 Event as written by the recorder. */
export interface CoreEvent extends KubeObject {
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  type: "Normal" | "Warning";
  source: { component: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  reportingComponent: string;
  reportingInstance: string;
}

export interface EventRecorderOptions {
  kube: KubeClient;
  /** source.component unless an event names its own (snapshot-controller, csi-snapshotter <driver>, ...). */
  component: string;
  /** source.host / reportingInstance; default: this machine's hostname. */
  host?: string;
  /** Repeats within this long are counted on the existing Event (default 10 minutes). */
  windowMs?: number;
  /** Remembered distinct events (default 4096; oldest forgotten first). */
  cacheSize?: number;
  log?: Logger;
  now?: () => Date;
}

/** The API server's limit for an Event message is generous, but kubectl and UIs are not. */
const MAX_MESSAGE = 1024;

/** client-go's defaults: the 10th distinct message of one reason on one object starts aggregating. */
const AGGREGATE_AFTER = 10;
export const AGGREGATE_PREFIX = "(combined from similar events): ";

interface Family {
  messages: Set<string>;
  lastMs: number;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  lastMs: number;
}

export class KubeEventRecorder implements EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private readonly families = new Map<string, Family>();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly host: string;
  private readonly windowMs: number;
  private readonly cacheSize: number;
  private readonly now: () => Date;
  private lastNanos = 0n;

  constructor(private readonly options: EventRecorderOptions) {
    this.host = options.host ?? hostname();
    this.windowMs = options.windowMs ?? 10 * 60_000;
    this.cacheSize = options.cacheSize ?? 4096;
    this.now = options.now ?? (() => new Date());
  }

  async record(object: KubeObject & { apiVersion?: string; kind?: string }, event: RecordedEvent): Promise<void> {
    try {
      await this.emit(object, event);
    } catch (err) {
      this.options.log?.warn(
        { err, reason: event.reason, object: { kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name } },
        "could not record event",
      );
    }
  }

  /** Like record, but a failed write rejects (EventRecorder.recordStrictly). */
  async recordStrictly(object: KubeObject & { apiVersion?: string; kind?: string }, event: RecordedEvent): Promise<void> {
    await this.emit(object, event);
  }

  /** Like record, but resolves to the Event as written and lets failures through. */
  async emit(object: KubeObject & { apiVersion?: string; kind?: string }, event: RecordedEvent): Promise<CoreEvent> {
    const ref = referenceOf(object);
    const component = event.component ?? this.options.component;
    let message = truncate(redactText(event.message));
    const familyKey = JSON.stringify([component, this.host, ref.apiVersion, ref.kind, ref.namespace, ref.name, ref.uid, event.type, event.reason]);
    let key = JSON.stringify([familyKey, message]);
    if (this.aggregating(familyKey, message)) {
      // Every further message of this family counts on one combined Event, showing the latest message.
      key = JSON.stringify([familyKey, AGGREGATE_PREFIX]);
      message = truncate(AGGREGATE_PREFIX + message);
    }
    // One write at a time per distinct event, so concurrent repeats count up instead of racing.
    const previous = this.inFlight.get(key) ?? Promise.resolve();
    const next = previous.then(
      () => this.write(key, ref, component, message, event),
      () => this.write(key, ref, component, message, event),
    );
    this.inFlight.set(key, next);
    try {
      return await next;
    } finally {
      if (this.inFlight.get(key) === next) this.inFlight.delete(key);
    }
  }

  /** Notes the message in its family; true once the family has seen too many distinct messages. */
  private aggregating(familyKey: string, message: string): boolean {
    const nowMs = this.now().getTime();
    let family = this.families.get(familyKey);
    if (!family || nowMs - family.lastMs >= this.windowMs) family = { messages: new Set(), lastMs: nowMs };
    family.lastMs = nowMs;
    let aggregate = false;
    if (!family.messages.has(message)) {
      family.messages.add(message);
      if (family.messages.size >= AGGREGATE_AFTER) {
        aggregate = true;
        // Keep the set bounded, as client-go does, so the family stays in aggregate mode.
        family.messages.delete(family.messages.values().next().value!);
      }
    }
    // As in client-go, a repeat of a message still in the set is not aggregated: it counts on its own Event.
    this.families.delete(familyKey);
    this.families.set(familyKey, family);
    while (this.families.size > this.cacheSize) {
      const oldest = this.families.keys().next().value;
      if (oldest === undefined) break;
      this.families.delete(oldest);
    }
    return aggregate;
  }

  private async write(key: string, ref: ObjectReference, component: string, message: string, event: RecordedEvent): Promise<CoreEvent> {
    const now = this.now();
    const timestamp = kubeTime(now);
    const seen = this.seen.get(key);
    if (seen && now.getTime() - seen.lastMs < this.windowMs) {
      try {
        const patched = await this.options.kube.patch<CoreEvent>(RESOURCES.events, seen.name, seen.namespace, {
          count: seen.count + 1,
          lastTimestamp: timestamp,
          message,
        });
        this.remember(key, { ...seen, count: patched.count ?? seen.count + 1, lastMs: now.getTime() });
        return patched;
      } catch (err) {
        // The Event expired (the API server drops them after an hour) or was deleted: start anew.
        if (!(err instanceof KubeApiError && err.isNotFound)) throw err;
      }
    }
    const namespace = ref.namespace || "default";
    const body: CoreEvent = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${ref.name}.${this.uniqueNanos(now).toString(16)}`, namespace },
      involvedObject: ref,
      reason: event.reason,
      message,
      type: event.type,
      source: { component, host: this.host },
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
      reportingComponent: component,
      reportingInstance: this.host,
    };
    let created: CoreEvent;
    try {
      created = await this.options.kube.create<CoreEvent>(RESOURCES.events, body);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 409)) throw err;
      // Another replica picked the same nanosecond name: take the next one.
      body.metadata.name = `${ref.name}.${this.uniqueNanos(this.now()).toString(16)}`;
      created = await this.options.kube.create<CoreEvent>(RESOURCES.events, body);
    }
    this.remember(key, { name: created.metadata.name ?? body.metadata.name!, namespace, count: 1, firstTimestamp: timestamp, lastMs: now.getTime() });
    return created;
  }

  private remember(key: string, seen: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, seen);
    while (this.seen.size > this.cacheSize) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }

  /** Nanoseconds since the epoch, strictly increasing within this process (names must not collide). */
  private uniqueNanos(now: Date): bigint {
    const sub = process.hrtime.bigint() % 1_000_000n;
    let nanos = BigInt(now.getTime()) * 1_000_000n + sub;
    if (nanos <= this.lastNanos) nanos = this.lastNanos + 1n;
    this.lastNanos = nanos;
    return nanos;
  }
}

/** Which object an Event is about, as client-go's reference.GetReference fills it. */
export function referenceOf(object: KubeObject & { apiVersion?: string; kind?: string }): ObjectReference {
  if (!object.kind || !object.apiVersion) throw new Error("cannot record an event for an object without apiVersion and kind");
  if (!object.metadata?.name) throw new Error(`cannot record an event for a ${object.kind} without a name`);
  const ref: ObjectReference = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name };
  if (object.metadata.namespace) ref.namespace = object.metadata.namespace;
  if (object.metadata.uid) ref.uid = object.metadata.uid;
  if (object.metadata.resourceVersion) ref.resourceVersion = object.metadata.resourceVersion;
  return ref;
}

/** metav1.Time: RFC 3339 at second precision. */
function kubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function truncate(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 3)}...`;
}
