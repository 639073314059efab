// Many calls on one source at once: restores, clones and snapshots only read their source and share
// it; writers of the source (DeleteSnapshot, DeleteVolume, embedders' withVolumesLocked) wait for
// them and keep them out. Everything acknowledged survives a restart.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { ServiceError } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { statusName } from "../../shared/csi/load.js";
import { createVolume, startHarness, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe("concurrent calls on one source", () => {
  it("restores 48 volumes from one snapshot at once; a delete racing them never pulls the data from under one", async () => {
    h = await startHarness();
    const csi = h.csi;
    const volume = await createVolume(csi, "pvc-source");
    await fs.writeFile(path.join(volume.volumeContext.hostPath!, "data"), "cut");
    const snap = (await csi.controller.CreateSnapshot({ name: "snapshot-shared", sourceVolumeId: volume.volumeId })).snapshot!;

    const restores = Array.from({ length: 48 }, (_, i) =>
      createVolume(csi, `pvc-restore-${i}`, { volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } }),
    );
    // Sent after the restores: those holding the snapshot (shared) finish first; any that reach the
    // driver after the delete find the snapshot gone (NOT_FOUND), never a half-removed copy.
    const deleted = csi.controller.DeleteSnapshot({ snapshotId: snap.snapshotId });
    const outcomes = await Promise.allSettled(restores);
    await deleted;

    const restored = outcomes.flatMap((o, i) => (o.status === "fulfilled" ? [{ i, volume: o.value }] : []));
    for (const o of outcomes) if (o.status === "rejected") expect(statusName((o.reason as ServiceError).code)).toBe("NOT_FOUND");
    expect(restored.length).toBeGreaterThan(0);
    expect(new Set(restored.map((r) => r.volume.volumeId)).size).toBe(restored.length);
    for (const { volume: v } of restored) {
      expect(v.contentSource).toMatchObject({ snapshot: { snapshotId: snap.snapshotId } });
      expect(await fs.readFile(path.join(v.volumeContext.hostPath!, "data"), "utf8")).toBe("cut");
    }
    expect((await csi.controller.ListSnapshots({ snapshotId: snap.snapshotId })).entries).toEqual([]);

    await h.stopDriver();
    await h.restartDriver();
    for (const { i, volume: v } of restored) {
      // The snapshot is gone, but each acknowledged restore is still there under its name.
      const again = await createVolume(h.csi, `pvc-restore-${i}`, { volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } });
      expect(again.volumeId).toBe(v.volumeId);
    }
  });

  it("keeps snapshots and clones of a volume out while a writer holds it, and lets other volumes through", async () => {
    h = await startHarness();
    const csi = h.csi;
    const busy = await createVolume(csi, "pvc-busy");
    const other = await createVolume(csi, "pvc-other");
    const file = path.join(busy.volumeContext.hostPath!, "state");
    await fs.writeFile(file, "before");

    let finishedWhileLocked = false;
    let snapshotOfBusy: Promise<unknown> | undefined;
    let cloneOfBusy: Promise<unknown> | undefined;
    await h.driver.withVolumesLocked([busy.volumeId], async () => {
      snapshotOfBusy = csi.controller.CreateSnapshot({ name: "snapshot-of-busy", sourceVolumeId: busy.volumeId });
      cloneOfBusy = createVolume(csi, "pvc-clone-of-busy", { volumeContentSource: { volume: { volumeId: busy.volumeId } } });
      void Promise.race([snapshotOfBusy, cloneOfBusy]).then(() => (finishedWhileLocked = true));
      // Readers of another volume are not held up by this writer.
      await csi.controller.CreateSnapshot({ name: "snapshot-of-other", sourceVolumeId: other.volumeId });
      await createVolume(csi, "pvc-clone-of-other", { volumeContentSource: { volume: { volumeId: other.volumeId } } });
      await fs.writeFile(file, "after");
    });
    expect(finishedWhileLocked).toBe(false);
    const snap = ((await snapshotOfBusy) as { snapshot: { snapshotId: string } }).snapshot;
    const clone = (await cloneOfBusy) as { volumeContext: { hostPath: string } };
    // Both started only after the writer was done: they hold its whole write.
    expect(await fs.readFile(path.join(clone.volumeContext.hostPath, "state"), "utf8")).toBe("after");
    const restored = await createVolume(csi, "pvc-from-busy-snapshot", { volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } });
    expect(await fs.readFile(path.join(restored.volumeContext.hostPath!, "state"), "utf8")).toBe("after");
  });
});
