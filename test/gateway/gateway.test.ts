// The driver gateway over HTTP against the real hostpath CSI driver (gRPC on a unix socket), a
// small real CSI driver with few capabilities that echoes secrets, and a Kubernetes API holding
// the Secrets requests name.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type RunningGateway } from "../../infra/gateway/index.js";
import { startHostpathDriver } from "../../infra/hostpath/index.js";
import type { Secret } from "../../shared/api/core.js";
import { RESOURCES } from "../../shared/api/resources.js";
import { createGatewayClient, type HttpGatewayClient } from "../../shared/gateway/client.js";
import { GatewayError, type GatewayErrorBody, type VolumeCapability } from "../../shared/gateway/types.js";
import { createKubeClient } from "../../shared/kube/http-client.js";
import { startFakeApiServer, type FakeApiServer } from "../support/fake-apiserver.js";
import { startMiniCsiDriver, type MiniCsiDriver } from "../support/mini-csi-driver.js";

const HOSTPATH = "hostpath.snapflow.dev";
const LIMITED = "limited.csi.test";
const TOKEN = "integration-token-9f8e7d6c5b4a";
const PASSWORD = "pa55-w0rd-never-logged";
const FS: VolumeCapability[] = [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" }];
const MiB = 1024 * 1024;

let dir: string;
let dataDir: string;
let endpoint: string;
let hostpath: { close(): Promise<void> } | undefined;
let limited: MiniCsiDriver;
let api: FakeApiServer;
let gateway: RunningGateway;
let client: HttpGatewayClient;

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

async function raw(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set("authorization", `Bearer ${init.token ?? TOKEN}`);
  return fetch(`${gateway.url}${path}`, { ...init, headers });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gateway-it-"));
  dataDir = join(dir, "hostpath");
  await mkdir(dataDir);
  endpoint = `unix://${join(dir, "csi.sock")}`;
  hostpath = await startHostpathDriver({ dataDir, endpoint });
  limited = await startMiniCsiDriver({ name: LIMITED, controller: ["CREATE_DELETE_SNAPSHOT"] });
  api = await startFakeApiServer();
  const kubeconfig = await api.kubeconfig(dir);
  const kube = createKubeClient(kubeconfig);
  await kube.create<Secret>(RESOURCES.secrets, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "storage-creds", namespace: "default" },
    data: { username: Buffer.from("admin").toString("base64"), password: Buffer.from(PASSWORD).toString("base64") },
  } as Secret);
  kube.close();
  gateway = await startGateway({
    config: {
      drivers: {
        [HOSTPATH]: { backend: "csi", address: endpoint, timeoutSeconds: 20 },
        [LIMITED]: { backend: "csi", address: limited.endpoint, timeoutSeconds: 5 },
      },
      maxBodyBytes: 8192,
      logLevel: "silent",
    },
    token: TOKEN,
    kubeconfigPath: kubeconfig,
  });
  client = createGatewayClient({ baseUrl: gateway.url, token: TOKEN, timeoutMs: 30_000 });
});

