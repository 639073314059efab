import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { probeCloneEngine } from "./clone.js";
import { copyTestHooks } from "./copy.js";
import { stageInto, type DriverCore } from "./core.js";
import { Layout } from "./layout.js";
import { KeyedLocks } from "./locks.js";
import { removeTestHooks } from "./remove-tree.js";
import { StateStore } from "./state.js";

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-core-"));
});
afterEach(async () => {
  copyTestHooks.beforeOpen = undefined;
  removeTestHooks.beforeEntry = undefined;
  await fs.rm(tmp, { recursive: true, force: true });
});

async function core(cloneEngine: boolean): Promise<DriverCore> {
  const layout = new Layout(path.join(tmp, "data"));
  await layout.create();
  return { layout, store: await StateStore.open(layout.root), locks: new KeyedLocks(), durable: true, cloneEngine };
}

async function sourceTree(): Promise<string> {
  const src = path.join(tmp, "src");
  await fs.mkdir(path.join(src, "sub"), { recursive: true });
  await fs.writeFile(path.join(src, "sub", "data"), "payload");
  await fs.symlink("sub/data", path.join(src, "link"));
  return src;
}

describe("stageInto", () => {
  // With cloneEngine forced on, a filesystem without reflinks makes `cp --reflink=always` fail and
  // the per-file copy takes over; on one with reflinks the clone itself runs. Both must give the tree.
  it.each([false, true])("copies a tree into place through staging/ (clone engine %s)", async (cloneEngine) => {
    const c = await core(cloneEngine);
    const src = await sourceTree();
    const dst = path.join(tmp, "data", "snapshots", "snap-11111111-1111-4111-8111-111111111111");
    await stageInto(c, { dir: src, live: false }, dst);
    expect(await fs.readFile(path.join(dst, "sub", "data"), "utf8")).toBe("payload");
    expect(await fs.readlink(path.join(dst, "link"))).toBe("sub/data");
    expect(await fs.readdir(c.layout.staging)).toEqual([]);
  });

  it("creates an empty directory when there is no source", async () => {
    const c = await core(false);
    const dst = path.join(tmp, "data", "volumes", "vol-11111111-1111-4111-8111-111111111111");
    await stageInto(c, undefined, dst);
    expect(await fs.readdir(dst)).toEqual([]);
  });

  // The clone engine too: an empty source needs no `cp` (and no staging/), whatever the filesystem.
  it.each([false, true])("makes a copy of an empty source in place, with its metadata (clone engine %s)", async (cloneEngine) => {
    const c = await core(cloneEngine);
    const src = path.join(tmp, "empty-src");
    await fs.mkdir(src);
    await fs.chmod(src, 0o705);
    const old = new Date("2021-05-06T07:08:09Z");
    await fs.utimes(src, old, old);
    const dst = path.join(tmp, "data", "snapshots", "snap-33333333-3333-4333-8333-333333333333");
    await stageInto(c, { dir: src, live: false }, dst);
    expect(await fs.readdir(dst)).toEqual([]);
    expect((await fs.stat(dst)).mode & 0o7777).toBe(0o705);
    expect((await fs.stat(dst)).mtime).toEqual(old);
    expect(await fs.readdir(c.layout.staging)).toEqual([]);
  });

  it("leaves nothing in staging/ when the copy fails", async () => {
    const c = await core(false);
    const dst = path.join(tmp, "data", "snapshots", "snap-22222222-2222-4222-8222-222222222222");
    await expect(stageInto(c, { dir: path.join(tmp, "no-such-source"), live: true }, dst)).rejects.toThrow(/ENOENT/);
    expect(await fs.readdir(c.layout.staging)).toEqual([]);
    await expect(fs.stat(dst)).rejects.toThrow(/ENOENT/);
  });

  // The half-done copy of a live volume is removed like a deleted volume, never by fs.rm (remove-tree.ts).
  it("removes a copy that failed half-way with removeTree, leaving nothing in staging/", async () => {
    const c = await core(false);
    const src = await sourceTree();
    await fs.writeFile(path.join(src, "sub", "zz-last"), "x");
    copyTestHooks.beforeOpen = (source) => {
      if (source === path.join(src, "sub", "zz-last")) throw Object.assign(new Error("EIO: injected"), { code: "EIO" });
    };
    const removed: string[] = [];
    removeTestHooks.beforeEntry = (entry) => removed.push(path.relative(c.layout.staging, entry).replace(/^stage-[^/]+/, "<stage>"));
    const dst = path.join(tmp, "data", "snapshots", "snap-33333333-3333-4333-8333-333333333333");
    await expect(stageInto(c, { dir: src, live: true }, dst)).rejects.toThrow(/EIO: injected/);
    expect(removed).toContain("<stage>/sub");
    expect(await fs.readdir(c.layout.staging)).toEqual([]);
    await expect(fs.stat(dst)).rejects.toThrow(/ENOENT/);
  });
});

