// Point-in-time copies of a volume directory: what a snapshot, a restore and a clone are made of.
//
// Each regular file is copied with COPYFILE_FICLONE: on a filesystem with reflinks (btrfs, XFS with
// reflink=1, bcachefs, ...) that is a copy-on-write clone that costs no data I/O; elsewhere (ext4,
// tmpfs) the kernel falls back to a full copy. Directories, symlinks, permissions, timestamps (and
// ownership when running as root) are reproduced like `cp -a`. Sockets, FIFOs and device nodes are
// not data and are skipped. With `durable`, every copied file and directory is fsynced before the
// copy counts as done, so a copy that is later recorded as a ready snapshot survives a power loss.
// The fsyncs run after all data is copied, many at once, so the kernel writes back in large batches
// instead of each copy lane stalling on its own file.
//
// Calls that only read or touch one inode (lstat, readdir, readlink, chmod, utimes) are synchronous:
// they do not wait for the disk, and a thread-pool round trip costs 5-10 times their own CPU. What
// waits for the disk (copying file data, fsync) or adds a directory entry (mkdir, symlink: they take
// the parent directory's lock and allocate an inode, 50-300 µs of kernel CPU for a directory on
// ext4, and can stall for milliseconds behind other entries changing or the filesystem journal)
// stays asynchronous, off the event loop. So every directory, file and symlink of a walk awaits at
// least once, and a large tree never holds the loop for long.
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { fsyncPath } from "./fsync.js";

export interface CopyStats {
  files: number;
  directories: number;
  symlinks: number;
  bytes: number;
  skipped: number;
}

export interface CopyOptions {
  durable: boolean;
  /** Files copied at once; a few in flight hide per-file latency. */
  concurrency?: number;
  /** `src`'s entries (listEntries()), when the caller has just read them to look at the tree. */
  entries?: fs.Dirent[];
}

const DEFAULT_CONCURRENCY = 16;
const SYNC_CONCURRENCY = 64;
const uid = typeof process.getuid === "function" ? process.getuid() : -1;
const gid = typeof process.getgid === "function" ? process.getgid() : -1;
const isRoot = uid === 0;

/** Only root can give files away, and only files owned by someone else need it. */
function needsChown(info: { uid: number; gid: number }): boolean {
  return isRoot && (info.uid !== uid || info.gid !== gid);
}

/** Copies the tree under `src` into `dst`, which must not exist yet. */
export async function copyTree(src: string, dst: string, options: CopyOptions): Promise<CopyStats> {
  const stats: CopyStats = { files: 0, directories: 0, symlinks: 0, bytes: 0, skipped: 0 };
  const walk: Walk = { written: [], stats, limit: new Limiter(options.concurrency ?? DEFAULT_CONCURRENCY) };
  await copyDirectory(src, dst, walk, options.entries);
  if (options.durable) {
    const syncLimit = new Limiter(SYNC_CONCURRENCY);
    await settleAll(walk.written.map((p) => syncLimit.run(() => fsyncPath(p))));
  }
  return stats;
}

interface Walk {
  /** Every file and directory written, to be fsynced once all are copied. */
  written: string[];
  stats: CopyStats;
  /** Bounds the file and symlink copies in flight. */
  limit: Limiter;
}

/** Copies one directory level; every file and directory it writes is appended to `walk.written`. */
async function copyDirectory(src: string, dst: string, walk: Walk, listed?: fs.Dirent[]): Promise<void> {
  const { stats } = walk;
  const info = fs.lstatSync(src);
  await fsp.mkdir(dst, { mode: 0o700 });
  stats.directories++;
  const entries = listed ?? listEntries(src);
  // An empty directory (the common volume) needs no settling round.
  if (entries.length > 0) {
    const work: Promise<void>[] = [];
    for (const entry of entries) {
      const from = path.join(src, entry.name);
      const to = path.join(dst, entry.name);
      if (entry.isDirectory()) work.push(copyDirectory(from, to, walk));
      else if (entry.isFile()) work.push(walk.limit.run(() => copyFile(from, to, walk)));
      else if (entry.isSymbolicLink()) work.push(walk.limit.run(() => copySymlink(from, to, walk.stats)));
      else stats.skipped++;
    }
    await settleAll(work);
  }
  // Metadata last: adding entries would bump mtime, and a restrictive mode could lock us out.
  copyDirectoryMetadata(info, dst);
  walk.written.push(dst);
}

function copyDirectoryMetadata(info: fs.Stats, dst: string): void {
  fs.chmodSync(dst, info.mode & 0o7777);
  if (needsChown(info)) fs.lchownSync(dst, info.uid, info.gid);
  fs.utimesSync(dst, info.atime, info.mtime);
}

/** A directory's entries, as copyTree() reads them (to pass on as `entries`). */
export function listEntries(dir: string): fs.Dirent[] {
  return fs.readdirSync(dir, { withFileTypes: true });
}

/**
 * copyTree() for a source known to be empty: the directory with its metadata, fsynced if `durable`.
 * `dst` must not exist; if this fails after creating it, it is removed again.
 */
export async function copyEmptyDirectory(src: string, dst: string, options: CopyOptions): Promise<void> {
  const info = fs.lstatSync(src);
  await fsp.mkdir(dst, { mode: 0o700 });
  try {
    copyDirectoryMetadata(info, dst);
    if (options.durable) await fsyncPath(dst);
  } catch (err) {
    await fsp.rm(dst, { recursive: true, force: true });
    throw err;
  }
}

async function copyFile(from: string, to: string, { written, stats }: Walk): Promise<void> {
  await fsp.copyFile(from, to, fs.constants.COPYFILE_FICLONE | fs.constants.COPYFILE_EXCL);
  const info = fs.lstatSync(from);
  if (needsChown(info)) fs.lchownSync(to, info.uid, info.gid);
  fs.utimesSync(to, info.atime, info.mtime);
  written.push(to);
  stats.files++;
  stats.bytes += info.size;
}

async function copySymlink(from: string, to: string, stats: CopyStats): Promise<void> {
  const target = fs.readlinkSync(from);
  await fsp.symlink(target, to);
  const info = fs.lstatSync(from);
  if (needsChown(info)) fs.lchownSync(to, info.uid, info.gid);
  fs.lutimesSync(to, info.atime, info.mtime);
  stats.symlinks++;
}

/** Like Promise.all, but waits for every task before rethrowing the first failure (no work left running). */
async function settleAll(work: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** True if `dir`'s filesystem can clone files (copy-on-write), probed with COPYFILE_FICLONE_FORCE. */
export async function supportsReflink(dir: string): Promise<boolean> {
  const probe = path.join(dir, `.reflink-probe-${process.pid}`);
  try {
    await fsp.writeFile(probe, "x");
    await fsp.copyFile(probe, `${probe}.clone`, fs.constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    return false;
  } finally {
    await fsp.rm(probe, { force: true });
    await fsp.rm(`${probe}.clone`, { force: true });
  }
}

class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so `active` never exceeds max.
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
