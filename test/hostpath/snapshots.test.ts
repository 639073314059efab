// CreateSnapshot / ListSnapshots / GetSnapshot / DeleteSnapshot, restore and clone over gRPC, and
// the data itself: a snapshot holds what the volume held when it was cut, and nothing later.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVolume, expectCode, GiB, startHarness, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const MISSING_VOLUME = "vol-00000000-0000-0000-0000-000000000000";
const MISSING_SNAPSHOT = "snap-00000000-0000-0000-0000-000000000000";

async function snapshot(name: string, sourceVolumeId: string, parameters: Record<string, string> = {}) {
  const res = await h.csi.controller.CreateSnapshot({ name, sourceVolumeId, parameters });
  return res.snapshot!;
}

describe("CreateSnapshot", () => {
  it("cuts a ready snapshot with the source's size and a creation time", async () => {
    const volume = await createVolume(h.csi, "pvc-snap-basic", { capacityRange: { requiredBytes: String(2 * GiB) } });
    const before = BigInt(Date.now()) / 1000n;
    const snap = await snapshot("snapshot-basic", volume.volumeId);
    expect(snap).toMatchObject({ sourceVolumeId: volume.volumeId, sizeBytes: String(2 * GiB), readyToUse: true, groupSnapshotId: "" });
    expect(snap.snapshotId).toMatch(/^snap-/);
    expect(BigInt(snap.creationTime!.seconds)).toBeGreaterThanOrEqual(before);
  });

  it("is idempotent (whatever the parameters), and ALREADY_EXISTS for the same name with another source", async () => {
    const a = await createVolume(h.csi, "pvc-snap-idem-a");
    const b = await createVolume(h.csi, "pvc-snap-idem-b");
    const first = await snapshot("snapshot-idem", a.volumeId, { tier: "gold" });
    const again = await snapshot("snapshot-idem", a.volumeId, { tier: "gold" });
    expect(again).toEqual(first);
    await expectCode(snapshot("snapshot-idem", b.volumeId, { tier: "gold" }), "ALREADY_EXISTS");
    expect(await snapshot("snapshot-idem", a.volumeId, { tier: "silver" })).toEqual(first);
  });

  it("answers concurrent duplicates with one snapshot", async () => {
    const volume = await createVolume(h.csi, "pvc-snap-race");
    await fs.writeFile(path.join(volume.volumeContext.hostPath!, "f"), "x".repeat(100_000));
    const results = await Promise.all([1, 2, 3].map(() => snapshot("snapshot-race", volume.volumeId)));
    expect(new Set(results.map((s) => s.snapshotId)).size).toBe(1);
  });

  it("checks name, then source id, before looking anything up", async () => {
    await expectCode(h.csi.controller.CreateSnapshot({ sourceVolumeId: MISSING_VOLUME }), "INVALID_ARGUMENT");
    await expectCode(h.csi.controller.CreateSnapshot({ name: "snapshot-no-source" }), "INVALID_ARGUMENT");
    await expectCode(h.csi.controller.CreateSnapshot({ name: "s".repeat(129), sourceVolumeId: MISSING_VOLUME }), "INVALID_ARGUMENT");
    await expectCode(snapshot("snapshot-missing-source", MISSING_VOLUME), "NOT_FOUND");
  });
});

