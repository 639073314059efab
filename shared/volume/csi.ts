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
 * The single capability external-resizer sends for a PV (csi-lib-utils accessmodes.ToCSIAccessMode):
 * ReadWriteOncePod must stand alone, ReadWriteMany wins over the rest, ReadOnlyMany with
 * ReadWriteOnce has no CSI equivalent. Errors carry upstream's texts (a Go slice prints as [a b]).
 */
export function pvVolumeCapability(accessModes: readonly string[], o: CapabilityOptions): { ok: true; value: VolumeCapability } | { ok: false; error: string } {
  const modes = new Set(accessModes);
  const ok = (mode: string) => ({ ok: true as const, value: capability(csiAccessMode(mode, o.singleNodeMultiWriter)!, o) });
  if (modes.has("ReadWriteOncePod")) {
    return modes.size > 1 ? { ok: false, error: "Kubernetes does not support use of ReadWriteOncePod with other access modes on the same PersistentVolume" } : ok("ReadWriteOncePod");
  }
  if (modes.has("ReadWriteMany")) return ok("ReadWriteMany");
  if (modes.has("ReadOnlyMany") && modes.has("ReadWriteOnce")) return { ok: false, error: "CSI does not support ReadOnlyMany and ReadWriteOnce on the same PersistentVolume" };
  if (modes.has("ReadOnlyMany")) return ok("ReadOnlyMany");
  if (modes.has("ReadWriteOnce")) return ok("ReadWriteOnce");
  return { ok: false, error: `unsupported AccessMode combination: [${accessModes.join(" ")}]` };
}

/** pvVolumeCapability without its error (undefined when the modes have no CSI capability). */
export function volumeCapabilityOfPv(accessModes: readonly string[], o: CapabilityOptions): VolumeCapability | undefined {
  const c = pvVolumeCapability(accessModes, o);
  return c.ok ? c.value : undefined;
}
