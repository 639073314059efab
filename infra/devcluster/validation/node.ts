// The compiled form of one structural-schema node: everything a write needs is resolved once, at
// compileCrd time (regexes built, enum set hashed, CEL programs parsed), so the per-write walk only
// reads fields.
import type { JSONSchemaProps } from "../../../shared/api/crd.js";
import type { CompiledRule } from "./cel.js";

export type JsonType = "object" | "array" | "string" | "integer" | "number" | "boolean";

export interface SchemaNode {
  source: JSONSchemaProps;
  /** The declared type, or undefined for int-or-string / preserve-unknown nodes without one. */
  type: JsonType | undefined;
  /** What the value may be: int-or-string accepts both, as kube's converted schema says. */
  allowedTypes: readonly JsonType[];
  /** The type name printed in CEL errors (v1.32: the schema type, "" when none). */
  celTypeName: string;
  nullable: boolean;
  intOrString: boolean;
  preserveUnknownFields: boolean;
  embeddedResource: boolean;
  format: string | undefined;
  enumValues: readonly unknown[] | undefined;
  /** JSON of each enum value, for a constant-time membership test. */
  enumKeys: ReadonlySet<string> | undefined;
  pattern: RegExp | undefined;
  patternSource: string | undefined;
  minimum: number | undefined;
  maximum: number | undefined;
  exclusiveMinimum: boolean;
  exclusiveMaximum: boolean;
  multipleOf: number | undefined;
  minLength: number | undefined;
  maxLength: number | undefined;
  minItems: number | undefined;
  maxItems: number | undefined;
  minProperties: number | undefined;
  maxProperties: number | undefined;
  required: readonly string[];
  properties: ReadonlyMap<string, SchemaNode> | undefined;
  /** Each declared property's name as CEL rules spell it; names kube hides from CEL are absent. */
  celNames: ReadonlyMap<string, string>;
  /** additionalProperties as a schema (a map); `true` means anything, `false`/undefined nothing extra. */
  additionalProperties: SchemaNode | boolean | undefined;
  items: SchemaNode | undefined;
  listType: "atomic" | "set" | "map" | undefined;
  listMapKeys: readonly string[];
  mapType: "atomic" | "granular" | undefined;
  hasDefault: boolean;
  defaultValue: unknown;
  /** Value validations that must all / at least one / exactly one / not hold (no types, no rules). */
  allOf: readonly SchemaNode[] | undefined;
  anyOf: readonly SchemaNode[] | undefined;
  oneOf: readonly SchemaNode[] | undefined;
  not: SchemaNode | undefined;
  // Filled in right after the children are compiled (rules need the finished node for fieldPath).
  rules: readonly CompiledRule[];
  /** True when this node or anything below it carries a CEL rule: lets the CEL pass skip subtrees. */
  rulesBelow: boolean;
  /** True when this node or anything below it has a default. */
  defaultsBelow: boolean;
}
