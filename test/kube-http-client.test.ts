// The HTTP KubeClient against a real HTTP server answering like kube-apiserver.
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { connect, type AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../shared/api/meta.js";
import { RESOURCES } from "../shared/api/resources.js";
import { createKubeClient, createKubeClientFromConfig, type HttpKubeClient } from "../shared/kube/http-client.js";
import { KubeApiError } from "../shared/kube/types.js";
import { startFakeApiServer, type FakeApiServer } from "./support/fake-apiserver.js";

const VS = RESOURCES.volumesnapshots;
const VSC = RESOURCES.volumesnapshotcontents;
const PVC = RESOURCES.persistentvolumeclaims;

interface Snap extends KubeObject {
  spec: { source: { persistentVolumeClaimName?: string }; volumeSnapshotClassName?: string };
  status?: { readyToUse?: boolean; boundVolumeSnapshotContentName?: string };
}

function snap(name: string, extra: Partial<Snap["metadata"]> = {}): Snap {
  return { metadata: { name, namespace: "default", ...extra }, spec: { source: { persistentVolumeClaimName: "data" } } };
}

let api: FakeApiServer;
let dir: string;
let kube: HttpKubeClient;

beforeAll(async () => {
  api = await startFakeApiServer();
  dir = await mkdtemp(join(tmpdir(), "snapflow-kube-"));
  kube = createKubeClient(await api.kubeconfig(dir));
});

afterAll(async () => {
  kube?.close();
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  api.requireToken(undefined);
});

async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KubeApiError);
  return err as KubeApiError;
}

