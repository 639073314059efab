// ListWatch against a scripted API server: list + watch classification (as client-node's informer),
// events split across chunks, the object's bytes reused as data, bookmarks, 410 re-lists and errors.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { ListWatch, type CachedObject, type ChangeVerb } from "./list-watch.js";

const PATH = "/api/v1/persistentvolumeclaims";

interface Scripted {
  url: string;
  lists: Array<{ status?: number; body: unknown }>;
  watches: Array<{ query: URLSearchParams; res: http.ServerResponse }>;
  close(): Promise<void>;
}

let server: Scripted | undefined;
let lw: ListWatch | undefined;

afterEach(async () => {
  lw?.stop();
  lw = undefined;
  await server?.close();
  server = undefined;
});

async function scripted(): Promise<Scripted> {
  const lists: Scripted["lists"] = [];
  const watches: Scripted["watches"] = [];
  const srv = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    if (url.searchParams.get("watch") === "true") {
      res.writeHead(200, { "content-type": "application/json" });
      res.flushHeaders();
      watches.push({ query: url.searchParams, res });
      return;
    }
    const next = lists.shift() ?? { status: 500, body: { kind: "Status", code: 500 } };
    res.writeHead(next.status ?? 200, { "content-type": "application/json" });
    res.end(JSON.stringify(next.body));
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return {
    url,
    lists,
    watches,
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}

function kubeConfig(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: url, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

function pvc(name: string, rv: string, extra: Record<string, unknown> = {}) {
  return { metadata: { name, namespace: "default", uid: `uid-${name}`, resourceVersion: rv }, spec: { storageClassName: "x" }, ...extra };
}

function list(rv: string, items: unknown[]) {
  return { kind: "PersistentVolumeClaimList", apiVersion: "v1", metadata: { resourceVersion: rv }, items };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

function start(srv: Scripted) {
  const changes: Array<{ verb: ChangeVerb; object: CachedObject; json: Record<string, unknown>; raw: string }> = [];
  const errors: unknown[] = [];
  lw = new ListWatch({
    kubeConfig: kubeConfig(srv.url),
    path: PATH,
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    minWatchMs: 0,
    onChange: (verb, object) => {
      const raw = Buffer.from(object.data).toString("utf8");
      changes.push({ verb, object, json: JSON.parse(raw) as Record<string, unknown>, raw });
    },
    onError: (err) => errors.push(err),
  });
  return { lw, changes, errors, started: lw.start() };
}

describe("ListWatch", () => {
  it("lists (adding apiVersion/kind to items), then classifies watch events against its cache", async () => {
    server = await scripted();
    server.lists.push({ body: list("10", [pvc("a", "5"), pvc("b", "6")]) });
    const { changes, errors, started } = start(server);
    await started;
    expect(changes.map((c) => [c.verb, c.object.name])).toEqual([
      ["added", "a"],
      ["added", "b"],
    ]);
    expect(changes[0]!.json).toEqual({ apiVersion: "v1", kind: "PersistentVolumeClaim", ...pvc("a", "5") });
    expect(changes[0]!.object).toMatchObject({ uid: "uid-a", namespace: "default", resourceVersion: "5" });
    const watch = server.watches[0]!;
    expect(watch.query.get("resourceVersion")).toBe("10");
    expect(watch.query.get("allowWatchBookmarks")).toBe("true");

    // A modification split across three chunks: its data is the object's bytes as sent.
    const modified = JSON.stringify({ apiVersion: "v1", kind: "PersistentVolumeClaim", ...pvc("a", "11", { status: { phase: "Bound", note: "Grüße €" } }) });
    const line = `{"type":"MODIFIED","object":${modified}}\n`;
    watch.res.write(line.slice(0, 7));
    watch.res.write(line.slice(7, 60));
    watch.res.write(line.slice(60) + `{"type":"ADDED","object":${JSON.stringify({ apiVersion: "v1", kind: "PersistentVolumeClaim", ...pvc("b", "6") })}}\n`);
    await until("modified", () => changes.length === 3);
    expect(changes[2]!.verb).toBe("modified");
    expect(changes[2]!.raw).toBe(modified);
    // ADDED for "b" at the cached resourceVersion: nothing new, no event.

    const created = { ...pvc("c", "12") }; // no apiVersion/kind: they are put back
    watch.res.write(`{"type":"ADDED","object":${JSON.stringify(created)}}\n`);
    watch.res.write(`{"type":"DELETED","object":${JSON.stringify({ apiVersion: "v1", kind: "PersistentVolumeClaim", ...pvc("b", "13") })}}\n`);
    watch.res.write(`{"type":"DELETED","object":${JSON.stringify({ apiVersion: "v1", kind: "PersistentVolumeClaim", ...pvc("never-seen", "14") })}}\n`);
    watch.res.write(`{"type":"BOOKMARK","object":{"kind":"PersistentVolumeClaim","apiVersion":"v1","metadata":{"resourceVersion":"20"}}}\n`);
    await until("added and deleted", () => changes.length === 5);
    expect(changes.slice(3).map((c) => [c.verb, c.object.name, c.object.resourceVersion])).toEqual([
      ["added", "c", "12"],
      ["deleted", "b", "13"],
    ]);
    expect(changes[3]!.json).toEqual({ apiVersion: "v1", kind: "PersistentVolumeClaim", ...created });
    expect([...lw!.list()].map((o) => o.name).sort()).toEqual(["a", "c"]);
    await until("bookmark", () => lw!.latestResourceVersion() === "20");

    // The server ends the watch: it is re-opened from the last resourceVersion, without a list.
    watch.res.end();
    await until("re-watch", () => server!.watches.length === 2);
    expect(server.watches[1]!.query.get("resourceVersion")).toBe("20");
    expect(errors).toEqual([]);
  });

  it("a 410 in the watch re-lists: what vanished is deleted (last known state), what changed is modified", async () => {
    server = await scripted();
    server.lists.push({ body: list("10", [pvc("keep", "1"), pvc("vanish", "2"), pvc("change", "3")]) });
    const { changes, errors, started } = start(server);
    await started;
    changes.length = 0;
    server.lists.push({ body: list("30", [pvc("keep", "1"), pvc("change", "25"), pvc("new", "26")]) });
    server.watches[0]!.res.write(`{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Expired","code":410}}\n`);
    await until("re-list", () => changes.length === 3);
    expect(changes.map((c) => [c.verb, c.object.name, c.object.resourceVersion])).toEqual([
      ["deleted", "vanish", "2"],
      ["modified", "change", "25"],
      ["added", "new", "26"],
    ]);
    await until("new watch", () => server!.watches.length === 2);
    expect(server.watches[1]!.query.get("resourceVersion")).toBe("30");
    expect(errors).toEqual([]);
  });

  it("reports a list failure with its status, and an in-band ERROR other than 410 as an error", async () => {
    server = await scripted();
    server.lists.push({ status: 404, body: { kind: "Status", code: 404 } });
    const first = start(server);
    await first.started;
    expect(first.errors).toHaveLength(1);
    expect((first.errors[0] as { statusCode: number }).statusCode).toBe(404);
    expect(server.watches).toHaveLength(0);

    server.lists.push({ body: list("10", []) });
    await lw!.start();
    expect(first.errors).toHaveLength(1);
    server.watches[0]!.res.write(`{"type":"ERROR","object":{"kind":"Status","code":500,"message":"boom"}}\n`);
    await until("error", () => first.errors.length === 2);
    expect((first.errors[1] as { statusCode: number }).statusCode).toBe(500);
    expect(String(first.errors[1])).toContain("boom");
  });

  it("a line that is not JSON ends the watch with an error (no event is skipped silently)", async () => {
    server = await scripted();
    server.lists.push({ body: list("10", []) });
    const { errors, started } = start(server);
    await started;
    server.watches[0]!.res.write("{not json\n");
    await until("error", () => errors.length === 1);
    expect(String(errors[0])).toContain("not JSON");
  });
});
