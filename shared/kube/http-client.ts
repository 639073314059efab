// KubeClient over plain HTTP(S): JSON in, JSON out. @kubernetes/client-node's KubeConfig supplies the
// server, TLS material and credentials; the transport is our own so that one keep-alive pool is
// reused for every call (client-node builds a fresh agent per request, which costs a TCP/TLS
// handshake each time — functions make several calls per event).
import type http from "node:http";
import type https from "node:https";
import { KubeConfig } from "@kubernetes/client-node";
import type { KubeList, KubeObject, Status } from "../api/meta.js";
import { apiVersionOf, resourcePath, type ResourceType } from "../api/resources.js";
import { nodeTransport } from "./node-transport.js";
import type { KubeTransport, Reply } from "./transport.js";
import { KubeApiError, type DeleteOptions, type KubeClient, type ListOptions, type PatchType } from "./types.js";
import { undiciTransport } from "./undici-transport.js";

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

const OWN_HEADERS = new Set(["accept", "user-agent", "content-type", "content-length"]);

/** Credentials from exec plugins or token files can rotate; re-ask the KubeConfig this often. */
const AUTH_REFRESH_MS = 10_000;

export interface HttpKubeClientOptions {
  /**
   * Per-request limit on silence from the API server: connecting, waiting for the answer, and
   * between body chunks (default 30 s). undici's timers tick about every half second, so it can
   * fire up to a second late.
   */
  timeoutMs?: number;
  /** Upper bound of parallel connections to the API server (default 64). */
  maxSockets?: number;
  userAgent?: string;
}

export interface HttpKubeClient extends KubeClient {
  /** Base URL of the API server. */
  readonly server: string;
  /** Drops idle keep-alive connections; the client stays usable (new connections are opened). */
  close(): void;
}

/** From a kubeconfig file, or (no path) from KUBECONFIG / ~/.kube/config / in-cluster service account. */
export function createKubeClient(kubeconfigPath?: string, options?: HttpKubeClientOptions): HttpKubeClient {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return createKubeClientFromConfig(kc, options);
}

