// Every resource snapflow watches or writes, keyed by its lower-case plural (the name used in
// event types and NATS subjects).

export interface ResourceType {
  group: string; // "" for core
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

function type(group: string, version: string, plural: string, kind: string, namespaced: boolean): ResourceType {
  return { group, version, plural, kind, namespaced };
}

export const RESOURCES = {
  volumesnapshots: type("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot", true),
  volumesnapshotcontents: type("snapshot.storage.k8s.io", "v1", "volumesnapshotcontents", "VolumeSnapshotContent", false),
  volumesnapshotclasses: type("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", false),
  volumegroupsnapshots: type("groupsnapshot.storage.k8s.io", "v1", "volumegroupsnapshots", "VolumeGroupSnapshot", true),
  volumegroupsnapshotcontents: type("groupsnapshot.storage.k8s.io", "v1", "volumegroupsnapshotcontents", "VolumeGroupSnapshotContent", false),
  volumegroupsnapshotclasses: type("groupsnapshot.storage.k8s.io", "v1", "volumegroupsnapshotclasses", "VolumeGroupSnapshotClass", false),
  persistentvolumeclaims: type("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true),
  persistentvolumes: type("", "v1", "persistentvolumes", "PersistentVolume", false),
  storageclasses: type("storage.k8s.io", "v1", "storageclasses", "StorageClass", false),
  secrets: type("", "v1", "secrets", "Secret", true),
  events: type("", "v1", "events", "Event", true),
  namespaces: type("", "v1", "namespaces", "Namespace", false),
  csidrivers: type("storage.k8s.io", "v1", "csidrivers", "CSIDriver", false),
} as const satisfies Record<string, ResourceType>;

export type ResourceName = keyof typeof RESOURCES;

/** The resources the watcher turns into events (DESIGN: events/watcher). */
export const WATCHED_RESOURCES: readonly ResourceName[] = [
  "volumesnapshots",
  "volumesnapshotcontents",
  "volumesnapshotclasses",
  "volumegroupsnapshots",
  "volumegroupsnapshotcontents",
  "volumegroupsnapshotclasses",
  "persistentvolumeclaims",
  "persistentvolumes",
  "storageclasses",
];

export function apiVersionOf(t: ResourceType): string {
  return t.group === "" ? t.version : `${t.group}/${t.version}`;
}

/** REST path of a collection or, with a name, of one object. */
export function resourcePath(t: ResourceType, namespace?: string, name?: string): string {
  const base = t.group === "" ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  const ns = t.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const one = name === undefined ? "" : `/${encodeURIComponent(name)}`;
  return `${base}${ns}/${t.plural}${one}`;
}
