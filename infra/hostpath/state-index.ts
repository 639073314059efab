// Lookups the RPCs need without scanning every record: by name (idempotent creates), snapshots by
// source volume, and snapshot ids in sorted order (ListSnapshots pages). Kept in step with the state
// by the store, which tells it about every record stored or removed.
import type { GroupRecord, SnapshotRecord, VolumeRecord } from "./state-types.js";

export class StateIndex {
  readonly volumeIdByName = new Map<string, string>();
  readonly snapshotIdByName = new Map<string, string>();
  readonly groupIdByName = new Map<string, string>();
  private readonly snapshotIdsBySource = new Map<string, Set<string>>();
  private readonly sortedSnapshotIds: string[] = [];

  putVolume(record: VolumeRecord, previous: VolumeRecord | undefined): void {
    if (previous && previous.name !== record.name) this.volumeIdByName.delete(previous.name);
    this.volumeIdByName.set(record.name, record.id);
  }

  deleteVolume(record: VolumeRecord): void {
    if (this.volumeIdByName.get(record.name) === record.id) this.volumeIdByName.delete(record.name);
  }

  putGroup(record: GroupRecord, previous: GroupRecord | undefined): void {
    if (previous && previous.name !== record.name) this.groupIdByName.delete(previous.name);
    this.groupIdByName.set(record.name, record.id);
  }

  deleteGroup(record: GroupRecord): void {
    if (this.groupIdByName.get(record.name) === record.id) this.groupIdByName.delete(record.name);
  }

  putSnapshot(record: SnapshotRecord, previous: SnapshotRecord | undefined): void {
    if (previous) this.deleteSnapshot(previous);
    // Group members have no name of their own ("").
    if (record.name) this.snapshotIdByName.set(record.name, record.id);
    let ids = this.snapshotIdsBySource.get(record.sourceVolumeId);
    if (!ids) this.snapshotIdsBySource.set(record.sourceVolumeId, (ids = new Set()));
    ids.add(record.id);
    const at = lowerBound(this.sortedSnapshotIds, record.id);
    if (this.sortedSnapshotIds[at] !== record.id) this.sortedSnapshotIds.splice(at, 0, record.id);
  }

  deleteSnapshot(record: SnapshotRecord): void {
    if (record.name && this.snapshotIdByName.get(record.name) === record.id) this.snapshotIdByName.delete(record.name);
    const ids = this.snapshotIdsBySource.get(record.sourceVolumeId);
    ids?.delete(record.id);
    if (ids?.size === 0) this.snapshotIdsBySource.delete(record.sourceVolumeId);
    const at = lowerBound(this.sortedSnapshotIds, record.id);
    if (this.sortedSnapshotIds[at] === record.id) this.sortedSnapshotIds.splice(at, 1);
  }

  /** Ids of the snapshots cut from this volume, sorted. */
  snapshotIdsOf(volumeId: string): string[] {
    return [...(this.snapshotIdsBySource.get(volumeId) ?? [])].sort(compareIds);
  }

  /** Up to `limit` snapshot ids, in order, starting at the first id >= `from`. */
  snapshotIdsFrom(from: string, limit: number): string[] {
    const at = lowerBound(this.sortedSnapshotIds, from);
    return this.sortedSnapshotIds.slice(at, at + limit);
  }
}

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first position whose id is >= `id`. */
function lowerBound(sorted: readonly string[], id: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
