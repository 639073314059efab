// CreateVolume / DeleteVolume / ControllerExpandVolume / ControllerGetVolume over gRPC, from the
// CSI spec's rules: required fields first, idempotency by name, NOT_FOUND, OUT_OF_RANGE.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVolume, expectCode, GiB, MOUNT_RWO, startHarness, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

describe("identity", () => {
  it("reports the plugin name, controller and group controller services, and online expansion", async () => {
    const info = await h.csi.identity.GetPluginInfo({});
    expect(info.name).toBe("hostpath.snapflow.dev");
    expect(info.vendorVersion).not.toBe("");
    const caps = await h.csi.identity.GetPluginCapabilities({});
    expect(caps.capabilities.map((c) => c.service?.type ?? c.volumeExpansion?.type)).toEqual([
      "CONTROLLER_SERVICE",
      "GROUP_CONTROLLER_SERVICE",
      "ONLINE",
    ]);
    expect((await h.csi.identity.Probe({})).ready).toEqual({ value: true });
  });

  it("advertises the controller and group controller capabilities", async () => {
    const controller = await h.csi.controller.ControllerGetCapabilities({});
    expect(controller.capabilities.map((c) => c.rpc?.type).sort()).toEqual(
      ["CLONE_VOLUME", "CREATE_DELETE_SNAPSHOT", "CREATE_DELETE_VOLUME", "EXPAND_VOLUME", "GET_SNAPSHOT", "GET_VOLUME", "LIST_SNAPSHOTS"],
    );
    const group = await h.csi.group.GroupControllerGetCapabilities({});
    expect(group.capabilities.map((c) => c.rpc?.type)).toEqual(["CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT"]);
  });
});

describe("CreateVolume", () => {
  it("creates a directory volume of exactly the requested size, with hostPath in the context", async () => {
    const volume = await createVolume(h.csi, "pvc-exact", { capacityRange: { requiredBytes: String(3 * GiB) } });
    expect(volume.capacityBytes).toBe(String(3 * GiB));
    expect(volume.volumeId).toMatch(/^vol-/);
    expect(volume.contentSource).toBeNull();
    const hostPath = volume.volumeContext.hostPath!;
    expect(path.isAbsolute(hostPath)).toBe(true);
    expect(hostPath.startsWith(h.dataDir + path.sep)).toBe(true);
    expect((await fs.stat(hostPath)).isDirectory()).toBe(true);
  });

  it("is idempotent: the same name and arguments return the same volume", async () => {
    const first = await createVolume(h.csi, "pvc-same", { capacityRange: { requiredBytes: String(GiB) }, parameters: { a: "1" } });
    const second = await createVolume(h.csi, "pvc-same", { capacityRange: { requiredBytes: String(GiB) }, parameters: { a: "1" } });
    expect(second).toEqual(first);
  });

  it("answers concurrent duplicates with one volume", async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => createVolume(h.csi, "pvc-race", { capacityRange: { requiredBytes: String(GiB) } })),
    );
    expect(new Set(results.map((v) => v.volumeId)).size).toBe(1);
  });

  it("is ALREADY_EXISTS for the same name with another size, parameters or source", async () => {
    await createVolume(h.csi, "pvc-taken", { capacityRange: { requiredBytes: String(GiB) }, parameters: { a: "1" } });
    await expectCode(createVolume(h.csi, "pvc-taken", { capacityRange: { requiredBytes: String(2 * GiB) }, parameters: { a: "1" } }), "ALREADY_EXISTS");
    await expectCode(createVolume(h.csi, "pvc-taken", { capacityRange: { requiredBytes: String(GiB) }, parameters: { a: "2" } }), "ALREADY_EXISTS");
    const other = await createVolume(h.csi, "pvc-taken-src");
    await expectCode(
      createVolume(h.csi, "pvc-taken", {
        capacityRange: { requiredBytes: String(GiB) },
        parameters: { a: "1" },
        volumeContentSource: { volume: { volumeId: other.volumeId } },
      }),
      "ALREADY_EXISTS",
    );
  });

  it("checks required fields before anything else", async () => {
    await expectCode(h.csi.controller.CreateVolume({ volumeCapabilities: [MOUNT_RWO] }), "INVALID_ARGUMENT");
    await expectCode(h.csi.controller.CreateVolume({ name: "no-caps" }), "INVALID_ARGUMENT");
    // A missing source would be NOT_FOUND; the missing name must win.
    await expectCode(
      h.csi.controller.CreateVolume({ volumeCapabilities: [MOUNT_RWO], volumeContentSource: { snapshot: { snapshotId: "snap-nope" } } }),
      "INVALID_ARGUMENT",
    );
  });

  it("rejects malformed capabilities, ranges, names and maps", async () => {
    const bad = async (req: Parameters<typeof h.csi.controller.CreateVolume>[0]) =>
      expectCode(h.csi.controller.CreateVolume({ name: "pvc-bad", volumeCapabilities: [MOUNT_RWO], ...req }), "INVALID_ARGUMENT");
    await bad({ volumeCapabilities: [{ accessMode: { mode: "SINGLE_NODE_WRITER" } }] });
    await bad({ volumeCapabilities: [{ block: {}, accessMode: { mode: "SINGLE_NODE_WRITER" } }] });
    await bad({ volumeCapabilities: [{ mount: {} }] });
    await bad({ capacityRange: { requiredBytes: "-1" } });
    await bad({ capacityRange: { requiredBytes: String(2 * GiB), limitBytes: String(GiB) } });
    await bad({ name: "x".repeat(129) });
    await bad({ name: "bad\u0001name" });
    await bad({ parameters: { big: "v".repeat(5000) } });
    await bad({ mutableParameters: { iops: "100" } });
    await bad({ volumeContentSource: {} });
  });

  it("accepts a name of exactly 128 bytes", async () => {
    const volume = await createVolume(h.csi, "n".repeat(128));
    expect(volume.volumeId).toMatch(/^vol-/);
  });

  it("is NOT_FOUND for a missing source snapshot or volume", async () => {
    await expectCode(createVolume(h.csi, "pvc-from-missing-snap", { volumeContentSource: { snapshot: { snapshotId: "snap-00000000-0000-0000-0000-000000000000" } } }), "NOT_FOUND");
    await expectCode(createVolume(h.csi, "pvc-from-missing-vol", { volumeContentSource: { volume: { volumeId: "vol-00000000-0000-0000-0000-000000000000" } } }), "NOT_FOUND");
    await expectCode(createVolume(h.csi, "pvc-from-foreign", { volumeContentSource: { volume: { volumeId: "some-other-driver-id" } } }), "NOT_FOUND");
  });
});

