// Where things live under the data dir, and the start-up sweep that makes a crash harmless:
//   DIR/state.json            the checkpoint of the durable record (state.ts, checkpoint.ts)
//   DIR/journal/              changes since the checkpoint, append-only (journal.ts)
//   DIR/volumes/<vol-id>/     one directory per volume (its absolute path is the `hostPath` context)
//   DIR/snapshots/<snap-id>/  one point-in-time copy per snapshot
//   DIR/staging/              copies in progress; renamed into place only once complete (an empty
//                             directory has nothing to copy and is made in place: core.ts stageInto)
// A directory under volumes/ or snapshots/ that the state does not record is left over from a
// create that crashed before it was recorded, or a delete that crashed after: it is removed.
// Every removal goes through removeTree() (remove-tree.ts), never fs.rm: a deleted volume's
// application may still be changing the tree, and fs.rm follows a subdirectory it swaps for a symlink.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { dirFor, isIssuedId, newId } from "./ids.js";
import { removeTree } from "./remove-tree.js";
import type { DriverState } from "./state.js";

export class Layout {
  readonly root: string;
  readonly volumes: string;
  readonly snapshots: string;
  readonly staging: string;

  constructor(dataDir: string) {
    this.root = path.resolve(dataDir);
    this.volumes = path.join(this.root, "volumes");
    this.snapshots = path.join(this.root, "snapshots");
    this.staging = path.join(this.root, "staging");
  }

  async create(): Promise<void> {
    for (const dir of [this.root, this.volumes, this.snapshots, this.staging]) await fs.mkdir(dir, { recursive: true });
  }

  volumeDir(id: string): string {
    return dirFor(this.volumes, "volume", id);
  }

  snapshotDir(id: string): string {
    return dirFor(this.snapshots, "snapshot", id);
  }

  /** A fresh, not yet existing path in staging/ for a copy in progress. */
  stagingPath(): string {
    return path.join(this.staging, newId("volume").replace(/^vol-/, "stage-"));
  }

  /** Removes what no committed state refers to. Returns how many entries were removed. */
  async sweep(state: DriverState): Promise<number> {
    let removed = 0;
    for (const entry of await fs.readdir(this.staging)) {
      await removeEntry(path.join(this.staging, entry));
      removed++;
    }
    for (const entry of await fs.readdir(this.volumes)) {
      if (isIssuedId("volume", entry) && !state.volumes[entry]) {
        await removeEntry(path.join(this.volumes, entry));
        removed++;
      }
    }
    for (const entry of await fs.readdir(this.snapshots)) {
      if (isIssuedId("snapshot", entry) && !state.snapshots[entry]) {
        await removeEntry(path.join(this.snapshots, entry));
        removed++;
      }
    }
    return removed;
  }

  /**
   * Takes a directory out of sight at once, then removes it. An empty one (the common case) goes in
   * one rmdir. Anything else is renamed into staging/ first, so that what a crash interrupts there
   * is swept at the next start, never left half-deleted in place.
   */
  async discard(dir: string): Promise<void> {
    try {
      await fs.rmdir(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    }
    const doomed = this.stagingPath();
    try {
      await fs.rename(dir, doomed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    await removeEntry(doomed);
  }
}

/**
 * Removes a directory with removeTree(), or, where something else stands (a file, or a symlink: never
 * followed), unlinks it: debris of any kind in the data dir must not stop the sweep.
 */
async function removeEntry(p: string): Promise<void> {
  try {
    await removeTree(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOTDIR" && code !== "ELOOP") throw err;
    // unlink(2) never follows its last component, and answers EISDIR should a directory be back there.
    await fs.unlink(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "ENOENT") throw e;
    });
  }
}