describe("HTTP KubeClient", () => {
  it("creates, gets and lists objects, filling apiVersion and kind", async () => {
    const created = await kube.create<Snap>(VS, snap("a", { labels: { app: "db", tier: "1" } }));
    expect(created.apiVersion).toBe("snapshot.storage.k8s.io/v1");
    expect(created.kind).toBe("VolumeSnapshot");
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    await kube.create<Snap>(VS, snap("b", { labels: { app: "web" } }));

    const got = await kube.get<Snap>(VS, "a", "default");
    expect(got?.metadata.uid).toBe(created.metadata.uid);

    const all = await kube.list<Snap>(VS, { namespace: "default" });
    expect(all.items.map((o) => o.metadata.name).sort()).toEqual(["a", "b"]);
    const db = await kube.list<Snap>(VS, { namespace: "default", labelSelector: "app in (db),tier" });
    expect(db.items.map((o) => o.metadata.name)).toEqual(["a"]);
    const last = api.requests.at(-1)!;
    expect(decodeURIComponent(last.url.replace(/\+/g, " "))).toContain("labelSelector=app in (db),tier");
  });

  it("answers undefined for a missing object and KubeApiError with the Status otherwise", async () => {
    expect(await kube.get(VS, "nope", "default")).toBeUndefined();
    const err = await rejection(kube.create<Snap>(VS, snap("a")));
    expect(err.code).toBe(409);
    expect(err.reason).toBe("AlreadyExists");
    expect(err.isConflict).toBe(true);
    expect(err.status?.kind).toBe("Status");
    expect(err.message).toContain('"a" already exists');

    api.failNext(500);
    const boom = await rejection(kube.get(VS, "a", "default"));
    expect(boom.code).toBe(500);
    expect(boom.reason).toBe("InternalError");
  });

  it("makes updates conditional on resourceVersion (409 on a stale copy)", async () => {
    const first = (await kube.get<Snap>(VS, "a", "default"))!;
    const updated = await kube.update<Snap>(VS, { ...first, metadata: { ...first.metadata, annotations: { x: "1" } } });
    expect(updated.metadata.annotations).toEqual({ x: "1" });
    expect(updated.metadata.resourceVersion).not.toBe(first.metadata.resourceVersion);

    const stale = await rejection(kube.update<Snap>(VS, { ...first, metadata: { ...first.metadata, annotations: { x: "2" } } }));
    expect(stale.code).toBe(409);
    expect(stale.reason).toBe("Conflict");
    expect(stale.message).toContain("the object has been modified");
  });

  it("writes status only through the status subresource", async () => {
    const cur = (await kube.get<Snap>(VS, "a", "default"))!;
    const ignored = await kube.update<Snap>(VS, { ...cur, status: { readyToUse: true } });
    expect(ignored.status).toBeUndefined();
    const withStatus = await kube.updateStatus<Snap>(VS, { ...ignored, status: { readyToUse: false, boundVolumeSnapshotContentName: "c" } });
    expect(withStatus.status).toEqual({ readyToUse: false, boundVolumeSnapshotContentName: "c" });
    expect(api.requests.at(-1)).toMatchObject({ method: "PUT", url: "/apis/snapshot.storage.k8s.io/v1/namespaces/default/volumesnapshots/a/status" });

    const patched = await kube.patch<Snap>(VS, "a", "default", { status: { readyToUse: true } }, "merge", "status");
    expect(patched.status).toEqual({ readyToUse: true, boundVolumeSnapshotContentName: "c" });
  });

  it("sends each patch type with its content type", async () => {
    const merged = await kube.patch<Snap>(VS, "a", "default", { metadata: { labels: { app: null, new: "yes" } } });
    expect(merged.metadata.labels).toEqual({ tier: "1", new: "yes" });
    expect(api.requests.at(-1)!.contentType).toBe("application/merge-patch+json");

    const cur = (await kube.get<Snap>(VS, "a", "default"))!;
    const jp = await kube.patch<Snap>(
      VS,
      "a",
      "default",
      [
        { op: "test", path: "/metadata/resourceVersion", value: cur.metadata.resourceVersion },
        { op: "add", path: "/metadata/finalizers", value: ["snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection"] },
      ],
      "json",
    );
    expect(jp.metadata.finalizers).toEqual(["snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection"]);
    expect(api.requests.at(-1)!.contentType).toBe("application/json-patch+json");

    const failedTest = await rejection(kube.patch(VS, "a", "default", [{ op: "test", path: "/metadata/resourceVersion", value: "1" }], "json"));
    expect(failedTest.code).toBe(422);

    const pvc = await kube.create<KubeObject>(PVC, { metadata: { name: "data", namespace: "default" }, spec: { accessModes: ["ReadWriteOnce"] } } as KubeObject);
    const sp = await kube.patch(PVC, "data", "default", { metadata: { annotations: { a: "b" } } }, "strategic");
    expect(sp.metadata.annotations).toEqual({ a: "b" });
    expect(sp.metadata.uid).toBe(pvc.metadata.uid);
    expect(api.requests.at(-1)!.contentType).toBe("application/strategic-merge-patch+json");

    // Custom resources do not take strategic merge patches: the API server's 415 comes through.
    const unsupported = await rejection(kube.patch(VS, "a", "default", { metadata: {} }, "strategic"));
    expect(unsupported.code).toBe(415);
  });

  it("a merge patch carrying a stale resourceVersion conflicts", async () => {
    const err = await rejection(kube.patch(VS, "a", "default", { metadata: { resourceVersion: "1", labels: { z: "1" } } }));
    expect(err.code).toBe(409);
  });

  it("deletes: object kept while finalizers remain, gone afterwards, preconditions honoured", async () => {
    const cur = (await kube.get<Snap>(VS, "a", "default"))!;
    const wrongUid = await rejection(kube.delete(VS, "a", "default", { uid: "00000000-0000-0000-0000-000000000000" }));
    expect(wrongUid.code).toBe(409);
    expect(wrongUid.message).toContain("Precondition failed");
    const wrongRv = await rejection(kube.delete(VS, "a", "default", { resourceVersion: "1" }));
    expect(wrongRv.code).toBe(409);

    const remaining = await kube.delete<Snap>(VS, "a", "default", { uid: cur.metadata.uid, propagationPolicy: "Background" });
    expect(remaining?.metadata.deletionTimestamp).toBeDefined();
    expect(remaining?.metadata.finalizers).toHaveLength(1);
    expect(await kube.get(VS, "a", "default")).toBeDefined();

    // Removing the last finalizer lets the API server finish the deletion.
    await kube.patch(VS, "a", "default", [{ op: "remove", path: "/metadata/finalizers/0" }], "json");
    expect(await kube.get(VS, "a", "default")).toBeUndefined();
    expect(await kube.delete(VS, "a", "default")).toBeUndefined();

    // Without finalizers: custom resources answer with the last state, core ones with a Status.
    expect(await kube.delete(VS, "b", "default")).toBeUndefined();
    expect(await kube.delete(PVC, "data", "default")).toBeUndefined();
  });

  it("handles cluster-scoped resources", async () => {
    const c = await kube.create(VSC, { metadata: { name: "snapcontent-1" }, spec: { driver: "d" } } as KubeObject);
    expect(api.requests.at(-1)!.url).toBe("/apis/snapshot.storage.k8s.io/v1/volumesnapshotcontents");
    expect((await kube.get(VSC, "snapcontent-1"))?.metadata.uid).toBe(c.metadata.uid);
    expect((await kube.list(VSC)).items).toHaveLength(1);
  });

  it("reuses keep-alive connections across calls", async () => {
    const before = api.requests.length;
    for (let i = 0; i < 20; i++) await kube.get(VSC, "snapcontent-1");
    const ports = new Set(api.requests.slice(before).map((r) => r.remotePort));
    expect(ports.size).toBe(1);
  });

  it("sends the kubeconfig's bearer token", async () => {
    const withToken = createKubeClient(await api.kubeconfig(dir, { token: "s3cret-token" }));
    try {
      api.requireToken("s3cret-token");
      expect(await withToken.get(VSC, "snapcontent-1")).toBeDefined();
      expect(api.requests.at(-1)!.authorization).toBe("Bearer s3cret-token");
      const err = await rejection(kube.get(VSC, "snapcontent-1"));
      expect(err.code).toBe(401);
      expect(err.message).not.toContain("s3cret-token");
    } finally {
      withToken.close();
    }
  });

  it("builds from a KubeConfig object and refuses plain http without skip-tls-verify", () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: api.url, skipTLSVerify: false }],
      users: [{ name: "u" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    expect(() => createKubeClientFromConfig(kc)).toThrow(/insecure-skip-tls-verify/);
    kc.clusters[0] = { ...kc.clusters[0]!, skipTLSVerify: true };
    const ok = createKubeClientFromConfig(kc);
    expect(ok.server).toBe(api.url);
    ok.close();
  });

  it("retries once on a fresh connection when a pooled one was closed under it", async () => {
    // Answers the first request on each connection; the second on the same connection gets the
    // connection dropped, as when a server closes an idle keep-alive socket just as it is reused.
    const perSocket = new WeakMap<object, number>();
    let served = 0;
    const server = http.createServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n > 1) {
        req.socket.destroy();
        return;
      }
      served++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ metadata: { name: "x", uid: `u${served}` } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
      users: [{ name: "u" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const flaky = createKubeClientFromConfig(kc);
    try {
      expect((await flaky.get(VSC, "x"))?.metadata.uid).toBe("u1");
      expect((await flaky.get(VSC, "x"))?.metadata.uid).toBe("u2");
      expect((await flaky.get(VSC, "x"))?.metadata.uid).toBe("u3");
    } finally {
      flaky.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("goes through the kubeconfig's proxy-url", async () => {
    // A minimal CONNECT proxy (what client-node's proxy agents speak): it opens a tunnel to the target.
    const tunnels: string[] = [];
    const proxy = http.createServer((_req, res) => {
      res.writeHead(405);
      res.end();
    });
    proxy.on("connect", (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
      tunnels.push(req.url ?? "");
      const [host, port] = (req.url ?? "").split(":");
      const upstream = connect(Number(port), host!, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: api.url, skipTLSVerify: true, proxyUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` }],
      users: [{ name: "u" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const viaProxy = createKubeClientFromConfig(kc);
    try {
      const content = await kube.create(VSC, { metadata: { name: "via-proxy" }, spec: {} } as KubeObject);
      expect((await viaProxy.get(VSC, "via-proxy"))?.metadata.uid).toBe(content.metadata.uid);
      expect(tunnels).toEqual([new URL(api.url).host]);
    } finally {
      viaProxy.close();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it("reports an unreachable API server as an error naming the call", async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: "http://127.0.0.1:1", skipTLSVerify: true }],
      users: [{ name: "u" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const dead = createKubeClientFromConfig(kc);
    await expect(dead.get(VSC, "x")).rejects.toThrow(/kube GET \/apis\/snapshot.storage.k8s.io\/v1\/volumesnapshotcontents\/x: .*ECONNREFUSED/);
    dead.close();
  });
});
