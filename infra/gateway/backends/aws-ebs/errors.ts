// How an EC2 failure becomes a GatewayError. Three outcomes: transient (throttling, limits that
// clear by themselves, 5xx, network) is retried here first; everything else is final for that
// input, or retryable later when the state of the resource may change (an attached volume).
import { GatewayError, type CsiCode } from "../../../../shared/gateway/types.js";

export interface Ec2Failure {
  /** EC2 error code (e.g. "RequestLimitExceeded"), or the network error's name/code. */
  ec2Code: string;
  message: string;
  csiCode: CsiCode;
  retryable: boolean;
  /** Worth retrying inside the backend (with back-off) before surfacing. */
  transient: boolean;
  /** Least wait before the next attempt (EC2's per-volume snapshot interval). */
  minDelay?: "snapshotInterval";
}

const THROTTLING = new Set([
  "RequestLimitExceeded",
  "Throttling",
  "ThrottlingException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "SnapshotCreationPerVolumeRateExceeded",
  "ConcurrentSnapshotLimitExceeded",
  "ConcurrentTagAccess",
]);

const SERVER_SIDE = new Set(["InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable", "ServerInternal"]);

const NETWORK = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
]);

const PERMISSION = new Set(["UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "OptInRequired", "Blocked", "PendingVerification"]);

const AUTHENTICATION = new Set([
  "AuthFailure",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "MissingAuthenticationToken",
  "IncompleteSignature",
  "ExpiredToken",
  "ExpiredTokenException",
  "RequestExpired",
  "UnrecognizedClientException",
  "CredentialsProviderError",
]);

/** Quotas that do not clear by waiting a few seconds: surfaced at once, retryable later. */
const QUOTA = new Set(["VolumeLimitExceeded", "SnapshotLimitExceeded", "MaxIOPSLimitExceeded", "ResourceLimitExceeded", "InsufficientVolumeCapacity"]);

/** The resource is in a state that forbids the call now and may allow it later. */
const WRONG_STATE = new Set([
  "IncorrectState",
  "IncorrectModificationState",
  "VolumeInUse",
  "InvalidSnapshot.InUse",
  "InvalidVolume.NotAttached",
  "VolumeModificationRateExceeded",
]);

const INVALID = new Set([
  "InvalidParameterValue",
  "InvalidParameter",
  "InvalidParameterCombination",
  "MissingParameter",
  "UnknownParameter",
  "ValidationError",
  "UnsupportedOperation",
  "InvalidVolume.ZoneMismatch",
  "InvalidZone.NotFound",
  "InvalidAvailabilityZone",
]);

// Access key ids look like AKIA…/ASIA…; a message that quotes one must not carry it further.
const ACCESS_KEY_ID = /\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b/g;

export function redactCredentials(text: string): string {
  return text.replace(ACCESS_KEY_ID, "[REDACTED]");
}

function errorCode(err: unknown): { code: string; message: string; httpStatus?: number; fault?: string } {
  if (typeof err !== "object" || err === null) return { code: "Unknown", message: String(err) };
  const e = err as { name?: unknown; code?: unknown; Code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number }; $fault?: string };
  // Node network errors carry the interesting part in `code`; SDK service errors in `name`.
  const code =
    (typeof e.code === "string" && NETWORK.has(e.code) ? e.code : undefined) ??
    (typeof e.Code === "string" ? e.Code : undefined) ??
    (typeof e.name === "string" && e.name !== "Error" ? e.name : undefined) ??
    (typeof e.code === "string" ? e.code : "Unknown");
  return {
    code,
    message: typeof e.message === "string" ? e.message : String(err),
    httpStatus: e.$metadata?.httpStatusCode,
    fault: e.$fault,
  };
}

export function classifyEc2Error(err: unknown): Ec2Failure {
  const { code, message, httpStatus, fault } = errorCode(err);
  const base = { ec2Code: code, message: redactCredentials(message) };
  if (THROTTLING.has(code)) {
    return {
      ...base,
      csiCode: "RESOURCE_EXHAUSTED",
      retryable: true,
      transient: true,
      minDelay: code === "SnapshotCreationPerVolumeRateExceeded" ? "snapshotInterval" : undefined,
    };
  }
  if (PERMISSION.has(code)) return { ...base, csiCode: "PERMISSION_DENIED", retryable: false, transient: false };
  if (AUTHENTICATION.has(code)) return { ...base, csiCode: "UNAUTHENTICATED", retryable: false, transient: false };
  if (QUOTA.has(code)) return { ...base, csiCode: "RESOURCE_EXHAUSTED", retryable: true, transient: false };
  if (WRONG_STATE.has(code)) return { ...base, csiCode: "FAILED_PRECONDITION", retryable: true, transient: false };
  if (code === "IdempotentParameterMismatch") return { ...base, csiCode: "ALREADY_EXISTS", retryable: false, transient: false };
  if (INVALID.has(code) || code.endsWith(".Malformed")) return { ...base, csiCode: "INVALID_ARGUMENT", retryable: false, transient: false };
  if (code.endsWith(".NotFound")) return { ...base, csiCode: "NOT_FOUND", retryable: false, transient: false };
  if (SERVER_SIDE.has(code) || NETWORK.has(code) || fault === "server" || (httpStatus !== undefined && httpStatus >= 500)) {
    return { ...base, csiCode: "UNAVAILABLE", retryable: true, transient: true };
  }
  if (code.startsWith("Invalid")) return { ...base, csiCode: "INVALID_ARGUMENT", retryable: false, transient: false };
  return { ...base, csiCode: "UNKNOWN", retryable: true, transient: false };
}

/** A GatewayError that remembers the EC2 code, so callers can treat e.g. "already gone" as success. */
export class Ec2GatewayError extends GatewayError {
  constructor(
    readonly ec2Code: string,
    code: CsiCode,
    message: string,
    retryable: boolean,
  ) {
    super(code, message, retryable);
  }
}

/** The GatewayError the caller sees: the action, the EC2 code and EC2's own message. */
export function toGatewayError(action: string, failure: Ec2Failure, attempts: number): Ec2GatewayError {
  const tried = attempts > 1 ? ` (after ${attempts} attempts)` : "";
  return new Ec2GatewayError(
    failure.ec2Code,
    failure.csiCode,
    `EC2 ${action} failed${tried}: ${failure.ec2Code}: ${failure.message}`,
    failure.retryable,
  );
}

/** True when `err` is an EC2 failure with one of `codes`. */
export function hasEc2Code(err: unknown, ...codes: string[]): boolean {
  return err instanceof Ec2GatewayError && codes.includes(err.ec2Code);
}
