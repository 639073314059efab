import "aws-sdk-client-mock-vitest/extend";
import { CreateSnapshotCommand, DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { backendFactory, backendKinds } from "../registry.js";
import { buildEc2Client, createAwsEbsBackend, createAwsEbsBackendWith } from "./index.js";
import { parseAwsEbsConfig } from "./config.js";
import { DRIVER, testBackend } from "./testing.js";

const ec2 = mockClient(EC2Client);
beforeEach(() => ec2.reset());

describe("AwsEbsBackend", () => {
  it("reports its capabilities truthfully, group snapshots included", async () => {
    const { backend } = testBackend();
    expect(backend.kind).toBe("aws-ebs");
    expect(await backend.capabilities()).toEqual({
      driver: DRIVER,
      plugin: ["CONTROLLER_SERVICE", "VOLUME_ACCESSIBILITY_CONSTRAINTS", "GROUP_CONTROLLER_SERVICE"],
      controller: ["CREATE_DELETE_VOLUME", "CLONE_VOLUME", "CREATE_DELETE_SNAPSHOT", "LIST_SNAPSHOTS", "GET_SNAPSHOT", "EXPAND_VOLUME"],
      groupController: ["CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT"],
      node: ["STAGE_UNSTAGE_VOLUME", "EXPAND_VOLUME", "GET_VOLUME_STATS"],
    });
    expect(ec2).not.toHaveReceivedAnyCommand();
  });

  it("answers ABORTED to a second CreateSnapshot of one name while the first is under way", async () => {
    const { backend } = testBackend();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    ec2.on(DescribeSnapshotsCommand).callsFake(async () => {
      await gate;
      return { Snapshots: [] };
    });
    ec2.on(CreateSnapshotCommand).resolves({ SnapshotId: "snap-1", VolumeId: "vol-1", State: "pending", VolumeSize: 1 });
    const first = backend.createSnapshot({ name: "n", sourceVolumeId: "vol-1" });
    await expect(backend.createSnapshot({ name: "n", sourceVolumeId: "vol-1" })).rejects.toMatchObject({ code: "ABORTED", retryable: true });
    release();
    expect((await first).snapshotId).toBe("snap-1");
    expect(ec2).toHaveReceivedCommandTimes(CreateSnapshotCommand, 1);
  });

  it("never puts the secrets it is handed into errors or logs", async () => {
    const { backend, logger } = testBackend();
    ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    ec2.on(CreateSnapshotCommand).rejects(Object.assign(new Error("denied"), { name: "UnauthorizedOperation" }));
    const err = (await backend
      .createSnapshot({ name: "n", sourceVolumeId: "vol-1", secrets: { password: "hunter2-very-secret" } })
      .catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ code: "PERMISSION_DENIED" });
    expect(JSON.stringify({ message: err.message, logs: logger.lines })).not.toContain("hunter2-very-secret");
  });
});

describe("credentials in EC2 messages", () => {
  it("are cut out of errors whatever their format", async () => {
    const { backend } = testBackend();
    ec2.on(DescribeSnapshotsCommand).rejects(
      Object.assign(new Error("credentials AKIDTEST / test-secret were not accepted"), { name: "AuthFailure" }),
    );
    const err = (await backend.createSnapshot({ name: "n", sourceVolumeId: "vol-1" }).catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ code: "UNAUTHENTICATED", retryable: false });
    expect(err.message).toBe("EC2 DescribeSnapshots failed: AuthFailure: credentials [REDACTED] / [REDACTED] were not accepted");
  });
});

describe("factory", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it("is registered under kind aws-ebs", () => {
    expect(backendKinds()).toContain("aws-ebs");
    expect(backendFactory("aws-ebs")).toBe(createAwsEbsBackend);
  });

  it("builds a backend from a config entry and closes it", async () => {
    const b = await createAwsEbsBackend(DRIVER, { backend: "aws-ebs", region: "us-east-2" });
    expect(b.kind).toBe("aws-ebs");
    await b.close();
  });

  it("fails at start-up with a clear message when no region is found anywhere", async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    delete process.env.AWS_PROFILE;
    process.env.AWS_CONFIG_FILE = "/nonexistent/snapflow-test-aws-config";
    process.env.AWS_SHARED_CREDENTIALS_FILE = "/nonexistent/snapflow-test-aws-credentials";
    await expect(createAwsEbsBackendWith(DRIVER, { backend: "aws-ebs" })).rejects.toThrow(/no AWS region: set "region"/);
  });

  it("rejects a bad entry naming the key", async () => {
    await expect(createAwsEbsBackend(DRIVER, { backend: "aws-ebs", region: "x", bogus: 1 })).rejects.toThrow(/unknown key "bogus"/);
  });

  it("points the client at the configured endpoint and turns the SDK's own retries off", async () => {
    const client = buildEc2Client(parseAwsEbsConfig(DRIVER, { backend: "aws-ebs", region: "eu-west-1", endpoint: "http://127.0.0.1:4566" }));
    try {
      const endpoint = await client.config.endpoint?.();
      expect(endpoint?.hostname).toBe("127.0.0.1");
      expect(endpoint?.port).toBe(4566);
      expect(await client.config.maxAttempts()).toBe(1);
    } finally {
      client.destroy();
    }
  });
});
