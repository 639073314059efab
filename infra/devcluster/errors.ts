// kube-apiserver's error answers as a throwable: every failing path in the dev cluster ends in one
// of these, and the HTTP layer writes its Status verbatim.
import type { Status } from "../../shared/api/meta.js";

export interface Cause {
  reason?: string;
  message?: string;
  field?: string;
}

export class ApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message ?? status.reason ?? "error");
    this.name = "ApiError";
  }
  get code(): number {
    return this.status.code;
  }
}

/** Who a failure is about, as kube puts it in `details`. */
export interface Subject {
  name?: string;
  group?: string;
  /** The plural resource for NotFound/AlreadyExists/Conflict, the kind for Invalid (as kube does). */
  kind?: string;
  uid?: string;
}

export function statusOf(code: number, reason: string, message: string, details?: Subject & { causes?: Cause[] }): Status {
  const status: Status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
  if (details) status.details = stripUndefined(details);
  return status;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function qualified(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural;
}

export const errors = {
  badRequest: (message: string) => new ApiError(statusOf(400, "BadRequest", message)),
  notFound: (plural: string, group: string, name: string) =>
    new ApiError(statusOf(404, "NotFound", `${qualified(plural, group)} "${name}" not found`, { name, group, kind: plural })),
  notFoundPath: () => new ApiError(statusOf(404, "NotFound", "the server could not find the requested resource", {})),
  alreadyExists: (plural: string, group: string, name: string) =>
    new ApiError(
      statusOf(409, "AlreadyExists", `${qualified(plural, group)} "${name}" already exists`, { name, group, kind: plural }),
    ),
  conflict: (plural: string, group: string, name: string, why = "the object has been modified; please apply your changes to the latest version and try again") =>
    new ApiError(
      statusOf(409, "Conflict", `Operation cannot be fulfilled on ${qualified(plural, group)} "${name}": ${why}`, {
        name,
        group,
        kind: plural,
      }),
    ),
  forbidden: (message: string, subject?: Subject) => new ApiError(statusOf(403, "Forbidden", message, subject)),
  methodNotAllowed: (message = "the server does not allow this method on the requested resource") =>
    new ApiError(statusOf(405, "MethodNotAllowed", message, {})),
  notAcceptable: (message: string) => new ApiError(statusOf(406, "NotAcceptable", message)),
  gone: (message: string) => new ApiError(statusOf(410, "Expired", message)),
  tooLarge: (message = "the request entity is too large; the limit is 3145728 bytes") =>
    new ApiError(statusOf(413, "RequestEntityTooLarge", message)),
  unsupportedMediaType: (accepted: string[]) =>
    new ApiError(
      statusOf(
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
      ),
    ),
  internal: (message: string) => new ApiError(statusOf(500, "InternalError", message)),
};

export interface FieldErrorLike {
  type: string;
  field: string;
  message: string;
}

/**
 * kube's NewInvalid: `<Kind>[.<group>] "<name>" is invalid: <field>: <message>[, ...]`, with one cause
 * per field error. `message` is kube's ErrorBody (e.g. `Invalid value: "x": ...`).
 */
export function invalid(kind: string, group: string, name: string, errs: FieldErrorLike[]): ApiError {
  const gk = group ? `${kind}.${group}` : kind;
  const parts = errs.map((e) => `${e.field}: ${e.message}`);
  const joined = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  return new ApiError(
    statusOf(422, "Invalid", `${gk} "${name}" is invalid: ${joined}`, {
      name,
      group,
      kind,
      causes: errs.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
    }),
  );
}

/** Field error constructors with kube's ErrorBody wording. */
export const fieldError = {
  invalid: (field: string, value: unknown, detail: string): FieldErrorLike => ({
    type: "FieldValueInvalid",
    field,
    message: `Invalid value: ${renderValue(value)}: ${detail}`,
  }),
  required: (field: string, detail: string): FieldErrorLike => ({
    type: "FieldValueRequired",
    field,
    message: detail ? `Required value: ${detail}` : "Required value",
  }),
  forbidden: (field: string, detail: string): FieldErrorLike => ({
    type: "FieldValueForbidden",
    field,
    message: `Forbidden: ${detail}`,
  }),
  notSupported: (field: string, value: unknown, allowed: string[]): FieldErrorLike => ({
    type: "FieldValueNotSupported",
    field,
    message: `Unsupported value: ${renderValue(value)}: supported values: ${allowed.map((a) => `"${a}"`).join(", ")}`,
  }),
};

function renderValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || v === undefined) return "null";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
