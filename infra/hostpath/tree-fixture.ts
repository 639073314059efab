// Test-only: directory trees written from and read back into a flat description, shared by the
// copy and removal tests (nothing in the driver imports this).
import * as fsSync from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";

/**
 * A tree as relative path -> "dir" | "file:<content>" | "link:<target>", read without following any
 * symlink; "<outside>" in a link target stands for a directory outside the tree.
 */
export type Tree = Record<string, string>;

/** Writes `tree` under `root`; "<outside>" in a link target becomes `outside` when given. */
export async function writeTree(root: string, tree: Tree, outside?: string): Promise<void> {
  await fs.mkdir(root, { recursive: true });
  for (const [rel, what] of Object.entries(tree)) {
    const at = path.join(root, rel);
    if (what === "dir") await fs.mkdir(at, { recursive: true });
    else if (what.startsWith("link:")) {
      const target = what.slice("link:".length);
      await fs.symlink(outside === undefined ? target : target.replace("<outside>", outside), at);
    } else await fs.writeFile(at, what.slice("file:".length));
  }
}

/** Reads the tree under `root`; `outside` in a link target reads back as "<outside>" when given. */
export async function readTree(root: string, outside?: string): Promise<Tree> {
  const tree: Tree = {};
  const visit = async (rel: string): Promise<void> => {
    for (const name of (await fs.readdir(path.join(root, rel))).sort()) {
      const child = path.join(rel, name);
      const info = await fs.lstat(path.join(root, child));
      if (info.isDirectory()) {
        tree[child] = "dir";
        await visit(child);
      } else if (info.isSymbolicLink()) {
        const target = await fs.readlink(path.join(root, child));
        tree[child] = `link:${outside === undefined ? target : target.replace(outside, "<outside>")}`;
      } else {
        tree[child] = `file:${await fs.readFile(path.join(root, child), "utf8")}`;
      }
    }
  };
  await visit("");
  return tree;
}

/** File descriptors this process has open (less the one listing them); synchronous, so a count taken in a hook sees the walk where it stopped. */
export function openFds(): number {
  return fsSync.readdirSync("/proc/self/fd").length - 1;
}
