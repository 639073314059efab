// Field errors worded exactly as kube-apiserver (k8s.io/apimachinery field.Error) words them, and the
// 422 Invalid Status built from them (apimachinery errors.NewInvalid). kubectl prints these texts, so
// every character matters.
import type { Status } from "../../../shared/api/meta.js";

export type FieldErrorType =
  | "FieldValueInvalid"
  | "FieldValueRequired"
  | "FieldValueNotSupported"
  | "FieldValueForbidden"
  | "FieldValueTypeInvalid"
  | "FieldValueDuplicate"
  | "FieldValueTooLong"
  | "FieldValueTooMany";

export interface FieldError {
  type: FieldErrorType;
  /** kube's rendering of the field path (`spec.source`, `spec.items[0]`); `<nil>` for the object itself. */
  field: string;
  /** The error body as kube's causes[].message carries it: `Invalid value: "object": ...`. */
  message: string;
}

/** What field.Path.String() prints for the root (a nil path). */
export const ROOT_FIELD = "<nil>";

/** A value as Go's fmt prints it in kube's messages: %q for strings, %v for scalars, %#v otherwise. */
export function goValue(value: unknown): string {
  // A nil value is printed as the quoted string "null" (ErrorBody substitutes the string first).
  if (value === null || value === undefined) return '"null"';
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return goSyntax(value);
}

/** Go's %#v of the JSON-decoded value (map[string]interface {} / []interface {}). */
function goSyntax(value: unknown): string {
  if (value === null || value === undefined) return "interface {}(nil)";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return Number.isInteger(value) ? `${value}` : String(value);
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return `[]interface {}{${value.map(goSyntax).join(", ")}}`;
  const entries = Object.keys(value as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${goSyntax((value as Record<string, unknown>)[k])}`);
  return `map[string]interface {}{${entries.join(", ")}}`;
}

function withDetail(body: string, detail: string): string {
  return detail.length > 0 ? `${body}: ${detail}` : body;
}

export const fieldErrors = {
  required(field: string, detail = ""): FieldError {
    return { type: "FieldValueRequired", field, message: withDetail("Required value", detail) };
  },
  invalid(field: string, value: unknown, detail: string): FieldError {
    return { type: "FieldValueInvalid", field, message: withDetail(`Invalid value: ${goValue(value)}`, detail) };
  },
  typeInvalid(field: string, value: unknown, detail: string): FieldError {
    return { type: "FieldValueTypeInvalid", field, message: withDetail(`Invalid value: ${goValue(value)}`, detail) };
  },
  notSupported(field: string, value: unknown, supported: string[]): FieldError {
    const detail = supported.length > 0 ? `supported values: ${supported.map((v) => JSON.stringify(v)).join(", ")}` : "";
    return { type: "FieldValueNotSupported", field, message: withDetail(`Unsupported value: ${goValue(value)}`, detail) };
  },
  forbidden(field: string, detail: string): FieldError {
    return { type: "FieldValueForbidden", field, message: withDetail("Forbidden", detail) };
  },
  duplicate(field: string, value: unknown): FieldError {
    return { type: "FieldValueDuplicate", field, message: `Duplicate value: ${goValue(value)}` };
  },
  /** The value itself is left out, as kube does for strings that are too long. */
  tooLong(field: string, max: number): FieldError {
    return { type: "FieldValueTooLong", field, message: `Too long: may not be more than ${max} bytes` };
  },
  tooMany(field: string, actual: number, max: number): FieldError {
    return {
      type: "FieldValueTooMany",
      field,
      message: `Too many: ${actual}: must have at most ${max} items`,
    };
  },
};

/** `field: body`, one error as kube's Error() prints it. */
export function errorString(e: FieldError): string {
  return `${e.field}: ${e.message}`;
}

/** utilerrors.Aggregate's Error(): duplicates dropped, brackets only around more than one message. */
export function aggregateMessage(errors: FieldError[]): string {
  if (errors.length === 1) return errorString(errors[0]!);
  const seen = new Set<string>();
  for (const e of errors) seen.add(errorString(e));
  const all = [...seen].join(", ");
  return seen.size === 1 ? all : `[${all}]`;
}

/**
 * kube's 422 for an invalid object: `<Kind>.<group> "<name>" is invalid: <errors>` with one cause per
 * field error (errors.NewInvalid).
 */
export function invalidStatus(kind: string, group: string, name: string, errors: FieldError[]): Status {
  const qualifiedKind = group === "" ? kind : `${kind}.${group}`;
  const details: NonNullable<Status["details"]> = {};
  if (name !== "") details.name = name;
  if (group !== "") details.group = group;
  details.kind = kind;
  details.causes = errors.map((e) => ({ reason: e.type, message: e.message, field: e.field }));
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message:
      errors.length === 0
        ? `${qualifiedKind} ${JSON.stringify(name)} is invalid`
        : `${qualifiedKind} ${JSON.stringify(name)} is invalid: ${aggregateMessage(errors)}`,
    reason: "Invalid",
    details,
    code: 422,
  };
}
