// Audit records: the CloudEvents functions answer with (`dev.snapflow.audit.<function>.<outcome>`),
// and the ones the dispatcher writes itself when it gives up on an event (dead letter).
import { jsonCloudEvent, type CloudEvent } from "../codec/index.js";

export type AuditOutcome = "succeeded" | "failed" | "retried";

export const AUDIT_TYPE_PREFIX = "dev.snapflow.audit.";

export function auditEventType(fn: string, outcome: AuditOutcome): string {
  return `${AUDIT_TYPE_PREFIX}${fn}.${outcome}`;
}

/** The function and outcome an audit event type names, or undefined for other types. */
export function parseAuditType(type: string): { function: string; outcome: string } | undefined {
  if (!type.startsWith(AUDIT_TYPE_PREFIX)) return undefined;
  const rest = type.slice(AUDIT_TYPE_PREFIX.length);
  const dot = rest.lastIndexOf(".");
  if (dot <= 0) return undefined;
  return { function: rest.slice(0, dot), outcome: rest.slice(dot + 1) };
}

export interface DeadLetterAudit {
  function: string;
  cluster: string;
  uid: string;
  outcome: "failed";
  deadLettered: true;
  reason: string;
  httpStatus?: number;
  deliveries: number;
  event: { id?: string; type?: string; namespace?: string; name?: string; resourceVersion?: string };
}

export function deadLetterAuditEvent(record: DeadLetterAudit, now = new Date()): CloudEvent {
  const id = `${record.event.id ?? record.uid}.dead.${record.function}.${record.deliveries}`;
  const attributes: Record<string, string> = {
    id,
    source: `/clusters/${record.cluster}/dispatcher`,
    type: auditEventType(record.function, "failed"),
    subject: record.uid,
    time: now.toISOString(),
    cluster: record.cluster,
  };
  if (record.event.namespace) attributes.namespace = record.event.namespace;
  if (record.event.name) attributes.name = record.event.name;
  return jsonCloudEvent(attributes, record);
}
