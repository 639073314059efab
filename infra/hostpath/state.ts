// The driver's durable record of volumes, snapshots and groups: a checkpoint (DIR/state.json,
// checkpoint.ts) plus an append-only journal of the changes made since (DIR/journal/, journal.ts).
//
// commit(ops) appends one journal record and resolves once it is on disk; only then do the ops
// become the state the driver answers from. Concurrent commits share one fdatasync (group commit),
// so a change costs a small append, not a rewrite of every record. When the current journal segment
// has grown past the checkpoint's size (and a floor), the store compacts: it seals the segment,
// writes a new checkpoint of the state as of the sealed record in the background, and only then
// deletes the sealed segments. A crash at any step leaves a checkpoint and a journal that replay to
// exactly the acknowledged state; a torn last record (never acknowledged) is dropped on load.
import * as path from "node:path";
import { readCheckpoint, removeCheckpointLeftovers, serializeCheckpoint, serializeCheckpointInChunks, writeCheckpoint } from "./checkpoint.js";
import { fsyncDir } from "./fsync.js";
import { JOURNAL_DIR, JournalWriter, readJournal, removeSegmentsBefore, type JournalRecord } from "./journal.js";
import { StateIndex } from "./state-index.js";
import {
  emptyState,
  isStateOpList,
  type DriverState,
  type GroupRecord,
  type SnapshotRecord,
  type StateOp,
  type VolumeRecord,
} from "./state-types.js";

export * from "./state-types.js";
export { STATE_FILE } from "./checkpoint.js";
export { fsyncDir } from "./fsync.js";

/** A journal segment smaller than this is never compacted (a checkpoint costs more than replaying it). */
export const DEFAULT_MIN_COMPACT_BYTES = 4 * 1024 * 1024;

export interface StateStoreOptions {
  /** Compact once the current segment is this large and at least as large as the last checkpoint. */
  minCompactBytes?: number;
}

export interface StateStoreStats {
  /** Last durable journal record. */
  seq: number;
  /** Last record the checkpoint on disk includes. */
  checkpointSeq: number;
  segmentBytes: number;
  /** Journal writes (fdatasyncs) since open: fewer than commits when they were grouped. */
  journalWrites: number;
  compactions: number;
  /** Why the last background compaction failed (the journal keeps everything meanwhile). */
  lastCompactionError?: string;
}

export class StateStore {
  private readonly current: DriverState;
  private readonly index = new StateIndex();
  private journal!: JournalWriter;
  private checkpointSeq: number;
  private checkpointBytes: number;
  private compacting: Promise<void> | undefined;
  private compactions = 0;
  private lastCompactionError: string | undefined;
  private closed = false;

  private constructor(
    private readonly dir: string,
    initial: DriverState,
    seq: number,
    bytes: number,
    private readonly minCompactBytes: number,
  ) {
    this.current = emptyState();
    this.checkpointSeq = seq;
    this.checkpointBytes = bytes;
    for (const record of Object.values(initial.volumes)) this.applyOp({ put: "volumes", record });
    for (const record of Object.values(initial.snapshots)) this.applyOp({ put: "snapshots", record });
    for (const record of Object.values(initial.groups)) this.applyOp({ put: "groups", record });
  }

  /**
   * Loads the checkpoint, replays the journal onto it and, if anything was replayed (or the file
   * was in the old format), writes a fresh checkpoint before serving. A checkpoint or journal that
   * does not read back stops the start instead of being overwritten.
   */
  static async open(dir: string, options: StateStoreOptions = {}): Promise<StateStore> {
    await removeCheckpointLeftovers(dir);
    const checkpoint = await readCheckpoint(dir);
    const baseSeq = checkpoint?.seq ?? 0;
    const journal = await readJournal(dir, baseSeq);
    const store = new StateStore(dir, checkpoint?.state ?? emptyState(), baseSeq, checkpoint?.bytes ?? 0, options.minCompactBytes ?? DEFAULT_MIN_COMPACT_BYTES);
    for (const record of journal.records) store.replay(record, dir);
    const seq = journal.records.at(-1)?.seq ?? baseSeq;
    if (checkpoint?.legacy || journal.records.length > 0 || journal.torn) {
      const body = serializeCheckpoint(store.current, seq);
      await writeCheckpoint(dir, body);
      store.checkpointSeq = seq;
      store.checkpointBytes = Buffer.byteLength(body);
    }
    // Everything in the old segments is in the checkpoint now (a torn tail was never acknowledged).
    if (journal.segments.length > 0) {
      await removeSegmentsBefore(dir, Number.MAX_SAFE_INTEGER);
      await fsyncDir(path.join(dir, JOURNAL_DIR));
    }
    store.journal = await JournalWriter.open(dir, seq + 1, (record) => store.applyRecord(record));
    return store;
  }

  /** The committed state. Read-only: change it through commit(). */
  get state(): Readonly<DriverState> {
    return this.current;
  }

  volumeNamed(name: string): VolumeRecord | undefined {
    const id = this.index.volumeIdByName.get(name);
    return id === undefined ? undefined : this.current.volumes[id];
  }

  snapshotNamed(name: string): SnapshotRecord | undefined {
    const id = name ? this.index.snapshotIdByName.get(name) : undefined;
    return id === undefined ? undefined : this.current.snapshots[id];
  }