describe("DeleteVolume", () => {
  it("removes the directory, and deleting again (or an unknown id) is OK", async () => {
    const volume = await createVolume(h.csi, "pvc-delete");
    const dir = volume.volumeContext.hostPath!;
    await h.csi.controller.DeleteVolume({ volumeId: volume.volumeId });
    await expect(fs.stat(dir)).rejects.toThrow(/ENOENT/);
    await h.csi.controller.DeleteVolume({ volumeId: volume.volumeId });
    await h.csi.controller.DeleteVolume({ volumeId: "vol-00000000-0000-0000-0000-000000000000" });
    await expectCode(h.csi.controller.ControllerGetVolume({ volumeId: volume.volumeId }), "NOT_FOUND");
  });

  it("requires a volume id", async () => {
    await expectCode(h.csi.controller.DeleteVolume({}), "INVALID_ARGUMENT");
  });
});

describe("ControllerExpandVolume", () => {
  it("grows to exactly the requested size and needs no node step", async () => {
    const volume = await createVolume(h.csi, "pvc-grow", { capacityRange: { requiredBytes: String(GiB) } });
    const requested = 2 * GiB + 12345;
    const res = await h.csi.controller.ControllerExpandVolume({ volumeId: volume.volumeId, capacityRange: { requiredBytes: String(requested) } });
    expect(res).toEqual({ capacityBytes: String(requested), nodeExpansionRequired: false });
    const got = await h.csi.controller.ControllerGetVolume({ volumeId: volume.volumeId });
    expect(got.volume?.capacityBytes).toBe(String(requested));
  });

  it("is OK with the current size when the volume is already big enough", async () => {
    const volume = await createVolume(h.csi, "pvc-big", { capacityRange: { requiredBytes: String(3 * GiB) } });
    const res = await h.csi.controller.ControllerExpandVolume({ volumeId: volume.volumeId, capacityRange: { requiredBytes: String(GiB) } });
    expect(res.capacityBytes).toBe(String(3 * GiB));
    await expectCode(
      h.csi.controller.ControllerExpandVolume({ volumeId: volume.volumeId, capacityRange: { requiredBytes: String(GiB), limitBytes: String(2 * GiB) } }),
      "OUT_OF_RANGE",
    );
  });

  it("checks volume id and capacity range before looking the volume up", async () => {
    await expectCode(h.csi.controller.ControllerExpandVolume({ capacityRange: { requiredBytes: "1" } }), "INVALID_ARGUMENT");
    await expectCode(h.csi.controller.ControllerExpandVolume({ volumeId: "vol-00000000-0000-0000-0000-000000000000" }), "INVALID_ARGUMENT");
    await expectCode(
      h.csi.controller.ControllerExpandVolume({ volumeId: "vol-00000000-0000-0000-0000-000000000000", capacityRange: { requiredBytes: "-5" } }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      h.csi.controller.ControllerExpandVolume({ volumeId: "vol-00000000-0000-0000-0000-000000000000", capacityRange: { requiredBytes: String(GiB) } }),
      "NOT_FOUND",
    );
  });
});
