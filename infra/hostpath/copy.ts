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
// Walking a tree that changes. The source of a snapshot or a clone is a live volume: its application
// may replace any entry at any moment, e.g. a file or a directory by a symlink to something outside
// the volume. A walk that looks an entry up by path again after listing it (lstat, then copyFile or
// readdir of the path) would follow such a symlink, and copy whatever the driver can read out there
// into the snapshot, to be handed back on restore. So no path below `src` is ever resolved: each
// directory is held by an O_PATH fd and read through /proc/self/fd/<fd> (which reaches that exact
// inode, wherever its name now points), each entry is opened by name in it with O_NOFOLLOW, and what
// the opened inode is (fstat) decides how it is copied: a symlink as a link, a file from its fd, a
// directory by descending into its fd. An entry that changed type since the listing is copied as what
// it now is, like any other change racing a copy of a live tree: failing instead would make snapshots
// of applications that swap symlinks or directories routinely fail at random, and protect nothing.
//
// Open fds: the walk is one depth-first pass that starts copies and moves on, so it holds open only
// the directories on its current path (at most one per level: fewer than PATH_MAX/2 = 2048, as every
// level adds at least 2 bytes to a destination path the kernel caps at PATH_MAX), plus per copy in
// flight its source's O_PATH fd and the 2 fds copyFile opens (at most `concurrency` copies), plus one
// for a readdir: at most depth + 3 * concurrency + 1 (49 + depth by default). The fsyncs come after
// the walk has closed all of those, 64 at most.
//
// Calls that only read or touch one inode (an O_PATH open, fstat, readdir, readlink, chmod, utimes)
// are synchronous: they do not wait for the disk, and a thread-pool round trip costs 5-10 times their
// own CPU. What waits for the disk (copying file data, fsync) or adds a directory entry (mkdir,
// symlink: they take the parent directory's lock and allocate an inode, 50-300 µs of kernel CPU for a
// directory on ext4, and can stall for milliseconds behind other entries changing or the filesystem
// journal) stays asynchronous, off the event loop, and takes one of the `concurrency` slots the walk
// waits for before it opens an entry. So a large tree never holds the loop for long.
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { fsyncPath, syncFilesystem } from "./fsync.js";
import { openNoFollow, procPath, settleAll } from "./held-fd.js";
import { removeTree } from "./remove-tree.js";

export interface CopyStats {
  files: number;
  directories: number;
  symlinks: number;
  bytes: number;
  skipped: number;
}

export interface CopyOptions {
  durable: boolean;
  /** Entries (files, symlinks, directories being made) copied at once; a few in flight hide per-file latency. */
  concurrency?: number;
  /** `src`'s entries (listEntries()), when the caller has just read them to look at the tree. */
  entries?: fs.Dirent[];
  /**
   * With `durable`: one syncfs of `dst`'s filesystem instead of an fsync per file and directory. For
   * a filesystem with reflinks, where the files are clones and only metadata is left to write (what
   * the clone engine, clone.ts, does after `cp`); elsewhere it would also wait for everyone else's data.
   */
  syncFilesystem?: boolean;
}

/**
 * Test-only seam: called with each entry's source path after its directory was listed and before the
 * entry is opened, so a test can change the entry at exactly that moment. Never set outside tests.
 */
export const copyTestHooks: { beforeOpen?: (source: string) => void } = {};

const DEFAULT_CONCURRENCY = 16;
/** Linux's PATH_MAX: no destination path may reach it. */
const PATH_MAX = 4096;
const SYNC_CONCURRENCY = 64;
const uid = typeof process.getuid === "function" ? process.getuid() : -1;
const gid = typeof process.getgid === "function" ? process.getgid() : -1;
const isRoot = uid === 0;

/** Only root can give files away, and only files owned by someone else need it. */
function needsChown(info: { uid: number; gid: number }): boolean {
  return isRoot && (info.uid !== uid || info.gid !== gid);
}

