// meta.k8s.io/v1 Table answers for `kubectl get`: the kind's columns (Name first for nearly all), and the row's
// object as PartialObjectMetadata (kubectl needs it for -A, --show-labels and -L).
import type { Column, KObject, ResourceDef } from "./resource-def.js";

export const TABLE_ACCEPT = /as=Table/;

/** kube's duration.HumanDuration, what every AGE column shows. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 730) return `${days}d`;
  const years = Math.floor(days / 365);
  if (years < 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

export function age(timestamp: unknown): string {
  if (typeof timestamp !== "string") return "<unknown>";
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? "<unknown>" : humanDuration(Date.now() - t);
}

/** The first column of nearly every kind (Events start with Last Seen instead). */
export const nameColumn: Column = {
  name: "Name",
  type: "string",
  format: "name",
  description:
    "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
  cell: (o) => o.metadata.name,
};

export const ageColumn: Column = {
  name: "Age",
  type: "date",
  description:
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.",
  cell: (o) => age(o.metadata.creationTimestamp),
};

function partialMetadata(obj: KObject): Record<string, unknown> {
  const m = obj.metadata;
  const metadata: Record<string, unknown> = {};
  for (const k of ["name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "labels", "annotations", "ownerReferences", "finalizers"]) {
    if (m[k] !== undefined) metadata[k] = m[k];
  }
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata };
}

export function columnDefinitions(columns: Column[]): Record<string, unknown>[] {
  return columns.map((c) => ({
      name: c.name,
      type: c.type === "date" ? "string" : c.type,
      format: c.type === "date" ? "date" : (c.format ?? ""),
      description: c.description ?? "",
      priority: c.priority ?? 0,
    }));
}

export function tableRow(obj: KObject, columns: Column[]): Record<string, unknown> {
  return { cells: columns.map((c) => normalizeCell(c.cell(obj))), object: partialMetadata(obj) };
}

function normalizeCell(v: unknown): unknown {
  return v === undefined ? null : v;
}

export function buildTable(def: ResourceDef, version: string, items: KObject[], listMeta: Record<string, unknown>, withColumns = true): Record<string, unknown> {
  const columns = def.columns(version);
  const table: Record<string, unknown> = { kind: "Table", apiVersion: "meta.k8s.io/v1", metadata: listMeta };
  if (withColumns) table.columnDefinitions = columnDefinitions(columns);
  else table.columnDefinitions = null;
  table.rows = items.map((o) => tableRow(o, columns));
  return table;
}
