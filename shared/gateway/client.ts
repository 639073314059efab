// The typed HTTP client for the driver gateway (what functions use as ReconcileContext.gateway).
// Every failure is a GatewayError: the gateway's own error body when it answered, UNAVAILABLE
// (retryable) when it could not be reached, DEADLINE_EXCEEDED (retryable) when it did not answer in time.
import {
  GatewayError,
  RETRYABLE_CODES,
  type CreateGroupSnapshotRequest,
  type CreateSnapshotRequest,
  type CreateVolumeRequest,
  type CsiCode,
  type DriverCapabilities,
  type ExpandVolumeRequest,
  type ExpandVolumeResult,
  type GatewayClient,
  type GatewayErrorBody,
  type GroupSnapshotInfo,
  type GroupSnapshotRef,
  type ListSnapshotsRequest,
  type ListSnapshotsResult,
  type SecretRef,
  type SnapshotInfo,
  type VolumeInfo,
} from "./types.js";
import { CallTimeout, fetchTransport, type Transport } from "./transport.js";
import { undiciTransport } from "./undici-transport.js";

/** Header carrying the UID of the object a call is about, so gateway log lines can be joined to it. */
export const GATEWAY_UID_HEADER = "x-snapflow-uid";

export const DEFAULT_GATEWAY_TIMEOUT_MS = 90_000;

export interface GatewayClientOptions {
  /** e.g. http://127.0.0.1:7480 */
  baseUrl: string;
  token: string;
  /** Per-call limit; the gateway's own backend deadlines should be shorter. */
  timeoutMs?: number;
  /** Injected fetch (e.g. an in-process app.fetch); default the global fetch. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

export interface GatewayCallOptions {
  /** UID of the Kubernetes object this call is about (logged by the gateway). */
  uid?: string;
  signal?: AbortSignal;
}

const CODE_NAMES: ReadonlySet<string> = new Set<CsiCode>([
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
  "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
]);

// When something other than the gateway answered (a proxy, a crashed process), the status alone decides.
function codeForStatus(status: number): CsiCode {
  if (status === 400 || status === 413 || status === 422) return "INVALID_ARGUMENT";
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 403) return "PERMISSION_DENIED";
  if (status === 404) return "NOT_FOUND";
  if (status === 409) return "ABORTED";
  if (status === 429) return "RESOURCE_EXHAUSTED";
  if (status === 504) return "DEADLINE_EXCEEDED";
  if (status >= 500) return "UNAVAILABLE";
  return "UNKNOWN";
}

function errorFromBody(status: number, text: string): GatewayError {
  try {
    const body = JSON.parse(text) as Partial<GatewayErrorBody>;
    const e = body.error;
    if (e && typeof e.code === "string" && CODE_NAMES.has(e.code) && typeof e.message === "string") {
      const code = e.code as CsiCode;
      const origin = e.origin === "gateway" || e.origin === "secret" ? e.origin : undefined;
      return new GatewayError(code, e.message, typeof e.retryable === "boolean" ? e.retryable : RETRYABLE_CODES.has(code), origin);
    }
  } catch {
    // not the gateway's JSON: fall through to the status
  }
  // No driver stood behind such an answer, whatever its status says.
  const code = codeForStatus(status);
  return new GatewayError(code, `gateway answered HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ""}`, RETRYABLE_CODES.has(code), "gateway");
}

