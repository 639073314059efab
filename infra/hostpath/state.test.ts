import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JOURNAL_DIR, listSegments } from "./journal.js";
import { STATE_FILE, StateStore, type SnapshotRecord, type VolumeRecord } from "./state.js";

let dir: string;
const open: StateStore[] = [];
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "hostpath-state-"));
});
afterEach(async () => {
  // Stores a test "crashed" (abandoned without close) still hold a file handle.
  for (const store of open.splice(0)) await store.close().catch(() => undefined);
  await fs.rm(dir, { recursive: true, force: true });
});

async function openStore(options?: { minCompactBytes?: number }): Promise<StateStore> {
  const store = await StateStore.open(dir, options);
  open.push(store);
  return store;
}

const volume = (id: string, extra: Partial<VolumeRecord> = {}): VolumeRecord => ({
  id,
  name: `name-${id}`,
  capacityBytes: 1,
  requiredBytes: 1,
  limitBytes: 0,
  parameters: {},
  mutableParameters: {},
  ...extra,
});
const snapshot = (id: string, sourceVolumeId: string, name = `name-${id}`): SnapshotRecord => ({
  id,
  name,
  sourceVolumeId,
  sizeBytes: 1,
  creationTimeNs: "1",
  parameters: {},
});
const readCheckpointFile = async () => JSON.parse(await fs.readFile(path.join(dir, STATE_FILE), "utf8"));