/**
 * Copies the tree under `src` into `dst`, which must not exist yet. No symlink below `src` is ever
 * followed, however the tree changes while it is copied (see "Walking a tree that changes" above).
 * Linux only (O_PATH, /proc/self/fd).
 */
export async function copyTree(src: string, dst: string, options: CopyOptions): Promise<CopyStats> {
  const stats: CopyStats = { files: 0, directories: 0, symlinks: 0, bytes: 0, skipped: 0 };
  const walk: Walk = { written: [], stats, limit: new Limiter(options.concurrency ?? DEFAULT_CONCURRENCY) };
  const rootFd = openNoFollow(src, fs.constants.O_DIRECTORY);
  let done: Promise<void>;
  try {
    // Without /proc every lookup below would fail with a puzzling ENOENT.
    if (!fs.existsSync(procPath(rootFd))) throw new Error("hostpath copies need /proc mounted (they read through /proc/self/fd)");
    const info = fs.fstatSync(rootFd);
    await fsp.mkdir(dst, { mode: 0o700 });
    stats.directories++;
    done = (await walkDirectory({ fd: rootFd, src, dst, info, made: Promise.resolve() }, walk, options.entries)).done;
  } finally {
    fs.closeSync(rootFd);
  }
  await done;
  if (options.durable && options.syncFilesystem) await syncFilesystem(dst);
  else if (options.durable) {
    const syncLimit = new Limiter(SYNC_CONCURRENCY);
    await settleAll(walk.written.map((p) => syncLimit.run(() => fsyncPath(p))));
  }
  return stats;
}

interface Walk {
  /** Every file and directory written, to be fsynced once all are copied. */
  written: string[];
  stats: CopyStats;
  /** Bounds the entries opened and being copied (files, symlinks, directories being made). */
  limit: Limiter;
  /** The first failure: the walk opens nothing more once it is set. */
  failure?: { reason: unknown };
}

/** A source directory the walk holds open, and where it is copied to. */
interface OpenDirectory {
  /** O_PATH fd: what the directory's entries are looked up in, whatever its name now points to. */
  fd: number;
  /** Its path when it was listed: for messages and the test seam only, never opened. */
  src: string;
  dst: string;
  /** Taken from the fd when the directory was opened. */
  info: fs.Stats;
  /** Settles once `dst` exists (mkdir is still in flight while the walk descends). */
  made: Promise<void>;
}

/**
 * Opens every entry of `dir` and starts its copy, descending into subdirectories; returns once all
 * are started (the walk is depth-first and alone, so only the directories on its current path are
 * held open). What it returns settles once every entry below `dir` is copied and `dir.dst` has its
 * metadata, and rejects with the first failure. A failure also stops the walk.
 */
async function walkDirectory(dir: OpenDirectory, walk: Walk, listed?: fs.Dirent[]): Promise<{ done: Promise<void> }> {
  const work: Promise<void>[] = [dir.made];
  try {
    const entries = listed ?? fs.readdirSync(procPath(dir.fd), { withFileTypes: true });
    for (const entry of entries) {
      if (walk.failure) break;
      // Sockets, FIFOs and devices are not data (one that took an entry's place since the listing is
      // skipped once its O_PATH fd shows what it is: copyEntry()).
      if (!entry.isFile() && !entry.isDirectory() && !entry.isSymbolicLink()) {
        walk.stats.skipped++;
        continue;
      }
      const release = await walk.limit.acquire();
      if (walk.failure) {
        release();
        break;
      }
      const started = await copyEntry(dir, entry.name, walk, release);
      if (started) work.push(started.done);
    }
  } catch (err) {
    walk.failure ??= { reason: err };
    work.push(Promise.reject(err));
  }
  const done = settleAll(work).then(() => {
    copyDirectoryMetadata(dir.info, dir.dst);
    walk.written.push(dir.dst);
  });
  return { done: track(done, walk) };
}

