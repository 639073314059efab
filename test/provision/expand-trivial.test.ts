// expand against real CSI drivers over gRPC that cannot expand on the controller: one whose node
// can (external-resizer's trivial resizer: no ControllerExpandVolume, the PV takes the new size and
// the claim waits for the node) and one that can do neither (upstream has no resizer for it).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PersistentVolume, PersistentVolumeClaim } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import { startMiniCsiDriver, type MiniCsiDriver } from "../support/mini-csi-driver.js";
import { ProvisionStack } from "./stack.js";

const NODE_ONLY = "node-expand.csi.test";
const NO_RESIZE = "no-expand.csi.test";

let nodeOnly: MiniCsiDriver;
let noResize: MiniCsiDriver;
let stack: ProvisionStack;

beforeAll(async () => {
  nodeOnly = await startMiniCsiDriver({ name: NODE_ONLY, controller: ["CREATE_DELETE_VOLUME"], node: ["STAGE_UNSTAGE_VOLUME", "EXPAND_VOLUME"] });
  noResize = await startMiniCsiDriver({ name: NO_RESIZE, controller: ["CREATE_DELETE_VOLUME"], node: ["STAGE_UNSTAGE_VOLUME"] });
  stack = new ProvisionStack({ drivers: { [NODE_ONLY]: nodeOnly.endpoint, [NO_RESIZE]: noResize.endpoint } });
  await stack.start();
  await stack.createClass("node-only", { provisioner: NODE_ONLY, allowVolumeExpansion: true });
  await stack.createClass("no-resize", { provisioner: NO_RESIZE, allowVolumeExpansion: true });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await nodeOnly?.close();
  await noResize?.close();
}, 60_000);

async function claim(name: string): Promise<PersistentVolumeClaim> {
  return (await stack.get<PersistentVolumeClaim>("persistentvolumeclaims", name, "default"))!;
}

async function grow(name: string, storage: string): Promise<void> {
  await stack.kube.patch(RESOURCES.persistentvolumeclaims, name, "default", { spec: { resources: { requests: { storage } } } }, "merge");
}

describe("expand: a driver that expands on the node only (trivial resizer)", () => {
  it("a bound claim's PV is raised to the request and the claim waits for the node, with no ControllerExpandVolume", async () => {
    await stack.createClaim("node-grow", { className: "node-only" });
    const { pv } = await stack.bound("node-grow");
    expect(pv.spec.csi?.driver).toBe(NODE_ONLY);
    await grow("node-grow", "2Gi");
    await stack.settle(async () => (await claim("node-grow")).status?.allocatedResourceStatuses?.storage === "NodeResizePending");

    const after = await claim("node-grow");
    const pvAfter = (await stack.get<PersistentVolume>("persistentvolumes", pv.metadata.name!))!;
    expect(pvAfter.spec.capacity).toEqual({ storage: "2Gi" });
    expect(pvAfter.metadata.annotations?.["volume.alpha.kubernetes.io/pre-resize-capacity"]).toBe("1Gi");
    // The claim's capacity is the node's to raise (kubelet, after NodeExpandVolume).
    expect(after.status?.capacity).toEqual({ storage: "1Gi" });
    expect(after.status?.allocatedResources).toEqual({ storage: "2Gi" });
    expect((after.status?.conditions ?? []).map((c) => [c.type, c.status, c.message])).toEqual([
      ["Resizing", "True", undefined],
      ["FileSystemResizePending", "True", "Waiting for user to (re-)start a pod to finish file system resize of volume on node."],
    ]);
    expect(await stack.eventsFor(after.metadata.uid!)).toEqual(
      expect.arrayContaining([
        `Normal Resizing: External resizer is resizing volume ${pv.metadata.name}`,
        "Normal FileSystemResizeRequired: Require file system resize of volume on node",
      ]),
    );
    expect(nodeOnly.calls).toContain("NodeGetCapabilities");
    expect(nodeOnly.calls).not.toContain("ControllerExpandVolume");

    // Settled: later rounds leave the node's step alone and still call nothing.
    await stack.rounds(2);
    expect((await claim("node-grow")).status?.allocatedResourceStatuses).toEqual({ storage: "NodeResizePending" });
    expect(nodeOnly.calls).not.toContain("ControllerExpandVolume");
  });

  // The trivial resizer hands back the claim's request as the new size; on a real API server that
  // request, and the PV capacity written from it, read back as Go's canonical quantity text.
  it("a request spelled '1.5Gi' reads back as '1536Mi' on the claim and on the PV it raised", async () => {
    await stack.createClaim("node-grow-frac", { className: "node-only" });
    const { pv } = await stack.bound("node-grow-frac");
    await grow("node-grow-frac", "1.5Gi");
    await stack.settle(async () => (await claim("node-grow-frac")).status?.allocatedResourceStatuses?.storage === "NodeResizePending");
    const after = await claim("node-grow-frac");
    expect(after.spec.resources?.requests).toEqual({ storage: "1536Mi" });
    expect(after.status?.allocatedResources).toEqual({ storage: "1536Mi" });
    expect((await stack.get<PersistentVolume>("persistentvolumes", pv.metadata.name!))!.spec.capacity).toEqual({ storage: "1536Mi" });
    const resourceVersion = after.metadata.resourceVersion;
    await stack.rounds(2);
    expect((await claim("node-grow-frac")).metadata.resourceVersion).toBe(resourceVersion);
  });
});

describe("expand: a driver that expands neither on the controller nor on the node", () => {
  it("VolumeResizeFailed with upstream's error, nothing grows, nothing is called", async () => {
    await stack.createClaim("never-grows", { className: "no-resize" });
    const { pv } = await stack.bound("never-grows");
    await grow("never-grows", "2Gi");
    await stack.rounds(3);
    const after = await claim("never-grows");
    expect(after.status?.capacity).toEqual({ storage: "1Gi" });
    expect(after.status?.allocatedResourceStatuses).toBeUndefined();
    expect((await stack.get<PersistentVolume>("persistentvolumes", pv.metadata.name!))!.spec.capacity).toEqual({ storage: "1Gi" });
    expect(await stack.eventsFor(after.metadata.uid!)).toContain("Warning VolumeResizeFailed: CSI driver neither supports controller resize nor node resize");
    expect(noResize.calls).not.toContain("ControllerExpandVolume");
  });
});
