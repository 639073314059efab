// Found by `npm run chaos:provision`: a restore claim deleted while its CreateVolume's outcome is
// unknown still leaks its volume when the snapshot it restores from is deleted before provision has
// answered the claim's "deleted" event (in the chaos run: the event was in flight when `snapflow up`
// was killed, and came back after JetStream's 30 s ack wait, by when the snapshot was gone).
// provision's deleted-claim check must send the same CreateVolume again, which needs the snapshot's
// handle; once the snapshot is being deleted (and, as upstream's snapshot-controller does, the
// content and backend snapshot are deleted as soon as no *Pending* claim restores from it) the
// request can no longer be rebuilt, the check requeues until the delivery limit dead-letters it, and
// the volume stays on the driver. Pinned with it.fails: this test starts failing (and must become a
// plain `it`) once the leak is fixed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PersistentVolumeClaim } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import type { VolumeSnapshot, VolumeSnapshotClass } from "../../shared/api/snapshot.js";
import { startMiniCsiDriver, type MiniCsiDriver } from "../support/mini-csi-driver.js";
import { ProvisionStack } from "./stack.js";

const SLOW = "slow-restore.csi.test";
/** The driver makes a volume in this long; the gateway gives up on the call much sooner. */
const DRIVER_MS = 1500;
const GATEWAY_TIMEOUT_SECONDS = 0.4;

let driver: MiniCsiDriver;
let stack: ProvisionStack;

beforeAll(async () => {
  driver = await startMiniCsiDriver({ name: SLOW, controller: ["CREATE_DELETE_VOLUME", "CREATE_DELETE_SNAPSHOT"] });
  stack = new ProvisionStack({ drivers: { [SLOW]: { address: driver.endpoint, timeoutSeconds: GATEWAY_TIMEOUT_SECONDS } } });
  await stack.start();
  await stack.createClass("quick", { provisioner: SLOW });
  await stack.createClass("slow", { provisioner: SLOW, parameters: { delayMs: String(DRIVER_MS) } });
  await stack.kube.create<VolumeSnapshotClass>(RESOURCES.volumesnapshotclasses, {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotClass",
    metadata: { name: "slow-snap" },
    driver: SLOW,
    deletionPolicy: "Delete",
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await driver?.close();
}, 60_000);

async function until(what: string, done: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("provision: a restore claim deleted while its CreateVolume's outcome is unknown, its snapshot deleted too", () => {
  it.fails("KNOWN LEAK: the volume is left on the driver once the snapshot is gone before the deleted claim is checked", async () => {
    await stack.createClaim("src", { className: "quick" });
    await stack.bound("src");
    await stack.kube.create<VolumeSnapshot>(RESOURCES.volumesnapshots, {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshot",
      metadata: { name: "snap", namespace: "default" },
      spec: { volumeSnapshotClassName: "slow-snap", source: { persistentVolumeClaimName: "src" } },
    });
    await stack.settle(async () => (await stack.get<VolumeSnapshot>("volumesnapshots", "snap", "default"))?.status?.readyToUse === true);

    const pvc = await stack.createClaim("restore", { className: "slow", dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "snap" } });
    const volumeId = `vol-pvc-${pvc.metadata.uid}`;
    // provision's CreateVolume outlives the gateway's deadline (a requeue), but the driver makes the volume.
    await stack.round();
    await until("the driver to make the volume", () => driver.volumes().includes(volumeId));
    const last = (await stack.get<PersistentVolumeClaim>("persistentvolumeclaims", "restore", "default"))!;
    expect(last.status?.phase ?? "Pending").toBe("Pending");

    // The claim and its snapshot are deleted before provision answers the claim's deleted event.
    await stack.kube.delete(RESOURCES.persistentvolumeclaims, "restore", "default");
    await stack.kube.delete(RESOURCES.volumesnapshots, "snap", "default");
    await stack.settle(async () => (await stack.get("persistentvolumeclaims", "restore", "default")) === undefined);
    // The dispatcher redelivers a requeued deleted event: do the same while the snapshot goes.
    for (let i = 0; i < 6; i++) {
      await stack.round();
      await stack.deliver("persistentvolumeclaims", last, "deleted");
    }
    expect(await stack.get("volumesnapshots", "snap", "default")).toBeUndefined();
    // Today every redelivery answers requeue ("cannot rebuild the CreateVolume request of deleted
    // claim default/restore: ... snap: object is gone") and the volume stays.
    expect(driver.volumes()).not.toContain(volumeId);
  }, 60_000);
});
