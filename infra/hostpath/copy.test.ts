import { execFileSync } from "node:child_process";
import * as fsSync from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { copyEmptyDirectory, copyTestHooks, copyTree, listEntries, supportsReflink } from "./copy.js";
import { openFds, readTree, writeTree, type Tree } from "./tree-fixture.js";

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-copy-"));
});
afterEach(async () => {
  copyTestHooks.beforeOpen = undefined;
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("copyTree", () => {
  it("reproduces files, directories, symlinks, modes and mtimes like cp -a", async () => {
    const src = path.join(tmp, "src");
    await fs.mkdir(path.join(src, "a", "b"), { recursive: true });
    await fs.writeFile(path.join(src, "top"), "top");
    await fs.writeFile(path.join(src, "a", "b", "deep"), Buffer.alloc(100_000, 3));
    await fs.writeFile(path.join(src, "empty"), "");
    await fs.symlink("../top", path.join(src, "a", "link"));
    await fs.chmod(path.join(src, "top"), 0o600);
    await fs.chmod(path.join(src, "a"), 0o750);
    const old = new Date("2020-01-02T03:04:05Z");
    await fs.utimes(path.join(src, "top"), old, old);
    await fs.utimes(path.join(src, "a", "b"), old, old);

    const dst = path.join(tmp, "dst");
    const stats = await copyTree(src, dst, { durable: true });
    expect(stats).toMatchObject({ files: 3, directories: 3, symlinks: 1, bytes: 100_003, skipped: 0 });
    expect(await fs.readFile(path.join(dst, "top"), "utf8")).toBe("top");
    expect(await fs.readFile(path.join(dst, "a", "b", "deep"))).toEqual(Buffer.alloc(100_000, 3));
    expect(await fs.readlink(path.join(dst, "a", "link"))).toBe("../top");
    expect((await fs.stat(path.join(dst, "top"))).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.join(dst, "a"))).mode & 0o777).toBe(0o750);
    expect((await fs.stat(path.join(dst, "top"))).mtime).toEqual(old);
    expect((await fs.stat(path.join(dst, "a", "b"))).mtime).toEqual(old);

    // The copy is independent of its source.
    await fs.writeFile(path.join(src, "top"), "changed");
    expect(await fs.readFile(path.join(dst, "top"), "utf8")).toBe("top");
  });

  it("refuses to copy over an existing destination", async () => {
    const src = path.join(tmp, "src");
    await fs.mkdir(src);
    await fs.mkdir(path.join(tmp, "dst"));
    await expect(copyTree(src, path.join(tmp, "dst"), { durable: false })).rejects.toThrow(/EEXIST/);
  });

  it("copies many files with bounded concurrency", async () => {
    const src = path.join(tmp, "many");
    await fs.mkdir(src);
    await Promise.all(Array.from({ length: 200 }, (_, i) => fs.writeFile(path.join(src, `f${i}`), String(i))));
    const stats = await copyTree(src, path.join(tmp, "many-copy"), { durable: false, concurrency: 4 });
    expect(stats.files).toBe(200);
    expect(await fs.readFile(path.join(tmp, "many-copy", "f199"), "utf8")).toBe("199");
  });

  // copy.ts states the bound: the directories on the walk's path, plus 3 per copy in flight, plus one.
  it("holds at most depth + 3 * concurrency + 1 fds open, however wide the tree", async () => {
    const src = path.join(tmp, "wide");
    const tree: Tree = {};
    for (let d = 0; d < 60; d++) {
      tree[`d${d}`] = "dir";
      tree[`d${d}/e`] = "dir";
      for (let f = 0; f < 3; f++) tree[`d${d}/e/f${f}`] = `file:${d}-${f}`;
    }
    await writeTree(src, tree);
    const before = openFds();
    let most = 0;
    copyTestHooks.beforeOpen = () => {
      most = Math.max(most, openFds() - before);
    };
    const concurrency = 4;
    const stats = await copyTree(src, path.join(tmp, "wide-copy"), { durable: true, concurrency });
    expect(stats).toMatchObject({ files: 180, directories: 121 });
    const depth = 3;
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(depth + 3 * concurrency + 1);
    expect(openFds()).toBe(before);
  });

  // A file deleted between the listing and its copy fails the copy, as before; what was already in
  // flight finishes first, and no fd is left open.
  it("fails on an entry that vanished, after the copies in flight, with every fd closed", async () => {
    const src = path.join(tmp, "vanishing");
    const tree: Tree = {};
    for (let d = 0; d < 4; d++) {
      tree[`d${d}`] = "dir";
      for (let f = 0; f < 10; f++) tree[`d${d}/f${f}`] = `file:${d}-${f}`;
    }
    await writeTree(src, tree);
    const before = openFds();
    const gone = path.join(src, "d1", "f5");
    copyTestHooks.beforeOpen = (source) => {
      if (source === gone) fsSync.unlinkSync(gone);
    };
    await expect(copyTree(src, path.join(tmp, "vanishing-copy"), { durable: true, concurrency: 4 })).rejects.toThrow(/ENOENT/);
    expect(openFds()).toBe(before);
  });

  it("probes reflink support without leaving files behind", async () => {
    expect(typeof (await supportsReflink(tmp))).toBe("boolean");
    expect(await fs.readdir(tmp)).toEqual([]);
  });
});

