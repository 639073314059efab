import { describe, expect, it } from "vitest";
import { classifyEc2Error, Ec2GatewayError, hasEc2Code, redactCredentials, toGatewayError } from "./errors.js";
import { ec2Error } from "./testing.js";

describe("classifyEc2Error", () => {
  it.each([
    ["RequestLimitExceeded", "RESOURCE_EXHAUSTED", true, true],
    ["SnapshotCreationPerVolumeRateExceeded", "RESOURCE_EXHAUSTED", true, true],
    ["ConcurrentSnapshotLimitExceeded", "RESOURCE_EXHAUSTED", true, true],
    ["UnauthorizedOperation", "PERMISSION_DENIED", false, false],
    ["AuthFailure", "UNAUTHENTICATED", false, false],
    ["InvalidClientTokenId", "UNAUTHENTICATED", false, false],
    ["InvalidParameterValue", "INVALID_ARGUMENT", false, false],
    ["InvalidVolumeID.Malformed", "INVALID_ARGUMENT", false, false],
    ["InvalidVolume.NotFound", "NOT_FOUND", false, false],
    ["InvalidSnapshot.NotFound", "NOT_FOUND", false, false],
    ["IdempotentParameterMismatch", "ALREADY_EXISTS", false, false],
    ["VolumeInUse", "FAILED_PRECONDITION", true, false],
    ["IncorrectModificationState", "FAILED_PRECONDITION", true, false],
    ["SnapshotLimitExceeded", "RESOURCE_EXHAUSTED", true, false],
    ["InvalidFrobnication", "INVALID_ARGUMENT", false, false],
  ] as const)("%s → %s (retryable %s, retried inside %s)", (code, csiCode, retryable, transient) => {
    const f = classifyEc2Error(ec2Error(code, "EC2 says no"));
    expect(f).toMatchObject({ ec2Code: code, csiCode, retryable, transient, message: "EC2 says no" });
  });

  it("treats 5xx service errors as transient UNAVAILABLE", () => {
    expect(classifyEc2Error(ec2Error("InternalError", "boom", 500))).toMatchObject({ csiCode: "UNAVAILABLE", retryable: true, transient: true });
    expect(classifyEc2Error(ec2Error("SomethingNew", "boom", 503))).toMatchObject({ csiCode: "UNAVAILABLE", transient: true });
  });

  it("treats network failures as transient UNAVAILABLE", () => {
    const err = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(classifyEc2Error(err)).toMatchObject({ ec2Code: "ECONNREFUSED", csiCode: "UNAVAILABLE", transient: true });
  });

  it("asks for EC2's per-volume interval after SnapshotCreationPerVolumeRateExceeded only", () => {
    expect(classifyEc2Error(ec2Error("SnapshotCreationPerVolumeRateExceeded")).minDelay).toBe("snapshotInterval");
    expect(classifyEc2Error(ec2Error("RequestLimitExceeded")).minDelay).toBeUndefined();
  });

  it("unknown 4xx codes are UNKNOWN, retryable later but not retried inside", () => {
    expect(classifyEc2Error(ec2Error("Weird"))).toMatchObject({ csiCode: "UNKNOWN", retryable: true, transient: false });
  });
});

describe("messages", () => {
  it("never carry an access key id", () => {
    const msg = "The security token AKIAIOSFODNN7EXAMPLE included in the request is invalid (ASIAXXXXXXXXXXXXXXXX)";
    expect(redactCredentials(msg)).toBe("The security token [REDACTED] included in the request is invalid ([REDACTED])");
    const f = classifyEc2Error(ec2Error("AuthFailure", msg));
    expect(toGatewayError("CreateSnapshot", f, 1).message).not.toMatch(/AKIA|ASIA/);
  });

  it("name the action, the attempts, the EC2 code and EC2's message", () => {
    const err = toGatewayError("CreateSnapshot", classifyEc2Error(ec2Error("RequestLimitExceeded", "Request limit exceeded.")), 4);
    expect(err).toBeInstanceOf(Ec2GatewayError);
    expect(err.message).toBe("EC2 CreateSnapshot failed (after 4 attempts): RequestLimitExceeded: Request limit exceeded.");
    expect(hasEc2Code(err, "RequestLimitExceeded")).toBe(true);
    expect(hasEc2Code(new Error("x"), "RequestLimitExceeded")).toBe(false);
  });
});
