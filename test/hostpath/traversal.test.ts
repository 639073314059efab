// Ids never become paths unless this driver issued them: traversal attempts, absolute paths, NUL
// bytes, slashes and over-long ids are INVALID_ARGUMENT wherever an id must name something that
// exists, OK for deletes (they name nothing, and the spec answers a delete of what does not exist
// with OK: a pre-provisioned content with a mistyped handle must stay deletable), and nothing
// outside the data dir is read, listed, copied or removed.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVolume, expectCode, startHarness, type Harness } from "./harness.js";

let h: Harness;
let outside: string;
beforeAll(async () => {
  h = await startHarness();
  // A directory beside the data dir that a traversal would reach: it must survive untouched.
  outside = path.join(h.tmp, "outside");
  await fs.mkdir(outside);
  await fs.writeFile(path.join(outside, "secret"), "do not copy");
});
afterAll(async () => {
  await h?.stop();
});

const HOSTILE_IDS = [
  "../outside",
  "../../etc",
  "/etc",
  "/etc/passwd",
  "a/b",
  "vol-x/../../outside",
  "..",
  ".",
  "vol-\u0000",
  "snap\u0000../../x",
  "x".repeat(129),
  "ümlaut",
  " leading-space",
  "back\\slash",
];

describe("hostile ids", () => {
  it.each(HOSTILE_IDS)("%j is INVALID_ARGUMENT everywhere an id must name something", async (id) => {
    const { controller, group } = h.csi;
    await expectCode(controller.ControllerGetVolume({ volumeId: id }), "INVALID_ARGUMENT");
    await expectCode(controller.ValidateVolumeCapabilities({ volumeId: id, volumeCapabilities: [{ mount: {}, accessMode: { mode: "SINGLE_NODE_WRITER" } }] }), "INVALID_ARGUMENT");
    await expectCode(controller.ControllerExpandVolume({ volumeId: id, capacityRange: { requiredBytes: "1" } }), "INVALID_ARGUMENT");
    await expectCode(controller.CreateSnapshot({ name: "snapshot-hostile", sourceVolumeId: id }), "INVALID_ARGUMENT");
    await expectCode(controller.GetSnapshot({ snapshotId: id }), "INVALID_ARGUMENT");
    await expectCode(controller.ListSnapshots({ snapshotId: id }), "INVALID_ARGUMENT");
    await expectCode(controller.ListSnapshots({ sourceVolumeId: id }), "INVALID_ARGUMENT");
    await expectCode(
      controller.CreateVolume({ name: "pvc-hostile", volumeCapabilities: [{ mount: {}, accessMode: { mode: "SINGLE_NODE_WRITER" } }], volumeContentSource: { volume: { volumeId: id } } }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      controller.CreateVolume({ name: "pvc-hostile", volumeCapabilities: [{ mount: {}, accessMode: { mode: "SINGLE_NODE_WRITER" } }], volumeContentSource: { snapshot: { snapshotId: id } } }),
      "INVALID_ARGUMENT",
    );
    await expectCode(group.CreateVolumeGroupSnapshot({ name: "groupsnapshot-hostile", sourceVolumeIds: [id] }), "INVALID_ARGUMENT");
    await expectCode(group.GetVolumeGroupSnapshot({ groupSnapshotId: id, snapshotIds: ["snap-1"] }), "INVALID_ARGUMENT");
    await expectCode(group.GetVolumeGroupSnapshot({ groupSnapshotId: "group-1", snapshotIds: [id] }), "INVALID_ARGUMENT");
  });

  it.each(HOSTILE_IDS)("deleting %j answers OK and touches nothing", async (id) => {
    const { controller, group } = h.csi;
    await controller.DeleteVolume({ volumeId: id });
    await controller.DeleteSnapshot({ snapshotId: id });
    await group.DeleteVolumeGroupSnapshot({ groupSnapshotId: id, snapshotIds: ["snap-1"] });
    await group.DeleteVolumeGroupSnapshot({ groupSnapshotId: "group-1", snapshotIds: [id] });
    expect(await fs.readFile(path.join(outside, "secret"), "utf8")).toBe("do not copy");
  });

  it("still requires the id of a delete", async () => {
    await expectCode(h.csi.controller.DeleteVolume({ volumeId: "" }), "INVALID_ARGUMENT");
    await expectCode(h.csi.controller.DeleteSnapshot({ snapshotId: "" }), "INVALID_ARGUMENT");
    await expectCode(h.csi.group.DeleteVolumeGroupSnapshot({ groupSnapshotId: "", snapshotIds: ["snap-1"] }), "INVALID_ARGUMENT");
  });

  it("treats well-formed ids it never issued as unknown", async () => {
    const foreign = "vol-outside";
    await h.csi.controller.DeleteVolume({ volumeId: foreign });
    await h.csi.controller.DeleteSnapshot({ snapshotId: "outside" });
    await h.csi.group.DeleteVolumeGroupSnapshot({ groupSnapshotId: "outside", snapshotIds: ["outside"] });
    await expectCode(h.csi.controller.ControllerGetVolume({ volumeId: foreign }), "NOT_FOUND");
    await expectCode(h.csi.controller.ValidateVolumeCapabilities({ volumeId: foreign, volumeCapabilities: [{ mount: {}, accessMode: { mode: "SINGLE_NODE_WRITER" } }] }), "NOT_FOUND");
    await expectCode(h.csi.controller.GetSnapshot({ snapshotId: "outside" }), "NOT_FOUND");
    await expectCode(h.csi.controller.CreateSnapshot({ name: "snapshot-foreign", sourceVolumeId: "outside" }), "NOT_FOUND");
    expect((await h.csi.controller.ListSnapshots({ sourceVolumeId: "outside" })).entries).toEqual([]);
  });

  it("left everything outside the data dir untouched and never copied it in", async () => {
    expect(await fs.readFile(path.join(outside, "secret"), "utf8")).toBe("do not copy");
    const volume = await createVolume(h.csi, "pvc-traversal-check");
    expect(await fs.readdir(volume.volumeContext.hostPath!)).toEqual([]);
    expect((await h.csi.controller.ListSnapshots({})).entries).toEqual([]);
  });

  it("accepts a 128-byte name but not 129 bytes of multi-byte characters", async () => {
    const name128 = "é".repeat(64); // 128 bytes in UTF-8
    const volume = await createVolume(h.csi, name128);
    expect(volume.volumeId).toMatch(/^vol-/);
    await expectCode(createVolume(h.csi, `${name128}x`), "INVALID_ARGUMENT");
  });
});
