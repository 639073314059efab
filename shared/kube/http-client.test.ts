// KubeClient behaviour that sits above the transport: time limits named after the call, the
// retry after a 401, and close() leaving the client usable.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { RESOURCES } from "../api/resources.js";
import { createKubeClientFromConfig, type HttpKubeClient } from "./http-client.js";
import { KubeApiError } from "./types.js";

const VSC = RESOURCES.volumesnapshotcontents;
const servers: http.Server[] = [];
const clients: HttpKubeClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function clientFor(handler: http.RequestListener, timeoutMs?: number): Promise<HttpKubeClient> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: "u", token: "t0k" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  const client = createKubeClientFromConfig(kc, timeoutMs === undefined ? {} : { timeoutMs });
  clients.push(client);
  return client;
}

const object = JSON.stringify({ metadata: { name: "x" } });

describe("createKubeClientFromConfig", () => {
  it("names the call when the API server does not answer in time", async () => {
    const kube = await clientFor(() => {}, 150);
    await expect(kube.get(VSC, "x")).rejects.toThrow(/^kube GET \/apis\/snapshot\.storage\.k8s\.io\/v1\/volumesnapshotcontents\/x: timed out after 150 ms$/);
  });

  it("asks again once after a 401, then reports it", async () => {
    const seen: (string | undefined)[] = [];
    const kube = await clientFor((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Status", reason: "Unauthorized", message: "go away", code: 401 }));
    });
    const err = await kube.get(VSC, "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).message).toBe("kube GET /apis/snapshot.storage.k8s.io/v1/volumesnapshotcontents/x: 401 Unauthorized: go away");
    expect(seen).toEqual(["Bearer t0k", "Bearer t0k"]);
  });

  it("sends Accept, User-Agent and, with a body, its content type", async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const kube = await clientFor((req, res) => {
      seen.push(req.headers);
      req.resume().on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(object));
    });
    await kube.get(VSC, "x");
    await kube.patch(VSC, "x", undefined, { metadata: { labels: { a: "b" } } }, "json");
    expect(seen[0]).toMatchObject({ accept: "application/json", "user-agent": "snapflow", authorization: "Bearer t0k" });
    expect(seen[0]!["content-type"]).toBeUndefined();
    expect(seen[1]).toMatchObject({ "content-type": "application/json-patch+json", "content-length": String(JSON.stringify({ metadata: { labels: { a: "b" } } }).length) });
  });

  it("stays usable after close()", async () => {
    const kube = await clientFor((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(object));
    expect((await kube.get(VSC, "x"))?.metadata.name).toBe("x");
    kube.close();
    expect((await kube.get(VSC, "x"))?.metadata.name).toBe("x");
  });
});
