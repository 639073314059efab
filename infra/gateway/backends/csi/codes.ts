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

/** `what` says which driver call failed, e.g. `hostpath.snapflow.dev CreateSnapshot`. */
export function fromGrpcError(err: unknown, what: string): GatewayError {
  if (err instanceof GatewayError) return err;
  if (!isGrpcError(err)) {
    // Failed on this side of the socket: no gRPC status, so nothing the driver decided.
    return new GatewayError("INTERNAL", `${what}: ${err instanceof Error ? err.message : String(err)}`, RETRYABLE_CODES.has("INTERNAL"), "gateway");
  }
  const code = grpcCodeName(err.code);
  const detail = err.details || err.message || "no message";
  return new GatewayError(code, `${what}: ${detail}`);
}