describe("snapshot data", () => {
  it("holds what was written before the cut and not what was written after; restore and clone copy it", async () => {
    const volume = await createVolume(h.csi, "pvc-data", { capacityRange: { requiredBytes: String(GiB) } });
    const dir = volume.volumeContext.hostPath!;
    await fs.mkdir(path.join(dir, "sub"));
    await fs.writeFile(path.join(dir, "before.txt"), "written before the snapshot");
    await fs.writeFile(path.join(dir, "sub", "nested.bin"), Buffer.alloc(64 * 1024, 7));
    await fs.symlink("before.txt", path.join(dir, "link"));
    await fs.chmod(path.join(dir, "before.txt"), 0o640);

    const snap = await snapshot("snapshot-data", volume.volumeId);
    await fs.writeFile(path.join(dir, "after.txt"), "written after the snapshot");
    await fs.writeFile(path.join(dir, "before.txt"), "changed after the snapshot");

    const restored = await createVolume(h.csi, "pvc-restored", { volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } });
    expect(restored.contentSource).toEqual({ snapshot: { snapshotId: snap.snapshotId }, type: "snapshot" });
    expect(restored.capacityBytes).toBe(String(GiB));
    const rdir = restored.volumeContext.hostPath!;
    expect(rdir).not.toBe(dir);
    expect(await fs.readFile(path.join(rdir, "before.txt"), "utf8")).toBe("written before the snapshot");
    expect((await fs.stat(path.join(rdir, "before.txt"))).mode & 0o777).toBe(0o640);
    expect(await fs.readFile(path.join(rdir, "sub", "nested.bin"))).toEqual(Buffer.alloc(64 * 1024, 7));
    expect(await fs.readlink(path.join(rdir, "link"))).toBe("before.txt");
    await expect(fs.stat(path.join(rdir, "after.txt"))).rejects.toThrow(/ENOENT/);

    const clone = await createVolume(h.csi, "pvc-clone", { volumeContentSource: { volume: { volumeId: volume.volumeId } } });
    expect(clone.contentSource).toEqual({ volume: { volumeId: volume.volumeId }, type: "volume" });
    const cdir = clone.volumeContext.hostPath!;
    expect(await fs.readFile(path.join(cdir, "after.txt"), "utf8")).toBe("written after the snapshot");
    expect(await fs.readFile(path.join(cdir, "before.txt"), "utf8")).toBe("changed after the snapshot");

    // Copies are independent: writing to the clone or restore leaves the source alone.
    await fs.writeFile(path.join(cdir, "clone-only"), "c");
    await fs.writeFile(path.join(rdir, "before.txt"), "changed in the restore");
    await expect(fs.stat(path.join(dir, "clone-only"))).rejects.toThrow(/ENOENT/);
    expect(await fs.readFile(path.join(dir, "before.txt"), "utf8")).toBe("changed after the snapshot");
    const again = await createVolume(h.csi, "pvc-restored-again", { volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } });
    expect(await fs.readFile(path.join(again.volumeContext.hostPath!, "before.txt"), "utf8")).toBe("written before the snapshot");
  });

  it("stays restorable after its source volume is deleted", async () => {
    const volume = await createVolume(h.csi, "pvc-gone-source");
    await fs.writeFile(path.join(volume.volumeContext.hostPath!, "keep"), "kept");
    const snap = await snapshot("snapshot-gone-source", volume.volumeId);
    await h.csi.controller.DeleteVolume({ volumeId: volume.volumeId });
    const restored = await createVolume(h.csi, "pvc-from-orphan", { volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } });
    expect(await fs.readFile(path.join(restored.volumeContext.hostPath!, "keep"), "utf8")).toBe("kept");
  });

  it("restores larger than the source, refuses smaller (OUT_OF_RANGE), and the same for clones", async () => {
    const volume = await createVolume(h.csi, "pvc-sized", { capacityRange: { requiredBytes: String(2 * GiB) } });
    const snap = await snapshot("snapshot-sized", volume.volumeId);
    const source = { snapshot: { snapshotId: snap.snapshotId } };
    const bigger = await createVolume(h.csi, "pvc-bigger", { volumeContentSource: source, capacityRange: { requiredBytes: String(5 * GiB) } });
    expect(bigger.capacityBytes).toBe(String(5 * GiB));
    await expectCode(createVolume(h.csi, "pvc-smaller", { volumeContentSource: source, capacityRange: { requiredBytes: String(GiB) } }), "OUT_OF_RANGE");
    await expectCode(createVolume(h.csi, "pvc-limited", { volumeContentSource: source, capacityRange: { limitBytes: String(GiB) } }), "OUT_OF_RANGE");
    await expectCode(
      createVolume(h.csi, "pvc-clone-smaller", { volumeContentSource: { volume: { volumeId: volume.volumeId } }, capacityRange: { requiredBytes: String(GiB) } }),
      "OUT_OF_RANGE",
    );
    // A failed create leaves nothing behind.
    const names = (await fs.readdir(path.join(h.dataDir, "staging"))).length;
    expect(names).toBe(0);
  });
});

describe("GetSnapshot and DeleteSnapshot", () => {
  it("gets a snapshot by id, NOT_FOUND once deleted; deleting twice is OK", async () => {
    const volume = await createVolume(h.csi, "pvc-get");
    const snap = await snapshot("snapshot-get", volume.volumeId);
    expect((await h.csi.controller.GetSnapshot({ snapshotId: snap.snapshotId })).snapshot).toEqual(snap);
    await h.csi.controller.DeleteSnapshot({ snapshotId: snap.snapshotId });
    await expectCode(h.csi.controller.GetSnapshot({ snapshotId: snap.snapshotId }), "NOT_FOUND");
    await h.csi.controller.DeleteSnapshot({ snapshotId: snap.snapshotId });
    await h.csi.controller.DeleteSnapshot({ snapshotId: MISSING_SNAPSHOT });
    await expectCode(
      createVolume(h.csi, "pvc-from-deleted", { volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } }),
      "NOT_FOUND",
    );
  });

  it("requires ids", async () => {
    await expectCode(h.csi.controller.GetSnapshot({}), "INVALID_ARGUMENT");
    await expectCode(h.csi.controller.DeleteSnapshot({}), "INVALID_ARGUMENT");
  });
});

