// One Kubernetes object change → one CloudEvent, exactly per DESIGN "Event contract".
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES, type ResourceName } from "../../shared/api/resources.js";
import type { ObjectVerb } from "../../shared/function/types.js";
import { jsonCloudEvent, type CloudEvent } from "../codec/index.js";
import { k8sSubject } from "../jetstream/subjects.js";

export const K8S_EVENT_TYPE_PREFIX = "dev.snapflow.k8s.";

export function objectEventType(resource: ResourceName, verb: ObjectVerb): string {
  return `${K8S_EVENT_TYPE_PREFIX}${resource}.${verb}`;
}

export function objectEventId(uid: string, resourceVersion: string, verb: ObjectVerb): string {
  return `${uid}.${resourceVersion}.${verb}`;
}

export interface ObjectCloudEvent {
  subject: string;
  event: CloudEvent;
  id: string;
}

/** Throws when the object lacks a uid, name or resourceVersion (the API server always sets them). */
export function objectCloudEvent(cluster: string, resource: ResourceName, verb: ObjectVerb, object: KubeObject, now = new Date()): ObjectCloudEvent {
  const meta = object.metadata ?? {};
  const { uid, name, resourceVersion, namespace } = meta;
  if (!uid || !name || !resourceVersion) throw new Error(`${resource} object without uid, name or resourceVersion`);
  const id = objectEventId(uid, resourceVersion, verb);
  const attributes: Record<string, string> = {
    id,
    source: `/clusters/${cluster}`,
    type: objectEventType(resource, verb),
    subject: uid,
    time: now.toISOString(),
    cluster,
    name,
    resourceversion: resourceVersion,
    kind: RESOURCES[resource].kind.toLowerCase(),
  };
  if (namespace) attributes.namespace = namespace;
  // List responses omit apiVersion/kind on items: put them back so `data` is a complete object.
  const data = { apiVersion: object.apiVersion ?? apiVersion(resource), kind: object.kind ?? RESOURCES[resource].kind, ...object };
  return { subject: k8sSubject(cluster, resource, uid), event: jsonCloudEvent(attributes, data), id };
}

function apiVersion(resource: ResourceName): string {
  const t = RESOURCES[resource];
  return t.group === "" ? t.version : `${t.group}/${t.version}`;
}
