// NATS subjects and durable names of the event contract (DESIGN "Event contract").
import type { ResourceName } from "../../shared/api/resources.js";

export const K8S_STREAM = "SNAPFLOW_K8S";
export const AUDIT_STREAM = "SNAPFLOW_AUDIT";

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Cluster and function names become subject tokens and parts of durable names: no dots, wildcards or spaces. */
export function assertToken(kind: string, value: string): string {
  if (!TOKEN.test(value)) throw new Error(`invalid ${kind} "${value}": use letters, digits, '-' and '_' only`);
  return value;
}

/** UIDs are UUIDs; anything else is made safe as one subject token. */
export function uidToken(uid: string): string {
  const safe = uid.replace(/[^A-Za-z0-9_-]/g, "_");
  return safe === "" ? "_" : safe;
}

export function k8sSubject(cluster: string, resource: ResourceName | string, uid: string): string {
  return `snapflow.${cluster}.k8s.${resource}.${uidToken(uid)}`;
}

export function k8sFilter(cluster: string, resource: ResourceName | string): string {
  return `snapflow.${cluster}.k8s.${resource}.*`;
}

export function auditSubject(cluster: string, fn: string, uid: string): string {
  return `snapflow.${cluster}.audit.${fn}.${uidToken(uid)}`;
}

export function deadSubject(cluster: string, fn: string, uid: string): string {
  return `snapflow.${cluster}.dead.${fn}.${uidToken(uid)}`;
}

/** Durable consumer of one function for one resource of one cluster. */
export function consumerName(cluster: string, fn: string, resource: ResourceName | string): string {
  return `${assertToken("cluster name", cluster)}_${assertToken("function name", fn)}_${resource}`;
}

/** The last token of an event subject (the UID), for messages whose headers cannot be trusted. */
export function uidFromSubject(subject: string): string {
  const tokens = subject.split(".");
  return tokens[tokens.length - 1] ?? "_";
}