export function createKubeClientFromConfig(kc: KubeConfig, options: HttpKubeClientOptions = {}): HttpKubeClient {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster (check current-context)");
  const base = new URL(cluster.server);
  const secure = base.protocol === "https:";
  if (!secure && base.protocol !== "http:") throw new Error(`unsupported API server URL scheme: ${base.protocol}`);
  if (!secure && !cluster.skipTLSVerify) {
    // Same rule as client-node: plain HTTP only when the kubeconfig says TLS is knowingly off.
    throw new Error(`API server ${cluster.server} is plain http: set insecure-skip-tls-verify: true to allow it`);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const userAgent = options.userAgent ?? "snapflow";
  const maxSockets = options.maxSockets ?? 64;

  let transport: KubeTransport | undefined;
  /** Flat [name, value, ...] headers of every call: Accept, User-Agent and the credentials. */
  let auth: { headers: readonly string[]; at: number } | undefined;
  let authPending: Promise<readonly string[]> | undefined;

  async function loadAuth(): Promise<{ headers: string[]; tls: https.AgentOptions; proxyAgent?: http.Agent }> {
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const headers: string[] = ["Accept", "application/json", "User-Agent", userAgent];
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      // Ours win, as they always have: a header list would otherwise send both.
      if (v === undefined || OWN_HEADERS.has(k.toLowerCase())) continue;
      headers.push(k, Array.isArray(v) ? v.join(", ") : String(v));
    }
    if (opts.auth) headers.push("Authorization", `Basic ${Buffer.from(opts.auth).toString("base64")}`);
    const tls: https.AgentOptions = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      pfx: opts.pfx,
      passphrase: opts.passphrase,
      servername: opts.servername,
    };
    if (opts.rejectUnauthorized !== undefined) tls.rejectUnauthorized = opts.rejectUnauthorized;
    // With a proxy-url, client-node's proxy agent (HTTP CONNECT / SOCKS) is the transport; it pools too.
    return { headers, tls, ...(cluster!.proxyUrl ? { proxyAgent: opts.agent as http.Agent } : {}) };
  }

  async function authHeaders(force = false): Promise<readonly string[]> {
    if (!force && auth && Date.now() - auth.at < AUTH_REFRESH_MS) return auth.headers;
    authPending ??= loadAuth()
      .then(({ headers, tls, proxyAgent }) => {
        // TLS material is read once: the pool (and its connections) must outlive a token refresh.
        transport ??= proxyAgent
          ? nodeTransport(base, proxyAgent, timeoutMs)
          : undiciTransport(base, { timeoutMs, connections: maxSockets, ...(secure ? { tls } : {}) });
        auth = { headers, at: Date.now() };
        return headers;
      })
      .finally(() => {
        authPending = undefined;
      });
    return authPending;
  }

  async function send(method: string, path: string, contentType: string | undefined, payload: string | undefined, force = false): Promise<Reply> {
    let headers = await authHeaders(force);
    // close() while the credentials were loading: the next load opens a new pool.
    if (!transport) headers = await authHeaders();
    return transport!.send(method, path, contentType === undefined ? headers : [...headers, "Content-Type", contentType], payload);
  }

  async function call(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const type = payload === undefined ? undefined : contentType;
    let reply: Reply;
    try {
      try {
        reply = await send(method, path, type, payload);
      } catch (err) {
        if (!(err as { staleSocket?: boolean }).staleSocket) throw err;
        reply = await send(method, path, type, payload);
      }
      if (reply.status === 401) {
        // A rotated token: ask the KubeConfig once more before giving up.
        reply = await send(method, path, type, payload, true);
      }
    } catch (err) {
      throw new Error(`kube ${method} ${path}: ${(err as Error).message}`, { cause: err });
    }
    return reply;
  }

  function fail(method: string, path: string, reply: Reply): never {
    const status = isStatus(reply.body) ? reply.body : undefined;
    const reason = status?.reason ?? reasonForCode(reply.status);
    const detail = status?.message ?? (typeof reply.body === "string" ? reply.body.slice(0, 300) : "");
    throw new KubeApiError(reply.status, reason, `kube ${method} ${path}: ${reply.status} ${reason}${detail ? `: ${detail}` : ""}`, status);
  }

  async function json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const reply = await call(method, path, body, contentType);
    if (reply.status < 200 || reply.status >= 300) fail(method, path, reply);
    return reply.body as T;
  }

  function withTypeMeta<T extends KubeObject>(type: ResourceType, object: T): T {
    if (object.apiVersion && object.kind) return object;
    return { ...object, apiVersion: object.apiVersion ?? apiVersionOf(type), kind: object.kind ?? type.kind };
  }

  function objectPath(type: ResourceType, object: KubeObject, subresource?: string): string {
    const name = object.metadata?.name;
    if (!name) throw new Error(`${type.kind} without metadata.name`);
    return resourcePath(type, object.metadata.namespace, name) + (subresource ? `/${subresource}` : "");
  }

  const client: HttpKubeClient = {
    server: cluster.server,

    async get<T extends KubeObject>(type: ResourceType, name: string, namespace?: string): Promise<T | undefined> {
      const path = resourcePath(type, namespace, name);
      const reply = await call("GET", path);
      if (reply.status === 404) return undefined;
      if (reply.status < 200 || reply.status >= 300) fail("GET", path, reply);
      return reply.body as T;
    },

    async list<T extends KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<KubeList<T>> {
      const query = new URLSearchParams();
      if (options.labelSelector) query.set("labelSelector", options.labelSelector);
      if (options.fieldSelector) query.set("fieldSelector", options.fieldSelector);
      if (options.limit !== undefined) query.set("limit", String(options.limit));
      if (options.continue) query.set("continue", options.continue);
      const qs = query.toString();
      return json<KubeList<T>>("GET", resourcePath(type, options.namespace) + (qs ? `?${qs}` : ""));
    },

    async create<T extends KubeObject>(type: ResourceType, object: T): Promise<T> {
      return json<T>("POST", resourcePath(type, object.metadata?.namespace), withTypeMeta(type, object));
    },

    async update<T extends KubeObject>(type: ResourceType, object: T): Promise<T> {
      return json<T>("PUT", objectPath(type, object), withTypeMeta(type, object));
    },

    async updateStatus<T extends KubeObject>(type: ResourceType, object: T): Promise<T> {
      return json<T>("PUT", objectPath(type, object, "status"), withTypeMeta(type, object));
    },

    async patch<T extends KubeObject>(
      type: ResourceType,
      name: string,
      namespace: string | undefined,
      patch: unknown,
      patchType: PatchType = "merge",
      subresource?: "status",
    ): Promise<T> {
      const path = resourcePath(type, namespace, name) + (subresource ? `/${subresource}` : "");
      return json<T>("PATCH", path, patch, PATCH_CONTENT_TYPES[patchType]);
    },

    async delete<T extends KubeObject>(
      type: ResourceType,
      name: string,
      namespace?: string,
      options: DeleteOptions = {},
    ): Promise<T | undefined> {
      const path = resourcePath(type, namespace, name);
      const body: Record<string, unknown> = { apiVersion: "v1", kind: "DeleteOptions" };
      if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
      if (options.uid !== undefined || options.resourceVersion !== undefined) {
        body.preconditions = {
          ...(options.uid !== undefined ? { uid: options.uid } : {}),
          ...(options.resourceVersion !== undefined ? { resourceVersion: options.resourceVersion } : {}),
        };
      }
      const reply = await call("DELETE", path, body);
      if (reply.status === 404) return undefined;
      if (reply.status < 200 || reply.status >= 300) fail("DELETE", path, reply);
      // The API server answers with the object as it now is: still there (finalizers pending) or
      // its last state / a Success Status once it is gone.
      if (isStatus(reply.body)) return undefined;
      const object = reply.body as T;
      const remains = Boolean(object?.metadata?.deletionTimestamp) && (object.metadata.finalizers?.length ?? 0) > 0;
      return remains ? object : undefined;
    },

    close(): void {
      transport?.close();
      transport = undefined;
      auth = undefined;
    },
  };
  return client;
}

function isStatus(body: unknown): body is Status {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "Status";
}

function reasonForCode(code: number): string {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 504:
      return "Timeout";
    default:
      return code >= 500 ? "InternalError" : "Unknown";
  }
}
