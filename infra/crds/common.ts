// Pieces every snapshot CRD shares: the TypeMeta fields, the CRD envelope, and printer columns.
import type {
  CustomResourceColumnDefinition,
  CustomResourceDefinition,
  CustomResourceDefinitionVersion,
} from "../../shared/api/crd.js";
import { doc, object, string, type Schema } from "./schema.js";

export const API_VERSION_FIELD = string(
  doc(
    "APIVersion defines the versioned schema of this representation of an object.",
    "Servers should convert recognized schemas to the latest internal value, and",
    "may reject unrecognized values.",
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
  ),
);

export const KIND_FIELD = string(
  doc(
    "Kind is a string value representing the REST resource this object represents.",
    "Servers may infer this from the endpoint the client submits requests to.",
    "Cannot be updated.",
    "In CamelCase.",
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
  ),
);

/** metadata is validated by the API server itself, so the schema only says "an object". */
export const METADATA_FIELD: Schema = object(undefined, {});

/** apiVersion, kind and (unless `withMetadata` is false, as in the oldest versions) metadata. */
export function typeMeta(withMetadata = true): Record<string, Schema> {
  return withMetadata
    ? { apiVersion: API_VERSION_FIELD, kind: KIND_FIELD, metadata: METADATA_FIELD }
    : { apiVersion: API_VERSION_FIELD, kind: KIND_FIELD };
}

export function column(
  name: string,
  type: CustomResourceColumnDefinition["type"],
  jsonPath: string,
  description?: string,
): CustomResourceColumnDefinition {
  return description === undefined ? { name, type, jsonPath } : { name, type, jsonPath, description };
}

export const AGE_COLUMN = column("Age", "date", ".metadata.creationTimestamp");

export interface KindDefinition {
  group: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: "Namespaced" | "Cluster";
  /** The API review that approved a *.k8s.io group (api-approved.kubernetes.io). */
  apiApproval: string;
  versions: CustomResourceDefinitionVersion[];
}

export function customResourceDefinition(def: KindDefinition): CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${def.plural}.${def.group}`,
      annotations: { "api-approved.kubernetes.io": def.apiApproval },
    },
    spec: {
      group: def.group,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        shortNames: def.shortNames,
        singular: def.singular,
      },
      scope: def.scope,
      versions: def.versions,
    },
  };
}

export interface VersionOptions {
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  statusSubresource: boolean;
  columns: CustomResourceColumnDefinition[];
}

export function version(name: string, schema: Schema, options: VersionOptions): CustomResourceDefinitionVersion {
  const out: CustomResourceDefinitionVersion = {
    name,
    served: options.served,
    storage: options.storage,
    additionalPrinterColumns: options.columns,
    schema: { openAPIV3Schema: schema },
    subresources: options.statusSubresource ? { status: {} } : {},
  };
  if (options.deprecated !== undefined) out.deprecated = options.deprecated;
  if (options.deprecationWarning !== undefined) out.deprecationWarning = options.deprecationWarning;
  return out;
}
