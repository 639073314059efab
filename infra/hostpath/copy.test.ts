import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { copyEmptyDirectory, copyTree, listEntries, supportsReflink } from "./copy.js";

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-copy-"));
});
afterEach(async () => {
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

  it("probes reflink support without leaving files behind", async () => {
    expect(typeof (await supportsReflink(tmp))).toBe("boolean");
    expect(await fs.readdir(tmp)).toEqual([]);
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
