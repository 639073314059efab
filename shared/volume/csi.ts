// What the provisioner and the resizer both need to speak CSI through the gateway: Kubernetes
// access modes as CSI access modes, volume capabilities, gateway failures as data, and the text a
// Go gRPC client prints for them (upstream's Event messages embed it).
import type { VolumeMode } from "../api/core.js";
import type { VolumeCapability } from "../gateway/types.js";

export { attempt, isFinalFailure, rpcErrorText, type CallFailure, type CallResult } from "../gateway/failure.js";

/** Upstream's mapping of one Kubernetes access mode (SINGLE_NODE_MULTI_WRITER changes RWO and RWOP). */
export function csiAccessMode(mode: string, singleNodeMultiWriter: boolean): string | undefined {
  switch (mode) {
    case "ReadWriteOnce":
      return singleNodeMultiWriter ? "SINGLE_NODE_MULTI_WRITER" : "SINGLE_NODE_WRITER";
    case "ReadWriteOncePod":
      return singleNodeMultiWriter ? "SINGLE_NODE_SINGLE_WRITER" : "SINGLE_NODE_WRITER";
    case "ReadOnlyMany":
      return "MULTI_NODE_READER_ONLY";
    case "ReadWriteMany":
      return "MULTI_NODE_MULTI_WRITER";
    default:
      return undefined;
  }
}

export interface CapabilityOptions {
  volumeMode?: VolumeMode;
  fsType?: string;
  mountFlags?: string[];
  singleNodeMultiWriter: boolean;
}

/** One capability per access mode, as the provisioner builds CreateVolume's list. */
export function volumeCapabilities(accessModes: readonly string[], o: CapabilityOptions): { ok: true; value: VolumeCapability[] } | { ok: false; error: string } {
  const out: VolumeCapability[] = [];
  for (const mode of accessModes) {
    const accessMode = csiAccessMode(mode, o.singleNodeMultiWriter);
    // external-provisioner maps each mode on its own through csi-lib-utils' ToCSIAccessMode, whose
    // refusal prints the one-element mode list with %+v.
    if (!accessMode) return { ok: false, error: `unsupported AccessMode combination: [${mode}]` };
    out.push(capability(accessMode, o));
  }
  return { ok: true, value: out };
}

function capability(accessMode: string, o: CapabilityOptions): VolumeCapability {
  if (o.volumeMode === "Block") return { accessMode, volumeMode: "Block" };
  return {
    accessMode,
    volumeMode: "Filesystem",
    ...(o.fsType ? { fsType: o.fsType } : {}),
    ...(o.mountFlags && o.mountFlags.length > 0 ? { mountFlags: [...o.mountFlags] } : {}),
  };
}

/**
 * The single capability the resizer sends for a PV: its widest access mode (a PV listing several
 * modes is used in the most permissive one).
 */
export function volumeCapabilityOfPv(accessModes: readonly string[], o: CapabilityOptions): VolumeCapability | undefined {
  const order = ["ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod", "ReadWriteOnce"];
  const widest = order.find((m) => accessModes.includes(m));
  const accessMode = widest ? csiAccessMode(widest, o.singleNodeMultiWriter) : undefined;
  return accessMode ? capability(accessMode, o) : undefined;
}