describe("StateStore", () => {
  it("starts empty, makes every commit durable before it resolves, and reads it back after a crash", async () => {
    const store = await openStore();
    expect(store.state).toEqual({ volumes: {}, snapshots: {}, groups: {} });
    await store.commit([{ put: "volumes", record: volume("a") }]);
    expect(store.state.volumes.a).toEqual(volume("a"));
    // No close(): what a kill -9 right after the reply leaves behind.
    const reopened = await openStore();
    expect(reopened.state.volumes.a).toEqual(volume("a"));
    expect((await readCheckpointFile()).version).toBe(2);
  });

  it("applies concurrent commits in order and shares journal writes between them", async () => {
    const store = await openStore();
    await Promise.all(["a", "b", "c", "d", "e", "f"].map((id, i) => store.commit([{ put: "volumes", record: volume(id, { capacityBytes: i }) }])));
    expect(Object.values(store.state.volumes).map((v) => v.capacityBytes)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(store.stats.seq).toBe(6);
    expect(store.stats.journalWrites).toBeLessThan(6);
    await store.close();
    expect((await openStore()).state).toEqual(store.state);
  });

  it("keeps name and source indexes in step with puts and deletes, across a restart", async () => {
    const store = await openStore();
    await store.commit([
      { put: "volumes", record: volume("v1") },
      { put: "snapshots", record: snapshot("snap-b", "v1") },
      { put: "snapshots", record: snapshot("snap-a", "v1") },
      { put: "snapshots", record: snapshot("snap-c", "v2", "") },
    ]);
    expect(store.volumeNamed("name-v1")?.id).toBe("v1");
    expect(store.snapshotNamed("name-snap-a")?.id).toBe("snap-a");
    expect(store.snapshotNamed("")).toBeUndefined();
    expect(store.snapshotsOfVolume("v1").map((s) => s.id)).toEqual(["snap-a", "snap-b"]);
    expect(store.snapshotsOfVolume("v1", "snap-a0", 5).map((s) => s.id)).toEqual(["snap-b"]);
    expect(store.snapshotsOfVolume("v1", "", 1).map((s) => s.id)).toEqual(["snap-a"]);
    expect(store.snapshotsOfVolume("unknown")).toEqual([]);
    expect(store.snapshotsFrom("", 10).map((s) => s.id)).toEqual(["snap-a", "snap-b", "snap-c"]);
    expect(store.snapshotsFrom("snap-b", 1).map((s) => s.id)).toEqual(["snap-b"]);
    await store.commit([
      { delete: "snapshots", id: "snap-a" },
      { put: "volumes", record: volume("v1", { capacityBytes: 9 }) },
      { delete: "volumes", id: "nothing-here" },
    ]);
    const reopened = await openStore();
    for (const s of [store, reopened]) {
      expect(s.snapshotNamed("name-snap-a")).toBeUndefined();
      expect(s.snapshotsOfVolume("v1").map((x) => x.id)).toEqual(["snap-b"]);
      expect(s.snapshotsFrom("", 10).map((x) => x.id)).toEqual(["snap-b", "snap-c"]);
      expect(s.volumeNamed("name-v1")?.capacityBytes).toBe(9);
    }
  });

  it("compacts into a new checkpoint and drops the sealed segments, while commits go on", async () => {
    const store = await openStore({ minCompactBytes: 2048 });
    for (let i = 0; i < 60; i++) await store.commit([{ put: "volumes", record: volume(`v${i}`) }]);
    await store.flush();
    const { compactions, checkpointSeq, seq } = store.stats;
    expect(compactions).toBeGreaterThan(0);
    expect(checkpointSeq).toBeGreaterThan(0);
    expect(seq).toBe(60);
    expect((await readCheckpointFile()).seq).toBe(checkpointSeq);
    // Only the segment after the checkpoint is left.
    expect((await listSegments(dir)).map((s) => s.start)).toEqual([checkpointSeq + 1]);
    const reopened = await openStore();
    expect(Object.keys(reopened.state.volumes)).toHaveLength(60);
  });

  it("recovers when a crash hit compaction after the checkpoint was written but before old segments went", async () => {
    const store = await openStore();
    await store.commit([{ put: "volumes", record: volume("a") }]);
    await store.commit([{ put: "volumes", record: volume("b") }]);
    const journal = path.join(dir, JOURNAL_DIR);
    const saved = await Promise.all((await fs.readdir(journal)).map(async (f) => [f, await fs.readFile(path.join(journal, f))] as const));
    await store.compact();
    // Put the sealed segment back, as if deleting it had not happened yet.
    for (const [name, content] of saved) await fs.writeFile(path.join(journal, name), content);
    await store.commit([{ put: "volumes", record: volume("c") }, { delete: "volumes", id: "a" }]);
    const reopened = await openStore();
    expect(Object.keys(reopened.state.volumes).sort()).toEqual(["b", "c"]);
    expect(reopened.stats.seq).toBe(3);
  });

  it("keeps every commit when a compaction fails before its checkpoint lands, and reports why", async () => {
    const store = await openStore();
    await store.commit([{ put: "volumes", record: volume("a") }]);
    // A directory where the checkpoint should go makes its rename fail (after the segment was sealed).
    await fs.mkdir(path.join(dir, STATE_FILE));
    await expect(store.compact()).rejects.toThrow();
    expect(store.stats.lastCompactionError).toBeDefined();
    await store.commit([{ put: "volumes", record: volume("b") }]);
    expect((await fs.readdir(dir)).filter((f) => f.includes(".tmp-"))).toEqual([]);
    await fs.rmdir(path.join(dir, STATE_FILE));
    // No checkpoint at all: both segments replay from the start.
    expect((await listSegments(dir)).length).toBe(2);
    const reopened = await openStore();
    expect(Object.keys(reopened.state.volumes).sort()).toEqual(["a", "b"]);
  });

  it("drops a torn last record at load and rewrites the checkpoint so the tear is gone", async () => {
    const store = await openStore();
    await store.commit([{ put: "volumes", record: volume("a") }]);
    const [segment] = await listSegments(dir);
    await fs.appendFile(segment!.file, '1234abcd {"seq":2,"data":[{"put":"vol');
    const reopened = await openStore();
    expect(Object.keys(reopened.state.volumes)).toEqual(["a"]);
    expect((await readCheckpointFile()).seq).toBe(1);
    await reopened.commit([{ put: "volumes", record: volume("b") }]);
    const again = await openStore();
    expect(Object.keys(again.state.volumes).sort()).toEqual(["a", "b"]);
  });

  it("migrates a version 1 state.json (the old whole-file format) without losing anything", async () => {
    await fs.writeFile(
      path.join(dir, STATE_FILE),
      JSON.stringify({ version: 1, volumes: { v1: volume("v1") }, snapshots: { s1: snapshot("s1", "v1") }, groups: {} }),
    );
    const store = await openStore();
    expect(store.volumeNamed("name-v1")?.id).toBe("v1");
    expect(store.snapshotsOfVolume("v1").map((s) => s.id)).toEqual(["s1"]);
    expect(await readCheckpointFile()).toMatchObject({ version: 2, seq: 0, volumes: { v1: volume("v1") } });
    await store.commit([{ put: "volumes", record: volume("v2") }]);
    await store.close();
    const reopened = await openStore();
    expect(Object.keys(reopened.state.volumes).sort()).toEqual(["v1", "v2"]);
  });

  it("refuses to open a corrupt checkpoint or journal record rather than start empty over it", async () => {
    await fs.writeFile(path.join(dir, STATE_FILE), "{");
    await expect(StateStore.open(dir)).rejects.toThrow(/not valid JSON/);
    await fs.writeFile(path.join(dir, STATE_FILE), JSON.stringify({ version: 1, volumes: [] }));
    await expect(StateStore.open(dir)).rejects.toThrow(/not a hostpath driver state file/);
    await fs.writeFile(path.join(dir, STATE_FILE), JSON.stringify({ version: 2, volumes: {}, snapshots: {}, groups: {} }));
    await expect(StateStore.open(dir)).rejects.toThrow(/not a hostpath driver state file/);
    await fs.rm(path.join(dir, STATE_FILE));
    // A well-formed record whose payload is not a list of changes.
    const { encodeRecord, segmentName } = await import("./journal.js");
    await fs.mkdir(path.join(dir, JOURNAL_DIR));
    await fs.writeFile(path.join(dir, JOURNAL_DIR, segmentName(1)), encodeRecord(1, { put: "volumes" }));
    await expect(StateStore.open(dir)).rejects.toThrow(/not a list of state changes/);
    expect((await fs.readdir(path.join(dir, JOURNAL_DIR))).length).toBe(1);
  });

  it("refuses commits after close", async () => {
    const store = await openStore();
    await store.close();
    await expect(store.commit([{ put: "volumes", record: volume("late") }])).rejects.toThrow(/closed/);
  });
});
