// gRPC status → GatewayError. The code name carries over unchanged; whether a retry may help
// follows the shared RETRYABLE_CODES (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, RESOURCE_EXHAUSTED …
// retryable; INVALID_ARGUMENT, ALREADY_EXISTS, NOT_FOUND, FAILED_PRECONDITION, OUT_OF_RANGE final).
import { statusName } from "../../../../shared/csi/load.js";
import { GatewayError, RETRYABLE_CODES, type CsiCode } from "../../../../shared/gateway/types.js";
import { isCsiCode } from "../../errors.js";

interface GrpcErrorLike {
  code: number;
  details?: string;
  message?: string;
}

export function isGrpcError(err: unknown): err is GrpcErrorLike {
  return typeof err === "object" && err !== null && typeof (err as { code?: unknown }).code === "number";
}

export function grpcCodeName(code: number): CsiCode {
  const name = statusName(code);
  return isCsiCode(name) ? name : "UNKNOWN";
}

/**
 * A driver's gRPC status keeps the driver's own description as the message (callers print it as
 * a Go client prints the status); `what` (e.g. `driver hostpath.snapflow.dev CreateSnapshot`)
 * prefixes only failures of this side of the socket.
 */
export function fromGrpcError(err: unknown, what: string): GatewayError {
  if (err instanceof GatewayError) return err;
  if (!isGrpcError(err)) {
    // Failed on this side of the socket: no gRPC status, so nothing the driver decided.
    return new GatewayError("INTERNAL", `${what}: ${err instanceof Error ? err.message : String(err)}`, RETRYABLE_CODES.has("INTERNAL"), "gateway");
  }
  const code = grpcCodeName(err.code);
  return new GatewayError(code, typeof err.details === "string" ? err.details : (err.message ?? ""));
}