afterAll(async () => {
  await gateway?.close();
  await hostpath?.close();
  await limited?.close();
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("auth and health over HTTP", () => {
  it("serves /healthz without a token", async () => {
    const res = await raw("/healthz", { token: null });
    expect(res.status).toBe(200);
  });

  it("answers 401 UNAUTHENTICATED for a missing or wrong token on every other route", async () => {
    for (const [path, method] of [
      [`/v1/drivers/${HOSTPATH}/capabilities`, "GET"],
      [`/v1/drivers/${HOSTPATH}/snapshots/list`, "POST"],
      ["/metrics", "GET"],
      ["/v1/drivers", "GET"],
    ] as const) {
      for (const token of [null, "not-the-token"]) {
        const res = await raw(path, { method, token, body: method === "POST" ? "{}" : undefined });
        expect(res.status).toBe(401);
        expect(((await res.json()) as GatewayErrorBody).error.code).toBe("UNAUTHENTICATED");
      }
    }
    const wrong = createGatewayClient({ baseUrl: gateway.url, token: "wrong" });
    const err = await failure(wrong.capabilities(HOSTPATH));
    expect(err.code).toBe("UNAUTHENTICATED");
    expect(err.retryable).toBe(false);
  });

  it("exposes Prometheus metrics with the token", async () => {
    await client.capabilities(HOSTPATH);
    const res = await raw("/metrics");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(`snapflow_gateway_calls_total{driver="${HOSTPATH}",operation="capabilities",code="OK"}`);
    expect(text).toContain("snapflow_gateway_process_cpu_seconds_total");
  });
});

describe("every route against the hostpath driver", () => {
  it("reads the driver's capabilities", async () => {
    const caps = await client.capabilities(HOSTPATH);
    expect(caps.driver).toBe(HOSTPATH);
    expect(caps.controller).toEqual(
      expect.arrayContaining(["CREATE_DELETE_VOLUME", "CLONE_VOLUME", "EXPAND_VOLUME", "CREATE_DELETE_SNAPSHOT", "LIST_SNAPSHOTS"]),
    );
    expect(caps.groupController).toEqual(["CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT"]);
    expect(caps.plugin).toEqual(["CONTROLLER_SERVICE", "GROUP_CONTROLLER_SERVICE"]);
    // The hostpath driver is a controller plugin only: it serves no Node service.
    expect(caps.node).toEqual([]);
  });

  it("creates, snapshots, restores, clones, expands and deletes, with the data where it belongs", async () => {
    const uidClient = client.forUid("3f0c9a56-0000-4000-8000-00000000a001");
    const vol = await uidClient.createVolume(HOSTPATH, { name: "pvc-it-1", requiredBytes: 8 * MiB, capabilities: FS });
    expect(vol.capacityBytes).toBe(8 * MiB);
    const hostPath = vol.volumeContext.hostPath!;
    expect(hostPath.startsWith(dataDir)).toBe(true);
    await writeFile(join(hostPath, "before.txt"), "cut into the snapshot");
    // Same name, same arguments: the same volume (idempotent).
    expect(await client.createVolume(HOSTPATH, { name: "pvc-it-1", requiredBytes: 8 * MiB, capabilities: FS })).toEqual(vol);

    const snap = await client.createSnapshot(HOSTPATH, { name: "snapshot-it-1", sourceVolumeId: vol.volumeId });
    expect(snap).toMatchObject({ sourceVolumeId: vol.volumeId, readyToUse: true, sizeBytes: 8 * MiB });
    expect(BigInt(snap.creationTimeNs)).toBeGreaterThan(0n);
    await writeFile(join(hostPath, "after.txt"), "written after the snapshot");

    expect(await client.getSnapshot(HOSTPATH, { snapshotId: snap.snapshotId })).toEqual(snap);
    expect(await client.getSnapshot(HOSTPATH, { snapshotId: "snap-does-not-exist" })).toBeUndefined();
    const bySource = await client.listSnapshots(HOSTPATH, { sourceVolumeId: vol.volumeId });
    expect(bySource.entries.map((s) => s.snapshotId)).toEqual([snap.snapshotId]);

    const restored = await client.createVolume(HOSTPATH, {
      name: "pvc-it-restore",
      requiredBytes: 8 * MiB,
      capabilities: FS,
      source: { snapshotId: snap.snapshotId },
    });
    expect(restored.source).toEqual({ snapshotId: snap.snapshotId });
    expect(await readFile(join(restored.volumeContext.hostPath!, "before.txt"), "utf8")).toBe("cut into the snapshot");
    expect(existsSync(join(restored.volumeContext.hostPath!, "after.txt"))).toBe(false);

    const clone = await client.createVolume(HOSTPATH, { name: "pvc-it-clone", capabilities: FS, source: { volumeId: vol.volumeId } });
    expect(clone.source).toEqual({ volumeId: vol.volumeId });
    expect(await readFile(join(clone.volumeContext.hostPath!, "after.txt"), "utf8")).toBe("written after the snapshot");

    expect(await client.expandVolume(HOSTPATH, { volumeId: vol.volumeId, requiredBytes: 16 * MiB })).toEqual({
      capacityBytes: 16 * MiB,
      nodeExpansionRequired: false,
    });

    await client.deleteSnapshot(HOSTPATH, { snapshotId: snap.snapshotId });
    expect(await client.getSnapshot(HOSTPATH, { snapshotId: snap.snapshotId })).toBeUndefined();
    // Deleting what is gone succeeds.
    await client.deleteSnapshot(HOSTPATH, { snapshotId: snap.snapshotId });
    for (const v of [vol, restored, clone]) await client.deleteVolume(HOSTPATH, { volumeId: v.volumeId });
    await client.deleteVolume(HOSTPATH, { volumeId: vol.volumeId });
    expect(existsSync(hostPath)).toBe(false);
  });

  it("pages through ListSnapshots and reports a bad token as ABORTED (retryable)", async () => {
    const vol = await client.createVolume(HOSTPATH, { name: "pvc-it-list", requiredBytes: MiB, capabilities: FS });
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push((await client.createSnapshot(HOSTPATH, { name: `snapshot-it-list-${n}`, sourceVolumeId: vol.volumeId })).snapshotId);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.listSnapshots(HOSTPATH, { maxEntries: 1, startingToken: token });
      expect(page.entries.length).toBeLessThanOrEqual(1);
      seen.push(...page.entries.map((s) => s.snapshotId));
      token = page.nextToken;
      pages++;
    } while (token && pages < 50);
    expect(seen).toEqual(expect.arrayContaining(ids));
    const err = await failure(client.listSnapshots(HOSTPATH, { startingToken: "not-a-token-this-driver-issued" }));
    expect(err.code).toBe("ABORTED");
    expect(err.retryable).toBe(true);
    for (const id of ids) await client.deleteSnapshot(HOSTPATH, { snapshotId: id });
    await client.deleteVolume(HOSTPATH, { volumeId: vol.volumeId });
  });

  it("cuts, reads and deletes a group snapshot", async () => {
    const a = await client.createVolume(HOSTPATH, { name: "pvc-it-ga", requiredBytes: MiB, capabilities: FS });
    const b = await client.createVolume(HOSTPATH, { name: "pvc-it-gb", requiredBytes: MiB, capabilities: FS });
    const group = await client.createGroupSnapshot(HOSTPATH, { name: "groupsnapshot-it-1", sourceVolumeIds: [a.volumeId, b.volumeId] });
    expect(group.readyToUse).toBe(true);
    expect(group.snapshots.map((s) => s.sourceVolumeId).sort()).toEqual([a.volumeId, b.volumeId].sort());
    for (const s of group.snapshots) expect(s.groupSnapshotId).toBe(group.groupSnapshotId);
    const ref = { groupSnapshotId: group.groupSnapshotId, snapshotIds: group.snapshots.map((s) => s.snapshotId) };
    expect(await client.getGroupSnapshot(HOSTPATH, ref)).toEqual(group);
    // A member cannot be deleted on its own.
    const member = await failure(client.deleteSnapshot(HOSTPATH, { snapshotId: ref.snapshotIds[0]! }));
    expect(member.retryable).toBe(false);
    await client.deleteGroupSnapshot(HOSTPATH, ref);
    // GetVolumeGroupSnapshot's NOT_FOUND is the driver's answer, passed on with its own message.
    const gone = await failure(client.getGroupSnapshot(HOSTPATH, ref));
    expect({ code: gone.code, message: gone.message, origin: gone.origin }).toEqual({ code: "NOT_FOUND", message: `group snapshot ${ref.groupSnapshotId} does not exist`, origin: undefined });
    for (const v of [a, b]) await client.deleteVolume(HOSTPATH, { volumeId: v.volumeId });
  });

  it("passes the driver's final errors through with fitting HTTP statuses", async () => {
    const vol = await client.createVolume(HOSTPATH, { name: "pvc-it-err", requiredBytes: 4 * MiB, capabilities: FS });
    const other = await client.createVolume(HOSTPATH, { name: "pvc-it-err-2", requiredBytes: MiB, capabilities: FS });
    const snap = await client.createSnapshot(HOSTPATH, { name: "snapshot-it-err", sourceVolumeId: vol.volumeId });

    const exists = await raw(`/v1/drivers/${HOSTPATH}/snapshots`, {
      method: "POST",
      body: JSON.stringify({ name: "snapshot-it-err", sourceVolumeId: other.volumeId }),
    });
    expect(exists.status).toBe(409);
    expect(((await exists.json()) as GatewayErrorBody).error).toMatchObject({ code: "ALREADY_EXISTS", retryable: false });

    const tooSmall = await failure(
      client.createVolume(HOSTPATH, { name: "pvc-it-small", requiredBytes: MiB, capabilities: FS, source: { snapshotId: snap.snapshotId } }),
    );
    expect({ code: tooSmall.code, retryable: tooSmall.retryable }).toEqual({ code: "OUT_OF_RANGE", retryable: false });

    const missing = await raw(`/v1/drivers/${HOSTPATH}/snapshots`, {
      method: "POST",
      body: JSON.stringify({ name: "snapshot-it-missing", sourceVolumeId: "vol-does-not-exist" }),
    });
    expect([400, 404]).toContain(missing.status);
    expect(((await missing.json()) as GatewayErrorBody).error.retryable).toBe(false);

    await client.deleteSnapshot(HOSTPATH, { snapshotId: snap.snapshotId });
    for (const v of [vol, other]) await client.deleteVolume(HOSTPATH, { volumeId: v.volumeId });
  });
});

describe("bad requests over HTTP", () => {
  it("answers 400 naming the field, before the driver sees anything", async () => {
    const res = await raw(`/v1/drivers/${HOSTPATH}/volumes`, {
      method: "POST",
      body: JSON.stringify({ name: "pvc-bad", capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem", fsType: 4 }] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as GatewayErrorBody).error).toEqual({
      code: "INVALID_ARGUMENT",
      message: "body.capabilities[0].fsType: must be a string",
      retryable: false,
    });
    const typed = await failure(client.createSnapshot(HOSTPATH, { name: "", sourceVolumeId: "v" }));
    expect({ code: typed.code, message: typed.message }).toEqual({ code: "INVALID_ARGUMENT", message: "body.name: must not be empty" });
  });

  it("answers 413 for an oversized body", async () => {
    const res = await raw(`/v1/drivers/${HOSTPATH}/snapshots`, {
      method: "POST",
      body: JSON.stringify({ name: "s", sourceVolumeId: "v", parameters: { filler: "x".repeat(20_000) } }),
    });
    expect(res.status).toBe(413);
  });

  it("answers 404 for a driver the gateway does not serve", async () => {
    const err = await failure(client.capabilities("unknown.example.com"));
    expect(err.code).toBe("NOT_FOUND");
    expect(err.message).toContain('unknown driver "unknown.example.com"');
  });
});

describe("secrets", () => {
  const secretRef = { name: "storage-creds", namespace: "default" };

  it("reads the named Secret from the cluster and passes its decoded data to the driver", async () => {
    const snap = await client.createSnapshot(LIMITED, { name: "s-secret", sourceVolumeId: "vol-x", secretRef });
    expect(snap.snapshotId).toBe("snap-s-secret");
    expect(limited.lastSecrets()).toEqual({ username: "admin", password: PASSWORD });
  });

  it("scrubs secret values a driver echoes in its error", async () => {
    const res = await raw(`/v1/drivers/${LIMITED}/snapshots`, {
      method: "POST",
      body: JSON.stringify({ name: "s-echo", sourceVolumeId: "vol-x", secretRef, parameters: { fail: "PERMISSION_DENIED" } }),
    });
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain("admin");
    expect(text).toContain("[REDACTED]");
    const err = await failure(
      client.createSnapshot(LIMITED, { name: "s-echo", sourceVolumeId: "vol-x", secretRef, parameters: { fail: "INVALID_ARGUMENT" } }),
    );
    expect(err.message).toContain("user=[REDACTED]");
    expect(err.message).not.toContain(PASSWORD);
  });

  it("fails FAILED_PRECONDITION, retryable, when the Secret does not exist", async () => {
    const err = await failure(
      client.createSnapshot(HOSTPATH, { name: "s-nosecret", sourceVolumeId: "v", secretRef: { name: "absent", namespace: "default" } }),
    );
    expect({ code: err.code, retryable: err.retryable, message: err.message }).toEqual({
      code: "FAILED_PRECONDITION",
      retryable: true,
      message: "Secret default/absent not found",
    });
  });
});

describe("capability refusal", () => {
  it("refuses what the driver does not advertise with a final 501 UNIMPLEMENTED", async () => {
    const res = await raw(`/v1/drivers/${LIMITED}/volumes`, { method: "POST", body: JSON.stringify({ name: "v", capabilities: FS }) });
    expect(res.status).toBe(501);
    expect(((await res.json()) as GatewayErrorBody).error).toMatchObject({ code: "UNIMPLEMENTED", retryable: false });
    for (const call of [
      () => client.expandVolume(LIMITED, { volumeId: "v", requiredBytes: 1 }),
      () => client.listSnapshots(LIMITED, {}),
      () => client.getSnapshot(LIMITED, { snapshotId: "s" }),
      () => client.createGroupSnapshot(LIMITED, { name: "g", sourceVolumeIds: ["a"] }),
    ]) {
      const err = await failure(call());
      expect({ code: err.code, retryable: err.retryable }).toEqual({ code: "UNIMPLEMENTED", retryable: false });
    }
    expect(limited.calls).not.toContain("CreateVolume");
  });
});

describe("driver restart", () => {
  it("fails retryable while the driver is down and serves again, with its state, once it is back", async () => {
    const vol = await client.createVolume(HOSTPATH, { name: "pvc-it-restart", requiredBytes: MiB, capabilities: FS });
    const snap = await client.createSnapshot(HOSTPATH, { name: "snapshot-it-restart", sourceVolumeId: vol.volumeId });

    await hostpath!.close();
    hostpath = undefined;
    for (let i = 0; i < 3; i++) {
      const err = await failure(client.getSnapshot(HOSTPATH, { snapshotId: snap.snapshotId }));
      expect(err.code).toBe("UNAVAILABLE");
      expect(err.retryable).toBe(true);
    }

    hostpath = await startHostpathDriver({ dataDir, endpoint });
    // The gateway redials on its own; the first calls may still meet the old connection's failure.
    let found;
    for (let attempt = 0; attempt < 50 && found === undefined; attempt++) {
      try {
        found = await client.getSnapshot(HOSTPATH, { snapshotId: snap.snapshotId });
      } catch (err) {
        expect((err as GatewayError).retryable).toBe(true);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(found).toEqual(snap);
    await client.deleteSnapshot(HOSTPATH, { snapshotId: snap.snapshotId });
    await client.deleteVolume(HOSTPATH, { volumeId: vol.volumeId });
  });
});
