// A small node:http server that answers like kube-apiserver for the calls snapflow's KubeClient makes:
// CRUD with resourceVersion conflicts, merge / JSON / strategic patch, the status subresource,
// deletion with finalizers and preconditions, label-selector lists, Status error bodies. Test-only:
// it stands in for the embedded dev cluster where that is not needed (or not there yet).
import http from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { KubeObject, Status } from "../../shared/api/meta.js";
import { RESOURCES, type ResourceType } from "../../shared/api/resources.js";
import { matchesLabelSelector, parseLabelSelector } from "../../shared/kube/label-selector.js";

export interface RecordedRequest {
  method: string;
  url: string;
  contentType?: string;
  authorization?: string;
  remotePort?: number;
}

export interface FakeApiServer {
  url: string;
  /** Writes a kubeconfig pointing at the server, returns its path. */
  kubeconfig(dir: string, user?: { token?: string }): Promise<string>;
  requests: RecordedRequest[];
  /** Direct access for arranging state (bypasses the HTTP API). */
  objects(): KubeObject[];
  /** Makes the next `count` requests answer with `code` (e.g. 500, 429). */
  failNext(code: number, count?: number): void;
  /** When set, requests without `Authorization: Bearer <token>` get 401. */
  requireToken(token: string | undefined): void;
  close(): Promise<void>;
}

