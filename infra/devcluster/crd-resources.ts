// Turns a CustomResourceDefinition into the served resource: versions, names, columns from
// additionalPrinterColumns, the status subresource, and its compiled validators.
import type { CustomResourceDefinition } from "../../shared/api/crd.js";
import { fieldError, type FieldErrorLike } from "./errors.js";
import { compileJsonPath } from "./jsonpath.js";
import type { Column, ResourceDef, VersionValidator } from "./resource-def.js";
import { COMMON_FIELDS } from "./selectors.js";
import { age, ageColumn, nameColumn } from "./table.js";

const VERSION_PRIORITY = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/** kube's version priority: GA > beta > alpha, higher numbers first, others last alphabetically. */
export function compareVersions(a: string, b: string): number {
  const ma = VERSION_PRIORITY.exec(a);
  const mb = VERSION_PRIORITY.exec(b);
  if (!ma || !mb) return ma ? -1 : mb ? 1 : a.localeCompare(b);
  const rank = (m: RegExpExecArray) => (m[2] === undefined ? 3 : m[2] === "beta" ? 2 : 1);
  if (rank(ma) !== rank(mb)) return rank(mb) - rank(ma);
  if (ma[1] !== mb[1]) return Number(mb[1]) - Number(ma[1]);
  return Number(mb[3] ?? 0) - Number(ma[3] ?? 0);
}

/** Structural checks the server needs before it can serve a CRD (the validator checks schemas). */
export function validateCrdShape(crd: CustomResourceDefinition): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  const spec = crd.spec as CustomResourceDefinition["spec"] | undefined;
  if (!spec || typeof spec !== "object") return [fieldError.required("spec", "")];
  if (!spec.group) errs.push(fieldError.required("spec.group", ""));
  if (!spec.names?.plural) errs.push(fieldError.required("spec.names.plural", ""));
  if (!spec.names?.kind) errs.push(fieldError.required("spec.names.kind", ""));
  if (spec.scope !== "Namespaced" && spec.scope !== "Cluster")
    errs.push(fieldError.notSupported("spec.scope", spec.scope, ["Cluster", "Namespaced"]));
  if (!Array.isArray(spec.versions) || spec.versions.length === 0) errs.push(fieldError.required("spec.versions", "must have exactly one version marked as storage version"));
  else if (spec.versions.filter((v) => v.storage).length !== 1)
    errs.push(fieldError.invalid("spec.versions", spec.versions.map((v) => v.name), "must have exactly one version marked as storage version"));
  if (spec.group && spec.names?.plural && crd.metadata.name !== `${spec.names.plural}.${spec.group}`)
    errs.push(fieldError.invalid("metadata.name", crd.metadata.name, 'must be spec.names.plural+"."+spec.group'));
  return errs;
}

function crColumns(crd: CustomResourceDefinition, version: string): Column[] {
  const v = crd.spec.versions.find((x) => x.name === version);
  const printer = v?.additionalPrinterColumns ?? [];
  if (printer.length === 0) return [nameColumn, ageColumn];
  return [
    nameColumn,
    ...printer.map((c): Column => {
      const get = compileJsonPath(c.jsonPath);
      return {
        name: c.name,
        type: c.type,
        format: c.format,
        description: c.description,
        priority: c.priority,
        cell: (o) => {
          const value = get(o);
          if (value === undefined || value === null) return null;
          if (c.type === "date") return age(value);
          if (typeof value === "object") return JSON.stringify(value);
          return value;
        },
      };
    }),
  ];
}

export function storageVersionOf(crd: CustomResourceDefinition): string {
  return crd.spec.versions.find((v) => v.storage)?.name ?? crd.spec.versions[0].name;
}

export function crdResourceDef(crd: CustomResourceDefinition, validators: Map<string, VersionValidator>): ResourceDef {
  const served = crd.spec.versions.filter((v) => v.served).map((v) => v.name).sort(compareVersions);
  const names = crd.spec.names;
  return {
    group: crd.spec.group,
    versions: served,
    storageVersion: storageVersionOf(crd),
    tracksGeneration: true,
    plural: names.plural,
    singular: names.singular ?? names.kind.toLowerCase(),
    kind: names.kind,
    listKind: names.listKind ?? `${names.kind}List`,
    namespaced: crd.spec.scope === "Namespaced",
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    hasStatus: crd.spec.versions.some((v) => v.subresources?.status !== undefined),
    builtin: false,
    nameRule: "subdomain",
    fields: COMMON_FIELDS,
    columns: (version) => crColumns(crd, version),
    schema: (version) => crd.spec.versions.find((v) => v.name === version)?.schema?.openAPIV3Schema,
    validators,
    deleteReturnsObject: true,
  };
}
