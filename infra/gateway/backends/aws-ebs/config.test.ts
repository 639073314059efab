import { describe, expect, it } from "vitest";
import { AwsEbsConfigError, DEFAULT_POLL, DEFAULT_RETRY, parseAwsEbsConfig } from "./config.js";

const D = "ebs.csi.aws.com";

describe("parseAwsEbsConfig", () => {
  it("accepts the documented keys and fills defaults", () => {
    const c = parseAwsEbsConfig(D, {
      backend: "aws-ebs",
      region: "eu-west-1",
      endpoint: "http://127.0.0.1:4566",
      clusterName: "prod-1",
      tags: { team: "storage" },
      availabilityZone: "eu-west-1a",
      retry: { maxAttempts: 3 },
      poll: { intervalMs: 200 },
      logLevel: "warn",
    });
    expect(c).toEqual({
      region: "eu-west-1",
      endpoint: "http://127.0.0.1:4566",
      clusterName: "prod-1",
      tags: { team: "storage" },
      availabilityZone: "eu-west-1a",
      retry: { ...DEFAULT_RETRY, maxAttempts: 3 },
      poll: { ...DEFAULT_POLL, intervalMs: 200 },
      logLevel: "warn",
    });
  });

  it("needs nothing but the backend key", () => {
    const c = parseAwsEbsConfig(D, { backend: "aws-ebs" });
    expect(c.region).toBeUndefined();
    expect(c.tags).toEqual({});
    expect(c.retry.snapshotIntervalMs).toBe(15_000);
  });

  it("names an unknown key and the driver", () => {
    expect(() => parseAwsEbsConfig(D, { backend: "aws-ebs", regoin: "x" })).toThrow(/drivers."ebs.csi.aws.com": unknown key "regoin"/);
  });

  it("refuses credentials in the config without echoing them", () => {
    let message = "";
    try {
      parseAwsEbsConfig(D, { backend: "aws-ebs", secretAccessKey: "wJalrXUtnFEMI/K7MDENG" });
    } catch (err) {
      expect(err).toBeInstanceOf(AwsEbsConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/provider chain/);
    expect(message).not.toContain("wJalrXUtnFEMI");
  });

  it.each([
    [{ endpoint: "not a url" }, /endpoint: not a URL/],
    [{ endpoint: "ftp://x" }, /http:\/\/ or https:\/\//],
    [{ endpoint: "http://user:pw@host" }, /user info/],
    [{ tags: ["a"] }, /tags: must be a mapping/],
    [{ tags: { a: 1 } }, /tags."a": value must be a string/],
    [{ tags: { "aws:x": "y" } }, /reserved "aws:" prefix/],
    [{ clusterName: "has space" }, /clusterName/],
    [{ region: "" }, /region: must be a non-empty string/],
    [{ retry: { maxAttempts: 0 } }, /retry.maxAttempts: must be an integer of at least 1/],
    [{ retry: { tries: 3 } }, /retry: unknown key "tries"/],
    [{ retry: { baseDelayMs: 100, maxDelayMs: 10 } }, /maxDelayMs: must not be below baseDelayMs/],
    [{ poll: { timeoutMs: 0 } }, /poll.timeoutMs/],
    [{ logLevel: "loud" }, /logLevel: must be one of/],
  ])("rejects %j", (extra, pattern) => {
    expect(() => parseAwsEbsConfig(D, { backend: "aws-ebs", ...extra })).toThrow(pattern);
  });
});
