import * as fsSync from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newId } from "./ids.js";
import { Layout } from "./layout.js";
import { removeTestHooks } from "./remove-tree.js";
import type { DriverState } from "./state.js";

let tmp: string;
let layout: Layout;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-layout-"));
  layout = new Layout(tmp);
  await layout.create();
});
afterEach(async () => {
  removeTestHooks.beforeEntry = undefined;
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("Layout.discard", () => {
  it("removes an empty directory and leaves nothing in staging", async () => {
    const dir = layout.snapshotDir(newId("snapshot"));
    await fs.mkdir(dir);
    await layout.discard(dir);
    await expect(fs.stat(dir)).rejects.toThrow(/ENOENT/);
    expect(await fs.readdir(layout.staging)).toEqual([]);
  });

  it("removes a directory with contents through staging", async () => {
    const dir = layout.volumeDir(newId("volume"));
    await fs.mkdir(path.join(dir, "a", "b"), { recursive: true });
    await fs.writeFile(path.join(dir, "a", "b", "file"), "data");
    await fs.symlink("a/b/file", path.join(dir, "link"));
    await layout.discard(dir);
    await expect(fs.stat(dir)).rejects.toThrow(/ENOENT/);
    expect(await fs.readdir(layout.staging)).toEqual([]);
  });

  it("treats a directory that is already gone as done", async () => {
    await expect(layout.discard(layout.volumeDir(newId("volume")))).resolves.toBeUndefined();
    await expect(layout.discard(path.join(tmp, "nowhere", "x"))).resolves.toBeUndefined();
  });

  it("falls back to rename and remove when rmdir refuses (a file where a directory was)", async () => {
    const file = path.join(layout.volumes, newId("volume"));
    await fs.writeFile(file, "not a directory");
    await layout.discard(file);
    await expect(fs.stat(file)).rejects.toThrow(/ENOENT/);
    expect(await fs.readdir(layout.staging)).toEqual([]);
  });
});

// A deleted volume is removed in staging/ while its application may still hold a cwd or an fd in it
// and swap a subdirectory for a symlink to a directory outside, between the removal's listing and its
// descent. The removal must take the link, never what it points to; the same for what the start-up
// sweep removes, and for a symlink or a file found where a directory was expected.
const EMPTY: DriverState = { volumes: {}, snapshots: {}, groups: {} };

describe("Layout removals while an application changes the tree", () => {
  interface Case {
    name: string;
    /** Makes the directory (or whatever stands in its place) to remove; returns its path. */
    make: (outside: string) => Promise<string>;
    remove: (dir: string) => Promise<unknown>;
    /** Whether a subdirectory `d` is swapped for a symlink to `outside/dir` just before it is entered. */
    swap: boolean;
  }
  const volumeWithSubdir = async (): Promise<string> => {
    const dir = layout.volumeDir(newId("volume"));
    await fs.mkdir(path.join(dir, "d", "sub"), { recursive: true });
    await fs.writeFile(path.join(dir, "d", "a"), "mine");
    await fs.writeFile(path.join(dir, "d", "sub", "b"), "mine");
    return dir;
  };
  const cases: Case[] = [
    { name: "discard of a volume", make: volumeWithSubdir, remove: (dir) => layout.discard(dir), swap: true },
    {
      name: "the sweep of a half-done copy in staging/",
      make: async () => {
        const dir = layout.stagingPath();
        await fs.mkdir(path.join(dir, "d"), { recursive: true });
        await fs.writeFile(path.join(dir, "d", "a"), "mine");
        return dir;
      },
      remove: () => layout.sweep(EMPTY),
      swap: true,
    },
    { name: "the sweep of an unrecorded volume", make: volumeWithSubdir, remove: () => layout.sweep(EMPTY), swap: true },
    {
      name: "discard of a symlink where the volume's directory was: the link goes, its target stays",
      make: async (outside) => {
        const dir = layout.volumeDir(newId("volume"));
        await fs.symlink(path.join(outside, "dir"), dir);
        return dir;
      },
      remove: (dir) => layout.discard(dir),
      swap: false,
    },
    {
      name: "the sweep of a symlink in staging/: the link goes, its target stays",
      make: async (outside) => {
        const dir = layout.stagingPath();
        await fs.symlink(path.join(outside, "dir"), dir);
        return dir;
      },
      remove: () => layout.sweep(EMPTY),
      swap: false,
    },
  ];

  it.each(cases)("$name", async ({ make, remove, swap }) => {
    const outside = path.join(tmp, "outside");
    await fs.mkdir(path.join(outside, "dir", "sub"), { recursive: true });
    await fs.writeFile(path.join(outside, "dir", "a"), "SECRET-a");
    await fs.writeFile(path.join(outside, "dir", "sub", "b"), "SECRET-b");
    const dir = await make(outside);
    let swapped = 0;
    removeTestHooks.beforeEntry = (entry) => {
      if (swap && path.basename(entry) === "d" && swapped === 0) {
        swapped++;
        fsSync.rmSync(entry, { recursive: true });
        fsSync.symlinkSync(path.join(outside, "dir"), entry);
      }
    };
    await remove(dir);
    expect(swapped).toBe(swap ? 1 : 0);
    await expect(fs.lstat(dir)).rejects.toThrow(/ENOENT/);
    expect(await fs.readdir(layout.staging)).toEqual([]);
    expect(await fs.readFile(path.join(outside, "dir", "a"), "utf8")).toBe("SECRET-a");
    expect(await fs.readFile(path.join(outside, "dir", "sub", "b"), "utf8")).toBe("SECRET-b");
  });
});
