import { describe, expect, it } from "vitest";
import { GatewayError } from "../gateway/types.js";
import { attempt, csiAccessMode, isFinalFailure, pvVolumeCapability, rpcErrorText, volumeCapabilities, volumeCapabilityOfPv } from "./csi.js";

describe("CSI access modes and capabilities", () => {
  it.each<[string, boolean, string | undefined]>([
    ["ReadWriteOnce", false, "SINGLE_NODE_WRITER"],
    ["ReadWriteOnce", true, "SINGLE_NODE_MULTI_WRITER"],
    ["ReadWriteOncePod", false, "SINGLE_NODE_WRITER"],
    ["ReadWriteOncePod", true, "SINGLE_NODE_SINGLE_WRITER"],
    ["ReadOnlyMany", false, "MULTI_NODE_READER_ONLY"],
    ["ReadWriteMany", false, "MULTI_NODE_MULTI_WRITER"],
    ["Sometimes", false, undefined],
  ])("%s (SINGLE_NODE_MULTI_WRITER %s) → %s", (mode, snmw, expected) => {
    expect(csiAccessMode(mode, snmw)).toBe(expected);
  });

  it("one capability per access mode; Block drops fsType and mount flags", () => {
    expect(volumeCapabilities(["ReadWriteOnce", "ReadOnlyMany"], { fsType: "ext4", mountFlags: ["ro"], singleNodeMultiWriter: false })).toEqual({
      ok: true,
      value: [
        { accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem", fsType: "ext4", mountFlags: ["ro"] },
        { accessMode: "MULTI_NODE_READER_ONLY", volumeMode: "Filesystem", fsType: "ext4", mountFlags: ["ro"] },
      ],
    });
    expect(volumeCapabilities(["ReadWriteOnce"], { volumeMode: "Block", fsType: "ext4", singleNodeMultiWriter: false })).toEqual({ ok: true, value: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Block" }] });
    expect(volumeCapabilities(["Sometimes"], { singleNodeMultiWriter: false })).toEqual({ ok: false, error: "unsupported AccessMode combination: [Sometimes]" });
  });

  it("a PV's capability uses its widest mode", () => {
    expect(volumeCapabilityOfPv(["ReadWriteOnce", "ReadWriteMany"], { singleNodeMultiWriter: false })).toEqual({ accessMode: "MULTI_NODE_MULTI_WRITER", volumeMode: "Filesystem" });
    expect(volumeCapabilityOfPv([], { singleNodeMultiWriter: false })).toBeUndefined();
  });
});

// csi-lib-utils accessmodes.ToCSIAccessMode, as external-resizer builds ControllerExpandVolume's
// capability from a PV: combinations CSI cannot express are errors, not a guess.
describe("a PV's single capability (external-resizer)", () => {
  it.each<[string[], boolean, string]>([
    [["ReadWriteOncePod"], false, "SINGLE_NODE_WRITER"],
    [["ReadWriteOncePod"], true, "SINGLE_NODE_SINGLE_WRITER"],
    [["ReadWriteMany", "ReadOnlyMany", "ReadWriteOnce"], false, "MULTI_NODE_MULTI_WRITER"],
    [["ReadOnlyMany", "ReadOnlyMany"], false, "MULTI_NODE_READER_ONLY"],
    [["ReadWriteOnce"], false, "SINGLE_NODE_WRITER"],
    [["ReadWriteOnce"], true, "SINGLE_NODE_MULTI_WRITER"],
  ])("%j (SINGLE_NODE_MULTI_WRITER %s) → %s", (modes, snmw, accessMode) => {
    expect(pvVolumeCapability(modes, { singleNodeMultiWriter: snmw })).toEqual({ ok: true, value: { accessMode, volumeMode: "Filesystem" } });
  });

  it.each<[string[], string]>([
    [["ReadWriteOncePod", "ReadWriteMany"], "Kubernetes does not support use of ReadWriteOncePod with other access modes on the same PersistentVolume"],
    [["ReadOnlyMany", "ReadWriteOnce"], "CSI does not support ReadOnlyMany and ReadWriteOnce on the same PersistentVolume"],
    [[], "unsupported AccessMode combination: []"],
    [["Sometimes", "Never"], "unsupported AccessMode combination: [Sometimes Never]"],
  ])("%j → error", (modes, error) => {
    expect(pvVolumeCapability(modes, { singleNodeMultiWriter: false })).toEqual({ ok: false, error });
  });
});

describe("gateway failures as data", () => {
  it("keeps the CSI code of a GatewayError, and the message of anything else", async () => {
    expect(await attempt(async () => 5)).toEqual({ ok: true, value: 5 });
    expect(await attempt(async () => Promise.reject(new GatewayError("NOT_FOUND", "no such volume")))).toEqual({ ok: false, failure: { code: "NOT_FOUND", message: "no such volume" } });
    expect(await attempt(async () => Promise.reject(new Error("socket hang up")))).toEqual({ ok: false, failure: { message: "socket hang up" } });
  });

  it("prints failures as a Go gRPC client does and tells final from in-progress codes", () => {
    expect(rpcErrorText({ code: "OUT_OF_RANGE", message: "too big" })).toBe("rpc error: code = OutOfRange desc = too big");
    expect(rpcErrorText({ message: "socket hang up" })).toBe("socket hang up");
    expect(isFinalFailure({ code: "INVALID_ARGUMENT", message: "" })).toBe(true);
    expect(isFinalFailure({ code: "DEADLINE_EXCEEDED", message: "" })).toBe(false);
    expect(isFinalFailure({ message: "no answer" })).toBe(false);
  });
});
