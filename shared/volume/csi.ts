// What the provisioner and the resizer both need to speak CSI through the gateway: Kubernetes
// access modes as CSI access modes, volume capabilities, gateway failures as data, and the text a
// Go gRPC client prints for them (upstream's Event messages embed it).
import type { VolumeMode } from "../api/core.js";
import { GatewayError, type CsiCode, type VolumeCapability } from "../gateway/types.js";

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
    if (!accessMode) return { ok: false, error: `unknown access mode: ${mode}` };
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

/** A gateway failure as data. code is undefined when the call never got a CSI answer. */
export interface CallFailure {
  code?: CsiCode;
  message: string;
}

export type CallResult<T> = { ok: true; value: T } | { ok: false; failure: CallFailure };

/** Runs a gateway call and turns its failure into data, for pure after-call planning. */
export async function attempt<T>(call: () => Promise<T>): Promise<CallResult<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    if (err instanceof GatewayError) return { ok: false, failure: { code: err.code, message: err.message } };
    return { ok: false, failure: { message: err instanceof Error ? err.message : String(err) } };
  }
}

/** Upstream's non-final codes: the driver may still be working, so the outcome is unknown. */
const NON_FINAL: ReadonlySet<CsiCode> = new Set<CsiCode>(["CANCELLED", "DEADLINE_EXCEEDED", "UNAVAILABLE", "RESOURCE_EXHAUSTED", "ABORTED"]);

export function isFinalFailure(f: CallFailure): boolean {
  return f.code !== undefined && !NON_FINAL.has(f.code);
}

const GO_CODE_NAMES: Record<CsiCode, string> = {
  OK: "OK",
  CANCELLED: "Canceled",
  UNKNOWN: "Unknown",
  INVALID_ARGUMENT: "InvalidArgument",
  DEADLINE_EXCEEDED: "DeadlineExceeded",
  NOT_FOUND: "NotFound",
  ALREADY_EXISTS: "AlreadyExists",
  PERMISSION_DENIED: "PermissionDenied",
  RESOURCE_EXHAUSTED: "ResourceExhausted",
  FAILED_PRECONDITION: "FailedPrecondition",
  ABORTED: "Aborted",
  OUT_OF_RANGE: "OutOfRange",
  UNIMPLEMENTED: "Unimplemented",
  INTERNAL: "Internal",
  UNAVAILABLE: "Unavailable",
  DATA_LOSS: "DataLoss",
  UNAUTHENTICATED: "Unauthenticated",
};

/** The failure as a Go gRPC client prints it (`rpc error: code = NotFound desc = …`). */
export function rpcErrorText(f: CallFailure): string {
  if (f.code === undefined || f.message.startsWith("rpc error:")) return f.message;
  return `rpc error: code = ${GO_CODE_NAMES[f.code]} desc = ${f.message}`;
}
