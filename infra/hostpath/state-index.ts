// Lookups the RPCs need without scanning every record: by name (idempotent creates), snapshots by
// source volume, and snapshot ids in sorted order (ListSnapshots pages). Kept in step with the state
// by the store, which tells it about every record stored or removed.
import type { GroupRecord, SnapshotRecord, VolumeRecord } from "./state-types.js";

export class StateIndex {
  readonly volumeIdByName = new Map<string, string>();
  readonly snapshotIdByName = new Map<string, string>();
  readonly groupIdByName = new Map<string, string>();
  /** Sorted ids per source volume. */
  private readonly snapshotIdsBySource = new Map<string, string[]>();
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
    if (!ids) this.snapshotIdsBySource.set(record.sourceVolumeId, (ids = []));
    insertSorted(ids, record.id);
    insertSorted(this.sortedSnapshotIds, record.id);
  }

  deleteSnapshot(record: SnapshotRecord): void {
    if (record.name && this.snapshotIdByName.get(record.name) === record.id) this.snapshotIdByName.delete(record.name);
    const ids = this.snapshotIdsBySource.get(record.sourceVolumeId);
    if (ids) {
      removeSorted(ids, record.id);
      if (ids.length === 0) this.snapshotIdsBySource.delete(record.sourceVolumeId);
    }
    removeSorted(this.sortedSnapshotIds, record.id);
  }

  /** Up to `limit` ids of snapshots cut from this volume, in order, from the first id >= `from`. */
  snapshotIdsOf(volumeId: string, from = "", limit = Number.MAX_SAFE_INTEGER): string[] {
    return page(this.snapshotIdsBySource.get(volumeId) ?? [], from, limit);
  }

  /** Up to `limit` snapshot ids, in order, starting at the first id >= `from`. */
  snapshotIdsFrom(from: string, limit: number): string[] {
    return page(this.sortedSnapshotIds, from, limit);
  }
}

function page(sorted: readonly string[], from: string, limit: number): string[] {
  const at = lowerBound(sorted, from);
  return sorted.slice(at, at + limit);
}

function insertSorted(sorted: string[], id: string): void {
  const at = lowerBound(sorted, id);
  if (sorted[at] !== id) sorted.splice(at, 0, id);
}

function removeSorted(sorted: string[], id: string): void {
  const at = lowerBound(sorted, id);
  if (sorted[at] === id) sorted.splice(at, 1);
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
