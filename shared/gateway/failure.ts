// Gateway answers as data, for pure after-call planning, and the text a Go gRPC client prints for a
// failure (upstream's Event and status messages embed it).
import { GatewayError, type CsiCode, type FailureOrigin } from "./types.js";

/** A gateway failure as data. code is undefined when the call never got a CSI answer. */
export interface CallFailure {
  code?: CsiCode;
  message: string;
  /** Set when the driver never answered this call (see FailureOrigin). */
  origin?: FailureOrigin;
}

export type CallResult<T> = { ok: true; value: T } | { ok: false; failure: CallFailure };

/** Runs a gateway call and turns its failure into data, for pure after-call planning. */
export async function attempt<T>(call: () => Promise<T>): Promise<CallResult<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    if (err instanceof GatewayError) return { ok: false, failure: { code: err.code, message: err.message, ...(err.origin ? { origin: err.origin } : {}) } };
    return { ok: false, failure: { message: err instanceof Error ? err.message : String(err) } };
  }
}

/** Upstream's non-final codes: the driver may still be working, so the outcome is unknown. */
const NON_FINAL: ReadonlySet<CsiCode> = new Set<CsiCode>(["CANCELLED", "DEADLINE_EXCEEDED", "UNAVAILABLE", "RESOURCE_EXHAUSTED", "ABORTED"]);

/** Final only when the driver answered with a code other than the non-final ones. */
export function isFinalFailure(f: CallFailure): boolean {
  return f.code !== undefined && f.origin === undefined && !NON_FINAL.has(f.code);
}

/** grpc-go's names of the status codes (codes.Code.String()), as Go clients print and label them. */
export const GO_CODE_NAMES: Readonly<Record<CsiCode, string>> = {
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