describe("ListSnapshots", () => {
  let volumeA: string;
  let volumeB: string;
  const ofA: string[] = [];

  beforeAll(async () => {
    volumeA = (await createVolume(h.csi, "pvc-list-a")).volumeId;
    volumeB = (await createVolume(h.csi, "pvc-list-b")).volumeId;
    for (let i = 0; i < 5; i++) ofA.push((await snapshot(`snapshot-list-a-${i}`, volumeA)).snapshotId);
    await snapshot("snapshot-list-b-0", volumeB);
  });

  it("filters by source volume (all of its snapshots) and by snapshot id", async () => {
    const byVolume = await h.csi.controller.ListSnapshots({ sourceVolumeId: volumeA });
    expect(byVolume.entries.map((e) => e.snapshot!.snapshotId).sort()).toEqual([...ofA].sort());
    expect(byVolume.nextToken).toBe("");
    const byId = await h.csi.controller.ListSnapshots({ snapshotId: ofA[2] });
    expect(byId.entries.map((e) => e.snapshot!.snapshotId)).toEqual([ofA[2]]);
    const both = await h.csi.controller.ListSnapshots({ snapshotId: ofA[2], sourceVolumeId: volumeB });
    expect(both.entries).toEqual([]);
  });

  it("returns an empty list for unknown filters", async () => {
    expect((await h.csi.controller.ListSnapshots({ snapshotId: MISSING_SNAPSHOT })).entries).toEqual([]);
    expect((await h.csi.controller.ListSnapshots({ sourceVolumeId: MISSING_VOLUME })).entries).toEqual([]);
  });

  it("pages with max_entries and next_token, visiting every snapshot once", async () => {
    const all = (await h.csi.controller.ListSnapshots({})).entries.map((e) => e.snapshot!.snapshotId);
    expect(all.length).toBeGreaterThanOrEqual(6);
    const seen: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const page = await h.csi.controller.ListSnapshots({ maxEntries: 2, startingToken: token });
      expect(page.entries.length).toBeLessThanOrEqual(2);
      seen.push(...page.entries.map((e) => e.snapshot!.snapshotId));
      token = page.nextToken;
      pages++;
    } while (token);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));

    const filtered = await h.csi.controller.ListSnapshots({ sourceVolumeId: volumeA, maxEntries: 3 });
    expect(filtered.entries).toHaveLength(3);
    const rest = await h.csi.controller.ListSnapshots({ sourceVolumeId: volumeA, startingToken: filtered.nextToken });
    expect(rest.entries).toHaveLength(2);
    expect(rest.nextToken).toBe("");
  });

  it("keeps paging sensibly when the next entry is deleted between pages", async () => {
    const volume = (await createVolume(h.csi, "pvc-list-churn")).volumeId;
    for (let i = 0; i < 3; i++) await snapshot(`snapshot-churn-${i}`, volume);
    const first = await h.csi.controller.ListSnapshots({ sourceVolumeId: volume, maxEntries: 1 });
    const all = (await h.csi.controller.ListSnapshots({ sourceVolumeId: volume })).entries.map((e) => e.snapshot!.snapshotId);
    await h.csi.controller.DeleteSnapshot({ snapshotId: all[1]! });
    const rest = await h.csi.controller.ListSnapshots({ sourceVolumeId: volume, startingToken: first.nextToken });
    expect(rest.entries.map((e) => e.snapshot!.snapshotId)).toEqual([all[2]]);
  });

  it("is ABORTED for a token it did not issue, INVALID_ARGUMENT for negative max_entries", async () => {
    await expectCode(h.csi.controller.ListSnapshots({ startingToken: "garbage" }), "ABORTED");
    await expectCode(h.csi.controller.ListSnapshots({ startingToken: "12" }), "ABORTED");
    await expectCode(h.csi.controller.ListSnapshots({ startingToken: Buffer.from("hostpath-list-v1:../x").toString("base64url") }), "ABORTED");
    await expectCode(h.csi.controller.ListSnapshots({ maxEntries: -1 }), "INVALID_ARGUMENT");
  });
});
