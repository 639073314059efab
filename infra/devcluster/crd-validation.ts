// The seam to the schema validator (infra/devcluster/validation): compiles each CRD version into
// prune/default/validate, and renders its field errors as kube's 422 Status.
import type { CustomResourceDefinition } from "../../shared/api/crd.js";
import type { Status } from "../../shared/api/meta.js";
import type { FieldErrorLike } from "./errors.js";
import type { VersionValidator } from "./resource-def.js";
import { compileCrd, invalidStatus, type FieldError } from "./validation/index.js";

export interface ValidationModule {
  compileCrd(crd: CustomResourceDefinition): Map<string, VersionValidator>;
  invalidStatus(kind: string, group: string, name: string, errors: FieldErrorLike[]): Status;
}

export function loadValidation(): Promise<ValidationModule> {
  return Promise.resolve({
    compileCrd,
    invalidStatus: (kind, group, name, errors) => invalidStatus(kind, group, name, errors as FieldError[]),
  });
}

/** A CrdCompileError's "<field>: <ErrorBody>" message as a field error of the CRD's 422. */
export function compileErrorToField(message: string): FieldErrorLike {
  const m = /^([^\s:]+): ([\s\S]*)$/.exec(message);
  const field = m ? m[1] : "spec.versions";
  const body = m ? m[2] : message;
  const type = body.startsWith("Required value")
    ? "FieldValueRequired"
    : body.startsWith("Forbidden")
      ? "FieldValueForbidden"
      : body.startsWith("Unsupported value")
        ? "FieldValueNotSupported"
        : "FieldValueInvalid";
  return { type, field, message: m ? body : `Invalid value: "object": ${body}` };
}
