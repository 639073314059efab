// Pruning: what the schema does not declare is dropped before anything is stored, unless the schema
// says x-kubernetes-preserve-unknown-fields. apiVersion, kind and metadata always survive at the root
// and in embedded resources (the API server owns those).
import { isObject } from "./json.js";
import type { SchemaNode } from "./node.js";

const TYPE_META = new Set(["apiVersion", "kind", "metadata"]);

/** metav1.ObjectMeta's fields: what an embedded resource's metadata keeps (kube drops the rest). */
const OBJECT_META_FIELDS = new Set([
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
]);

export function prune(node: SchemaNode, value: unknown, isRoot: boolean): void {
  if (Array.isArray(value)) {
    if (node.items) for (const item of value) prune(node.items, item, false);
    return;
  }
  if (!isObject(value)) return;
  const keepTypeMeta = isRoot || node.embeddedResource;
  for (const key of Object.keys(value)) {
    if (keepTypeMeta && key === "metadata") {
      // The root's metadata is the server's business; an embedded resource's is pruned to ObjectMeta.
      const meta = value[key];
      if (!isRoot && isObject(meta)) for (const k of Object.keys(meta)) if (!OBJECT_META_FIELDS.has(k)) delete meta[k];
      continue;
    }
    const declared = node.properties?.get(key);
    if (declared) {
      prune(declared, value[key], false);
    } else if (keepTypeMeta && TYPE_META.has(key)) {
      continue;
    } else if (typeof node.additionalProperties === "object") {
      prune(node.additionalProperties, value[key], false);
    } else if (!node.preserveUnknownFields && node.additionalProperties !== true) {
      delete value[key];
    }
  }
}