/**
 * Opens `name` in `dir` without following it and starts copying it as what the opened inode is; owns
 * the limiter slot (`release`) from here on. Resolves once the copy is started (for a directory: once
 * its whole subtree is started) with the copy in flight, or with nothing if the entry is skipped.
 */
async function copyEntry(dir: OpenDirectory, name: string, walk: Walk, release: () => void): Promise<{ done: Promise<void> } | undefined> {
  let fd: number | undefined;
  let handedOver = false;
  try {
    const src = path.join(dir.src, name);
    const to = path.join(dir.dst, name);
    copyTestHooks.beforeOpen?.(src);
    // The kernel would refuse `to` anyway; refusing first bounds how deep the walk holds directories open.
    if (Buffer.byteLength(to) >= PATH_MAX) throw Object.assign(new Error(`ENAMETOOLONG: the copy of ${src} would be too deep`), { code: "ENAMETOOLONG" });
    fd = openNoFollow(`${procPath(dir.fd)}/${name}`, 0);
    const info = fs.fstatSync(fd);
    if (info.isFile()) {
      const fileFd = fd;
      fd = undefined;
      handedOver = true;
      const done = copyFile(fileFd, to, dir.made, walk).finally(() => {
        fs.closeSync(fileFd);
        release();
      });
      return { done: track(done, walk) };
    }
    if (info.isSymbolicLink()) {
      // The link's text is all that is read of it. It is read by name: if the name changed again since
      // the open, what is read is still only some link's text (or EINVAL, failing the copy), never a target.
      const target = fs.readlinkSync(`${procPath(dir.fd)}/${name}`);
      handedOver = true;
      return { done: track(copySymlink(target, info, to, dir.made, walk.stats).finally(release), walk) };
    }
    if (info.isDirectory()) {
      const made = track(
        dir.made.then(() => fsp.mkdir(to, { mode: 0o700 })).finally(release),
        walk,
      ).then(() => undefined);
      handedOver = true;
      walk.stats.directories++;
      // `fd` stays open until the subtree is started, and is closed below.
      return await walkDirectory({ fd, src, dst: to, info, made }, walk);
    }
    walk.stats.skipped++;
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    if (!handedOver) release();
  }
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
    await removeTree(dst);
    throw err;
  }
}

/** Records `work`'s failure as the walk's first (if it is), so the walk stops opening entries. */
function track<T>(work: Promise<T>, walk: Walk): Promise<T> {
  work.catch((reason: unknown) => {
    walk.failure ??= { reason };
  });
  return work;
}

async function copyFile(fd: number, to: string, made: Promise<void>, { written, stats }: Walk): Promise<void> {
  await made;
  // Through /proc the kernel reopens exactly the inode `fd` holds, and copyFile keeps its fast paths
  // (FICLONE, copy_file_range) on it.
  await fsp.copyFile(procPath(fd), to, fs.constants.COPYFILE_FICLONE | fs.constants.COPYFILE_EXCL);
  const info = fs.fstatSync(fd);
  if (needsChown(info)) fs.lchownSync(to, info.uid, info.gid);
  fs.utimesSync(to, info.atime, info.mtime);
  written.push(to);
  stats.files++;
  stats.bytes += info.size;
}

async function copySymlink(target: string, info: fs.Stats, to: string, made: Promise<void>, stats: CopyStats): Promise<void> {
  await made;
  await fsp.symlink(target, to);
  if (needsChown(info)) fs.lchownSync(to, info.uid, info.gid);
  fs.lutimesSync(to, info.atime, info.mtime);
  stats.symlinks++;
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
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }

  /** Waits for a slot; the function returned gives it back (call it exactly once). */
  async acquire(): Promise<() => void> {
    // A finishing task hands its slot straight to the next waiter, so `active` never exceeds max.
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    return () => {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}
