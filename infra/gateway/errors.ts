// How a failure leaves the gateway: a GatewayErrorBody with the CSI code, whether a retry may
// help, and an HTTP status that fits the code (so plain HTTP tooling also reads it right).
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { GatewayError, RETRYABLE_CODES, type CsiCode, type GatewayErrorBody } from "../../shared/gateway/types.js";

const HTTP_STATUS: Record<CsiCode, ContentfulStatusCode> = {
  OK: 200,
  CANCELLED: 499 as ContentfulStatusCode,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 412,
  ABORTED: 409,
  OUT_OF_RANGE: 422,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

export function httpStatusFor(code: CsiCode): ContentfulStatusCode {
  return HTTP_STATUS[code];
}

/** Anything thrown by a backend or the gateway itself, as a GatewayError (unknown errors are the gateway's INTERNAL). */
export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new GatewayError("INTERNAL", `gateway internal error: ${message}`, RETRYABLE_CODES.has("INTERNAL"), "gateway");
}

export function errorBody(err: GatewayError): GatewayErrorBody {
  return { error: { code: err.code, message: err.message, retryable: err.retryable, ...(err.origin ? { origin: err.origin } : {}) } };
}

export function isCsiCode(value: unknown): value is CsiCode {
  return typeof value === "string" && Object.hasOwn(HTTP_STATUS, value);
}

export { RETRYABLE_CODES };
