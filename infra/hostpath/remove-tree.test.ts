import * as fsSync from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeTestHooks, removeTree } from "./remove-tree.js";
import { openFds, readTree, writeTree, type Tree } from "./tree-fixture.js";

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-remove-"));
});
afterEach(async () => {
  removeTestHooks.beforeEntry = undefined;
  await fs.rm(tmp, { recursive: true, force: true });
});

const OUTSIDE: Tree = { secret: "file:SECRET", dir: "dir", "dir/a": "file:SECRET-a", "dir/sub": "dir", "dir/sub/b": "file:SECRET-b" };

describe("removeTree", () => {
  interface Case {
    name: string;
    given: Tree;
  }
  const cases: Case[] = [
    {
      name: "removes files, directories and symlinks, never what a symlink points to",
      given: { f: "file:x", d: "dir", "d/e": "dir", "d/e/g": "file:y", l: "link:<outside>/secret", dl: "link:<outside>/dir", "d/rel": "link:../f" },
    },
    { name: "removes an empty directory", given: {} },
  ];
  it.each(cases)("$name", async ({ given }) => {
    const outside = path.join(tmp, "outside");
    await writeTree(outside, OUTSIDE);
    const root = path.join(tmp, "root");
    await writeTree(root, given, outside);
    await removeTree(root);
    await expect(fs.lstat(root)).rejects.toThrow(/ENOENT/);
    expect(await readTree(outside)).toEqual(OUTSIDE);
  });

  it("treats a root that is already gone as removed", async () => {
    await expect(removeTree(path.join(tmp, "nowhere"))).resolves.toBeUndefined();
    await expect(removeTree(path.join(tmp, "nowhere", "deeper"))).resolves.toBeUndefined();
  });

  // The root is the one path resolved by name: a symlink there is refused, not followed nor removed.
  it.each([
    { name: "a symlink to a directory", make: (root: string, outside: string) => fsSync.symlinkSync(path.join(outside, "dir"), root), code: "ELOOP" },
    { name: "a file", make: (root: string) => fsSync.writeFileSync(root, "x"), code: "ENOTDIR" },
  ])("refuses a root that is $name and leaves it as it was", async ({ make, code }) => {
    const outside = path.join(tmp, "outside");
    await writeTree(outside, OUTSIDE);
    const root = path.join(tmp, "root");
    make(root, outside);
    await expect(removeTree(root)).rejects.toMatchObject({ code });
    expect((await fs.lstat(root)).isDirectory()).toBe(false);
    expect(await readTree(outside)).toEqual(OUTSIDE);
  });

  // One fd per directory on the current path (the root included), plus one while a directory is read,
  // however wide; deeper than MAX_HELD the walk moves the subtree up to the root instead of holding more.
  it.each([
    { name: "wide", levels: 2, width: 12, files: 4, bound: 2 + 1, movesUp: false },
    { name: "deeper than the fds it may hold", levels: 150, width: 1, files: 2, bound: 64 + 1, movesUp: true },
  ])("removes a $name tree holding at most its bound of fds, all closed after", async ({ levels, width, files, bound, movesUp }) => {
    const root = path.join(tmp, "root");
    await fs.mkdir(root);
    const make = (dir: string, level: number): void => {
      for (let f = 0; f < files; f++) fsSync.writeFileSync(path.join(dir, `f${f}`), "x");
      if (level === levels) return;
      for (let w = 0; w < width; w++) {
        fsSync.mkdirSync(path.join(dir, `d${w}`));
        make(path.join(dir, `d${w}`), level + 1);
      }
    };
    make(root, 0);
    const before = openFds();
    let most = 0;
    let seen = 0;
    let movedUp = 0;
    removeTestHooks.beforeEntry = (entry) => {
      seen++;
      if (path.basename(path.dirname(entry)).startsWith(".snapflow-removing-")) movedUp++;
      most = Math.max(most, openFds() - before);
    };
    await removeTree(root);
    await expect(fs.lstat(root)).rejects.toThrow(/ENOENT/);
    expect(seen).toBeGreaterThan(levels);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(bound);
    expect(movedUp > 0).toBe(movesUp);
    expect(openFds()).toBe(before);
  });

  it("closes every fd when it fails deep in the tree, and leaves the rest in place", async () => {
    const root = path.join(tmp, "root");
    const tree: Tree = {};
    for (let d = 0; d < 4; d++) {
      tree[`d${d}`] = "dir";
      tree[`d${d}/e`] = "dir";
      for (let f = 0; f < 20; f++) tree[`d${d}/e/f${f}`] = "file:x";
    }
    await writeTree(root, tree);
    const before = openFds();
    // An I/O error on one entry, deep in the walk, with unlinks of its siblings in flight.
    removeTestHooks.beforeEntry = (entry) => {
      if (entry === path.join(root, "d2", "e", "f7")) throw Object.assign(new Error("EIO: injected"), { code: "EIO" });
    };
    await expect(removeTree(root)).rejects.toThrow(/EIO: injected/);
    expect(openFds()).toBe(before);
    expect((await fs.lstat(path.join(root, "d2", "e"))).isDirectory()).toBe(true);
  });
});

