// Pruning: what the schema does not declare is dropped before anything is stored, unless the schema
// says x-kubernetes-preserve-unknown-fields. apiVersion, kind and metadata always survive at the root
// and in embedded resources (the API server owns those).
import { isObject } from "./json.js";
import type { SchemaNode } from "./node.js";

const TYPE_META = new Set(["apiVersion", "kind", "metadata"]);

export function prune(node: SchemaNode, value: unknown, isRoot: boolean): void {
  if (Array.isArray(value)) {
    if (node.items) for (const item of value) prune(node.items, item, false);
    return;
  }
  if (!isObject(value)) return;
  const keepTypeMeta = isRoot || node.embeddedResource;
  for (const key of Object.keys(value)) {
    if (keepTypeMeta && key === "metadata") continue; // the server's business, not the schema's
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
