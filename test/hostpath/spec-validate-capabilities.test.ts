// Table-driven, against the real gRPC server: ValidateVolumeCapabilities. The spec
// (reference/csi/spec.md "ValidateVolumeCapabilities") makes it mandatory for every controller
// plugin, gated by no capability: "SHALL return confirmed only if all the volume capabilities
// specified in the request are supported"; a volume that does not exist is NOT_FOUND; missing
// REQUIRED fields are INVALID_ARGUMENT (general error scheme). Volumes here are directories, so
// mount access in any mode is supported and block access is not.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Outgoing, ValidateVolumeCapabilitiesRequest, VolumeCapability } from "../../shared/csi/load.js";
import { createVolume, expectCode, MOUNT_RWO, startHarness, type Harness } from "./harness.js";

let h: Harness;
let volumeId: string;
let hostPath: string;
beforeAll(async () => {
  h = await startHarness();
  const volume = await createVolume(h.csi, "pvc-validate", { parameters: { tier: "gold" } });
  volumeId = volume.volumeId;
  hostPath = volume.volumeContext.hostPath!;
});
afterAll(async () => {
  await h?.stop();
});

const MISSING_VOLUME = "vol-00000000-0000-0000-0000-000000000000";
const MOUNT_ROX: Outgoing<VolumeCapability> = { mount: {}, accessMode: { mode: "MULTI_NODE_READER_ONLY" } };
const MOUNT_XFS_RWX: Outgoing<VolumeCapability> = { mount: { fsType: "xfs", mountFlags: ["noatime"] }, accessMode: { mode: "MULTI_NODE_MULTI_WRITER" } };
const BLOCK_RWO: Outgoing<VolumeCapability> = { block: {}, accessMode: { mode: "SINGLE_NODE_WRITER" } };

type Id = "volume" | "missing" | string;
interface Case {
  case: string;
  id: Id;
  request: Omit<Outgoing<ValidateVolumeCapabilitiesRequest>, "volumeId" | "volumeContext"> & { volumeContext?: "own" | Record<string, string> };
  expect: "confirmed" | { unconfirmed: RegExp } | { code: string };
}

const CASES: Case[] = [
  { case: "mount, one mode", id: "volume", request: { volumeCapabilities: [MOUNT_RWO] }, expect: "confirmed" },
  { case: "mount, several modes and mount options", id: "volume", request: { volumeCapabilities: [MOUNT_RWO, MOUNT_ROX, MOUNT_XFS_RWX] }, expect: "confirmed" },
  { case: "with the volume's own context and parameters", id: "volume", request: { volumeCapabilities: [MOUNT_RWO], volumeContext: "own", parameters: { tier: "gold" } }, expect: "confirmed" },
  { case: "block access", id: "volume", request: { volumeCapabilities: [MOUNT_RWO, BLOCK_RWO] }, expect: { unconfirmed: /block/ } },
  { case: "another volume's context", id: "volume", request: { volumeCapabilities: [MOUNT_RWO], volumeContext: { hostPath: "/elsewhere" } }, expect: { unconfirmed: /volume_context/ } },
  { case: "other parameters", id: "volume", request: { volumeCapabilities: [MOUNT_RWO], parameters: { tier: "silver" } }, expect: { unconfirmed: /parameters/ } },
  { case: "mutable parameters (no MODIFY_VOLUME)", id: "volume", request: { volumeCapabilities: [MOUNT_RWO], mutableParameters: { iops: "100" } }, expect: { unconfirmed: /mutable_parameters/ } },
  { case: "unknown volume", id: "missing", request: { volumeCapabilities: [MOUNT_RWO] }, expect: { code: "NOT_FOUND" } },
  { case: "no volume id", id: "", request: { volumeCapabilities: [MOUNT_RWO] }, expect: { code: "INVALID_ARGUMENT" } },
  { case: "no capabilities (checked before the lookup)", id: "missing", request: { volumeCapabilities: [] }, expect: { code: "INVALID_ARGUMENT" } },
  { case: "a capability without access type", id: "volume", request: { volumeCapabilities: [{ accessMode: { mode: "SINGLE_NODE_WRITER" } }] }, expect: { code: "INVALID_ARGUMENT" } },
  { case: "a capability without access mode", id: "volume", request: { volumeCapabilities: [{ mount: {} }] }, expect: { code: "INVALID_ARGUMENT" } },
  { case: "a path-like id", id: "../volumes", request: { volumeCapabilities: [MOUNT_RWO] }, expect: { code: "INVALID_ARGUMENT" } },
  { case: "a NUL in the id", id: "vol-\u0000", request: { volumeCapabilities: [MOUNT_RWO] }, expect: { code: "INVALID_ARGUMENT" } },
];

describe("ValidateVolumeCapabilities", () => {
  it.each(CASES)("$case", async (c) => {
    const id = c.id === "volume" ? volumeId : c.id === "missing" ? MISSING_VOLUME : c.id;
    const { volumeContext, ...rest } = c.request;
    const context = volumeContext === "own" ? { hostPath } : volumeContext;
    const call = h.csi.controller.ValidateVolumeCapabilities({ ...rest, volumeId: id, ...(context ? { volumeContext: context } : {}) });
    if (typeof c.expect === "object" && "code" in c.expect) {
      await expectCode(call, c.expect.code);
      return;
    }
    const res = await call;
    if (c.expect === "confirmed") {
      expect(res.message).toBe("");
      // Confirmed echoes what was validated, so the CO can compare it with what it asked.
      expect(res.confirmed!.volumeCapabilities.map((cap) => [cap.accessType, cap.accessMode?.mode, cap.mount?.fsType ?? ""])).toEqual(
        c.request.volumeCapabilities!.map((cap) => ["mount", cap!.accessMode!.mode, cap!.mount!.fsType ?? ""]),
      );
      expect(res.confirmed!.volumeContext).toEqual(context ?? {});
      expect(res.confirmed!.parameters).toEqual(c.request.parameters ?? {});
    } else {
      expect(res.confirmed).toBeNull();
      expect(res.message).toMatch(c.expect.unconfirmed);
    }
  });
});
