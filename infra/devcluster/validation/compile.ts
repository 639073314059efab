// Turns one version's openAPIV3Schema into a SchemaNode tree, refusing what kube-apiserver refuses
// for a CRD: non-structural schemas and CEL rules that do not compile.
import type { JSONSchemaProps } from "../../../shared/api/crd.js";
import { compileRule, type CompiledRule } from "./cel.js";
import { CrdCompileError } from "./compile-error.js";
import { escapePropertyName } from "./escaping.js";
import type { JsonType, SchemaNode } from "./node.js";

const JSON_TYPES: ReadonlySet<string> = new Set(["object", "array", "string", "integer", "number", "boolean"]);

/** Keywords a structural schema may not use anywhere (apiextensions structural schema rules). */
const FORBIDDEN_KEYWORDS = ["$ref", "additionalItems", "patternProperties", "dependencies", "definitions", "id", "$schema"];

interface Context {
  /** Path of this node in the CRD, for error messages (`...openAPIV3Schema.properties[spec]`). */
  where: string;
  isRoot: boolean;
  /** False under atomic/set list items: no old value can be correlated there. */
  correlatable: boolean;
}

export function compileSchema(schema: JSONSchemaProps, where: string): SchemaNode {
  return compileNode(schema, { where, isRoot: true, correlatable: true });
}

function fail(where: string, message: string): never {
  throw new CrdCompileError(`${where}${message}`);
}

function compileNode(s: JSONSchemaProps, ctx: Context): SchemaNode {
  const raw = s as Record<string, unknown>;
  for (const k of FORBIDDEN_KEYWORDS) {
    if (raw[k] !== undefined) fail(`${ctx.where}.${k}`, ": Forbidden: must not be used in a structural schema");
  }
  if (s.uniqueItems === true) {
    fail(`${ctx.where}.uniqueItems`, ": Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic");
  }
  const intOrString = s["x-kubernetes-int-or-string"] === true;
  const preserveUnknownFields = s["x-kubernetes-preserve-unknown-fields"] === true;
  const embeddedResource = s["x-kubernetes-embedded-resource"] === true;
  if (s.type !== undefined && !JSON_TYPES.has(s.type)) {
    fail(`${ctx.where}.type`, `: Unsupported value: ${JSON.stringify(s.type)}: supported values: "array", "boolean", "integer", "number", "object", "string"`);
  }
  if (s.type === undefined && !intOrString && !preserveUnknownFields) {
    fail(`${ctx.where}.type`, ": Required value: must not be empty for specified fields");
  }
  if (embeddedResource && s.type !== "object") {
    fail(`${ctx.where}.type`, ': Invalid value: "' + (s.type ?? "") + '": must be object if x-kubernetes-embedded-resource is true');
  }
  if (intOrString && s.type !== undefined && s.type !== "string" && s.type !== "integer") {
    fail(`${ctx.where}.type`, ": Invalid value: " + JSON.stringify(s.type) + ": must be empty if x-kubernetes-int-or-string is true");
  }
  if (s.properties !== undefined && s.additionalProperties !== undefined && s.additionalProperties !== false) {
    fail(`${ctx.where}.additionalProperties`, ": Forbidden: additionalProperties and properties are mutual exclusive");
  }
  if (s.type === "array" && s.items === undefined) {
    fail(`${ctx.where}.items`, ": Required value: must be specified");
  }
  if (s.type !== "array" && s.items !== undefined && !intOrString) {
    fail(`${ctx.where}.items`, ": Forbidden: must only be used for arrays");
  }
  if ((s.properties !== undefined || s.additionalProperties !== undefined) && s.type !== "object" && s.type !== undefined) {
    fail(`${ctx.where}.type`, ': Invalid value: "' + s.type + '": must be object if properties or additionalProperties are specified');
  }

  const listType = s["x-kubernetes-list-type"];
  const listMapKeys = s["x-kubernetes-list-map-keys"] ?? [];
  if (listType === "map" && listMapKeys.length === 0) {
    fail(`${ctx.where}.x-kubernetes-list-map-keys`, ": Required value: must not be empty if x-kubernetes-list-type is map");
  }
  const itemsCorrelatable = ctx.correlatable && listType === "map";

  let properties: Map<string, SchemaNode> | undefined;
  const celNames = new Map<string, string>();
  if (s.properties) {
    properties = new Map();
    for (const [name, child] of Object.entries(s.properties)) {
      properties.set(
        name,
        compileNode(child, { where: `${ctx.where}.properties[${name}]`, isRoot: false, correlatable: ctx.correlatable }),
      );
      const celName = escapePropertyName(name);
      if (celName !== undefined) celNames.set(name, celName);
    }
  }
  let additionalProperties: SchemaNode | boolean | undefined;
  if (typeof s.additionalProperties === "object") {
    additionalProperties = compileNode(s.additionalProperties, {
      where: `${ctx.where}.additionalProperties`,
      isRoot: false,
      correlatable: ctx.correlatable,
    });
  } else if (typeof s.additionalProperties === "boolean") {
    additionalProperties = s.additionalProperties;
  }
  const items = s.items
    ? compileNode(s.items, { where: `${ctx.where}.items`, isRoot: false, correlatable: itemsCorrelatable })
    : undefined;

  const type = s.type as JsonType | undefined;
  const allowedTypes: JsonType[] = intOrString ? ["integer", "string"] : type ? [type] : [];
  let pattern: RegExp | undefined;
  if (s.pattern !== undefined) {
    try {
      pattern = new RegExp(s.pattern, "u");
    } catch {
      fail(`${ctx.where}.pattern`, `: Invalid value: ${JSON.stringify(s.pattern)}: must be a valid regular expression`);
    }
  }

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
    rules: [],
    rulesBelow: false,
    defaultsBelow: false,
  };

  const rules: CompiledRule[] = (s["x-kubernetes-validations"] ?? []).map((r, i) =>
    compileRule(r, `${ctx.where}.x-kubernetes-validations[${i}]`, node, ctx.correlatable, ctx.isRoot),
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