interface Route {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Resources with a status subresource: writes to the main resource keep the stored status. */
const HAS_STATUS_SUBRESOURCE = new Set(["VolumeSnapshot", "VolumeSnapshotContent", "VolumeGroupSnapshot", "VolumeGroupSnapshotContent", "PersistentVolumeClaim", "PersistentVolume"]);

export async function startFakeApiServer(): Promise<FakeApiServer> {
  const store = new Map<string, KubeObject>();
  const requests: RecordedRequest[] = [];
  let rv = 1000;
  let failures: { code: number; left: number } | undefined;
  let token: string | undefined;

  const keyOf = (t: ResourceType, ns: string | undefined, name: string) => `${t.group}/${t.plural}/${t.namespaced ? ns ?? "" : ""}/${name}`;

  function route(pathname: string): Route | undefined {
    const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
    let group = "";
    let rest: string[];
    if (parts[0] === "api" && parts[1] === "v1") rest = parts.slice(2);
    else if (parts[0] === "apis" && parts.length >= 3) {
      group = parts[1]!;
      rest = parts.slice(3);
    } else return undefined;
    let namespace: string | undefined;
    if (rest[0] === "namespaces" && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const type = Object.values(RESOURCES).find((t) => t.group === group && t.plural === rest[0]);
    if (!type) return undefined;
    return { type, namespace, name: rest[1], subresource: rest[2] };
  }

  function status(code: number, reason: string, message: string, details?: Status["details"]): { code: number; body: Status } {
    return { code, body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, details, code } };
  }

  const resourceLabel = (t: ResourceType) => (t.group ? `${t.plural}.${t.group}` : t.plural);
  const conflict = (t: ResourceType, name: string) =>
    status(409, "Conflict", `Operation cannot be fulfilled on ${resourceLabel(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, kind: t.plural });
  const notFound = (t: ResourceType, name: string) => status(404, "NotFound", `${resourceLabel(t)} "${name}" not found`, { name, kind: t.plural });

  function save(key: string, obj: KubeObject): KubeObject {
    obj.metadata.resourceVersion = String(++rv);
    // A deleting object whose last finalizer went away is removed, as the API server does.
    if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers?.length ?? 0) === 0) store.delete(key);
    else store.set(key, obj);
    return obj;
  }

  function handle(method: string, r: Route, query: URLSearchParams, contentType: string, body: unknown): { code: number; body: unknown } {
    const { type } = r;
    if (!r.name) {
      if (method === "GET") {
        const selector = query.get("labelSelector");
        const parsed = selector ? parseLabelSelector(selector) : {};
        const items = [...store.entries()]
          .filter(([k]) => k.startsWith(`${type.group}/${type.plural}/`))
          .map(([, o]) => o)
          .filter((o) => !type.namespaced || !r.namespace || o.metadata.namespace === r.namespace)
          .filter((o) => matchesLabelSelector(parsed, o.metadata.labels));
        return { code: 200, body: { kind: `${type.kind}List`, apiVersion: "v1", metadata: { resourceVersion: String(rv) }, items } };
      }
      if (method === "POST") {
        const obj = structuredClone(body) as KubeObject;
        if (!obj?.metadata) return status(400, "BadRequest", "object has no metadata");
        if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + randomUUID().slice(0, 5);
        if (!obj.metadata.name) return status(422, "Invalid", `${type.kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
        if (type.namespaced) obj.metadata.namespace = r.namespace ?? obj.metadata.namespace;
        const key = keyOf(type, obj.metadata.namespace, obj.metadata.name);
        if (store.has(key)) return status(409, "AlreadyExists", `${resourceLabel(type)} "${obj.metadata.name}" already exists`, { name: obj.metadata.name, kind: type.plural });
        obj.metadata.uid = randomUUID();
        obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
        obj.metadata.generation = 1;
        delete obj.metadata.deletionTimestamp;
        return { code: 201, body: save(key, obj) };
      }
      return status(405, "MethodNotAllowed", `${method} not allowed on a collection`);
    }

    const key = keyOf(type, r.namespace, r.name);
    const current = store.get(key);
    if (method === "GET") return current ? { code: 200, body: current } : notFound(type, r.name);
    if (!current) return notFound(type, r.name);

    if (method === "DELETE") {
      const pre = (body as { preconditions?: { uid?: string; resourceVersion?: string } } | undefined)?.preconditions;
      if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
        return status(409, "Conflict", `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
      }
      if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion) {
        return status(409, "Conflict", `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
      }
      if ((current.metadata.finalizers?.length ?? 0) > 0) {
        if (!current.metadata.deletionTimestamp) {
          current.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
          current.metadata.deletionGracePeriodSeconds = 0;
          save(key, current);
        }
        return { code: 200, body: current };
      }
      store.delete(key);
      // Core resources answer with a Success Status, custom resources with the object's last state.
      if (type.group === "") return { code: 200, body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name: r.name, kind: type.plural, uid: current.metadata.uid } } };
      return { code: 200, body: current };
    }

    let next: KubeObject;
    if (method === "PUT") {
      next = structuredClone(body) as KubeObject;
      if (!next?.metadata) return status(400, "BadRequest", "object has no metadata");
      if (next.metadata.name !== r.name) return status(400, "BadRequest", "the name of the object does not match the name on the URL");
    } else if (method === "PATCH") {
      try {
        if (contentType === "application/merge-patch+json") next = mergePatch(structuredClone(current), body) as KubeObject;
        else if (contentType === "application/json-patch+json") next = jsonPatch(structuredClone(current), body);
        else if (contentType === "application/strategic-merge-patch+json") {
          if (type.group !== "" && type.group !== "storage.k8s.io") {
            return status(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
          }
          next = mergePatch(structuredClone(current), body) as KubeObject;
        } else return status(415, "UnsupportedMediaType", `unknown patch type ${contentType}`);
      } catch (err) {
        return status(422, "Invalid", (err as Error).message);
      }
    } else return status(405, "MethodNotAllowed", `${method} not allowed`);

    const wantRv = next.metadata?.resourceVersion;
    if (wantRv !== undefined && wantRv !== current.metadata.resourceVersion) return conflict(type, r.name);

    let result: KubeObject;
    if (r.subresource === "status") {
      result = { ...structuredClone(current), status: (next as { status?: unknown }).status } as KubeObject;
    } else {
      result = next;
      if (HAS_STATUS_SUBRESOURCE.has(type.kind)) (result as { status?: unknown }).status = (current as { status?: unknown }).status;
      if (result.metadata.deletionTimestamp === undefined && current.metadata.deletionTimestamp) result.metadata.deletionTimestamp = current.metadata.deletionTimestamp;
    }
    // Immutable identity, whatever the client sent.
    result.metadata.uid = current.metadata.uid;
    result.metadata.creationTimestamp = current.metadata.creationTimestamp;
    result.metadata.namespace = current.metadata.namespace;
    result.metadata.name = current.metadata.name;
    return { code: 200, body: save(key, result) };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        contentType: req.headers["content-type"],
        authorization: req.headers.authorization,
        remotePort: req.socket.remotePort,
      });
      let answer: { code: number; body: unknown };
      if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) answer = status(401, "Unauthorized", "Unauthorized");
      else if (failures && failures.left > 0) {
        failures.left--;
        answer = status(failures.code, failures.code === 429 ? "TooManyRequests" : "InternalError", `injected failure ${failures.code}`, failures.code === 429 ? { retryAfterSeconds: 2 } : undefined);
      } else {
        const r = route(url.pathname);
        let body: unknown;
        try {
          body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
        } catch {
          answer = status(400, "BadRequest", "body is not JSON");
        }
        answer ??= r ? handle(req.method ?? "GET", r, url.searchParams, (req.headers["content-type"] ?? "").split(";")[0]!, body) : status(404, "NotFound", "the server could not find the requested resource");
      }
      res.writeHead(answer.code, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    async kubeconfig(dir: string, user: { token?: string } = {}): Promise<string> {
      const { writeFile } = await import("node:fs/promises");
      const { join } = await import("node:path");
      const path = join(dir, "kubeconfig");
      const userLines = user.token ? `    token: ${user.token}\n` : "    {}\n";
      await writeFile(
        path,
        `apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: ${url}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n${userLines}contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: u\ncurrent-context: fake\n`,
      );
      return path;
    },
    objects: () => [...store.values()],
    failNext(code: number, count = 1) {
      failures = { code, left: count };
    },
    requireToken(t) {
      token = t;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

type Op = { op: string; path: string; value?: unknown; from?: string };

function jsonPatch(doc: KubeObject, ops: unknown): KubeObject {
  if (!Array.isArray(ops)) throw new Error("json patch must be an array of operations");
  let root: unknown = doc;
  for (const op of ops as Op[]) {
    const tokens = op.path.split("/").slice(1).map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = tokens.pop();
    if (last === undefined) throw new Error(`invalid path "${op.path}"`);
    let parent: any = root;
    for (const t of tokens) {
      parent = Array.isArray(parent) ? parent[Number(t)] : parent?.[t];
      if (parent === undefined || parent === null) throw new Error(`path "${op.path}" does not exist`);
    }
    switch (op.op) {
      case "add":
        if (Array.isArray(parent)) parent.splice(last === "-" ? parent.length : Number(last), 0, op.value);
        else parent[last] = op.value;
        break;
      case "replace":
        if (!(last in parent)) throw new Error(`replace: path "${op.path}" does not exist`);
        parent[last] = op.value;
        break;
      case "remove":
        if (!(last in parent)) throw new Error(`remove: path "${op.path}" does not exist`);
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
        break;
      case "test":
        if (JSON.stringify(parent[last]) !== JSON.stringify(op.value)) throw new Error(`test operation for path "${op.path}" failed`);
        break;
      default:
        throw new Error(`unsupported json patch op "${op.op}"`);
    }
  }
  return root as KubeObject;
}
