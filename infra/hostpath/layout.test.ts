import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newId } from "./ids.js";
import { Layout } from "./layout.js";

let tmp: string;
let layout: Layout;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-layout-"));
  layout = new Layout(tmp);
  await layout.create();
});
afterEach(async () => {
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
