// Turns one version's openAPIV3Schema into a SchemaNode tree, refusing what kube-apiserver refuses
// for a CRD: non-structural schemas and CEL rules that do not compile.
import type { JSONSchemaProps } from "../../../shared/api/crd.js";
import { compileRule, type CompiledRule } from "./cel.js";
import { CrdCompileError } from "./compile-error.js";
import { escapePropertyName } from "./escaping.js";
import type { JsonType, SchemaNode } from "./node.js";
import { compilePattern } from "./regex.js";
import { structuralProblem, type Level } from "./structural.js";

interface Context {
  /** Path of this node in the CRD, for error messages (`...openAPIV3Schema.properties[spec]`). */
  where: string;
  level: Level;
  /** False under atomic/set list items: no old value can be correlated there. */
  correlatable: boolean;
  /** Inside allOf/anyOf/oneOf/not: value validations only (already checked by structuralProblem). */
  nested?: boolean;
}

function junctor(schemas: JSONSchemaProps[] | undefined, name: string, ctx: Context): SchemaNode[] | undefined {
  if (!schemas || schemas.length === 0) return undefined;
  return schemas.map((n, i) => compileNode(n, { where: `${ctx.where}.${name}[${i}]`, level: ctx.level, correlatable: false, nested: true }));
}

export function compileSchema(schema: JSONSchemaProps, where: string): SchemaNode {
  return compileNode(schema, { where, level: "root", correlatable: true });
}

function compileNode(s: JSONSchemaProps, ctx: Context): SchemaNode {
  if (!ctx.nested) {
    const problem = structuralProblem(s, ctx.level, ctx.where);
    if (problem !== undefined) throw new CrdCompileError(problem);
  }
  const intOrString = s["x-kubernetes-int-or-string"] === true;
  const preserveUnknownFields = s["x-kubernetes-preserve-unknown-fields"] === true;
  const embeddedResource = s["x-kubernetes-embedded-resource"] === true;
  const isRoot = ctx.level === "root";

  const listType = s["x-kubernetes-list-type"];
  const listMapKeys = s["x-kubernetes-list-map-keys"] ?? [];
  const itemsCorrelatable = ctx.correlatable && listType === "map";

  let properties: Map<string, SchemaNode> | undefined;
  const celNames = new Map<string, string>();
  if (s.properties) {
    properties = new Map();
    for (const [name, child] of Object.entries(s.properties)) {
      properties.set(
        name,
        compileNode(child, { where: `${ctx.where}.properties[${name}]`, level: "field", correlatable: ctx.correlatable, nested: ctx.nested }),
      );
      const celName = escapePropertyName(name);
      if (celName !== undefined) celNames.set(name, celName);
    }
  }
  let additionalProperties: SchemaNode | boolean | undefined;
  if (typeof s.additionalProperties === "object") {
    additionalProperties = compileNode(s.additionalProperties, {
      where: `${ctx.where}.additionalProperties`,
      level: "field",
      correlatable: ctx.correlatable,
      nested: ctx.nested,
    });
  } else if (typeof s.additionalProperties === "boolean") {
    additionalProperties = s.additionalProperties;
  }
  const items = s.items
    ? compileNode(s.items, { where: `${ctx.where}.items`, level: "item", correlatable: itemsCorrelatable, nested: ctx.nested })
    : undefined;

  const type = s.type as JsonType | undefined;
  const allowedTypes: JsonType[] = intOrString ? ["integer", "string"] : type ? [type] : [];
  // structuralProblem has already made sure the pattern compiles.
  const pattern = s.pattern === undefined ? undefined : compilePattern(s.pattern);

  const node: SchemaNode = {
    source: s,
    type,
    allowedTypes,
    celTypeName: type ?? "",
    nullable: s.nullable === true,
    intOrString,
    preserveUnknownFields,
    embeddedResource,
    format: s.format === undefined || s.format === "" ? undefined : s.format,
    enumValues: s.enum,
    enumKeys: s.enum ? new Set(s.enum.map((v) => JSON.stringify(v))) : undefined,
    pattern,
    patternSource: s.pattern,
    minimum: s.minimum,
    maximum: s.maximum,
    exclusiveMinimum: s.exclusiveMinimum === true,
    exclusiveMaximum: s.exclusiveMaximum === true,
    multipleOf: s.multipleOf,
    minLength: s.minLength,
    maxLength: s.maxLength,
    minItems: s.minItems,
    maxItems: s.maxItems,
    minProperties: s.minProperties,
    maxProperties: s.maxProperties,
    required: s.required ?? [],
    properties,
    celNames,
    additionalProperties,
    items,
    listType,
    listMapKeys,
    mapType: s["x-kubernetes-map-type"],
    hasDefault: s.default !== undefined,
    defaultValue: s.default,
    allOf: junctor(s.allOf, "allOf", ctx),
    anyOf: junctor(s.anyOf, "anyOf", ctx),
    oneOf: junctor(s.oneOf, "oneOf", ctx),
    not: s.not ? compileNode(s.not, { where: `${ctx.where}.not`, level: ctx.level, correlatable: false, nested: true }) : undefined,
    rules: [],
    rulesBelow: false,
    defaultsBelow: false,
  };
  if (ctx.nested) return node; // value validations only: no rules, no defaults

  const rules: CompiledRule[] = (s["x-kubernetes-validations"] ?? []).map((r, i) =>
    compileRule(r, `${ctx.where}.x-kubernetes-validations[${i}]`, node, ctx.correlatable, isRoot),
  );
  const children: SchemaNode[] = [
    ...(properties ? properties.values() : []),
    ...(typeof additionalProperties === "object" ? [additionalProperties] : []),
    ...(items ? [items] : []),
  ];
  node.rules = rules;
  node.rulesBelow = rules.length > 0 || children.some((c) => c.rulesBelow);
  node.defaultsBelow = node.hasDefault || children.some((c) => c.defaultsBelow);
  return node;
}
