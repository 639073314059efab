// CreateVolumeGroupSnapshot / GetVolumeGroupSnapshot / DeleteVolumeGroupSnapshot over gRPC: members
// cut at one instant against the driver's own writers, all-or-nothing creation, idempotency, and
// the rules on member snapshots.
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
const MISSING_GROUP = "group-00000000-0000-0000-0000-000000000000";

async function group(name: string, sourceVolumeIds: string[], parameters: Record<string, string> = {}) {
  const res = await h.csi.group.CreateVolumeGroupSnapshot({ name, sourceVolumeIds, parameters });
  return res.groupSnapshot!;
}

async function snapshotDirCount(): Promise<number> {
  return (await fs.readdir(path.join(h.dataDir, "snapshots"))).length;
}

describe("CreateVolumeGroupSnapshot", () => {
  it("cuts every member at one instant against writers that go through the driver", async () => {
    const a = await createVolume(h.csi, "pvc-group-a");
    const b = await createVolume(h.csi, "pvc-group-b");
    const dirA = a.volumeContext.hostPath!;
    const dirB = b.volumeContext.hostPath!;
    // Bulk so that copying the members takes a while and the writer gets many chances to interleave.
    for (let i = 0; i < 300; i++) {
      await fs.writeFile(path.join(dirA, `bulk-${i}`), Buffer.alloc(4096, i % 256));
      await fs.writeFile(path.join(dirB, `bulk-${i}`), Buffer.alloc(4096, i % 256));
    }

    // A "database" that writes one record to both volumes per transaction, through the driver's locks.
    let stop = false;
    let transactions = 0;
    const writer = (async () => {
      while (!stop) {
        await h.driver.withVolumesLocked([a.volumeId, b.volumeId], async () => {
          await fs.appendFile(path.join(dirA, "journal"), `${transactions}\n`);
          await fs.appendFile(path.join(dirB, "journal"), `${transactions}\n`);
          transactions++;
        });
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    while (transactions < 20) await new Promise((resolve) => setTimeout(resolve, 1));
    const cut = await group("groupsnapshot-consistent", [a.volumeId, b.volumeId]);
    const afterCut = transactions;
    stop = true;
    await writer;

    expect(cut.readyToUse).toBe(true);
    expect(cut.snapshots).toHaveLength(2);
    expect(cut.snapshots.map((s) => s.sourceVolumeId)).toEqual([a.volumeId, b.volumeId]);
    for (const member of cut.snapshots) {
      expect(member.groupSnapshotId).toBe(cut.groupSnapshotId);
      expect(member.creationTime).toEqual(cut.creationTime);
      expect(member.readyToUse).toBe(true);
    }

    // Each member is usable on its own as a restore source.
    const journals: string[] = [];
    for (const member of cut.snapshots) {
      const restored = await createVolume(h.csi, `pvc-restore-${member.snapshotId}`, {
        volumeContentSource: { snapshot: { snapshotId: member.snapshotId } },
      });
      journals.push(await fs.readFile(path.join(restored.volumeContext.hostPath!, "journal"), "utf8"));
    }
    const records = journals[0]!.trim().split("\n");
    expect(records.length).toBeGreaterThanOrEqual(20);
    expect(records.length).toBeLessThanOrEqual(afterCut);
    expect(journals[1]).toBe(journals[0]);
  });

  it("is idempotent by name; ALREADY_EXISTS with other volumes or parameters", async () => {
    const a = await createVolume(h.csi, "pvc-gidem-a");
    const b = await createVolume(h.csi, "pvc-gidem-b");
    const c = await createVolume(h.csi, "pvc-gidem-c");
    const first = await group("groupsnapshot-idem", [a.volumeId, b.volumeId], { p: "1" });
    const again = await group("groupsnapshot-idem", [b.volumeId, a.volumeId], { p: "1" });
    expect(again.groupSnapshotId).toBe(first.groupSnapshotId);
    expect(again.snapshots.map((s) => s.snapshotId).sort()).toEqual(first.snapshots.map((s) => s.snapshotId).sort());
    await expectCode(group("groupsnapshot-idem", [a.volumeId, c.volumeId], { p: "1" }), "ALREADY_EXISTS");
    await expectCode(group("groupsnapshot-idem", [a.volumeId, b.volumeId], { p: "2" }), "ALREADY_EXISTS");
  });

  it("is all or nothing: a missing member fails the call and leaves no snapshot behind", async () => {
    const a = await createVolume(h.csi, "pvc-gpartial-a");
    await fs.writeFile(path.join(a.volumeContext.hostPath!, "data"), "x");
    const listed = (await h.csi.controller.ListSnapshots({})).entries.length;
    const dirs = await snapshotDirCount();
    await expectCode(group("groupsnapshot-partial", [a.volumeId, MISSING_VOLUME]), "NOT_FOUND");
    expect((await h.csi.controller.ListSnapshots({})).entries.length).toBe(listed);
    expect(await snapshotDirCount()).toBe(dirs);
    expect(await fs.readdir(path.join(h.dataDir, "staging"))).toEqual([]);
    // The name is still free for a correct request.
    const ok = await group("groupsnapshot-partial", [a.volumeId]);
    expect(ok.snapshots).toHaveLength(1);
  });

  it("checks required fields first", async () => {
    const a = await createVolume(h.csi, "pvc-greq");
    await expectCode(h.csi.group.CreateVolumeGroupSnapshot({ sourceVolumeIds: [a.volumeId] }), "INVALID_ARGUMENT");
    await expectCode(h.csi.group.CreateVolumeGroupSnapshot({ name: "groupsnapshot-empty" }), "INVALID_ARGUMENT");
    await expectCode(group("groupsnapshot-dup", [a.volumeId, a.volumeId]), "INVALID_ARGUMENT");
    await expectCode(group("groupsnapshot-bad-id", [a.volumeId, "../escape"]), "INVALID_ARGUMENT");
  });
});

describe("member snapshots", () => {
  it("cannot be deleted on their own; the group delete removes them all", async () => {
    const a = await createVolume(h.csi, "pvc-gdel-a", { capacityRange: { requiredBytes: String(GiB) } });
    const b = await createVolume(h.csi, "pvc-gdel-b", { capacityRange: { requiredBytes: String(2 * GiB) } });
    const g = await group("groupsnapshot-del", [a.volumeId, b.volumeId]);
    const ids = g.snapshots.map((s) => s.snapshotId);
    expect(g.snapshots.map((s) => s.sizeBytes)).toEqual([String(GiB), String(2 * GiB)]);

    await expectCode(h.csi.controller.DeleteSnapshot({ snapshotId: ids[0] }), "INVALID_ARGUMENT");
    const member = (await h.csi.controller.GetSnapshot({ snapshotId: ids[0] })).snapshot!;
    expect(member.groupSnapshotId).toBe(g.groupSnapshotId);
    const listed = await h.csi.controller.ListSnapshots({ snapshotId: ids[1] });
    expect(listed.entries[0]?.snapshot?.groupSnapshotId).toBe(g.groupSnapshotId);

    await expectCode(h.csi.group.DeleteVolumeGroupSnapshot({ groupSnapshotId: g.groupSnapshotId, snapshotIds: [ids[0]!] }), "INVALID_ARGUMENT");
    await h.csi.group.DeleteVolumeGroupSnapshot({ groupSnapshotId: g.groupSnapshotId, snapshotIds: [...ids].reverse() });
    for (const id of ids) {
      await expectCode(h.csi.controller.GetSnapshot({ snapshotId: id }), "NOT_FOUND");
      await expect(fs.stat(path.join(h.dataDir, "snapshots", id))).rejects.toThrow(/ENOENT/);
    }
    await expectCode(h.csi.group.GetVolumeGroupSnapshot({ groupSnapshotId: g.groupSnapshotId, snapshotIds: ids }), "NOT_FOUND");
    // Deleting what is gone is OK.
    await h.csi.group.DeleteVolumeGroupSnapshot({ groupSnapshotId: g.groupSnapshotId, snapshotIds: ids });
    await h.csi.group.DeleteVolumeGroupSnapshot({ groupSnapshotId: MISSING_GROUP, snapshotIds: ids });
  });
});

describe("GetVolumeGroupSnapshot", () => {
  it("returns the group; INVALID_ARGUMENT on member mismatch; NOT_FOUND for an unknown group", async () => {
    const a = await createVolume(h.csi, "pvc-gget-a");
    const b = await createVolume(h.csi, "pvc-gget-b");
    const g = await group("groupsnapshot-get", [a.volumeId, b.volumeId]);
    const ids = g.snapshots.map((s) => s.snapshotId);
    const got = await h.csi.group.GetVolumeGroupSnapshot({ groupSnapshotId: g.groupSnapshotId, snapshotIds: ids });
    expect(got.groupSnapshot).toEqual(g);
    await expectCode(h.csi.group.GetVolumeGroupSnapshot({ groupSnapshotId: g.groupSnapshotId, snapshotIds: [ids[0]!] }), "INVALID_ARGUMENT");
    await expectCode(h.csi.group.GetVolumeGroupSnapshot({ groupSnapshotId: g.groupSnapshotId }), "INVALID_ARGUMENT");
    await expectCode(h.csi.group.GetVolumeGroupSnapshot({ snapshotIds: ids }), "INVALID_ARGUMENT");
    await expectCode(h.csi.group.GetVolumeGroupSnapshot({ groupSnapshotId: MISSING_GROUP, snapshotIds: ids }), "NOT_FOUND");
  });
});
