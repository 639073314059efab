// Recursive removal of a tree an application may still be changing: a deleted volume (DeleteVolume
// moves it into staging/ first, but the application may keep a cwd or an fd inside it), or a copy of
// one that failed half-way.
//
// fs.rm({ recursive: true }) works by path: it looks at an entry, then lists or unlinks below it by
// its path again. If the application swaps a listed subdirectory for a symlink to a directory outside
// in between, the unlinks go through the link, and delete what the driver can reach out there. So no
// path below the root is ever resolved here: each directory is held by an O_PATH fd and listed through
// /proc/self/fd/<fd> (that exact inode, wherever its name now points); entries are unlinked and
// rmdir'ed by name in that fd's directory (neither follows the last component: a symlink goes as a
// link); a subdirectory is entered only through an fd opened by name with O_NOFOLLOW|O_DIRECTORY, so
// an entry that is now a symlink (or a file) fails that open and is unlinked as what it is. Entries
// that vanish meanwhile are no error. An entry whose type changed since the listing is removed as
// what it is now. The root is the one path resolved as a whole: it must be a directory, and a symlink
// there is refused, never followed.
//
// Open fds: one per directory on the current path, root included, plus one while a directory is read.
// A tree deeper than MAX_HELD directories (an application can nest deeper than any path the kernel
// resolves) is not held deeper: the directory at that depth is renamed, by name in its held parent,
// into the root under a fresh name, and removed from there later. So at most MAX_HELD + 1 fds.
//
// Like copy.ts: calls that only look (O_PATH open, fstat, readdir) are synchronous; unlink, rmdir and
// rename change a directory and may wait on the filesystem, so they are asynchronous, the unlinks of
// one directory's non-directories UNLINK_CONCURRENCY at a time. Every unlink in flight settles before
// the fd its path goes through is closed: a closed fd number could be reused by another directory.
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { openNoFollow, procPath, settleAll } from "./held-fd.js";

/**
 * Test-only seam: called with an entry's path (below the root as it was listed; never opened) after
 * its directory was listed and before the entry is unlinked or entered, so a test can change it at
 * exactly that moment. Never set outside tests.
 */
export const removeTestHooks: { beforeEntry?: (entry: string) => void } = {};

/** Directory fds held at once, the root's included (see "Open fds" above). */
const MAX_HELD = 64;
const UNLINK_CONCURRENCY = 16;
/**
 * How often an entry, or the root, is looked at again when it changed under the walk (a directory
 * refilled before its rmdir, an entry swapped for another type). An application that keeps refilling
 * a directory makes the removal fail, as fs.rm would, rather than run forever.
 */
const ATTEMPTS = 4;

interface Removal {
  rootFd: number;
  /** Directory fds held now, the root's included. */
  held: number;
  /** Names in the root of subtrees moved up from deeper than MAX_HELD, still to remove. */
  moved: string[];
}

/**
 * Removes the directory `root` and everything below it, never following a symlink below it (see
 * above). A root that does not exist is already removed. A root that is a symlink is refused (ELOOP),
 * any other non-directory too (ENOTDIR): neither is touched. Linux only (O_PATH, /proc/self/fd).
 */
export async function removeTree(root: string): Promise<void> {
  if (process.platform !== "linux") throw new Error("hostpath removals need Linux (O_PATH and /proc/self/fd)");
  let rootFd: number;
  try {
    rootFd = openNoFollow(root);
  } catch (err) {
    if (code(err) === "ENOENT" || code(err) === "ENOTDIR") return;
    throw err;
  }
  try {
    const info = fs.fstatSync(rootFd);
    if (info.isSymbolicLink()) throw errno("ELOOP", `refusing to remove ${root}: it is a symlink, and what it points to is not the tree`);
    if (!info.isDirectory()) throw errno("ENOTDIR", `refusing to remove ${root}: it is not a directory`);
    // Without /proc every lookup below would fail with a puzzling ENOENT.
    if (!fs.existsSync(procPath(rootFd))) throw new Error("hostpath removals need /proc mounted (they work through /proc/self/fd)");
    const removal: Removal = { rootFd, held: 1, moved: [] };
    for (let attempt = 1; ; attempt++) {
      await removeContents(rootFd, root, removal);
      while (removal.moved.length > 0) await removeDirectory(rootFd, root, removal.moved.shift()!, removal);
      try {
        await fsp.rmdir(root);
        return;
      } catch (err) {
        if (code(err) === "ENOENT") return;
        if (!notEmpty(err) || attempt === ATTEMPTS) throw err;
      }
    }
  } finally {
    fs.closeSync(rootFd);
  }
}

