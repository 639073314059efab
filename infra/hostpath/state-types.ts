// The records the hostpath driver keeps for volumes, snapshots and groups, and the changes to them
// that the journal stores.
export type StringMap = Record<string, string>;

export type ContentSource = { snapshotId: string } | { volumeId: string };

export interface VolumeRecord {
  id: string;
  name: string;
  capacityBytes: number;
  /** The request's capacity range, kept to judge whether a repeated CreateVolume is compatible. */
  requiredBytes: number;
  limitBytes: number;
  parameters: StringMap;
  mutableParameters: StringMap;
  source?: ContentSource;
}

export interface SnapshotRecord {
  id: string;
  /** "" for group members: their names are the driver's business, not a caller's idempotency key. */
  name: string;
  sourceVolumeId: string;
  sizeBytes: number;
  /** Unix nanoseconds, decimal. */
  creationTimeNs: string;
  parameters: StringMap;
  groupId?: string;
}

export interface GroupRecord {
  id: string;
  name: string;
  sourceVolumeIds: string[];
  snapshotIds: string[];
  parameters: StringMap;
  creationTimeNs: string;
}

export interface DriverState {
  volumes: Record<string, VolumeRecord>;
  snapshots: Record<string, SnapshotRecord>;
  groups: Record<string, GroupRecord>;
}

export type Collection = keyof DriverState;

/** One change: a record stored (created or replaced) or removed. A journal record holds a list. */
export type StateOp =
  | { put: "volumes"; record: VolumeRecord }
  | { put: "snapshots"; record: SnapshotRecord }
  | { put: "groups"; record: GroupRecord }
  | { delete: Collection; id: string };

export function emptyState(): DriverState {
  return { volumes: {}, snapshots: {}, groups: {} };
}

const COLLECTIONS: readonly string[] = ["volumes", "snapshots", "groups"];

/** Checks a journal record's payload before it is replayed: a shape we did not write is corruption. */
export function isStateOpList(value: unknown): value is StateOp[] {
  return (
    Array.isArray(value) &&
    value.every((op: unknown) => {
      if (op === null || typeof op !== "object") return false;
      const o = op as Record<string, unknown>;
      if (typeof o.put === "string") {
        const record = o.record as Record<string, unknown> | null;
        return COLLECTIONS.includes(o.put) && record !== null && typeof record === "object" && typeof record.id === "string";
      }
      return typeof o.delete === "string" && COLLECTIONS.includes(o.delete) && typeof o.id === "string";
    })
  );
}
