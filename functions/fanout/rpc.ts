// Gateway answers as data, and the error texts a Go gRPC client would print (upstream's messages
// embed them). Functions may not import each other, so fanout keeps its own small copy.
import type { CsiCode } from "../../shared/gateway/types.js";

/** A gateway failure. code is undefined when the call never got a CSI answer. */
export interface CallFailure {
  code?: CsiCode;
  message: string;
}

export type CallResult<T> = { ok: true; value: T } | { ok: false; failure: CallFailure };

/** Upstream's non-final codes: the driver may still be working, so the outcome is unknown. */
const NON_FINAL: ReadonlySet<CsiCode> = new Set<CsiCode>(["CANCELLED", "DEADLINE_EXCEEDED", "UNAVAILABLE", "RESOURCE_EXHAUSTED", "ABORTED"]);

/** Final = the driver definitely did not (and will not) create anything for this call. */
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

/** `rpc error: code = NotFound desc = …`, as upstream's messages quote it. */
export function rpcErrorText(f: CallFailure): string {
  if (f.code === undefined || f.message.startsWith("rpc error:")) return f.message;
  return `rpc error: code = ${GO_CODE_NAMES[f.code]} desc = ${f.message}`;
}
