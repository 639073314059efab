// Restart durability: a new driver on the same data dir knows everything the old one acknowledged,
// and what a crash leaves half done (staging copies, unrecorded directories) is swept, never served.
import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HostpathDriver } from "../../infra/hostpath/driver.js";
import { serveCsi } from "../../infra/hostpath/server.js";
import { createVolume, expectCode, GiB, startHarness, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe("restart", () => {
  it("keeps volumes, snapshots, groups, sizes and data across a stop and start on the same dir", async () => {
    h = await startHarness();
    const volume = await createVolume(h.csi, "pvc-durable", { capacityRange: { requiredBytes: String(GiB) }, parameters: { k: "v" } });
    await fs.writeFile(path.join(volume.volumeContext.hostPath!, "file"), "persisted");
    await h.csi.controller.ControllerExpandVolume({ volumeId: volume.volumeId, capacityRange: { requiredBytes: String(4 * GiB) } });
    const snap = (await h.csi.controller.CreateSnapshot({ name: "snapshot-durable", sourceVolumeId: volume.volumeId })).snapshot!;
    const other = await createVolume(h.csi, "pvc-durable-2");
    const group = (await h.csi.group.CreateVolumeGroupSnapshot({ name: "groupsnapshot-durable", sourceVolumeIds: [volume.volumeId, other.volumeId] }))
      .groupSnapshot!;
    const socket = h.endpoint.slice("unix://".length);

    await h.stopDriver();
    await expect(fs.stat(socket)).rejects.toThrow(/ENOENT/);
    await h.restartDriver();

    // Idempotent creates find the same objects again.
    const volumeAgain = await createVolume(h.csi, "pvc-durable", { capacityRange: { requiredBytes: String(GiB) }, parameters: { k: "v" } });
    expect(volumeAgain.volumeId).toBe(volume.volumeId);
    expect(volumeAgain.capacityBytes).toBe(String(4 * GiB));
    const snapAgain = (await h.csi.controller.CreateSnapshot({ name: "snapshot-durable", sourceVolumeId: volume.volumeId })).snapshot!;
    expect(snapAgain).toEqual(snap);
    const groupAgain = await h.csi.group.GetVolumeGroupSnapshot({
      groupSnapshotId: group.groupSnapshotId,
      snapshotIds: group.snapshots.map((s) => s.snapshotId),
    });
    expect(groupAgain.groupSnapshot).toEqual(group);
    expect((await h.csi.controller.ListSnapshots({})).entries).toHaveLength(3);

    const restored = await createVolume(h.csi, "pvc-after-restart", { volumeContentSource: { snapshot: { snapshotId: snap.snapshotId } } });
    expect(await fs.readFile(path.join(restored.volumeContext.hostPath!, "file"), "utf8")).toBe("persisted");
    await expectCode(h.csi.controller.DeleteSnapshot({ snapshotId: group.snapshots[0]!.snapshotId }), "INVALID_ARGUMENT");
  });

  it("sweeps a crashed copy and unrecorded directories at start, and never lists them", async () => {
    h = await startHarness();
    const volume = await createVolume(h.csi, "pvc-crash");
    await h.stopDriver();

    // What a crash in the middle of a snapshot or a delete leaves behind.
    const halfCopy = path.join(h.dataDir, "staging", "stage-11111111-1111-4111-8111-111111111111");
    await fs.mkdir(halfCopy);
    await fs.writeFile(path.join(halfCopy, "partial"), "half");
    const unrecordedSnapshot = path.join(h.dataDir, "snapshots", "snap-22222222-2222-4222-8222-222222222222");
    await fs.mkdir(unrecordedSnapshot);
    const unrecordedVolume = path.join(h.dataDir, "volumes", "vol-33333333-3333-4333-8333-333333333333");
    await fs.mkdir(unrecordedVolume);
    await fs.writeFile(path.join(h.dataDir, "state.json.tmp-abcdef"), "{ torn");

    await h.restartDriver();
    await expect(fs.stat(halfCopy)).rejects.toThrow(/ENOENT/);
    await expect(fs.stat(unrecordedSnapshot)).rejects.toThrow(/ENOENT/);
    await expect(fs.stat(unrecordedVolume)).rejects.toThrow(/ENOENT/);
    await expect(fs.stat(path.join(h.dataDir, "state.json.tmp-abcdef"))).rejects.toThrow(/ENOENT/);
    expect((await h.csi.controller.ListSnapshots({})).entries).toEqual([]);
    expect((await h.csi.controller.ControllerGetVolume({ volumeId: volume.volumeId })).volume?.volumeId).toBe(volume.volumeId);
    expect((await fs.stat(volume.volumeContext.hostPath!)).isDirectory()).toBe(true);
  });

  it("refuses to start over a state file it cannot read, and loses nothing", async () => {
    h = await startHarness();
    await createVolume(h.csi, "pvc-keep");
    await h.stopDriver();
    const stateFile = path.join(h.dataDir, "state.json");
    const good = await fs.readFile(stateFile, "utf8");
    await fs.writeFile(stateFile, good.slice(0, good.length / 2));
    await expect(HostpathDriver.open({ dataDir: h.dataDir })).rejects.toThrow(/not valid JSON/);
    await fs.writeFile(stateFile, JSON.stringify({ version: 99 }));
    await expect(HostpathDriver.open({ dataDir: h.dataDir })).rejects.toThrow(/not a hostpath driver state file/);
    expect((await fs.readdir(path.join(h.dataDir, "volumes"))).length).toBe(1);
    await fs.writeFile(stateFile, good);
    await h.restartDriver();
    expect((await createVolume(h.csi, "pvc-keep")).volumeId).toMatch(/^vol-/);
    expect((await fs.readdir(path.join(h.dataDir, "volumes"))).length).toBe(1);
  });

  it("unlinks a stale socket left by a killed process, but will not steal a live one or replace a file", async () => {
    h = await startHarness();
    const socket = h.endpoint.slice("unix://".length);
    const other = await HostpathDriver.open({ dataDir: path.join(h.tmp, "other") });
    await expect(serveCsi(other, h.endpoint)).rejects.toThrow(/in use/);
    await h.stopDriver();

    // A process that dies by SIGKILL leaves its socket file behind.
    const child = spawn(process.execPath, ["-e", "require('net').createServer().listen(process.argv[1], () => console.log('up'))", socket], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect((await fs.lstat(socket)).isSocket()).toBe(true);
    await h.restartDriver();
    expect((await h.csi.identity.Probe({})).ready).toEqual({ value: true });

    const notASocket = path.join(h.tmp, "file.sock");
    await fs.writeFile(notASocket, "precious");
    await expect(serveCsi(other, `unix://${notASocket}`)).rejects.toThrow(/not a socket/);
    expect(await fs.readFile(notASocket, "utf8")).toBe("precious");
    await expect(serveCsi(other, "tcp://127.0.0.1:1")).rejects.toThrow(/unix:\/\/\/absolute/);
    await other.close();
  });

  it("refuses a second driver on a data dir in use, and allows it once the first has stopped", async () => {
    h = await startHarness();
    await expect(HostpathDriver.open({ dataDir: h.dataDir })).rejects.toThrow(/already served/);
    await h.stopDriver();
    const second = await HostpathDriver.open({ dataDir: h.dataDir });
    await second.close();
  });
});
