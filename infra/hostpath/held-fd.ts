// What copy.ts and remove-tree.ts share to walk a tree an application may be changing: entries are
// held by O_PATH fds opened without following a symlink, and reached again only through
// /proc/self/fd, so no path below the walk's root is ever resolved through a swapped-in symlink.
import fs from "node:fs";

/** Linux's O_PATH (the same on every architecture Node runs on); node:fs does not export it. */
export const O_PATH = 0o10000000;

/**
 * An O_PATH fd on `p`, which is not followed if it is a symlink (the fd then holds the link itself).
 * O_PATH opens nothing: no device acts, no FIFO blocks, and no read permission is needed to look.
 */
export function openNoFollow(p: string, flags = 0): number {
  if (process.platform !== "linux") throw new Error("hostpath tree walks need Linux (O_PATH and /proc/self/fd)");
  return fs.openSync(p, O_PATH | fs.constants.O_NOFOLLOW | flags);
}

/** Opening or looking up below this path reaches exactly the inode `fd` holds, wherever it now is. */
export function procPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** Like Promise.all, but waits for every task before rethrowing the first failure (no work left running). */
export async function settleAll<T>(work: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
