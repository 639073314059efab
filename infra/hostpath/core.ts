// What every RPC implementation shares: the layout, the durable state, the locks, and the mapping
// from records to CSI messages.
import * as fs from "node:fs/promises";
import type { Outgoing, Snapshot, Volume, VolumeContentSource } from "../../shared/csi/load.js";
import { cloneTree } from "./clone.js";
import { copyEmptyDirectory, copyTree, listEntries } from "./copy.js";
import type { Layout } from "./layout.js";
import type { KeyedLocks } from "./locks.js";
import { syncDirShared } from "./fsync.js";
import { removeTree } from "./remove-tree.js";
import type { ContentSource, SnapshotRecord, StateStore, VolumeRecord } from "./state.js";
import { toTimestamp } from "./validate.js";

export interface DriverCore {
  layout: Layout;
  store: StateStore;
  locks: KeyedLocks;
  /** fsync copied data before a snapshot/volume is recorded (survives power loss, not just a crash). */
  durable: boolean;
  /**
   * The data dir's filesystem clones trees with `cp --reflink=always` (clone.ts): used for restores;
   * live volumes are always copied by copy.ts, made durable by one syncfs where this is on.
   */
  cloneEngine: boolean;
}

/** Lock keys. Names and ids live in separate key spaces so a name can never collide with an id. */
export const lockKey = {
  volume: (id: string) => `vol:${id}`,
  snapshot: (id: string) => `snap:${id}`,
  group: (id: string) => `group:${id}`,
  volumeName: (name: string) => `volname:${name}`,
  snapshotName: (name: string) => `snapname:${name}`,
  groupName: (name: string) => `groupname:${name}`,
};

/** The volume context a volume is created with (and that ValidateVolumeCapabilities checks). */
export function volumeContext(core: DriverCore, record: VolumeRecord): Record<string, string> {
  return { hostPath: core.layout.volumeDir(record.id) };
}

export function volumeMessage(core: DriverCore, record: VolumeRecord): Outgoing<Volume> {
  return {
    volumeId: record.id,
    capacityBytes: String(record.capacityBytes),
    volumeContext: volumeContext(core, record),
    contentSource: record.source ? contentSourceMessage(record.source) : null,
  };
}

export function contentSourceMessage(source: ContentSource): Outgoing<VolumeContentSource> {
  return "snapshotId" in source ? { snapshot: { snapshotId: source.snapshotId } } : { volume: { volumeId: source.volumeId } };
}

export function snapshotMessage(record: SnapshotRecord): Outgoing<Snapshot> {
  return {
    snapshotId: record.id,
    sourceVolumeId: record.sourceVolumeId,
    sizeBytes: String(record.sizeBytes),
    creationTime: toTimestamp(record.creationTimeNs),
    // Copies are complete before they are recorded: there is no post-processing phase.
    readyToUse: true,
    groupSnapshotId: record.groupId ?? "",
  };
}

/**
 * A directory to copy. `live`: an application may be writing into it while it is copied (a volume,
 * through its hostPath). A snapshot's directory is not live: nothing writes into it once recorded.
 */
export interface StageSource {
  dir: string;
  live: boolean;
}

/**
 * Copies `from` in staging/, then renames it to `to`. A crash at any point leaves only staging debris
 * or an unrecorded directory, both swept at the next start.
 *
 * An empty directory (no source, or an empty one: the common volume) is made in place instead: it is
 * complete once it has its metadata, and a crash before it is recorded leaves an unrecorded
 * directory, swept like any other. That saves a rename per call, and the `cp` processes of the clone
 * engine.
 *
 * A live source never goes through the clone engine's `cp -a`: cp checks a directory's type and then
 * opens it, and each entry below it, by path again, so a directory the application swaps for a
 * symlink in between is followed and whatever it points to is cloned into the copy (clone.test.ts).
 * copyTree() never follows a symlink. Where the clone engine is on (the filesystem has reflinks),
 * copyTree's files are reflinked too, and one syncfs makes the copy durable, as it does for `cp`.
 */
export async function stageInto(core: DriverCore, from: StageSource | undefined, to: string): Promise<void> {
  if (!from) {
    await fs.mkdir(to, { mode: 0o777 });
    return;
  }
  const entries = listEntries(from.dir);
  if (entries.length === 0) {
    await copyEmptyDirectory(from.dir, to, { durable: core.durable });
    return;
  }
  const staging = core.layout.stagingPath();
  try {
    if (core.cloneEngine && !from.live) await cloneOrCopy(core, from.dir, staging);
    else await copyTree(from.dir, staging, { durable: core.durable, entries, syncFilesystem: core.cloneEngine });
    await fs.rename(staging, to);
  } catch (err) {
    await removeTree(staging);
    throw err;
  }
}

/** Clones; if cloning fails (e.g. a source tree spanning filesystems), falls back to copying. */
async function cloneOrCopy(core: DriverCore, from: string, staging: string): Promise<void> {
  try {
    await cloneTree(from, staging, core.durable);
  } catch {
    await removeTree(staging);
    await copyTree(from, staging, { durable: core.durable });
  }
}

/**
 * Makes renames into volumes/ and/or snapshots/ durable before the state that names them. Calls in
 * flight together share each directory's fsync (fsync.ts).
 */
export async function syncParents(core: DriverCore, which?: "volumes" | "snapshots"): Promise<void> {
  if (!core.durable) return;
  const dirs = which === undefined ? [core.layout.volumes, core.layout.snapshots] : [core.layout[which]];
  await Promise.all(dirs.map(syncDirShared));
}
