import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fsyncDir, fsyncPath, syncDirShared } from "./fsync.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-fsync-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("syncDirShared", () => {
  it("lets callers that arrive while an fsync runs share the next one, not the running one", async () => {
    const first = syncDirShared(dir);
    // These arrive after `first` started: they need a later fsync, and they all get the same one.
    const second = syncDirShared(dir);
    const third = syncDirShared(dir);
    expect(second).toBe(third);
    expect(second).not.toBe(first);
    await Promise.all([first, second, third]);
    // Idle again: a new caller starts its own.
    const fourth = syncDirShared(dir);
    expect(fourth).not.toBe(second);
    await fourth;
  });

  it("reports a failure to every caller that shared it", async () => {
    const missing = path.join(dir, "gone");
    const calls = [syncDirShared(missing), syncDirShared(missing), syncDirShared(missing)];
    const results = await Promise.allSettled(calls);
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    await expect(fsyncDir(missing)).rejects.toThrow(/ENOENT/);
  });
});

describe("fsyncPath", () => {
  it("fsyncs a regular file and a directory, and rejects a missing path", async () => {
    const file = path.join(dir, "f");
    await fs.writeFile(file, "data");
    await expect(fsyncPath(file)).resolves.toBeUndefined();
    await expect(fsyncPath(dir)).resolves.toBeUndefined();
    await expect(fsyncPath(path.join(dir, "missing"))).rejects.toThrow(/ENOENT/);
  });
});
