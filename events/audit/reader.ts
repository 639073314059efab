// Reads the audit trail from SNAPFLOW_AUDIT with an ordered (ephemeral) consumer.
import { DeliverPolicy, jetstream, type OrderedConsumerOptions } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { cloudEventJson, fromNatsMessage } from "../codec/index.js";
import { AUDIT_STREAM, uidToken } from "../jetstream/subjects.js";
import { parseAuditType } from "./record.js";

export interface AuditEntry {
  time: string;
  cluster: string;
  function: string;
  outcome: string;
  uid: string;
  namespace?: string;
  name?: string;
  /** One-line description: what was done, or why not. */
  summary: string;
  type: string;
  id: string;
  data: unknown;
}

export interface AuditQuery {
  cluster?: string;
  uid?: string;
  function?: string;
  /** Only records at or after this instant. */
  since?: Date;
  /** Keep waiting for new records until the signal aborts. */
  follow?: boolean;
  signal?: AbortSignal;
}

export function auditFilter(cluster?: string, uid?: string, fn?: string): string {
  if (!uid && !fn) return `snapflow.${cluster ?? "*"}.audit.>`;
  return `snapflow.${cluster ?? "*"}.audit.${fn ?? "*"}.${uid ? uidToken(uid) : "*"}`;
}

function summarize(data: unknown): string {
  if (!data || typeof data !== "object") return "";
  const d = data as Record<string, unknown>;
  const parts: string[] = [];
  // The function framework's record carries a finer `outcome` (done, nothing, requeue, conflict, ...).
  if (typeof d.outcome === "string" && !["succeeded", "failed", "retried"].includes(d.outcome)) parts.push(`[${d.outcome}]`);
  if (Array.isArray(d.did) && d.did.length > 0) parts.push(d.did.map(String).join("; "));
  for (const key of ["reason", "why", "message", "error"]) {
    if (typeof d[key] === "string" && d[key] !== "") parts.push(d[key] as string);
  }
  const status = typeof d.httpStatus === "number" ? d.httpStatus : typeof d.status === "number" ? d.status : undefined;
  if (status !== undefined && status >= 300 && !parts.some((p) => p.includes(`HTTP ${status}`))) parts.push(`HTTP ${status}`);
  if (typeof d.retryAfterMs === "number") parts.push(`retry in ${d.retryAfterMs} ms`);
  if (typeof d.deliveries === "number" && d.deadLettered) parts.push(`dead-lettered after ${d.deliveries} deliveries`);
  if (typeof d.durationMs === "number") parts.push(`${Math.round(d.durationMs)} ms`);
  return parts.join(" — ");
}

export function toAuditEntry(attributes: Record<string, string>, data: unknown): AuditEntry {
  const parsed = parseAuditType(attributes.type ?? "");
  const d = (data && typeof data === "object" ? data : {}) as Record<string, unknown>;
  return {
    time: attributes.time ?? "",
    cluster: attributes.cluster ?? "",
    function: parsed?.function ?? String(d.function ?? "?"),
    outcome: parsed?.outcome ?? String(d.outcome ?? "?"),
    uid: attributes.subject ?? (typeof d.uid === "string" ? d.uid : ""),
    namespace: attributes.namespace ?? (typeof d.namespace === "string" ? d.namespace : undefined),
    name: attributes.name ?? (typeof d.name === "string" ? d.name : undefined),
    summary: summarize(data),
    type: attributes.type ?? "",
    id: attributes.id ?? "",
    data,
  };
}

export function formatAuditLine(e: AuditEntry): string {
  const object = e.name ? `${e.namespace ? `${e.namespace}/` : ""}${e.name}` : "-";
  return [e.time || "-", e.function.padEnd(9), e.outcome.padEnd(9), object, `uid=${e.uid}`, e.summary].filter((x) => x !== "").join("  ");
}

/** Calls onEntry for each matching audit record, oldest first. Resolves at the end (or on abort with follow). */
export async function readAudit(nc: NatsConnection, query: AuditQuery, onEntry: (entry: AuditEntry) => void): Promise<number> {
  const js = jetstream(nc);
  const options: Partial<OrderedConsumerOptions> = { filter_subjects: auditFilter(query.cluster, query.uid, query.function) };
  if (query.since) {
    options.deliver_policy = DeliverPolicy.StartTime;
    options.opt_start_time = query.since.toISOString();
  }
  const consumer = await js.consumers.get(AUDIT_STREAM, options);
  if (!query.follow) {
    const info = await consumer.info();
    if (info.num_pending === 0) return 0;
  }
  let count = 0;
  const messages = await consumer.consume();
  const onAbort = () => messages.stop();
  query.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (query.signal?.aborted) return 0;
    for await (const m of messages) {
      try {
        const event = fromNatsMessage(m.headers, m.data);
        onEntry(toAuditEntry(event.attributes, cloudEventJson(event)));
        count++;
      } catch {
        // Not a CloudEvent (someone else's message on our subjects): skip it.
      }
      if (!query.follow && m.info.pending === 0) break;
    }
  } finally {
    query.signal?.removeEventListener("abort", onAbort);
    messages.stop();
  }
  return count;
}

/** "90s", "15m", "2h", "7d" → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new Error(`invalid duration "${text}" (use e.g. 90s, 15m, 2h, 7d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "ms" | "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}
