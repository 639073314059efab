import { Writable } from "node:stream";
import { pino } from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import {
  GatewayError,
  type CsiCode,
  type GatewayErrorBody,
  type GroupSnapshotInfo,
  type SecretRef,
  type SnapshotInfo,
} from "../../shared/gateway/types.js";
import { createGatewayApp } from "./app.js";
import type { Backend, Secrets } from "./backend.js";
import { createGatewayMetrics } from "./metrics.js";
import type { SecretResolver } from "./secrets.js";

const TOKEN = "unit-test-token-0123456789";
const DRIVER = "mem.csi.test";
const PASSWORD = "hunter2-s3cr3t";

// An in-memory backend: remembers snapshots, records what it was handed (secrets included) and,
// when a request's parameters say `fail: <CODE>`, fails with a message that quotes its secrets —
// the worst case a real driver can produce.
class MemoryBackend implements Backend {
  readonly kind = "memory";
  readonly received: Array<{ op: string; req: Record<string, unknown> }> = [];
  readonly snapshots = new Map<string, SnapshotInfo>();

  private note(op: string, req: object): void {
    this.received.push({ op, req: req as Record<string, unknown> });
  }
  private maybeFail(parameters: Record<string, string> | undefined, secrets: Secrets | undefined): void {
    if (parameters?.fail) throw new GatewayError(parameters.fail as CsiCode, `driver refused; it was given ${JSON.stringify(secrets)}`);
  }
  async capabilities() {
    return { driver: DRIVER, plugin: ["CONTROLLER_SERVICE"], controller: ["CREATE_DELETE_SNAPSHOT"], groupController: [], node: [] };
  }
  async createVolume(req: Parameters<Backend["createVolume"]>[0]) {
    this.note("createVolume", req);
    this.maybeFail(req.parameters, req.secrets);
    const volumeContext: Record<string, string> = req.parameters?.echo ? { ...req.secrets, note: `pw=${req.secrets?.password}` } : {};
    return { volumeId: `vol-${req.name}`, capacityBytes: req.requiredBytes ?? 0, volumeContext };
  }
  async deleteVolume(req: { volumeId: string; secrets?: Secrets }) {
    this.note("deleteVolume", req);
  }
  async expandVolume(req: Parameters<Backend["expandVolume"]>[0]) {
    this.note("expandVolume", req);
    return { capacityBytes: req.requiredBytes, nodeExpansionRequired: false };
  }
  async createSnapshot(req: Parameters<Backend["createSnapshot"]>[0]) {
    this.note("createSnapshot", req);
    this.maybeFail(req.parameters, req.secrets);
    const s: SnapshotInfo = { snapshotId: `snap-${req.name}`, sourceVolumeId: req.sourceVolumeId, creationTimeNs: "1", sizeBytes: 1, readyToUse: true };
    this.snapshots.set(s.snapshotId, s);
    return s;
  }
  async getSnapshot(req: { snapshotId: string; secrets?: Secrets }) {
    this.note("getSnapshot", req);
    return this.snapshots.get(req.snapshotId);
  }
  async listSnapshots(req: Parameters<Backend["listSnapshots"]>[0]) {
    this.note("listSnapshots", req);
    return { entries: [...this.snapshots.values()] };
  }
  async deleteSnapshot(req: { snapshotId: string; secrets?: Secrets }) {
    this.note("deleteSnapshot", req);
    this.snapshots.delete(req.snapshotId);
  }
  async createGroupSnapshot(req: Parameters<Backend["createGroupSnapshot"]>[0]) {
    this.note("createGroupSnapshot", req);
    return { groupSnapshotId: `g-${req.name}`, snapshots: [], creationTimeNs: "2", readyToUse: true };
  }
  async getGroupSnapshot(req: { groupSnapshotId: string; snapshotIds: string[] }): Promise<GroupSnapshotInfo> {
    this.note("getGroupSnapshot", req);
    throw new GatewayError("NOT_FOUND", `group snapshot ${req.groupSnapshotId} does not exist`, false);
  }
  async deleteGroupSnapshot(req: { groupSnapshotId: string; snapshotIds: string[] }) {
    this.note("deleteGroupSnapshot", req);
  }
  async close() {}
}

const secretStore: Record<string, Secrets> = { "default/creds": { username: "admin", password: PASSWORD } };
const resolver: SecretResolver = {
  async resolve(ref: SecretRef) {
    const found = secretStore[`${ref.namespace}/${ref.name}`];
    if (!found) throw new GatewayError("FAILED_PRECONDITION", `Secret ${ref.namespace}/${ref.name} not found`, true);
    return found;
  },
};