/** Removes every entry of the directory held by `dirFd` (listed as `where`), leaving it empty. */
async function removeContents(dirFd: number, where: string, removal: Removal): Promise<void> {
  const entries = fs.readdirSync(procPath(dirFd), { withFileTypes: true });
  const directories = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  const others = entries.filter((e) => !e.isDirectory()).map((e) => e.name);
  for (let i = 0; i < others.length; i += UNLINK_CONCURRENCY) {
    const batch = others.slice(i, i + UNLINK_CONCURRENCY);
    const results = await settleAll(batch.map((name) => unlinkEntry(dirFd, where, name, true)));
    // Directories now (swapped in since the listing) are entered one at a time, after the batch, so
    // that the walk still holds only the directories on its path.
    batch.forEach((name, j) => {
      if (results[j] === "directory") directories.push(name);
    });
  }
  for (const name of directories) await removeDirectory(dirFd, where, name, removal, true);
}

/** Unlinks `name` in `dirFd`'s directory (a symlink as a link); a directory is left, and reported. */
async function unlinkEntry(dirFd: number, where: string, name: string, hook: boolean): Promise<"removed" | "directory"> {
  if (hook) removeTestHooks.beforeEntry?.(path.join(where, name));
  try {
    await fsp.unlink(`${procPath(dirFd)}/${name}`);
    return "removed";
  } catch (err) {
    if (code(err) === "ENOENT") return "removed";
    // Linux's unlink(2) answers EISDIR for a directory (never removing it).
    if (code(err) === "EISDIR") return "directory";
    throw err;
  }
}

/**
 * Removes the subdirectory `name` of `dirFd`'s directory and all below it, entering it only through
 * an fd that cannot have followed a symlink; whatever `name` is by then if not a directory is unlinked.
 */
async function removeDirectory(dirFd: number, where: string, name: string, removal: Removal, hook = false): Promise<void> {
  const entry = path.join(where, name);
  if (hook) removeTestHooks.beforeEntry?.(entry);
  const at = `${procPath(dirFd)}/${name}`;
  for (let attempt = 1; ; attempt++) {
    if (removal.held >= MAX_HELD) {
      // rename(2) does not follow its last components either: whatever `name` is now is what moves.
      const moved = `.snapflow-removing-${randomUUID()}`;
      try {
        await fsp.rename(at, `${procPath(removal.rootFd)}/${moved}`);
      } catch (err) {
        if (code(err) === "ENOENT") return;
        throw err;
      }
      removal.moved.push(moved);
      return;
    }
    let fd: number;
    try {
      fd = openNoFollow(at, fs.constants.O_DIRECTORY);
    } catch (err) {
      if (code(err) === "ENOENT") return;
      // A symlink (or a file) took the directory's place: it goes as what it is, never followed.
      if ((code(err) === "ENOTDIR" || code(err) === "ELOOP") && (await unlinkEntry(dirFd, where, name, false)) === "removed") return;
      if (attempt === ATTEMPTS) throw err;
      continue;
    }
    removal.held++;
    try {
      await removeContents(fd, entry, removal);
    } finally {
      removal.held--;
      fs.closeSync(fd);
    }
    try {
      await fsp.rmdir(at);
      return;
    } catch (err) {
      if (code(err) === "ENOENT") return;
      // Refilled, or swapped for another directory or a symlink, since it was entered: look again.
      if ((!notEmpty(err) && code(err) !== "ENOTDIR") || attempt === ATTEMPTS) throw err;
    }
  }
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** rmdir(2) of a directory with entries: ENOTEMPTY on Linux's filesystems, EEXIST as POSIX also allows. */
function notEmpty(err: unknown): boolean {
  return code(err) === "ENOTEMPTY" || code(err) === "EEXIST";
}

function errno(errCode: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${errCode}: ${message}`), { code: errCode });
}
