// The HTTP face of the dev cluster: routing of kube's URL scheme onto the Api, body limits and
// decoding, Status errors, Tables, discovery, OpenAPI and watch streams.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import { PATCH_CONTENT_TYPES, type Api } from "./api.js";
import { aggregatedDiscovery, aggregatedType, legacyCore, legacyGroup, legacyGroups, resourceList } from "./discovery.js";
import { ApiError, errors } from "./errors.js";
import { describeParseError } from "./decode-errors.js";
import { decodeKubeProtobuf } from "./protobuf.js";
import type { OpenApi } from "./openapi.js";
import type { Registry } from "./registry.js";
import { apiVersionFor, type KObject, type ResourceDef } from "./resource-def.js";
import { objectJson, type Store } from "./store.js";
import { TABLE_ACCEPT, buildTable } from "./table.js";
import { serveWatch, type WatchTuning } from "./watch.js";

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface RequestLogEntry {
  method: string;
  path: string;
  query: string;
  userAgent: string;
  code: number;
  /** kube's verb (get, list, watch, create, update, patch, delete, deletecollection) for resource requests. */
  verb?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
}

export interface ServerDeps {
  api: Api;
  store: Store;
  registry: Registry;
  openapi: OpenApi;
  onRequest: (entry: RequestLogEntry) => void;
  serverAddress: () => string;
  tuning: WatchTuning;
}

const VERSION_INFO = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.4",
  gitCommit: "snapflow-devcluster",
  gitTreeState: "clean",
  buildDate: "2025-04-22T00:00:00Z",
  goVersion: "go1.23.6",
  compiler: "gc",
  platform: "linux/amd64",
};

function send(res: ServerResponse, code: number, body: string, contentType = "application/json", headers: Record<string, string | string[]> = {}): void {
  res.writeHead(code, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, code: number, value: unknown, headers: Record<string, string | string[]> = {}): void {
  send(res, code, typeof value === "string" ? value : JSON.stringify(value), "application/json", headers);
}

function readBody(req: IncomingMessage): Promise<string> {
  return readRawBody(req).then((b) => b.toString("utf8"));
}

function readRawBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(errors.tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(errors.tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (e) => {
      if (!failed) reject(e);
    });
  });
}

async function readObject(req: IncomingMessage, what: string): Promise<unknown> {
  const contentType = String(req.headers["content-type"] ?? "");
  const body = await readRawBody(req);
  if (contentType.split(";")[0].trim().toLowerCase() === "application/vnd.kubernetes.protobuf") return decodeKubeProtobuf(body);
  return decodeObject(body.toString("utf8"), contentType, what);
}

