// Builds snapflow object CloudEvents (DESIGN "Event contract") as HTTP requests, for function tests.
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES, type ResourceName } from "../../shared/api/resources.js";

export interface EventOptions {
  resource?: ResourceName;
  verb?: "added" | "modified" | "deleted" | "resynced";
  cluster?: string;
}

/** The ce-* attributes of an object event, as header name → value (binary mode). */
export function eventHeaders(object: KubeObject, options: EventOptions = {}): Record<string, string> {
  const resource = options.resource ?? "volumesnapshots";
  const verb = options.verb ?? "added";
  const cluster = options.cluster ?? "east";
  const { uid, resourceVersion, name, namespace } = object.metadata;
  const headers: Record<string, string> = {
    "ce-specversion": "1.0",
    "ce-id": `${uid}.${resourceVersion}.${verb}`,
    "ce-source": `/clusters/${cluster}`,
    "ce-type": `dev.snapflow.k8s.${resource}.${verb}`,
    "ce-subject": uid ?? "",
    "ce-cluster": cluster,
    "ce-name": name ?? "",
    "ce-resourceversion": resourceVersion ?? "",
    "ce-kind": RESOURCES[resource].kind.toLowerCase(),
    "ce-time": new Date().toISOString(),
  };
  if (namespace) headers["ce-namespace"] = namespace;
  return headers;
}

export function binaryEvent(object: KubeObject, options: EventOptions = {}, override: Record<string, string | undefined> = {}): RequestInit {
  const headers: Record<string, string> = { ...eventHeaders(object, options), "content-type": "application/json" };
  for (const [k, v] of Object.entries(override)) {
    if (v === undefined) delete headers[k];
    else headers[k] = v;
  }
  return { method: "POST", headers, body: JSON.stringify(object) };
}

export function structuredEvent(object: KubeObject, options: EventOptions = {}): RequestInit {
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(eventHeaders(object, options))) attributes[k.slice(3)] = v;
  return {
    method: "POST",
    headers: { "content-type": "application/cloudevents+json; charset=utf-8" },
    body: JSON.stringify({ ...attributes, datacontenttype: "application/json", data: object }),
  };
}