let backend: MemoryBackend;
let logs: string[];
let app: ReturnType<typeof createGatewayApp>;

beforeEach(() => {
  backend = new MemoryBackend();
  logs = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  app = createGatewayApp({
    backends: new Map([[DRIVER, backend]]),
    token: TOKEN,
    secrets: resolver,
    logger: pino({ level: "info" }, sink),
    metrics: createGatewayMetrics(),
    maxBodyBytes: 4096,
  });
});

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function errorOf(res: Response): Promise<GatewayErrorBody["error"]> {
  return ((await res.json()) as GatewayErrorBody).error;
}

describe("auth", () => {
  it("leaves /healthz open", async () => {
    const res = await app.request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("answers 401 without a token, with a wrong one, and with a wrong scheme", async () => {
    for (const authorization of [undefined, "Bearer wrong-token", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const res = await app.request(`/v1/drivers/${DRIVER}/capabilities`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      const err = await errorOf(res);
      expect(err.code).toBe("UNAUTHENTICATED");
      expect(err.retryable).toBe(false);
    }
    expect((await app.request("/metrics")).status).toBe(401);
  });

  it("accepts the right token", async () => {
    const res = await app.request(`/v1/drivers/${DRIVER}/capabilities`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { driver: string }).driver).toBe(DRIVER);
  });
});

describe("request validation", () => {
  const cases: Array<[string, unknown, string]> = [
    ["/volumes", { capabilities: [] }, "body.name: required"],
    ["/volumes", { name: "v", capabilities: [] }, "body.capabilities: must not be empty"],
    ["/volumes", { name: "v", capabilities: [{ accessMode: "RW", volumeMode: "Filesystem" }] }, "body.capabilities[0].accessMode: must be one of"],
    ["/volumes", { name: "v", capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Disk" }] }, "body.capabilities[0].volumeMode"],
    ["/volumes", { name: "x".repeat(129), capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Block" }] }, "body.name: must be at most 128 bytes"],
    ["/volumes", { name: "a\u0001b", capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Block" }] }, "body.name: must not contain control characters"],
    ["/volumes", { name: "v", requiredBytes: -1, capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Block" }] }, "body.requiredBytes: must not be negative"],
    ["/volumes", { name: "v", requiredBytes: 10, limitBytes: 5, capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Block" }] }, "body.limitBytes: must not be smaller"],
    ["/volumes", { name: "v", capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Block" }], source: { snapshotId: "a", volumeId: "b" } }, "body.source: must have exactly one of"],
    ["/volumes", { name: "v", capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Block" }], parameters: { a: 1 } }, "body.parameters.a: must be a string"],
    ["/volumes", { name: "v", capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Block" }], secretRef: { name: "Bad_Name", namespace: "default" } }, "body.secretRef.name"],
    ["/volumes", { name: "v", capabilities: [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Block" }], colour: "red" }, "body.colour: unknown field"],
    ["/volumes/expand", { volumeId: "v", requiredBytes: 0 }, "body.requiredBytes: must be greater than 0"],
    ["/volumes/expand", { volumeId: "v", requiredBytes: 1.5 }, "body.requiredBytes: must be an integer"],
    ["/volumes/delete", {}, "body.volumeId: required"],
    ["/snapshots", { name: "s" }, "body.sourceVolumeId: required"],
    ["/snapshots", { name: "s", sourceVolumeId: 7 }, "body.sourceVolumeId: must be a string"],
    ["/snapshots/get", { snapshotId: "" }, "body.snapshotId: must not be empty"],
    ["/snapshots/list", { maxEntries: -3 }, "body.maxEntries: must not be negative"],
    ["/group-snapshots", { name: "g", sourceVolumeIds: ["a", "a"] }, 'body.sourceVolumeIds[1]: duplicate id "a"'],
    ["/group-snapshots/get", { groupSnapshotId: "g", snapshotIds: [] }, "body.snapshotIds: must not be empty"],
    ["/group-snapshots/delete", { groupSnapshotId: "g" }, "body.snapshotIds: required"],
    ["/snapshots", "{not json", "body: not valid JSON"],
    ["/snapshots", [1, 2], "body: must be a JSON object"],
  ];
  it.each(cases)("POST %s %j → 400 naming the field", async (path, body, message) => {
    const res = await post(`/v1/drivers/${DRIVER}${path}`, body);
    expect(res.status).toBe(400);
    const err = await errorOf(res);
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(message);
    expect(backend.received).toEqual([]);
  });

  it("answers 413 for a body over the limit, before the backend sees it", async () => {
    const res = await post(`/v1/drivers/${DRIVER}/snapshots/list`, { startingToken: "t".repeat(10_000) });
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toEqual({ code: "INVALID_ARGUMENT", message: "body: larger than 4096 bytes", retryable: false });
    expect(backend.received).toEqual([]);
  });

  it("rejects an x-snapflow-uid header that is not a plain identifier", async () => {
    const res = await post(`/v1/drivers/${DRIVER}/snapshots/list`, {}, { "x-snapflow-uid": "bad uid with spaces" });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain("header x-snapflow-uid");
  });
});

describe("dispatch", () => {
  it("answers 404 NOT_FOUND (final) for an unconfigured driver and UNIMPLEMENTED for unknown routes", async () => {
    const res = await post("/v1/drivers/nope.example.com/snapshots", { name: "s", sourceVolumeId: "v" });
    expect(res.status).toBe(404);
    const err = await errorOf(res);
    expect(err).toEqual({ code: "NOT_FOUND", message: `unknown driver "nope.example.com" (configured: ${DRIVER})`, retryable: false, origin: "gateway" });
    const route = await post(`/v1/drivers/${DRIVER}/teleport`, {});
    expect(route.status).toBe(404);
    expect((await errorOf(route)).code).toBe("UNIMPLEMENTED");
  });

  it("passes validated requests to the backend without the secretRef, and answers each route's shape", async () => {
    const cap = [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" }];
    const vol = await post(`/v1/drivers/${DRIVER}/volumes`, { name: "v1", requiredBytes: 1024, capabilities: cap, source: { snapshotId: "s0" } });
    expect(vol.status).toBe(200);
    expect(await vol.json()).toEqual({ volumeId: "vol-v1", capacityBytes: 1024, volumeContext: {} });
    expect(backend.received[0]).toEqual({
      op: "createVolume",
      req: { name: "v1", requiredBytes: 1024, capabilities: cap, source: { snapshotId: "s0" } },
    });
    const snap = await post(`/v1/drivers/${DRIVER}/snapshots`, { name: "s1", sourceVolumeId: "vol-v1" });
    expect(((await snap.json()) as SnapshotInfo).snapshotId).toBe("snap-s1");
    expect(await (await post(`/v1/drivers/${DRIVER}/snapshots/get`, { snapshotId: "snap-s1" })).json()).toMatchObject({
      snapshot: { snapshotId: "snap-s1" },
    });
    expect(await (await post(`/v1/drivers/${DRIVER}/snapshots/get`, { snapshotId: "snap-zz" })).json()).toEqual({ snapshot: null });
    expect(await (await post(`/v1/drivers/${DRIVER}/snapshots/list`, "")).json()).toMatchObject({ entries: [{ snapshotId: "snap-s1" }] });
    expect((await post(`/v1/drivers/${DRIVER}/snapshots/delete`, { snapshotId: "snap-s1" })).status).toBe(204);
    expect((await post(`/v1/drivers/${DRIVER}/volumes/delete`, { volumeId: "vol-v1" })).status).toBe(204);
    expect(await (await post(`/v1/drivers/${DRIVER}/volumes/expand`, { volumeId: "vol-v1", requiredBytes: 2048 })).json()).toEqual({
      capacityBytes: 2048,
      nodeExpansionRequired: false,
    });
    expect(await (await post(`/v1/drivers/${DRIVER}/group-snapshots`, { name: "g", sourceVolumeIds: ["a", "b"] })).json()).toMatchObject({
      groupSnapshotId: "g-g",
    });
    // A group the backend does not have: the driver's NOT_FOUND and its message, not an empty answer.
    const missing = await post(`/v1/drivers/${DRIVER}/group-snapshots/get`, { groupSnapshotId: "g-g", snapshotIds: ["x"] });
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toEqual({ code: "NOT_FOUND", message: "group snapshot g-g does not exist", retryable: false });
    expect((await post(`/v1/drivers/${DRIVER}/group-snapshots/delete`, { groupSnapshotId: "g-g", snapshotIds: ["x"] })).status).toBe(204);
    const drivers = await app.request("/v1/drivers", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await drivers.json()).toEqual({ drivers: [{ name: DRIVER, backend: "memory" }] });
  });

  const statuses: Array<[CsiCode, number, boolean]> = [
    ["INVALID_ARGUMENT", 400, false],
    ["NOT_FOUND", 404, false],
    ["ALREADY_EXISTS", 409, false],
    ["FAILED_PRECONDITION", 412, false],
    ["OUT_OF_RANGE", 422, false],
    ["PERMISSION_DENIED", 403, false],
    ["UNIMPLEMENTED", 501, false],
    ["ABORTED", 409, true],
    ["RESOURCE_EXHAUSTED", 429, true],
    ["UNAVAILABLE", 503, true],
    ["DEADLINE_EXCEEDED", 504, true],
    ["INTERNAL", 500, true],
  ];
  it.each(statuses)("a backend %s answers HTTP %i, retryable=%s", async (code, status, retryable) => {
    const res = await post(`/v1/drivers/${DRIVER}/snapshots`, { name: "s", sourceVolumeId: "v", parameters: { fail: code } });
    expect(res.status).toBe(status);
    const err = await errorOf(res);
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
  });
});

describe("secrets", () => {
  const secretRef = { name: "creds", namespace: "default" };

  it("resolves a secretRef and hands the backend the values, never the reference", async () => {
    const res = await post(`/v1/drivers/${DRIVER}/snapshots`, { name: "s", sourceVolumeId: "v", secretRef });
    expect(res.status).toBe(200);
    expect(backend.received[0]!.req).toEqual({ name: "s", sourceVolumeId: "v", secrets: { username: "admin", password: PASSWORD } });
  });

  it("marks nothing on a driver's own failure: only the driver's answers can be final for a caller", async () => {
    const res = await post(`/v1/drivers/${DRIVER}/snapshots`, { name: "s", sourceVolumeId: "v", parameters: { fail: "NOT_FOUND" } });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).origin).toBeUndefined();
  });

  it("scrubs secret values a driver echoes in an error, from the answer and the log", async () => {
    const res = await post(`/v1/drivers/${DRIVER}/snapshots`, { name: "s", sourceVolumeId: "v", secretRef, parameters: { fail: "INVALID_ARGUMENT" } });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain("[REDACTED]");
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain("admin");
    expect(logs.join("")).toContain("driver refused");
    expect(logs.join("")).not.toContain(PASSWORD);
  });

  it("scrubs secret values a driver echoes in a successful answer", async () => {
    const cap = [{ accessMode: "SINGLE_NODE_WRITER", volumeMode: "Filesystem" }];
    const res = await post(`/v1/drivers/${DRIVER}/volumes`, { name: "v", capabilities: cap, secretRef, parameters: { echo: "yes" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { volumeContext: Record<string, string> };
    expect(body.volumeContext).toEqual({ username: "[REDACTED]", password: "[REDACTED]", note: "pw=[REDACTED]" });
  });

  it("fails FAILED_PRECONDITION, retryable, naming only the Secret, when it does not exist", async () => {
    const res = await post(`/v1/drivers/${DRIVER}/snapshots`, { name: "s", sourceVolumeId: "v", secretRef: { name: "gone", namespace: "default" } });
    expect(res.status).toBe(412);
    expect(await errorOf(res)).toEqual({ code: "FAILED_PRECONDITION", message: "Secret default/gone not found", retryable: true, origin: "secret" });
    expect(backend.received).toEqual([]);
  });
});

describe("observability", () => {
  it("logs one line per call carrying the object UID, driver, operation and code", async () => {
    await post(`/v1/drivers/${DRIVER}/snapshots`, { name: "s", sourceVolumeId: "v" }, { "x-snapflow-uid": "0b6f3c1e-1d2a-4c55-9a8e-2f4d5e6a7b8c" });
    const lines = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "gateway call");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      uid: "0b6f3c1e-1d2a-4c55-9a8e-2f4d5e6a7b8c",
      driver: DRIVER,
      operation: "createSnapshot",
      target: "s",
      code: "OK",
    });
    expect(typeof lines[0]!.durationMs).toBe("number");
  });

  it("counts calls per operation and code and records latency on /metrics", async () => {
    await post(`/v1/drivers/${DRIVER}/snapshots`, { name: "s", sourceVolumeId: "v" });
    await post(`/v1/drivers/${DRIVER}/snapshots`, { name: "s", sourceVolumeId: "v", parameters: { fail: "ABORTED" } });
    const res = await app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain(`snapflow_gateway_calls_total{driver="${DRIVER}",operation="createSnapshot",code="OK"} 1`);
    expect(text).toContain(`snapflow_gateway_calls_total{driver="${DRIVER}",operation="createSnapshot",code="ABORTED"} 1`);
    expect(text).toContain(`snapflow_gateway_call_duration_seconds_count{driver="${DRIVER}",operation="createSnapshot"} 2`);
  });
});
