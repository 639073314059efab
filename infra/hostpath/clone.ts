// The fast path for filesystems with reflinks (XFS reflink=1, btrfs, bcachefs): GNU `cp -a
// --reflink=always` clones a whole tree in one process, sharing every data block copy-on-write, in
// C and without a syscall round-trip through Node's thread pool per file. Durability then needs no
// data writeback, only the metadata: one `sync -f` (syncfs) on the data dir's filesystem instead of
// an fsync per file. Used only after probeCloneEngine() proved both the filesystem and `cp` can do
// it, and only for sources nothing writes into (snapshots, for restores): `cp -a` follows a directory
// swapped for a symlink while it copies (clone.test.ts), so live volumes go through copy.ts
// (per-file COPYFILE_FICLONE, parallel, never following a symlink), as everything does elsewhere.
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import { syncFilesystem } from "./fsync.js";
import { removeTree } from "./remove-tree.js";

const run = promisify(execFile);

/** Clones `src` to `dst` (which must not exist) sharing data blocks; fails rather than copying. */
export async function cloneTree(src: string, dst: string, durable: boolean): Promise<void> {
  await run("cp", ["-a", "--reflink=always", "--no-target-directory", src, dst]);
  if (durable) await syncFilesystem(dst);
}

/** True if `cp -a --reflink=always` works in `dir` (the filesystem clones and `cp` knows the flag). */
export async function probeCloneEngine(dir: string): Promise<boolean> {
  const probe = path.join(dir, `.clone-probe-${process.pid}`);
  try {
    await fs.mkdir(probe);
    await fs.writeFile(path.join(probe, "block"), Buffer.alloc(4096, 1));
    await cloneTree(probe, `${probe}.clone`, false);
    return true;
  } catch {
    return false;
  } finally {
    await removeTree(probe);
    await removeTree(`${probe}.clone`);
  }
}
