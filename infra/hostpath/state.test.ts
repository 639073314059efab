import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STATE_FILE, StateStore } from "./state.js";

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-state-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const volume = (id: string) => ({ id, name: id, capacityBytes: 1, requiredBytes: 1, limitBytes: 0, parameters: {}, mutableParameters: {} });

describe("StateStore", () => {
  it("starts empty, persists every update and reads it back", async () => {
    const store = await StateStore.open(dir);
    expect(store.state).toEqual({ volumes: {}, snapshots: {}, groups: {} });
    await store.update((s) => {
      s.volumes.a = volume("a");
    });
    const reopened = await StateStore.open(dir);
    expect(reopened.state.volumes.a).toEqual(volume("a"));
    expect(JSON.parse(await fs.readFile(path.join(dir, STATE_FILE), "utf8")).version).toBe(1);
  });

  it("applies queued updates in order, each seeing the previous", async () => {
    const store = await StateStore.open(dir);
    await Promise.all(
      ["a", "b", "c", "d"].map((id) =>
        store.update((s) => {
          s.volumes[id] = { ...volume(id), capacityBytes: Object.keys(s.volumes).length };
        }),
      ),
    );
    expect(Object.values(store.state.volumes).map((v) => v.capacityBytes)).toEqual([0, 1, 2, 3]);
    expect((await StateStore.open(dir)).state).toEqual(store.state);
  });

  it("publishes nothing when the change throws or the write fails", async () => {
    const store = await StateStore.open(dir);
    await expect(
      store.update((s) => {
        s.volumes.x = volume("x");
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    expect(store.state.volumes).toEqual({});
    // A directory where the file should go makes the rename fail.
    await fs.mkdir(path.join(dir, STATE_FILE));
    await expect(
      store.update((s) => {
        s.volumes.y = volume("y");
      }),
    ).rejects.toThrow();
    expect(store.state.volumes).toEqual({});
    expect((await fs.readdir(dir)).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("refuses to open a corrupt file rather than start empty over it", async () => {
    await fs.writeFile(path.join(dir, STATE_FILE), "{");
    await expect(StateStore.open(dir)).rejects.toThrow(/not valid JSON/);
    await fs.writeFile(path.join(dir, STATE_FILE), JSON.stringify({ version: 1, volumes: [] }));
    await expect(StateStore.open(dir)).rejects.toThrow(/not a hostpath driver state file/);
  });
});
