// The built-in kinds the dev cluster serves, with kube's names, short names, columns and rules.
import { builtinSchema } from "./builtin-schemas.js";
import {
  configMapRules,
  csiDriverRules,
  eventRules,
  namespaceRules,
  podRules,
  pvRules,
  pvcRules,
  secretRules,
  storageClassRules,
} from "./builtin-rules.js";
import { eventStorage } from "./event-conversion.js";
import type { StrategyLookup } from "./patch/strategic.js";
import type { Column, KObject, ResourceDef, WriteRules } from "./resource-def.js";
import { COMMON_FIELDS, EVENT_FIELDS, EVENTS_V1_FIELDS, NAMESPACE_FIELDS, SECRET_FIELDS, type FieldGetters } from "./selectors.js";
import { age, ageColumn, nameColumn } from "./table.js";

const MERGE_LISTS: Record<string, { key?: string }> = {
  "metadata.finalizers": {},
  "metadata.ownerReferences": { key: "uid" },
  "status.conditions": { key: "type" },
  "spec.finalizers": {},
  "spec.containers": { key: "name" },
  "spec.volumes": { key: "name" },
};

const builtinSmp: StrategyLookup = (path) => MERGE_LISTS[path];

const ACCESS_MODES: Record<string, string> = {
  ReadWriteOnce: "RWO",
  ReadOnlyMany: "ROX",
  ReadWriteMany: "RWX",
  ReadWriteOncePod: "RWOP",
};

function accessModes(modes: unknown): string {
  return Array.isArray(modes) ? modes.map((m) => ACCESS_MODES[m] ?? m).join(",") : "";
}

function col(name: string, cell: (o: KObject) => unknown, extra: Partial<Column> = {}): Column {
  return { name, type: "string", cell, ...extra };
}

function phaseOrTerminating(o: KObject): string {
  return o.metadata.deletionTimestamp ? "Terminating" : (o.status?.phase ?? "");
}

interface BuiltinSpec {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  hasStatus?: boolean;
  columns: Column[];
  fields?: FieldGetters;
  rules?: WriteRules;
  nameRule?: "subdomain" | "label";
  readOnly?: boolean;
  deleteReturnsObject?: boolean;
  storage?: ResourceDef["storage"];
}

function builtin(spec: BuiltinSpec): ResourceDef {
  return {
    group: spec.group,
    versions: [spec.version],
    storageVersion: spec.version,
    tracksGeneration: spec.kind === "CustomResourceDefinition",
    plural: spec.plural,
    singular: spec.kind.toLowerCase(),
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    namespaced: spec.namespaced,
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    hasStatus: spec.hasStatus ?? false,
    builtin: true,
    readOnly: spec.readOnly,
    nameRule: spec.nameRule ?? "subdomain",
    fields: spec.fields ?? COMMON_FIELDS,
    columns: () => spec.columns,
    schema: () => builtinSchema(spec.group, spec.kind),
    smp: builtinSmp,
    rules: spec.rules,
    storage: spec.storage,
    deleteReturnsObject: spec.deleteReturnsObject ?? false,
  };
}

function storageClassName(o: KObject): string {
  const isDefault = o.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true";
  return isDefault ? `${o.metadata.name} (default)` : o.metadata.name;
}

const dataCount = (o: KObject) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length;

function eventObject(o: KObject, ref: Record<string, any> | undefined): string {
  if (!ref) return "";
  return `${String(ref.kind ?? "").toLowerCase()}/${ref.name ?? ""}`;
}

function eventLastSeen(o: KObject): string {
  const t = o.series?.lastObservedTime ?? o.lastTimestamp ?? o.eventTime ?? o.deprecatedLastTimestamp ?? o.metadata.creationTimestamp;
  return age(t);
}

