import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { probeCloneEngine } from "./clone.js";
import { stageInto, type DriverCore } from "./core.js";
import { Layout } from "./layout.js";
import { KeyedLocks } from "./locks.js";
import { StateStore } from "./state.js";

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-core-"));
});
afterEach(async () => {
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
    await stageInto(c, src, dst);
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
    await stageInto(c, src, dst);
    expect(await fs.readdir(dst)).toEqual([]);
    expect((await fs.stat(dst)).mode & 0o7777).toBe(0o705);
    expect((await fs.stat(dst)).mtime).toEqual(old);
    expect(await fs.readdir(c.layout.staging)).toEqual([]);
  });

  it("leaves nothing in staging/ when the copy fails", async () => {
    const c = await core(false);
    const dst = path.join(tmp, "data", "snapshots", "snap-22222222-2222-4222-8222-222222222222");
    await expect(stageInto(c, path.join(tmp, "no-such-source"), dst)).rejects.toThrow(/ENOENT/);
    expect(await fs.readdir(c.layout.staging)).toEqual([]);
    await expect(fs.stat(dst)).rejects.toThrow(/ENOENT/);
  });
});

describe("probeCloneEngine", () => {
  it("answers whether whole-tree reflink clones work here, leaving no probe behind", async () => {
    expect(typeof (await probeCloneEngine(tmp))).toBe("boolean");
    expect(await fs.readdir(tmp)).toEqual([]);
  });
});
