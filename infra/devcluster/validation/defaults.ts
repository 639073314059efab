// Defaulting as kube applies it after pruning: absent fields (and nulls of non-nullable fields) take
// the schema's default; remaining nulls of non-nullable fields are dropped, so validation and CEL
// never see them (a rule must not trip over `{a: null}` differing from `{}`).
import { isObject } from "./json.js";
import type { SchemaNode } from "./node.js";

function fill(child: SchemaNode, container: Record<string, unknown>, key: string): void {
  const v = container[key];
  if (v === undefined || (v === null && !child.nullable)) {
    if (child.hasDefault) container[key] = structuredClone(child.defaultValue);
    else if (v === null) delete container[key];
  }
}

export function applyDefaults(node: SchemaNode, value: unknown, isRoot: boolean): void {
  if (Array.isArray(value)) {
    const items = node.items;
    if (!items) return;
    for (let i = 0; i < value.length; i++) {
      if (value[i] === null && !items.nullable && items.hasDefault) value[i] = structuredClone(items.defaultValue);
      applyDefaults(items, value[i], false);
    }
    return;
  }
  if (!isObject(value)) return;
  if (node.properties) {
    for (const [key, child] of node.properties) {
      if (isRoot && key === "metadata") continue;
      fill(child, value, key);
      if (value[key] !== undefined) applyDefaults(child, value[key], false);
    }
  } else if (typeof node.additionalProperties === "object") {
    const ap = node.additionalProperties;
    for (const key of Object.keys(value)) {
      fill(ap, value, key);
      if (value[key] !== undefined) applyDefaults(ap, value[key], false);
    }
  }
}