  groupNamed(name: string): GroupRecord | undefined {
    const id = this.index.groupIdByName.get(name);
    return id === undefined ? undefined : this.current.groups[id];
  }

  /** Snapshots cut from `volumeId` sorted by id; at most `limit`, from the first id >= `fromId`. */
  snapshotsOfVolume(volumeId: string, fromId = "", limit?: number): SnapshotRecord[] {
    return this.index.snapshotIdsOf(volumeId, fromId, limit).map((id) => this.current.snapshots[id]!);
  }

  /** Up to `limit` snapshots sorted by id, from the first id >= `fromId`. */
  snapshotsFrom(fromId: string, limit: number): SnapshotRecord[] {
    return this.index.snapshotIdsFrom(fromId, limit).map((id) => this.current.snapshots[id]!);
  }

  get stats(): StateStoreStats {
    return {
      seq: this.journal.seq,
      checkpointSeq: this.checkpointSeq,
      segmentBytes: this.journal.segmentBytes,
      journalWrites: this.journal.writes,
      compactions: this.compactions,
      ...(this.lastCompactionError ? { lastCompactionError: this.lastCompactionError } : {}),
    };
  }

  /**
   * Records `ops` as one journal record; resolves once it is durable and applied. On failure nothing
   * is applied and the record is not on disk.
   */
  async commit(ops: readonly StateOp[]): Promise<void> {
    if (this.closed) throw new Error("hostpath state store is closed");
    if (ops.length === 0) return;
    await this.journal.append(ops);
    this.maybeCompact();
  }

  /** Waits for queued commits (and a running compaction) to finish. */
  async flush(): Promise<void> {
    await this.journal.flush();
    await this.compacting;
  }

  /**
   * Seals the journal and writes a checkpoint of the state as of the sealed record, then drops the
   * sealed segments. One at a time; commits go on meanwhile into the new segment.
   */
  compact(): Promise<void> {
    this.compacting ??= this.runCompaction().finally(() => {
      this.compacting = undefined;
    });
    return this.compacting;
  }

  /** Finishes queued commits, checkpoints everything (so state.json alone is complete) and closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    try {
      if (this.journal.seq > this.checkpointSeq) await this.compact();
    } finally {
      await this.journal.close();
    }
  }

  private maybeCompact(): void {
    if (this.compacting || this.closed) return;
    const bytes = this.journal.segmentBytes;
    if (bytes < this.minCompactBytes || bytes < this.checkpointBytes) return;
    // Failures are kept in stats and retried at the next threshold; the journal still has everything.
    this.compact().catch(() => undefined);
  }

  private async runCompaction(): Promise<void> {
    let copy: DriverState | undefined;
    let sealedThrough = 0;
    try {
      await this.journal.rotate((seq) => {
        sealedThrough = seq;
        // The state as of `seq`: copies of the maps (records are replaced, never mutated), so that
        // serialising can yield to calls in flight while later commits change the live maps.
        const { volumes, snapshots, groups } = this.current;
        copy = { volumes: { ...volumes }, snapshots: { ...snapshots }, groups: { ...groups } };
      });
      if (sealedThrough <= this.checkpointSeq || !copy) return;
      const body = await serializeCheckpointInChunks(copy, sealedThrough);
      await writeCheckpoint(this.dir, body);
      this.checkpointSeq = sealedThrough;
      this.checkpointBytes = Buffer.byteLength(body);
      await removeSegmentsBefore(this.dir, this.journal.currentSegmentStart);
      this.compactions++;
      this.lastCompactionError = undefined;
    } catch (err) {
      this.lastCompactionError = (err as Error).message;
      throw err;
    }
  }

  private replay(record: JournalRecord, dir: string): void {
    if (!isStateOpList(record.data)) {
      throw new Error(`${path.join(dir, JOURNAL_DIR)}: record ${record.seq} is not a list of state changes; refusing to start over it`);
    }
    for (const op of record.data) this.applyOp(op);
  }

  private applyRecord(record: JournalRecord): void {
    for (const op of record.data as StateOp[]) this.applyOp(op);
  }

  private applyOp(op: StateOp): void {
    const { volumes, snapshots, groups } = this.current;
    if ("put" in op) {
      switch (op.put) {
        case "volumes":
          this.index.putVolume(op.record, volumes[op.record.id]);
          volumes[op.record.id] = op.record;
          return;
        case "snapshots":
          this.index.putSnapshot(op.record, snapshots[op.record.id]);
          snapshots[op.record.id] = op.record;
          return;
        case "groups":
          this.index.putGroup(op.record, groups[op.record.id]);
          groups[op.record.id] = op.record;
          return;
      }
    }
    switch (op.delete) {
      case "volumes": {
        const previous = volumes[op.id];
        if (previous) this.index.deleteVolume(previous);
        delete volumes[op.id];
        return;
      }
      case "snapshots": {
        const previous = snapshots[op.id];
        if (previous) this.index.deleteSnapshot(previous);
        delete snapshots[op.id];
        return;
      }
      case "groups": {
        const previous = groups[op.id];
        if (previous) this.index.deleteGroup(previous);
        delete groups[op.id];
        return;
      }
    }
  }
}