// An application keeps writing into its volume while a snapshot, or a clone, copies it. Whatever it
// swaps in between the copy's listing of a directory and its opening of an entry must never make the
// copy read outside the volume: a symlink is copied as a link, and a directory already opened keeps
// being read from, wherever its name now points. An entry whose type changed is copied as what it is
// when opened, as a crash-consistent copy of a live tree would.
describe("copyTree while the volume changes under it", () => {
  interface SwapCase {
    name: string;
    given: Tree;
    /** The entry (relative to the volume) just before whose opening `swap` runs. */
    at: string;
    swap: (volume: string, outside: string) => void;
    expected: Tree;
  }
  const cases: SwapCase[] = [
    {
      name: "a file swapped for a symlink to a file outside is copied as that link",
      given: { f: "file:mine" },
      at: "f",
      swap: (volume, outside) => {
        fsSync.unlinkSync(path.join(volume, "f"));
        fsSync.symlinkSync(path.join(outside, "secret"), path.join(volume, "f"));
      },
      expected: { f: "link:<outside>/secret" },
    },
    {
      name: "a directory swapped for a symlink to a directory outside is copied as that link",
      given: { d: "dir", "d/a": "file:mine" },
      at: "d",
      swap: (volume, outside) => {
        fsSync.rmSync(path.join(volume, "d"), { recursive: true });
        fsSync.symlinkSync(path.join(outside, "dir"), path.join(volume, "d"));
      },
      expected: { d: "link:<outside>/dir" },
    },
    {
      name: "a directory moved away and replaced by a symlink after it was listed is still read from",
      given: { d: "dir", "d/a": "file:mine" },
      at: "d/a",
      swap: (volume, outside) => {
        fsSync.renameSync(path.join(volume, "d"), path.join(volume, "moved"));
        fsSync.symlinkSync(path.join(outside, "dir"), path.join(volume, "d"));
      },
      expected: { d: "dir", "d/a": "file:mine" },
    },
    {
      name: "a symlink replaced by a file is copied as the file",
      given: { l: "link:elsewhere" },
      at: "l",
      swap: (volume) => {
        fsSync.unlinkSync(path.join(volume, "l"));
        fsSync.writeFileSync(path.join(volume, "l"), "now a file");
      },
      expected: { l: "file:now a file" },
    },
    {
      name: "a file replaced by a directory is copied as the directory",
      given: { x: "file:one" },
      at: "x",
      swap: (volume) => {
        fsSync.unlinkSync(path.join(volume, "x"));
        fsSync.mkdirSync(path.join(volume, "x"));
        fsSync.writeFileSync(path.join(volume, "x", "inner"), "two");
      },
      expected: { x: "dir", "x/inner": "file:two" },
    },
    {
      // Opening a FIFO to read blocks until a writer comes: the O_PATH open only looks at it.
      name: "a file replaced by a FIFO is skipped, without waiting for a writer",
      given: { p: "file:data", q: "file:kept" },
      at: "p",
      swap: (volume) => {
        fsSync.unlinkSync(path.join(volume, "p"));
        execFileSync("mkfifo", [path.join(volume, "p")]);
      },
      expected: { q: "file:kept" },
    },
  ];

  it.each(cases)("$name", async ({ given, at, swap, expected }) => {
    const outside = path.join(tmp, "outside");
    await writeTree(outside, { secret: "file:SECRET", dir: "dir", "dir/a": "file:SECRET-a", "dir/b": "file:SECRET-b" });
    const volume = path.join(tmp, "volume");
    await writeTree(volume, given);
    let swapped = 0;
    copyTestHooks.beforeOpen = (source) => {
      if (source === path.join(volume, at)) {
        swapped++;
        swap(volume, outside);
      }
    };
    const dst = path.join(tmp, "copy");
    await copyTree(volume, dst, { durable: false });
    expect(swapped).toBe(1);
    expect(await readTree(dst, outside)).toEqual(expected);
  });
});

describe("listEntries and copyEmptyDirectory", () => {
  it("lists what copyTree copies when handed the entries", async () => {
    const src = path.join(tmp, "src");
    await fs.mkdir(src);
    expect(listEntries(src)).toEqual([]);
    await fs.writeFile(path.join(src, ".hidden"), "x");
    const entries = listEntries(src);
    expect(entries.map((e) => e.name)).toEqual([".hidden"]);
    expect(() => listEntries(path.join(tmp, "missing"))).toThrow(/ENOENT/);
    const stats = await copyTree(src, path.join(tmp, "dst"), { durable: false, entries });
    expect(stats).toMatchObject({ files: 1, directories: 1 });
    expect(await fs.readFile(path.join(tmp, "dst", ".hidden"), "utf8")).toBe("x");
  });

  it("reproduces the directory's mode and times", async () => {
    const src = path.join(tmp, "src");
    await fs.mkdir(src);
    await fs.chmod(src, 0o751);
    const old = new Date("2020-01-02T03:04:05Z");
    await fs.utimes(src, old, old);
    const dst = path.join(tmp, "dst");
    await copyEmptyDirectory(src, dst, { durable: true });
    const info = await fs.stat(dst);
    expect(info.mode & 0o7777).toBe(0o751);
    expect(info.mtime).toEqual(old);
    expect(await fs.readdir(dst)).toEqual([]);
  });

  it("refuses an existing destination and leaves it as it was", async () => {
    const src = path.join(tmp, "src");
    await fs.mkdir(src);
    const dst = path.join(tmp, "dst");
    await fs.mkdir(dst);
    await fs.writeFile(path.join(dst, "keep"), "mine");
    await expect(copyEmptyDirectory(src, dst, { durable: false })).rejects.toThrow(/EEXIST/);
    expect(await fs.readFile(path.join(dst, "keep"), "utf8")).toBe("mine");
  });
});
