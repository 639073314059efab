// Table-driven, against a real CSI gRPC server: does CreateVolume carry accessibility_requirements?
// Spec (reference/csi/spec.md, CreateVolumeRequest.accessibility_requirements): "This field SHALL NOT
// be specified unless the SP has the VOLUME_ACCESSIBILITY_CONSTRAINTS plugin capability." The
// gateway is the CO here; external-provisioner likewise only computes topology for such drivers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreateVolumeRequest } from "../../../../shared/gateway/types.js";
import { startMiniCsiDriver, type MiniCsiDriver } from "../../../../test/support/mini-csi-driver.js";
import { CsiBackend } from "./backend.js";

const fs = [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" as const }];
const ZONE_A = { segments: { "topology.kubernetes.io/zone": "a" } };
const ZONE_B = { segments: { "topology.kubernetes.io/zone": "b" } };

interface Rig {
  driver: MiniCsiDriver;
  backend: CsiBackend;
}
const rigs: Record<"with topology" | "without topology", Rig> = {} as never;

beforeAll(async () => {
  for (const [key, plugin] of [["with topology", ["VOLUME_ACCESSIBILITY_CONSTRAINTS"]], ["without topology", []]] as const) {
    const name = key === "with topology" ? "topo.csi.test" : "flat.csi.test";
    const driver = await startMiniCsiDriver({ name, controller: ["CREATE_DELETE_VOLUME"], plugin: [...plugin] });
    rigs[key] = { driver, backend: new CsiBackend({ driverName: name, address: driver.endpoint, timeoutMs: 5000 }) };
  }
});
afterAll(async () => {
  for (const rig of Object.values(rigs)) {
    await rig.backend.close();
    await rig.driver.close();
  }
});

type Requirements = CreateVolumeRequest["accessibilityRequirements"];

describe("csi backend: accessibility_requirements only for drivers with VOLUME_ACCESSIBILITY_CONSTRAINTS", () => {
  it.each<{ case: string; driver: keyof typeof rigs; given: Requirements; sent: unknown }>([
    { case: "topology driver, requirements given", driver: "with topology", given: { requisite: [ZONE_A], preferred: [ZONE_B] }, sent: { requisite: [ZONE_A], preferred: [ZONE_B] } },
    { case: "topology driver, none given", driver: "with topology", given: undefined, sent: null },
    { case: "driver without topology, requirements given", driver: "without topology", given: { requisite: [ZONE_A], preferred: [ZONE_A] }, sent: null },
    { case: "driver without topology, none given", driver: "without topology", given: undefined, sent: null },
  ])("$case → sent $sent", async ({ case: name, driver, given, sent }) => {
    const rig = rigs[driver];
    const req: CreateVolumeRequest = { name: `pvc-${name.replace(/[^a-z]+/g, "-")}`, capabilities: fs };
    if (given !== undefined) req.accessibilityRequirements = given;
    const volume = await rig.backend.createVolume(req);
    expect(volume.volumeId).toBe(`vol-${req.name}`);
    expect(rig.driver.lastCreateVolume()?.accessibilityRequirements ?? null).toEqual(sent);
  });
});
