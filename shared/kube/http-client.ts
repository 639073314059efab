// KubeClient over plain HTTP(S): JSON in, JSON out. @kubernetes/client-node's KubeConfig supplies the
// server, TLS material and credentials; the transport is our own so that one keep-alive agent is
// reused for every call (client-node builds a fresh agent per request, which costs a TCP/TLS
// handshake each time — functions make several calls per event).
import http from "node:http";
import https from "node:https";
import { KubeConfig } from "@kubernetes/client-node";
import type { KubeList, KubeObject, Status } from "../api/meta.js";
import { apiVersionOf, resourcePath, type ResourceType } from "../api/resources.js";
import { KubeApiError, type DeleteOptions, type KubeClient, type ListOptions, type PatchType } from "./types.js";

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

/** Credentials from exec plugins or token files can rotate; re-ask the KubeConfig this often. */
const AUTH_REFRESH_MS = 10_000;

export interface HttpKubeClientOptions {
  /** Per-request timeout (default 30 s). */
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
  const basePath = base.pathname.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 30_000;
  const userAgent = options.userAgent ?? "snapflow";
  const maxSockets = options.maxSockets ?? 64;

  let agent: http.Agent | undefined;
  let auth: { headers: Record<string, string>; at: number } | undefined;
  let authPending: Promise<Record<string, string>> | undefined;

  async function loadAuth(): Promise<{ headers: Record<string, string>; tls: https.AgentOptions; proxyAgent?: http.Agent }> {
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : String(v);
    }
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
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

  async function authHeaders(force = false): Promise<Record<string, string>> {
    if (!force && auth && Date.now() - auth.at < AUTH_REFRESH_MS) return auth.headers;
    authPending ??= loadAuth()
      .then(({ headers, tls, proxyAgent }) => {
        // TLS material is read once: the agent (and its pooled connections) must outlive a token refresh.
        agent ??= proxyAgent ?? (secure
          ? new https.Agent({ ...tls, keepAlive: true, maxSockets })
          : new http.Agent({ keepAlive: true, maxSockets }));
        auth = { headers, at: Date.now() };
        return headers;
      })
      .finally(() => {
        authPending = undefined;
      });
    return authPending;
  }

  interface Reply {
    status: number;
    body: unknown;
  }

  function send(method: string, path: string, headers: Record<string, string>, payload?: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port || undefined,
          method,
          path: basePath + path,
          agent,
          headers: {
            ...headers,
            Accept: "application/json",
            "User-Agent": userAgent,
            ...(payload === undefined ? {} : { "Content-Length": Buffer.byteLength(payload) }),
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body: unknown = text;
            if (text.length > 0) {
              try {
                body = JSON.parse(text);
              } catch {
                // Not JSON (a proxy's error page, say): keep the text for the error message.
              }
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      req.on("error", (err: NodeJS.ErrnoException) => {
        // A pooled connection the server closed while idle fails before anything was sent: mark it so
        // the caller retries on a fresh one.
        if (req.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE")) (err as { staleSocket?: boolean }).staleSocket = true;
        reject(err);
      });
      req.end(payload);
    });
  }

  async function call(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const extra: Record<string, string> = payload === undefined ? {} : { "Content-Type": contentType };
    let reply: Reply;
    try {
      try {
        reply = await send(method, path, { ...(await authHeaders()), ...extra }, payload);
      } catch (err) {
        if (!(err as { staleSocket?: boolean }).staleSocket) throw err;
        reply = await send(method, path, { ...(await authHeaders()), ...extra }, payload);
      }
      if (reply.status === 401) {
        // A rotated token: ask the KubeConfig once more before giving up.
        reply = await send(method, path, { ...(await authHeaders(true)), ...extra }, payload);
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
      agent?.destroy();
      agent = undefined;
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