// DeleteVolume moves the volume into staging/ and removes it there, while the application may still
// hold a cwd or an fd inside and keep changing it. Whatever it swaps between the walk's listing of a
// directory and its handling of an entry must never make the walk remove anything outside the tree.
describe("removeTree while the tree changes under it", () => {
  interface SwapCase {
    name: string;
    given: Tree;
    /** The entry (relative to the root) just before whose handling `swap` runs. */
    at: string;
    swap: (root: string, outside: string) => void;
  }
  const cases: SwapCase[] = [
    {
      name: "a directory swapped for a symlink to a directory outside, between listing and descending: the link is removed, not followed",
      given: { d: "dir", "d/a": "file:mine", "d/sub": "dir", "d/sub/b": "file:mine" },
      at: "d",
      swap: (root, outside) => {
        fsSync.rmSync(path.join(root, "d"), { recursive: true });
        fsSync.symlinkSync(path.join(outside, "dir"), path.join(root, "d"));
      },
    },
    {
      name: "a file swapped for a symlink to a file outside: the link is removed, the target survives",
      given: { f: "file:mine", g: "file:mine" },
      at: "f",
      swap: (root, outside) => {
        fsSync.unlinkSync(path.join(root, "f"));
        fsSync.symlinkSync(path.join(outside, "secret"), path.join(root, "f"));
      },
    },
    {
      name: "a directory being walked, moved away and replaced by a symlink: its entries are still removed through the held fd",
      given: { d: "dir", "d/a": "file:mine", "d/b": "file:mine", "d/sub": "dir", "d/sub/c": "file:mine" },
      at: "d/b",
      swap: (root, outside) => {
        fsSync.renameSync(path.join(root, "d"), path.join(root, "moved"));
        fsSync.symlinkSync(path.join(outside, "dir"), path.join(root, "d"));
      },
    },
    {
      name: "a file swapped for a directory: it is descended into and removed",
      given: { x: "file:one" },
      at: "x",
      swap: (root) => {
        fsSync.unlinkSync(path.join(root, "x"));
        fsSync.mkdirSync(path.join(root, "x"));
        fsSync.writeFileSync(path.join(root, "x", "inner"), "two");
      },
    },
    {
      name: "a directory refilled after it was listed is walked again before its rmdir",
      given: { d: "dir", "d/a": "file:mine" },
      at: "d/a",
      swap: (root) => {
        fsSync.mkdirSync(path.join(root, "d", "late"));
        fsSync.writeFileSync(path.join(root, "d", "late", "x"), "mine");
      },
    },
    {
      name: "an entry that vanished since the listing is no error",
      given: { d: "dir", "d/a": "file:mine", e: "file:mine" },
      at: "d",
      swap: (root) => {
        fsSync.rmSync(path.join(root, "d"), { recursive: true });
      },
    },
  ];

  it.each(cases)("$name", async ({ given, at, swap }) => {
    const outside = path.join(tmp, "outside");
    await writeTree(outside, OUTSIDE);
    const root = path.join(tmp, "root");
    await writeTree(root, given, outside);
    let swapped = 0;
    removeTestHooks.beforeEntry = (entry) => {
      if (entry === path.join(root, at) && swapped === 0) {
        swapped++;
        swap(root, outside);
      }
    };
    const before = openFds();
    await removeTree(root);
    expect(swapped).toBe(1);
    expect(await readTree(outside)).toEqual(OUTSIDE);
    await expect(fs.lstat(root)).rejects.toThrow(/ENOENT/);
    expect(openFds()).toBe(before);
  });

  // An application that refills a directory faster than it is emptied makes the removal fail (as
  // fs.rm would) instead of running forever; nothing outside is touched and no fd stays open.
  it("gives up on a directory that is refilled on every pass", async () => {
    const outside = path.join(tmp, "outside");
    await writeTree(outside, OUTSIDE);
    const root = path.join(tmp, "root");
    await writeTree(root, { d: "dir", "d/f0": "file:mine" });
    let n = 0;
    removeTestHooks.beforeEntry = (entry) => {
      if (path.dirname(entry) === path.join(root, "d")) fsSync.writeFileSync(path.join(root, "d", `f${++n}`), "more");
    };
    const before = openFds();
    await expect(removeTree(root)).rejects.toMatchObject({ code: "ENOTEMPTY" });
    expect(n).toBeGreaterThan(1);
    expect(openFds()).toBe(before);
    expect(await readTree(outside)).toEqual(OUTSIDE);
  });
});