function decodeObject(raw: string, contentType: string, what: string): unknown {
  const type = contentType.split(";")[0].trim().toLowerCase();
  if (raw.trim() === "") throw errors.badRequest(`${what}: the request body is empty`);
  try {
    if (type === "application/yaml" || type === "application/x-yaml" || type === "text/yaml") return parseYaml(raw);
    if (type === "" || type === "application/json" || type === "*/*") return JSON.parse(raw);
  } catch (e) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${describeParseError(e)}`);
  }
  throw errors.unsupportedMediaType(["application/json", "application/yaml"]);
}

const NO_QUERY = new URLSearchParams();
/** Request paths that WHATWG URL parsing leaves as they are (no dot segments, escapes or odd characters). */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;
const PLAIN_QUERY = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;

interface Target {
  /** The path without trailing slashes ("/" for the root). */
  path: string;
  /** Non-empty path segments, percent-decoded. */
  segs: string[];
  query: URLSearchParams;
}

/** The request target as `new URL(target, base)` would read it, without building a URL for plain paths. */
function parseTarget(raw: string): Target {
  const qi = raw.indexOf("?");
  const pathname = qi >= 0 ? raw.slice(0, qi) : raw;
  const search = qi >= 0 ? raw.slice(qi + 1) : "";
  if (PLAIN_PATH.test(pathname) && !DOT_SEGMENT.test(pathname) && PLAIN_QUERY.test(search)) {
    return { path: trimSlashes(pathname), segs: splitPath(pathname), query: search === "" ? NO_QUERY : new URLSearchParams(search) };
  }
  const url = new URL(raw, "http://localhost");
  return { path: trimSlashes(url.pathname), segs: splitPath(url.pathname), query: url.searchParams };
}

function trimSlashes(pathname: string): string {
  let end = pathname.length;
  while (end > 0 && pathname.charCodeAt(end - 1) === 47) end--;
  return end === 0 ? "/" : pathname.slice(0, end);
}

function splitPath(pathname: string): string[] {
  const out: string[] = [];
  for (const s of pathname.split("/")) if (s.length > 0) out.push(s.includes("%") ? decodeURIComponent(s) : s);
  return out;
}

/** An object answer (one write: headers and body), with kube's Warning headers when there are any. */
function sendObject(res: ServerResponse, code: number, json: string, warnings: string[]): void {
  if (warnings.length === 0) {
    res.writeHead(code, ["Content-Type", "application/json", "Content-Length", String(Buffer.byteLength(json))]);
    res.end(json);
    return;
  }
  sendJson(res, code, json, { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) });
}

interface ResourcePath {
  def: ResourceDef;
  group: string;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  watchPrefix: boolean;
}

function parseResourcePath(registry: Registry, segs: string[]): ResourcePath | undefined {
  let group: string;
  let rest: string[];
  if (segs[0] === "api") {
    if (segs.length < 3) return undefined;
    group = "";
    rest = segs.slice(1);
  } else if (segs[0] === "apis") {
    if (segs.length < 4) return undefined;
    group = segs[1];
    rest = segs.slice(2);
  } else return undefined;
  const version = rest[0];
  let parts = rest.slice(1);
  let watchPrefix = false;
  if (parts[0] === "watch") {
    watchPrefix = true;
    parts = parts.slice(1);
  }
  let namespace: string | undefined;
  if (parts[0] === "namespaces" && parts.length >= 3) {
    const nsDef = registry.lookup(group, version, parts[2]);
    if (nsDef?.namespaced) {
      namespace = parts[1];
      parts = parts.slice(2);
    }
  }
  const def = registry.lookup(group, version, parts[0]);
  if (!def || parts.length > 3) return undefined;
  if (def.namespaced === false && namespace !== undefined) return undefined;
  return { def, group, version, namespace, name: parts[1], subresource: parts[2], watchPrefix };
}

export function createApiServer(deps: ServerDeps): Server {
  const { api, registry, openapi } = deps;

  async function handle(req: IncomingMessage, res: ServerResponse, log: RequestLogEntry): Promise<void> {
    const target = parseTarget(req.url ?? "/");
    const q = target.query;
    const segs = target.segs;
    const method = req.method ?? "GET";
    const accept = String(req.headers.accept ?? "");
    const path = target.path;

    if (method === "GET") {
      if (path === "/version") return sendJson(res, 200, VERSION_INFO);
      if (path === "/healthz" || path === "/readyz" || path === "/livez") return send(res, 200, "ok", "text/plain");
      if (path === "/api" || path === "/apis") {
        const agg = aggregatedType(accept);
        if (agg) return send(res, 200, JSON.stringify(aggregatedDiscovery(registry, path === "/api")), agg);
        return sendJson(res, 200, path === "/api" ? legacyCore(deps.serverAddress()) : legacyGroups(registry));
      }
      // kubectl before 1.27 validates against protobuf OpenAPI v2 only. An empty body is a valid,
      // empty openapi_v2.Document: validation then passes kinds it has no schema for and the server
      // validates (as it does for every version). Go's mime parser rejects the protobuf media type's
      // "@", so the body goes as octet-stream. kubectl 1.32 uses v3 and treats this like a missing v2.
      if (path === "/openapi/v2" || path === "/swagger-2.0.0.pb-v1") return send(res, 200, "", "application/octet-stream");
      if (path === "/openapi/v3") return sendJson(res, 200, openapi.index());
      if (path.startsWith("/openapi/v3/")) {
        const doc = openapi.document(path.slice("/openapi/v3/".length));
        if (doc) return sendJson(res, 200, doc);
        throw errors.notFoundPath();
      }
      if (segs[0] === "apis" && segs.length === 2) {
        const g = legacyGroup(registry, segs[1]);
        if (g) return sendJson(res, 200, g);
        throw errors.notFoundPath();
      }
      if ((segs[0] === "api" && segs.length === 2) || (segs[0] === "apis" && segs.length === 3)) {
        const list = segs[0] === "api" ? resourceList(registry, "", segs[1]) : resourceList(registry, segs[1], segs[2]);
        if (list) return sendJson(res, 200, list);
        throw errors.notFoundPath();
      }
    }

    const rp = parseResourcePath(registry, segs);
    if (!rp) throw errors.notFoundPath();
    const { def, version, namespace, name, subresource } = rp;
    log.resource = def.plural;
    log.namespace = namespace;
    log.subresource = subresource;
    if (subresource !== undefined && !(subresource === "status" && def.hasStatus) && !(subresource === "finalize" && def.plural === "namespaces" && def.group === ""))
      throw errors.notFoundPath();
    const dryRun = q.getAll("dryRun").includes("All");
    const warnings: string[] = [];
    const writeOpts = {
      dryRun,
      subresource: subresource === "status" ? ("status" as const) : undefined,
      fieldValidation: q.get("fieldValidation") ?? undefined,
      warnings,
      owned: true,
    };
    const table = TABLE_ACCEPT.test(accept);
    const respondObject = (code: number, obj: KObject): void => {
      if (table && method === "GET") {
        return sendJson(res, code, buildTable(def, version, [obj], { resourceVersion: obj.metadata.resourceVersion }));
      }
      sendObject(res, code, objectJson(obj), warnings);
    };

    if (name === undefined) {
      if (method === "GET") {
        const watch = rp.watchPrefix || q.get("watch") === "true" || q.get("watch") === "1";
        if (watch) {
          log.verb = "watch";
          // A watch's field selector is checked before the stream starts so errors stay plain Statuses.
          api.matcher(def, { labelSelector: q.get("labelSelector") ?? undefined, fieldSelector: q.get("fieldSelector") ?? undefined });
          log.code = 200;
          return serveWatch(
            api,
            deps.store,
            {
              def,
              version,
              namespace,
              labelSelector: q.get("labelSelector") ?? undefined,
              fieldSelector: q.get("fieldSelector") ?? undefined,
              resourceVersion: q.get("resourceVersion") ?? undefined,
              timeoutSeconds: q.has("timeoutSeconds") ? Number(q.get("timeoutSeconds")) : undefined,
              bookmarks: q.get("allowWatchBookmarks") === "true",
              table,
            },
            res,
            deps.tuning,
          );
        }
        log.verb = "list";
        const limit = q.has("limit") ? Number(q.get("limit")) : undefined;
        const out = api.list(def, version, namespace, {
          labelSelector: q.get("labelSelector") ?? undefined,
          fieldSelector: q.get("fieldSelector") ?? undefined,
          limit: Number.isFinite(limit) ? limit : undefined,
          continue: q.get("continue") ?? undefined,
        });
        const listMeta: Record<string, unknown> = { resourceVersion: String(out.rv) };
        if (out.continue) {
          listMeta.continue = out.continue;
          listMeta.remainingItemCount = out.remaining;
        }
        if (table) return sendJson(res, 200, buildTable(def, version, out.items, listMeta));
        const head = `{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(apiVersionFor(def.group, version))},"metadata":${JSON.stringify(listMeta)},"items":[`;
        return send(res, 200, head + out.items.map(objectJson).join(",") + "]}");
      }
      if (method === "POST") {
        log.verb = "create";
        if (def.namespaced && namespace === undefined) throw errors.notFoundPath();
        const body = await readObject(req, "create");
        const obj = await api.create(def, version, namespace, body, writeOpts);
        return respondObject(201, obj);
      }
      if (method === "DELETE") {
        log.verb = "deletecollection";
        const raw = await readBody(req);
        const opts = deleteOptions(raw, q);
        const items = api.list(def, version, namespace, {
          labelSelector: q.get("labelSelector") ?? undefined,
          fieldSelector: q.get("fieldSelector") ?? undefined,
        }).items;
        const deleted: KObject[] = [];
        for (const item of items) {
          try {
            deleted.push((await api.delete(def, version, item.metadata.namespace, item.metadata.name, opts)).obj);
          } catch (e) {
            if (!(e instanceof ApiError && e.code === 404)) throw e;
          }
        }
        return sendJson(res, 200, { kind: def.listKind, apiVersion: apiVersionFor(def.group, version), metadata: { resourceVersion: String(deps.store.resourceVersion) }, items: deleted });
      }
      throw errors.methodNotAllowed();
    }

    switch (method) {
      case "GET":
        log.verb = "get";
        return respondObject(200, api.get(def, version, namespace, name));
      case "PUT": {
        log.verb = "update";
        const body = await readObject(req, "update");
        if (subresource === "finalize") {
          const current = api.get(def, version, namespace, name);
          const spec = (body as Record<string, any>)?.spec ?? {};
          const { obj } = await api.patch(def, version, namespace, name, "merge", JSON.stringify({ metadata: { resourceVersion: current.metadata.resourceVersion }, spec: { finalizers: spec.finalizers ?? null } }), writeOpts);
          return respondObject(200, obj);
        }
        return respondObject(200, await api.update(def, version, namespace, name, body, writeOpts));
      }
      case "PATCH": {
        log.verb = "patch";
        const ct = String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
        const type = PATCH_CONTENT_TYPES[ct];
        if (!type) {
          const accepted = def.builtin
            ? ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml", "application/strategic-merge-patch+json"]
            : ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];
          throw errors.unsupportedMediaType(accepted);
        }
        const raw = await readBody(req);
        const { obj, created } = await api.patch(def, version, namespace, name, type, raw, writeOpts);
        return respondObject(created ? 201 : 200, obj);
      }
      case "DELETE": {
        log.verb = "delete";
        if (subresource) throw errors.methodNotAllowed();
        const opts = deleteOptions(await readBody(req), q);
        const { obj, removed } = await api.delete(def, version, namespace, name, opts);
        if (removed && !def.deleteReturnsObject) return sendJson(res, 200, api.deletedStatus(def, obj));
        return respondObject(200, obj);
      }
      default:
        throw errors.methodNotAllowed();
    }
  }

  return createServer((req, res) => {
    const url = req.url ?? "/";
    const qi = url.indexOf("?");
    const log: RequestLogEntry = {
      method: req.method ?? "GET",
      path: qi >= 0 ? url.slice(0, qi) : url,
      query: qi >= 0 ? url.slice(qi + 1) : "",
      userAgent: String(req.headers["user-agent"] ?? ""),
      code: 0,
    };
    res.on("finish", () => {
      if (log.code === 0) log.code = res.statusCode;
      deps.onRequest(log);
    });
    handle(req, res, log).catch((e: unknown) => {
      const status = e instanceof ApiError ? e.status : errors.internal((e as Error)?.message ?? String(e)).status;
      if (res.headersSent) {
        res.end();
        return;
      }
      const headers: Record<string, string> = status.code === 413 ? { Connection: "close" } : {};
      sendJson(res, status.code, status, headers);
      if (status.code === 413) req.resume();
    });
  });
}

function deleteOptions(raw: string, q: URLSearchParams): { propagationPolicy?: string; preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: boolean } {
  let body: Record<string, any> = {};
  if (raw.trim() !== "") {
    try {
      body = JSON.parse(raw) as Record<string, any>;
    } catch (e) {
      throw errors.badRequest(`couldn't get version/kind; json parse error: ${describeParseError(e)}`);
    }
  }
  return {
    propagationPolicy: body.propagationPolicy ?? q.get("propagationPolicy") ?? undefined,
    preconditions: body.preconditions,
    dryRun: (Array.isArray(body.dryRun) && body.dryRun.includes("All")) || q.getAll("dryRun").includes("All"),
  };
}
