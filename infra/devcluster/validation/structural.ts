// The structural-schema rules kube-apiserver checks when a CRD is created (apiextensions
// structural validation and schema API validation), worded as kube words them. Returns the first
// violation of one node (children are checked as the tree is compiled), or undefined.
import type { JSONSchemaProps } from "../../../shared/api/crd.js";
import { compilePattern } from "./regex.js";

export type Level = "root" | "item" | "field";

/** Keywords a CRD schema may not use at all. */
const UNSUPPORTED = ["$ref", "additionalItems", "patternProperties", "dependencies", "definitions", "id", "$schema"] as const;
const JSON_TYPES: ReadonlySet<string> = new Set(["object", "array", "string", "integer", "number", "boolean"]);

export function structuralProblem(s: JSONSchemaProps, level: Level, where: string): string | undefined {
  const raw = s as Record<string, unknown>;
  for (const k of UNSUPPORTED) {
    if (raw[k] !== undefined) return `${where}.${k}: Forbidden: ${k} is not supported`;
  }
  if (s.uniqueItems === true) {
    return `${where}.uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`;
  }
  const intOrString = s["x-kubernetes-int-or-string"] === true;
  const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
  const embedded = s["x-kubernetes-embedded-resource"] === true;
  if (s.type !== undefined && !JSON_TYPES.has(s.type)) {
    return `${where}.type: Unsupported value: ${JSON.stringify(s.type)}: supported values: "array", "boolean", "integer", "number", "object", "string"`;
  }
  if (s.type === "array" && s.items === undefined) return `${where}.items: Required value: must be specified`;
  if (s.additionalProperties !== undefined && level === "root") {
    return `${where}.additionalProperties: Forbidden: must not be used at the root`;
  }
  if (s.properties !== undefined && s.additionalProperties !== undefined && s.additionalProperties !== false) {
    return `${where}.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`;
  }
  if (intOrString && preserve) {
    return `${where}.x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true`;
  }
  if (intOrString && embedded) {
    return `${where}.x-kubernetes-embedded-resource: Invalid value: true: must be false if x-kubernetes-int-or-string is true`;
  }
  const problem = nestedProblems(s, where, intOrString);
  if (problem) return problem;
  if (embedded && s.type !== "object") {
    return s.type === undefined
      ? `${where}.type: Required value: must be object if x-kubernetes-embedded-resource is true`
      : `${where}.type: Invalid value: ${JSON.stringify(s.type)}: must be object if x-kubernetes-embedded-resource is true`;
  }
  if (s.type === undefined && !intOrString && !preserve) {
    const why =
      level === "root"
        ? "must not be empty at the root"
        : level === "item"
          ? "must not be empty for specified array items"
          : "must not be empty for specified object fields";
    return `${where}.type: Required value: ${why}`;
  }
  if (embedded && s.additionalProperties !== undefined) {
    return `${where}.additionalProperties: Forbidden: must not be used if x-kubernetes-embedded-resource is set`;
  }
  if (level === "root" && s.type !== undefined && s.type !== "object") {
    return `${where}.type: Invalid value: ${JSON.stringify(s.type)}: must be object at the root`;
  }
  if (level === "root" || embedded) {
    const props = s.properties ?? {};
    for (const k of ["kind", "apiVersion"] as const) {
      const p = props[k];
      if (p && p.type !== "string") return `${where}.properties[${k}].type: Invalid value: ${JSON.stringify(p.type ?? "")}: must be string`;
    }
    const metadata = props.metadata;
    if (metadata && metadata.type !== "object") {
      return `${where}.properties[metadata].type: Invalid value: ${JSON.stringify(metadata.type ?? "")}: must be object`;
    }
  }
  if (level === "root" && s.properties?.metadata && !onlyNameAndGenerateName(s.properties.metadata)) {
    return `${where}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`;
  }
  if (embedded && !preserve && Object.keys(s.properties ?? {}).length === 0) {
    return `${where}.properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`;
  }
  const listType = s["x-kubernetes-list-type"];
  if (listType === "map" && (s["x-kubernetes-list-map-keys"] ?? []).length === 0) {
    return `${where}.x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`;
  }
  if (s.pattern !== undefined) {
    try {
      compilePattern(s.pattern);
    } catch (e) {
      return `${where}.pattern: Invalid value: ${JSON.stringify(s.pattern)}: must be a valid regular expression, but isn't: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/** Root metadata may restrict name and generateName only (kube ignores type/description on it). */
function onlyNameAndGenerateName(m: JSONSchemaProps): boolean {
  const allowedKeys = new Set(["type", "description", "properties"]);
  if (Object.keys(m).some((k) => !allowedKeys.has(k))) return false;
  return Object.keys(m.properties ?? {}).every((k) => k === "name" || k === "generateName");
}

const INT_OR_STRING_ANY_OF = JSON.stringify([{ type: "integer" }, { type: "string" }]);

/**
 * allOf/anyOf/oneOf/not may only carry value validations: no type, description, default,
 * nullable, additionalProperties or kube extensions, and never metadata. The int-or-string pattern
 * `anyOf: [{type: integer}, {type: string}]` (also first under allOf) is the one exception.
 */
function nestedProblems(s: JSONSchemaProps, where: string, intOrString: boolean): string | undefined {
  const skipAnyOf = intOrString && JSON.stringify(s.anyOf ?? null) === INT_OR_STRING_ANY_OF;
  const skipFirstAllOfAnyOf = intOrString && JSON.stringify(s.allOf?.[0]?.anyOf ?? null) === INT_OR_STRING_ANY_OF;
  if (!skipAnyOf) {
    for (const [i, n] of (s.anyOf ?? []).entries()) {
      const p = nestedProblem(n, `${where}.anyOf[${i}]`, false);
      if (p) return p;
    }
  }
  for (const [i, n] of (s.allOf ?? []).entries()) {
    const p = nestedProblem(n, `${where}.allOf[${i}]`, i === 0 && skipFirstAllOfAnyOf);
    if (p) return p;
  }
  for (const [i, n] of (s.oneOf ?? []).entries()) {
    const p = nestedProblem(n, `${where}.oneOf[${i}]`, false);
    if (p) return p;
  }
  return s.not ? nestedProblem(s.not, `${where}.not`, false) : undefined;
}

function nestedProblem(n: JSONSchemaProps, where: string, skipAnyOf: boolean): string | undefined {
  const inner = nestedProblems({ ...n, anyOf: skipAnyOf ? undefined : n.anyOf }, where, false);
  if (inner) return inner;
  if (n.items) {
    const p = nestedProblem(n.items, `${where}.items`, false);
    if (p) return p;
  }
  for (const [k, child] of Object.entries(n.properties ?? {})) {
    const p = nestedProblem(child, `${where}.properties[${k}]`, false);
    if (p) return p;
  }
  const forbidden: Array<[boolean, string, string]> = [
    [n.type !== undefined, "type", "must be empty to be structural"],
    [n.additionalProperties !== undefined, "additionalProperties", "must be undefined to be structural"],
    [n.default !== undefined, "default", "must be undefined to be structural"],
    [!!n.title, "title", "must be empty to be structural"],
    [!!n.description, "description", "must be empty to be structural"],
    [n.nullable === true, "nullable", "must be false to be structural"],
    [n["x-kubernetes-preserve-unknown-fields"] === true, "x-kubernetes-preserve-unknown-fields", "must be false to be structural"],
    [n["x-kubernetes-embedded-resource"] === true, "x-kubernetes-embedded-resource", "must be false to be structural"],
    [n["x-kubernetes-int-or-string"] === true, "x-kubernetes-int-or-string", "must be false to be structural"],
    [(n["x-kubernetes-list-map-keys"] ?? []).length > 0, "x-kubernetes-list-map-keys", "must be empty to be structural"],
    [n["x-kubernetes-list-type"] !== undefined, "x-kubernetes-list-type", "must be undefined to be structural"],
  ];
  for (const [bad, key, why] of forbidden) if (bad) return `${where}.${key}: Forbidden: ${why}`;
  if (n.properties?.metadata) return `${where}.properties[metadata]: Forbidden: must not be specified in a nested context`;
  return undefined;
}
