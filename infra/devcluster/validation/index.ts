// What kube-apiserver does to a custom resource on every write, for the dev cluster: prune unknown
// fields, apply defaults, validate against the structural schema and the x-kubernetes-validations
// CEL rules. Everything a CRD version needs is compiled once by compileCrd.
import type { CustomResourceDefinition } from "../../../shared/api/crd.js";
import { validateRules } from "./cel-validate.js";
import { compileSchema } from "./compile.js";
import { CrdCompileError } from "./compile-error.js";
import { applyDefaults } from "./defaults.js";
import { fieldErrors, ROOT_FIELD, type FieldError } from "./errors.js";
import type { SchemaNode } from "./node.js";
import { prune } from "./prune.js";
import { NO_OLD, validateEmbedded, validateLists, validateValue } from "./schema-validate.js";

export { CrdCompileError } from "./compile-error.js";
export { invalidStatus, type FieldError, type FieldErrorType } from "./errors.js";

export interface CompiledCrdVersion {
  /** Field errors for `obj` (an update when `old` is given); empty when the object is valid. */
  validate(obj: unknown, old: unknown | undefined): FieldError[];
  /** Fills schema defaults in place and drops nulls of non-nullable fields. */
  default(obj: unknown): void;
  /** Removes, in place, every field the schema does not declare or preserve. */
  prune(obj: unknown): void;
}

/** Errors after which kube does not run the CEL rules (they would only see a malformed object). */
const BLOCKING = new Set(["FieldValueNotSupported", "FieldValueRequired", "FieldValueTooLong", "FieldValueTooMany", "FieldValueTypeInvalid"]);

const RULES_NOT_CHECKED =
  "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";

class CompiledVersion implements CompiledCrdVersion {
  constructor(private readonly root: SchemaNode) {}

  validate(obj: unknown, old: unknown | undefined): FieldError[] {
    try {
      return this.check(obj, old);
    } catch (e) {
      // Only free-form (preserve-unknown-fields) data can nest deeper than the schema; kube's JSON
      // decoder refuses such documents before validation ever sees them.
      if (e instanceof RangeError) return [fieldErrors.invalid(ROOT_FIELD, "", "object is nested too deeply")];
      throw e;
    }
  }

  private check(obj: unknown, old: unknown | undefined): FieldError[] {
    const oldValue = old === undefined ? NO_OLD : old;
    const errors: FieldError[] = [];
    validateValue(this.root, obj, oldValue, "", true, errors);
    validateLists(this.root, obj, "", errors);
    validateEmbeddedBelowRoot(this.root, obj, errors);
    if (!this.root.rulesBelow) return errors;
    if (errors.some((e) => BLOCKING.has(e.type))) {
      errors.push(fieldErrors.invalid(ROOT_FIELD, null, RULES_NOT_CHECKED));
      return errors;
    }
    validateRules(this.root, obj, oldValue, "", true, errors);
    return errors;
  }

  default(obj: unknown): void {
    applyDefaults(this.root, obj, true);
  }

  prune(obj: unknown): void {
    prune(this.root, obj, true);
  }
}

/** The root object's own TypeMeta is checked by the server; embedded resources below it by us. */
function validateEmbeddedBelowRoot(root: SchemaNode, obj: unknown, errors: FieldError[]): void {
  if (!root.properties || typeof obj !== "object" || obj === null) return;
  for (const [key, child] of root.properties) {
    if (key === "metadata") continue;
    const value = (obj as Record<string, unknown>)[key];
    if (value !== undefined) validateEmbedded(child, value, key, errors);
  }
}

/**
 * Compiles every version of a CRD, keyed by version name. Throws CrdCompileError for what kube
 * refuses at CRD creation: a missing or non-structural schema, a CEL rule that does not compile or
 * uses oldSelf where nothing correlates, a default that does not satisfy its own schema.
 */
export function compileCrd(crd: CustomResourceDefinition): Map<string, CompiledCrdVersion> {
  const out = new Map<string, CompiledCrdVersion>();
  crd.spec.versions.forEach((version, i) => {
    const where = `spec.versions[${i}].schema.openAPIV3Schema`;
    const schema = version.schema?.openAPIV3Schema;
    if (!schema) throw new CrdCompileError(`${where}: Required value: schemas are required`);
    const root = compileSchema(schema, where);
    checkDefaults(root, where);
    out.set(version.name, new CompiledVersion(root));
  });
  return out;
}

/** Every default must itself pass the schema it defaults (kube validates them at CRD creation). */
function checkDefaults(node: SchemaNode, where: string): void {
  if (!node.defaultsBelow) return;
  if (node.hasDefault) {
    const errors: FieldError[] = [];
    const value = structuredClone(node.defaultValue);
    prune(node, value, false);
    validateValue(node, value, NO_OLD, "", false, errors);
    if (errors.length > 0) {
      throw new CrdCompileError(`${where}.default: Invalid value: ${JSON.stringify(node.defaultValue)}: ${errors[0]!.message}`);
    }
  }
  for (const [key, child] of node.properties ?? []) checkDefaults(child, `${where}.properties[${key}]`);
  if (typeof node.additionalProperties === "object") checkDefaults(node.additionalProperties, `${where}.additionalProperties`);
  if (node.items) checkDefaults(node.items, `${where}.items`);
}
