// The driver gateway with the aws-ebs backend, over HTTP, against a small EC2-compatible endpoint
// started here (test/support/fake-ec2.ts). The real SDK client reaches it only through the standard
// endpoint override (the `endpoint` config key, or AWS_ENDPOINT_URL_EC2), signing with dummy static
// credentials from the environment — the wiring a LocalStack/moto user relies on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type RunningGateway } from "../../infra/gateway/index.js";
import { createGatewayClient, type HttpGatewayClient } from "../../shared/gateway/client.js";
import { GatewayError, type SnapshotInfo, type VolumeCapability } from "../../shared/gateway/types.js";
import { startFakeEc2, type FakeEc2 } from "../support/fake-ec2.js";

const DRIVER = "ebs.csi.aws.com";
const TOKEN = "aws-ebs-it-token-5d1c";
const ACCESS_KEY_ID = "AKIDSNAPFLOWTEST0001";
const SECRET_ACCESS_KEY = "snapflow-dummy-secret-key-not-real";
const GiB = 1024 ** 3;
const FS: VolumeCapability[] = [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem", fsType: "ext4" }];
const ZONE = { requisite: [{ segments: { "topology.ebs.csi.aws.com/zone": "eu-west-1a" } }] };
const ENV_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL", "AWS_PROFILE"];

let ec2: FakeEc2;
let gateway: RunningGateway;
let client: HttpGatewayClient;
const savedEnv: Record<string, string | undefined> = {};

function backendEntry(extra: Record<string, unknown> = {}) {
  return {
    backend: "aws-ebs",
    region: "eu-west-1",
    clusterName: "it-cluster",
    tags: { "snapflow.dev/test": "aws-ebs-it" },
    // Small waits keep the test quick; the shape of the back-off is what the unit tests check.
    retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20, budgetMs: 5_000, snapshotIntervalMs: 10 },
    poll: { intervalMs: 5, maxIntervalMs: 20, timeoutMs: 5_000 },
    logLevel: "silent",
    ...extra,
  };
}

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

/** Reads the snapshot until EC2 says completed; the fake completes it after a couple of reads. */
async function untilReady(snapshotId: string): Promise<SnapshotInfo> {
  for (let i = 0; i < 10; i++) {
    const s = await client.getSnapshot(DRIVER, { snapshotId });
    if (s?.readyToUse) return s;
  }
  throw new Error(`snapshot ${snapshotId} never became ready`);
}

beforeAll(async () => {
  for (const key of ENV_KEYS) savedEnv[key] = process.env[key];
  for (const key of ENV_KEYS) delete process.env[key];
  process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET_ACCESS_KEY;

  ec2 = await startFakeEc2({ snapshotPendingReads: 1, volumeCreatingReads: 1, modifyingReads: 1 });
  // i-app: boot volume, the two members, and a log volume that is no member.
  ec2.addInstance("i-app", { id: "vol-root" });
  ec2.addVolume("vol-data", { size: 10 });
  ec2.attach("vol-data", "i-app", "/dev/xvdb");
  ec2.addVolume("vol-wal", { size: 4 });
  ec2.attach("vol-wal", "i-app", "/dev/xvdc");
  ec2.addVolume("vol-logs", { size: 2 });
  ec2.attach("vol-logs", "i-app", "/dev/xvdd");
  // Elsewhere: a volume on another instance and an unattached one.
  ec2.addInstance("i-other", { id: "vol-root-other" });
  ec2.addVolume("vol-elsewhere", { size: 5 });
  ec2.attach("vol-elsewhere", "i-other", "/dev/xvdb");
  ec2.addVolume("vol-loose", { size: 5 });

  gateway = await startGateway({
    config: { drivers: { [DRIVER]: backendEntry({ endpoint: ec2.url }) }, logLevel: "silent" },
    token: TOKEN,
  });
  client = createGatewayClient({ baseUrl: gateway.url, token: TOKEN, timeoutMs: 30_000 });
});

