// What the server knows about one served resource, built-in or from a CRD. Everything
// kind-specific (columns, field selectors, patch strategies, write rules) hangs off this record.
import type { JSONSchemaProps } from "../../shared/api/crd.js";
import type { FieldErrorLike } from "./errors.js";
import type { NameRule } from "./names.js";
import type { FieldGetters } from "./selectors.js";
import type { StrategyLookup } from "./patch/strategic.js";

export type KObject = Record<string, any> & { metadata: Record<string, any> };

export interface Column {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format?: string;
  description?: string;
  priority?: number;
  cell: (obj: KObject) => unknown;
}

/** Kind-specific write rules beyond generic metadata handling. */
export interface WriteRules {
  /** Fills server-set fields of a new object (e.g. status.phase). */
  prepareCreate?(obj: KObject): void;
  validateCreate?(obj: KObject): FieldErrorLike[];
  validateUpdate?(obj: KObject, old: KObject): FieldErrorLike[];
  /** Rewrites typed fields to what kube's decoding stores (canonical quantities), on every write, before validation. */
  canonicalize?(obj: KObject): void;
}

/** Schema validation of a custom resource version (provided by infra/devcluster/validation). */
export interface VersionValidator {
  validate(obj: unknown, old: unknown | undefined): FieldErrorLike[];
  default(obj: unknown): void;
  prune(obj: unknown): void;
}

export interface ResourceDef {
  group: string;
  /** Served versions, the preferred one first. */
  versions: string[];
  /** The version objects are stored in (conversion between versions only rewrites apiVersion). */
  storageVersion: string;
  /** kube bumps metadata.generation on spec changes for custom resources (and CRDs). */
  tracksGeneration: boolean;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  hasStatus: boolean;
  builtin: boolean;
  /** Lists kubectl can read and watch but nobody writes. */
  readOnly?: boolean;
  nameRule: NameRule;
  fields: FieldGetters;
  columns(version: string): Column[];
  /** OpenAPI schema of the object in one version (built-ins: hand-written; CRs: the CRD's). */
  schema(version: string): JSONSchemaProps | undefined;
  /** Strategic-merge-patch strategies: only built-ins accept SMP. */
  smp?: StrategyLookup;
  rules?: WriteRules;
  validators?: Map<string, VersionValidator>;
  /**
   * Another resource's storage seen through a conversion (events.k8s.io Events are core Events):
   * objects live under `key` in the store's shape and are converted on every read and write.
   */
  storage?: { key: string; fromStorage(obj: KObject): KObject; toStorage(obj: KObject): KObject };
  /** kube's Delete returns the object for custom resources and a Status for most built-ins. */
  deleteReturnsObject: boolean;
}

export function resourceKey(group: string, plural: string): string {
  return `${group}/${plural}`;
}

/** The store key of a resource's objects (its own, or the resource it is a converted view of). */
export function keyOf(def: ResourceDef): string {
  return def.storage?.key ?? resourceKey(def.group, def.plural);
}

export function apiVersionFor(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}
