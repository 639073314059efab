// One Kubernetes object change → one CloudEvent, exactly per DESIGN "Event contract".
import type { KubeObject } from "../../shared/api/meta.js";
import { RESOURCES, type ResourceName } from "../../shared/api/resources.js";
import type { ObjectVerb } from "../../shared/function/types.js";
import { utf8, type CloudEvent } from "../codec/index.js";
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
  // List responses omit apiVersion/kind on items: put them back so `data` is a complete object.
  const data = { apiVersion: object.apiVersion ?? apiVersion(resource), kind: object.kind ?? RESOURCES[resource].kind, ...object };
  return objectCloudEventFromBytes(cluster, resource, verb, { uid, name, namespace, resourceVersion }, utf8(JSON.stringify(data)), now);
}

export interface ObjectIdentity {
  uid: string;
  name: string;
  namespace?: string | undefined;
  resourceVersion: string;
}

/**
 * The same event from an object already serialised: `data` must be the object's JSON with apiVersion
 * and kind (the watcher passes the bytes the API server sent, without re-encoding them).
 */
export function objectCloudEventFromBytes(cluster: string, resource: ResourceName, verb: ObjectVerb, object: ObjectIdentity, data: Uint8Array, now = new Date()): ObjectCloudEvent {
  const { uid, name, resourceVersion, namespace } = object;
  const id = objectEventId(uid, resourceVersion, verb);
  const attributes: Record<string, string> = {
    specversion: "1.0",
    datacontenttype: "application/json",
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
  return { subject: k8sSubject(cluster, resource, uid), event: { attributes, data }, id };
}

function apiVersion(resource: ResourceName): string {
  const t = RESOURCES[resource];
  return t.group === "" ? t.version : `${t.group}/${t.version}`;
}