afterAll(async () => {
  await gateway?.close();
  await ec2?.close();
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

describe("aws-ebs through the gateway's HTTP API", () => {
  it("reports its capabilities, group snapshots included", async () => {
    const caps = await client.capabilities(DRIVER);
    expect(caps).toEqual({
      driver: DRIVER,
      plugin: ["CONTROLLER_SERVICE", "VOLUME_ACCESSIBILITY_CONSTRAINTS", "GROUP_CONTROLLER_SERVICE"],
      controller: ["CREATE_DELETE_VOLUME", "CLONE_VOLUME", "CREATE_DELETE_SNAPSHOT", "LIST_SNAPSHOTS", "GET_SNAPSHOT", "EXPAND_VOLUME"],
      groupController: ["CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT"],
      node: ["STAGE_UNSTAGE_VOLUME", "EXPAND_VOLUME", "GET_VOLUME_STATS"],
    });
  });

  it("snapshots once per CSI name, follows pending → completed, restores, expands and deletes", async () => {
    const before = ec2.actions().filter((a) => a === "CreateSnapshot").length;
    const first = await client.createSnapshot(DRIVER, { name: "snapshot-it-0001", sourceVolumeId: "vol-data" });
    expect(first).toMatchObject({ sourceVolumeId: "vol-data", sizeBytes: 10 * GiB, readyToUse: false });
    const again = await client.createSnapshot(DRIVER, { name: "snapshot-it-0001", sourceVolumeId: "vol-data" });
    expect(again.snapshotId).toBe(first.snapshotId);
    expect(ec2.actions().filter((a) => a === "CreateSnapshot").length - before).toBe(1);
    expect(ec2.snapshots.get(first.snapshotId)?.tags).toMatchObject({
      CSIVolumeSnapshotName: "snapshot-it-0001",
      [`${DRIVER}/cluster`]: "true",
      "kubernetes.io/cluster/it-cluster": "owned",
      "snapflow.dev/test": "aws-ebs-it",
    });

    const ready = await untilReady(first.snapshotId);
    expect(ready).toMatchObject({ snapshotId: first.snapshotId, readyToUse: true, sizeBytes: 10 * GiB });
    const listed = await client.listSnapshots(DRIVER, { sourceVolumeId: "vol-data" });
    expect(listed.entries.map((e) => e.snapshotId)).toContain(first.snapshotId);

    const restored = await client.createVolume(DRIVER, {
      name: "pvc-it-restore",
      requiredBytes: 12 * GiB,
      capabilities: FS,
      parameters: { type: "gp3", throughput: "250", encrypted: "true" },
      source: { snapshotId: first.snapshotId },
      accessibilityRequirements: ZONE,
    });
    expect(restored).toEqual({ volumeId: restored.volumeId, capacityBytes: 12 * GiB, volumeContext: {}, source: { snapshotId: first.snapshotId } });
    expect(ec2.volumes.get(restored.volumeId)).toMatchObject({
      snapshotId: first.snapshotId,
      zone: "eu-west-1a",
      type: "gp3",
      throughput: 250,
      encrypted: true,
      state: "available",
    });
    // A repeat carries the same ClientToken, so EC2 answers with the same volume.
    const repeat = await client.createVolume(DRIVER, {
      name: "pvc-it-restore",
      requiredBytes: 12 * GiB,
      capabilities: FS,
      parameters: { type: "gp3", throughput: "250", encrypted: "true" },
      source: { snapshotId: first.snapshotId },
      accessibilityRequirements: ZONE,
    });
    expect(repeat.volumeId).toBe(restored.volumeId);

    const grown = await client.expandVolume(DRIVER, { volumeId: restored.volumeId, requiredBytes: 20 * GiB, capability: FS[0] });
    expect(grown).toEqual({ capacityBytes: 20 * GiB, nodeExpansionRequired: true });
    expect(ec2.modifications.find((m) => m.volumeId === restored.volumeId)).toMatchObject({ originalSize: 12, targetSize: 20 });

    await client.deleteVolume(DRIVER, { volumeId: restored.volumeId });
    expect(ec2.volumes.has(restored.volumeId)).toBe(false);
    await client.deleteVolume(DRIVER, { volumeId: restored.volumeId });
    await client.deleteSnapshot(DRIVER, { snapshotId: first.snapshotId });
    expect(ec2.snapshots.has(first.snapshotId)).toBe(false);
    await client.deleteSnapshot(DRIVER, { snapshotId: first.snapshotId });
    expect(await client.getSnapshot(DRIVER, { snapshotId: first.snapshotId })).toBeUndefined();
  });

  it("signs every EC2 request with the provider chain's credentials for the configured region", () => {
    expect(ec2.requests.length).toBeGreaterThan(0);
    for (const r of ec2.requests) expect(r).toMatchObject({ accessKeyId: ACCESS_KEY_ID, region: "eu-west-1", service: "ec2" });
  });

  it("cuts a crash-consistent group of one instance's members with CreateSnapshots, once, and deletes every member", async () => {
    const group = await client.createGroupSnapshot(DRIVER, { name: "groupsnapshot-it-0001", sourceVolumeIds: ["vol-data", "vol-wal"] });
    expect(group.groupSnapshotId).toBe("groupsnapshot-it-0001");
    expect(group.snapshots.map((s) => s.sourceVolumeId).sort()).toEqual(["vol-data", "vol-wal"]);

    const cut = ec2.requests.filter((r) => r.action === "CreateSnapshots");
    expect(cut).toHaveLength(1);
    expect(cut[0]!.params).toMatchObject({
      "InstanceSpecification.InstanceId": "i-app",
      "InstanceSpecification.ExcludeBootVolume": "true",
      "InstanceSpecification.ExcludeDataVolumeId.1": "vol-logs",
    });
    expect(cut[0]!.params["InstanceSpecification.ExcludeDataVolumeId.2"]).toBeUndefined();
    const members = [...ec2.snapshots.values()].filter((s) => s.tags.CSIVolumeGroupSnapshotName === "groupsnapshot-it-0001");
    expect(members.map((s) => s.volumeId).sort()).toEqual(["vol-data", "vol-wal"]);

    const again = await client.createGroupSnapshot(DRIVER, { name: "groupsnapshot-it-0001", sourceVolumeIds: ["vol-wal", "vol-data"] });
    expect(again.snapshots.map((s) => s.snapshotId).sort()).toEqual(group.snapshots.map((s) => s.snapshotId).sort());
    expect(ec2.requests.filter((r) => r.action === "CreateSnapshots")).toHaveLength(1);

    const ref = { groupSnapshotId: group.groupSnapshotId, snapshotIds: group.snapshots.map((s) => s.snapshotId) };
    let info = await client.getGroupSnapshot(DRIVER, ref);
    for (let i = 0; i < 10 && !info?.readyToUse; i++) info = await client.getGroupSnapshot(DRIVER, ref);
    expect(info?.readyToUse).toBe(true);

    await client.deleteGroupSnapshot(DRIVER, ref);
    expect(members.some((s) => ec2.snapshots.has(s.id))).toBe(false);
    await expect(client.getGroupSnapshot(DRIVER, ref)).rejects.toMatchObject({ code: "NOT_FOUND", message: `group snapshot ${ref.groupSnapshotId} does not exist` });
  });

  it("refuses members on several instances, or unattached, with FAILED_PRECONDITION and cuts nothing", async () => {
    const cutsBefore = ec2.requests.filter((r) => r.action === "CreateSnapshots").length;
    const split = await failure(client.createGroupSnapshot(DRIVER, { name: "groupsnapshot-it-split", sourceVolumeIds: ["vol-data", "vol-elsewhere"] }));
    expect(split.code).toBe("FAILED_PRECONDITION");
    expect(split.retryable).toBe(false);
    expect(split.message).toContain("vol-data on i-app, vol-elsewhere on i-other");
    const loose = await failure(client.createGroupSnapshot(DRIVER, { name: "groupsnapshot-it-loose", sourceVolumeIds: ["vol-data", "vol-loose"] }));
    expect(loose.code).toBe("FAILED_PRECONDITION");
    expect(loose.message).toContain("vol-loose are not attached");
    expect(ec2.requests.filter((r) => r.action === "CreateSnapshots").length).toBe(cutsBefore);
  });

  it("retries throttling inside the backend and succeeds; persistent throttling arrives as RESOURCE_EXHAUSTED, retryable", async () => {
    ec2.failNext("CreateSnapshot", "RequestLimitExceeded", 2, 503, "Request limit exceeded.");
    const snap = await client.createSnapshot(DRIVER, { name: "snapshot-it-throttled", sourceVolumeId: "vol-wal" });
    expect(snap.sourceVolumeId).toBe("vol-wal");

    // As many failures as the backend's attempts (retry.maxAttempts), so none is left for later tests.
    ec2.failNext("CreateSnapshot", "SnapshotCreationPerVolumeRateExceeded", 4, 400, "The maximum per volume CreateSnapshot request rate has been exceeded.");
    const err = await failure(client.createSnapshot(DRIVER, { name: "snapshot-it-throttled-2", sourceVolumeId: "vol-wal" }));
    expect(err.code).toBe("RESOURCE_EXHAUSTED");
    expect(err.retryable).toBe(true);
    expect(err.message).toContain("SnapshotCreationPerVolumeRateExceeded");
    await client.deleteSnapshot(DRIVER, { snapshotId: snap.snapshotId });
  });

  it("passes auth and parameter errors on as final, with EC2's message and no credentials", async () => {
    ec2.failNext("DescribeSnapshots", "UnauthorizedOperation", 1, 403, "You are not authorized to perform this operation.");
    const denied = await failure(client.createSnapshot(DRIVER, { name: "snapshot-it-denied", sourceVolumeId: "vol-data" }));
    expect(denied).toMatchObject({ code: "PERMISSION_DENIED", retryable: false });
    expect(denied.message).toContain("You are not authorized to perform this operation.");

    ec2.failNext("DescribeSnapshots", "AuthFailure", 1, 401, `AWS was not able to validate the provided access credentials ${ACCESS_KEY_ID}`);
    const unauth = await failure(client.createSnapshot(DRIVER, { name: "snapshot-it-denied", sourceVolumeId: "vol-data" }));
    expect(unauth).toMatchObject({ code: "UNAUTHENTICATED", retryable: false });
    expect(unauth.message).not.toContain(ACCESS_KEY_ID);
    expect(unauth.message).not.toContain(SECRET_ACCESS_KEY);

    const missing = await failure(client.createSnapshot(DRIVER, { name: "snapshot-it-missing", sourceVolumeId: "vol-nope" }));
    expect(missing).toMatchObject({ code: "NOT_FOUND", retryable: false });
    expect(missing.message).toContain("The volume 'vol-nope' does not exist.");

    const tooSmall = await failure(
      client.createVolume(DRIVER, { name: "pvc-it-bad", requiredBytes: GiB, capabilities: FS, accessibilityRequirements: ZONE, parameters: { iops: "many" } }),
    );
    expect(tooSmall.code).toBe("INVALID_ARGUMENT");
  });
});

describe("endpoint from AWS_ENDPOINT_URL_EC2", () => {
  it("reaches the EC2 endpoint named by the standard environment variable when the config names none", async () => {
    process.env.AWS_ENDPOINT_URL_EC2 = ec2.url;
    const viaEnv = await startGateway({ config: { drivers: { [DRIVER]: backendEntry() }, logLevel: "silent" }, token: TOKEN });
    try {
      const c = createGatewayClient({ baseUrl: viaEnv.url, token: TOKEN, timeoutMs: 30_000 });
      const before = ec2.requests.length;
      const snap = await c.createSnapshot(DRIVER, { name: "snapshot-it-env", sourceVolumeId: "vol-logs" });
      expect(ec2.snapshots.get(snap.snapshotId)?.volumeId).toBe("vol-logs");
      expect(ec2.requests.length).toBeGreaterThan(before);
      await c.deleteSnapshot(DRIVER, { snapshotId: snap.snapshotId });
    } finally {
      delete process.env.AWS_ENDPOINT_URL_EC2;
      await viaEnv.close();
    }
  });
});