// `cp -a` looks a directory up by path after checking its type (lstat, then opendir of the path,
// then every child by its full path: coreutils 9.1 under strace), so a directory an application swaps
// for a symlink in between is followed, and what it points to is cloned into the copy (clone.test.ts
// shows it). A live volume's copy must therefore never run `cp`; a snapshot's directory, which nothing
// writes, may. Which programs run is seen through logging stand-ins for `cp` and `sync` first on PATH.
describe("stageInto: which copy a source gets", () => {
  let savedPath: string | undefined;
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  async function loggingTools(): Promise<string> {
    const bin = path.join(tmp, "bin");
    await fs.mkdir(bin);
    const log = path.join(tmp, "tools.log");
    for (const tool of ["cp", "sync"]) {
      const real = execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
      await fs.writeFile(path.join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    }
    savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${process.env.PATH}`;
    return log;
  }

  interface EngineCase {
    name: string;
    cloneEngine: boolean;
    live: boolean;
    /**
     * The programs run, by name, in order. A `cp` may be followed by `sync` (where it clones) or by
     * nothing (where it fails for want of reflinks, and the per-file copy with fsyncs takes over).
     */
    expectedTools: string[];
  }
  const cases: EngineCase[] = [
    { name: "a live volume never goes through cp, even with the clone engine; one syncfs makes it durable", cloneEngine: true, live: true, expectedTools: ["sync"] },
    { name: "a snapshot's directory is cloned with cp where the clone engine is on", cloneEngine: true, live: false, expectedTools: ["cp"] },
    { name: "a live volume without the clone engine is copied file by file, fsynced", cloneEngine: false, live: true, expectedTools: [] },
    { name: "a snapshot's directory without the clone engine is copied file by file, fsynced", cloneEngine: false, live: false, expectedTools: [] },
  ];

  it.each(cases)("$name", async ({ cloneEngine, live, expectedTools }) => {
    const c = await core(cloneEngine);
    const src = await sourceTree();
    const log = await loggingTools();
    const dst = path.join(tmp, "data", "snapshots", "snap-44444444-4444-4444-8444-444444444444");
    await stageInto(c, { dir: src, live }, dst);
    const ran = (await fs.readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean);
    const tools = ran.map((line) => line.split(" ")[0]);
    if (live) expect(tools).toEqual(expectedTools);
    else expect(tools.slice(0, expectedTools.length)).toEqual(expectedTools);
    expect(await fs.readFile(path.join(dst, "sub", "data"), "utf8")).toBe("payload");
    expect(await fs.readlink(path.join(dst, "link"))).toBe("sub/data");
  });
});

describe("probeCloneEngine", () => {
  it("answers whether whole-tree reflink clones work here, leaving no probe behind", async () => {
    expect(typeof (await probeCloneEngine(tmp))).toBe("boolean");
    expect(await fs.readdir(tmp)).toEqual([]);
  });
});