export function builtinResources(): ResourceDef[] {
  return [
    builtin({
      group: "",
      version: "v1",
      plural: "namespaces",
      kind: "Namespace",
      namespaced: false,
      shortNames: ["ns"],
      hasStatus: true,
      nameRule: "label",
      fields: NAMESPACE_FIELDS,
      rules: namespaceRules,
      columns: [nameColumn, col("Status", phaseOrTerminating), ageColumn],
    }),
    builtin({
      group: "",
      version: "v1",
      plural: "persistentvolumeclaims",
      kind: "PersistentVolumeClaim",
      namespaced: true,
      shortNames: ["pvc"],
      hasStatus: true,
      rules: pvcRules,
      columns: [
        nameColumn,
        col("Status", phaseOrTerminating),
        col("Volume", (o) => o.spec?.volumeName ?? ""),
        col("Capacity", (o) => o.status?.capacity?.storage ?? ""),
        col("Access Modes", (o) => accessModes(o.status?.accessModes)),
        col("StorageClass", (o) => o.spec?.storageClassName ?? "<unset>"),
        col("VolumeAttributesClass", (o) => o.spec?.volumeAttributesClassName ?? "<unset>"),
        ageColumn,
        col("VolumeMode", (o) => o.spec?.volumeMode ?? "", { priority: 1 }),
      ],
    }),
    builtin({
      group: "",
      version: "v1",
      plural: "persistentvolumes",
      kind: "PersistentVolume",
      namespaced: false,
      shortNames: ["pv"],
      hasStatus: true,
      rules: pvRules,
      columns: [
        nameColumn,
        col("Capacity", (o) => o.spec?.capacity?.storage ?? ""),
        col("Access Modes", (o) => accessModes(o.spec?.accessModes)),
        col("Reclaim Policy", (o) => o.spec?.persistentVolumeReclaimPolicy ?? ""),
        col("Status", phaseOrTerminating),
        col("Claim", (o) => (o.spec?.claimRef ? `${o.spec.claimRef.namespace ?? ""}/${o.spec.claimRef.name ?? ""}` : "")),
        col("StorageClass", (o) => o.spec?.storageClassName ?? ""),
        col("VolumeAttributesClass", (o) => o.spec?.volumeAttributesClassName ?? "<unset>"),
        col("Reason", (o) => o.status?.reason ?? ""),
        ageColumn,
        col("VolumeMode", (o) => o.spec?.volumeMode ?? "", { priority: 1 }),
      ],
    }),
    builtin({
      group: "",
      version: "v1",
      plural: "secrets",
      kind: "Secret",
      namespaced: true,
      fields: SECRET_FIELDS,
      rules: secretRules,
      columns: [nameColumn, col("Type", (o) => o.type ?? ""), col("Data", dataCount, { type: "integer" }), ageColumn],
    }),
    builtin({
      group: "",
      version: "v1",
      plural: "configmaps",
      kind: "ConfigMap",
      namespaced: true,
      shortNames: ["cm"],
      rules: configMapRules,
      columns: [nameColumn, col("Data", dataCount, { type: "integer" }), ageColumn],
    }),
    builtin({
      group: "",
      version: "v1",
      plural: "events",
      kind: "Event",
      namespaced: true,
      shortNames: ["ev"],
      fields: EVENT_FIELDS,
      rules: eventRules,
      columns: [
        col("Last Seen", eventLastSeen),
        col("Type", (o) => o.type ?? ""),
        col("Reason", (o) => o.reason ?? ""),
        col("Object", (o) => eventObject(o, o.involvedObject)),
        col("Subobject", (o) => o.involvedObject?.fieldPath ?? "", { priority: 1 }),
        col("Source", (o) => o.source?.component ?? o.reportingComponent ?? "", { priority: 1 }),
        col("Message", (o) => o.message ?? ""),
        col("First Seen", (o) => age(o.firstTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp), { priority: 1 }),
        col("Count", (o) => o.count ?? 1, { type: "integer", priority: 1 }),
        col("Name", (o) => o.metadata.name, { priority: 1 }),
      ],
    }),
    builtin({
      group: "events.k8s.io",
      version: "v1",
      plural: "events",
      kind: "Event",
      namespaced: true,
      shortNames: ["ev"],
      fields: EVENTS_V1_FIELDS,
      storage: eventStorage,
      columns: [
        col("Last Seen", eventLastSeen),
        col("Type", (o) => o.type ?? ""),
        col("Reason", (o) => o.reason ?? ""),
        col("Object", (o) => eventObject(o, o.regarding)),
        col("Message", (o) => o.note ?? ""),
      ],
    }),
    builtin({
      group: "",
      version: "v1",
      plural: "pods",
      kind: "Pod",
      namespaced: true,
      shortNames: ["po"],
      categories: ["all"],
      hasStatus: true,
      rules: podRules,
      columns: [
        nameColumn,
        col("Ready", () => "0/0"),
        col("Status", (o) => o.status?.phase ?? ""),
        col("Restarts", () => 0, { type: "integer" }),
        ageColumn,
      ],
    }),
    builtin({
      group: "storage.k8s.io",
      version: "v1",
      plural: "storageclasses",
      kind: "StorageClass",
      namespaced: false,
      shortNames: ["sc"],
      rules: storageClassRules,
      columns: [
        { ...nameColumn, cell: storageClassName },
        col("Provisioner", (o) => o.provisioner ?? ""),
        col("ReclaimPolicy", (o) => o.reclaimPolicy ?? ""),
        col("VolumeBindingMode", (o) => o.volumeBindingMode ?? ""),
        col("AllowVolumeExpansion", (o) => o.allowVolumeExpansion ?? false, { type: "boolean" }),
        ageColumn,
      ],
    }),
    builtin({
      group: "storage.k8s.io",
      version: "v1",
      plural: "csidrivers",
      kind: "CSIDriver",
      namespaced: false,
      rules: csiDriverRules,
      columns: [
        nameColumn,
        col("AttachRequired", (o) => o.spec?.attachRequired ?? true, { type: "boolean" }),
        col("PodInfoOnMount", (o) => o.spec?.podInfoOnMount ?? false, { type: "boolean" }),
        col("StorageCapacity", (o) => o.spec?.storageCapacity ?? false, { type: "boolean" }),
        col("TokenRequests", (o) => (Array.isArray(o.spec?.tokenRequests) ? o.spec.tokenRequests.map((t: any) => t.audience).join(",") : "<unset>")),
        col("RequiresRepublish", (o) => o.spec?.requiresRepublish ?? false, { type: "boolean" }),
        col("Modes", (o) => (Array.isArray(o.spec?.volumeLifecycleModes) ? o.spec.volumeLifecycleModes.join(",") : "")),
        ageColumn,
      ],
    }),
    builtin({
      group: "apiextensions.k8s.io",
      version: "v1",
      plural: "customresourcedefinitions",
      kind: "CustomResourceDefinition",
      namespaced: false,
      shortNames: ["crd", "crds"],
      categories: ["api-extensions"],
      hasStatus: true,
      deleteReturnsObject: true,
      columns: [nameColumn, col("Created At", (o) => o.metadata.creationTimestamp ?? "", { format: "date-time" })],
    }),
  ];
}