export class HttpGatewayClient implements GatewayClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly transport: Transport;
  private readonly bearer: string;

  constructor(private readonly opts: GatewayClientOptions) {
    if (!opts.token) throw new Error("gateway client: token must not be empty");
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_GATEWAY_TIMEOUT_MS;
    this.transport = opts.fetch ? fetchTransport(this.baseUrl, opts.fetch) : undiciTransport(this.baseUrl);
    this.bearer = `Bearer ${opts.token}`;
  }

  /** The same client, with every call tagged with the given object UID. */
  forUid(uid: string): GatewayClient {
    const c = this;
    const o: GatewayCallOptions = { uid };
    return {
      capabilities: (d) => c.capabilities(d, o),
      createVolume: (d, r) => c.createVolume(d, r, o),
      deleteVolume: (d, r) => c.deleteVolume(d, r, o),
      expandVolume: (d, r) => c.expandVolume(d, r, o),
      createSnapshot: (d, r) => c.createSnapshot(d, r, o),
      getSnapshot: (d, r) => c.getSnapshot(d, r, o),
      listSnapshots: (d, r) => c.listSnapshots(d, r, o),
      deleteSnapshot: (d, r) => c.deleteSnapshot(d, r, o),
      createGroupSnapshot: (d, r) => c.createGroupSnapshot(d, r, o),
      getGroupSnapshot: (d, r) => c.getGroupSnapshot(d, r, o),
      deleteGroupSnapshot: (d, r) => c.deleteGroupSnapshot(d, r, o),
    };
  }

  private async request<T>(method: "GET" | "POST", driver: string, path: string, body: unknown, call: GatewayCallOptions = {}): Promise<T> {
    const headers = ["authorization", this.bearer, "accept", "application/json"];
    if (body !== undefined) headers.push("content-type", "application/json");
    if (call.uid) headers.push(GATEWAY_UID_HEADER, call.uid);
    let status: number;
    let text: string;
    try {
      ({ status, text } = await this.transport(`/v1/drivers/${encodeURIComponent(driver)}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: this.timeoutMs,
        signal: call.signal,
      }));
    } catch (err) {
      if (err instanceof CallTimeout) throw new GatewayError("DEADLINE_EXCEEDED", `gateway ${method} ${path}: no answer within ${this.timeoutMs} ms`);
      if (call.signal?.aborted) throw new GatewayError("CANCELLED", `gateway ${method} ${path}: cancelled by caller`);
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      throw new GatewayError("UNAVAILABLE", `gateway ${this.baseUrl} unreachable: ${cause ?? (err as Error).message}`);
    }
    if (status < 200 || status > 299) throw errorFromBody(status, text);
    if (status === 204 || text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new GatewayError("UNKNOWN", `gateway ${method} ${path}: answer is not JSON`, RETRYABLE_CODES.has("UNKNOWN"), "gateway");
    }
  }

  capabilities(driver: string, call?: GatewayCallOptions): Promise<DriverCapabilities> {
    return this.request("GET", driver, "/capabilities", undefined, call);
  }

  createVolume(driver: string, req: CreateVolumeRequest, call?: GatewayCallOptions): Promise<VolumeInfo> {
    return this.request("POST", driver, "/volumes", req, call);
  }

  async deleteVolume(driver: string, req: { volumeId: string; secretRef?: SecretRef }, call?: GatewayCallOptions): Promise<void> {
    await this.request("POST", driver, "/volumes/delete", req, call);
  }

  expandVolume(driver: string, req: ExpandVolumeRequest, call?: GatewayCallOptions): Promise<ExpandVolumeResult> {
    return this.request("POST", driver, "/volumes/expand", req, call);
  }

  createSnapshot(driver: string, req: CreateSnapshotRequest, call?: GatewayCallOptions): Promise<SnapshotInfo> {
    return this.request("POST", driver, "/snapshots", req, call);
  }

  async getSnapshot(driver: string, req: { snapshotId: string; secretRef?: SecretRef }, call?: GatewayCallOptions): Promise<SnapshotInfo | undefined> {
    const res = await this.request<{ snapshot: SnapshotInfo | null }>("POST", driver, "/snapshots/get", req, call);
    return res.snapshot ?? undefined;
  }

  listSnapshots(driver: string, req: ListSnapshotsRequest, call?: GatewayCallOptions): Promise<ListSnapshotsResult> {
    return this.request("POST", driver, "/snapshots/list", req, call);
  }

  async deleteSnapshot(driver: string, req: { snapshotId: string; secretRef?: SecretRef }, call?: GatewayCallOptions): Promise<void> {
    await this.request("POST", driver, "/snapshots/delete", req, call);
  }

  createGroupSnapshot(driver: string, req: CreateGroupSnapshotRequest, call?: GatewayCallOptions): Promise<GroupSnapshotInfo> {
    return this.request("POST", driver, "/group-snapshots", req, call);
  }

  async getGroupSnapshot(driver: string, req: GroupSnapshotRef, call?: GatewayCallOptions): Promise<GroupSnapshotInfo> {
    const res = await this.request<{ groupSnapshot: GroupSnapshotInfo | null }>("POST", driver, "/group-snapshots/get", req, call);
    // A gateway from before NOT_FOUND was passed on answers null without the driver's message.
    if (!res.groupSnapshot) throw new GatewayError("NOT_FOUND", `group snapshot ${req.groupSnapshotId} not found (the gateway did not pass on the driver's message)`, false);
    return res.groupSnapshot;
  }

  async deleteGroupSnapshot(driver: string, req: GroupSnapshotRef, call?: GatewayCallOptions): Promise<void> {
    await this.request("POST", driver, "/group-snapshots/delete", req, call);
  }
}

export function createGatewayClient(opts: GatewayClientOptions): HttpGatewayClient {
  return new HttpGatewayClient(opts);
}

/**
 * Tags a client's calls with an object UID when it can (an HttpGatewayClient or anything with
 * forUid); any other GatewayClient is returned unchanged. For the function framework: one call per event.
 */
export function gatewayForUid(client: GatewayClient, uid: string): GatewayClient {
  const withUid = (client as Partial<Pick<HttpGatewayClient, "forUid">>).forUid;
  return typeof withUid === "function" ? withUid.call(client, uid) : client;
}
