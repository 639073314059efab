import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GATEWAY_UID_HEADER, createGatewayClient, gatewayForUid } from "./client.js";
import { GatewayError } from "./types.js";

// A real HTTP server standing in for whatever answers at the gateway's address: the gateway itself
// (JSON error bodies), a proxy (plain text), or something that never answers.
interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
const seen: Seen[] = [];
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const route = req.url!.split("/v1/drivers/")[1] ?? "";
      if (route.startsWith("gw-error")) {
        res.writeHead(409, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "ALREADY_EXISTS", message: "name taken", retryable: false } }));
      } else if (route.startsWith("secret-error")) {
        res.writeHead(412, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "FAILED_PRECONDITION", message: "Secret ns/s not found", retryable: true, origin: "secret" } }));
      } else if (route.startsWith("proxy-404")) {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("no such path");
      } else if (route.startsWith("proxy-502")) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end("Bad Gateway");
      } else if (route.startsWith("hang")) {
        // never answers; the client's deadline must end the call
      } else if (route.startsWith("not-json")) {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("hello");
      } else if (route.startsWith("group-missing/")) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "NOT_FOUND", message: "group snapshot g does not exist", retryable: false } }));
      } else if (route.endsWith("/group-snapshots/get")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ groupSnapshot: null }));
      } else if (route.endsWith("/snapshots/get")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ snapshot: null }));
      } else if (route.endsWith("/snapshots/delete")) {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ driver: "d", plugin: [], controller: [], groupController: [], node: [] }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe("HttpGatewayClient", () => {
  it("sends the token, JSON body and the object UID, to the driver's route", async () => {
    const client = createGatewayClient({ baseUrl: `${base}/`, token: "tok" });
    await client.forUid("uid-123").getSnapshot("hostpath.snapflow.dev", { snapshotId: "snap-1" });
    const last = seen.at(-1)!;
    expect(last.method).toBe("POST");
    expect(last.url).toBe("/v1/drivers/hostpath.snapflow.dev/snapshots/get");
    expect(last.headers.authorization).toBe("Bearer tok");
    expect(last.headers[GATEWAY_UID_HEADER]).toBe("uid-123");
    expect(JSON.parse(last.body)).toEqual({ snapshotId: "snap-1" });
  });

  it("gatewayForUid tags an HTTP client's calls and leaves other clients as they are", async () => {
    const client = createGatewayClient({ baseUrl: base, token: "tok" });
    await gatewayForUid(client, "uid-456").capabilities("d");
    expect(seen.at(-1)!.headers[GATEWAY_UID_HEADER]).toBe("uid-456");
    const plain = client.forUid("uid-789");
    expect(gatewayForUid(plain, "other")).toBe(plain);
  });

  it("maps { snapshot: null } to undefined and 204 to void", async () => {
    const client = createGatewayClient({ baseUrl: base, token: "tok" });
    expect(await client.getSnapshot("d", { snapshotId: "x" })).toBeUndefined();
    expect(await client.deleteSnapshot("d", { snapshotId: "x" })).toBeUndefined();
    expect(seen.at(-1)!.headers[GATEWAY_UID_HEADER]).toBeUndefined();
  });

  it("getGroupSnapshot: a group the driver does not have fails NOT_FOUND with the driver's message", async () => {
    const client = createGatewayClient({ baseUrl: base, token: "tok" });
    const err = await failure(client.getGroupSnapshot("group-missing", { groupSnapshotId: "g", snapshotIds: ["s"] }));
    expect({ code: err.code, message: err.message, origin: err.origin }).toEqual({ code: "NOT_FOUND", message: "group snapshot g does not exist", origin: undefined });
    // An older gateway's empty answer: still NOT_FOUND (never a value), saying the driver's message was lost.
    const old = await failure(client.getGroupSnapshot("d", { groupSnapshotId: "g", snapshotIds: ["s"] }));
    expect({ code: old.code, message: old.message, retryable: old.retryable }).toEqual({
      code: "NOT_FOUND",
      message: "group snapshot g not found (the gateway did not pass on the driver's message)",
      retryable: false,
    });
  });

  it("throws the gateway's own error body as GatewayError", async () => {
    const err = await failure(createGatewayClient({ baseUrl: base, token: "tok" }).capabilities("gw-error"));
    expect({ code: err.code, message: err.message, retryable: err.retryable }).toEqual({
      code: "ALREADY_EXISTS",
      message: "name taken",
      retryable: false,
    });
  });

  it("derives a retryable code from the status when something else answered", async () => {
    const err = await failure(createGatewayClient({ baseUrl: base, token: "tok" }).capabilities("proxy-502"));
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code: "UNAVAILABLE", retryable: true });
    expect(err.message).toContain("HTTP 502");
  });

  it("keeps who failed: the body's origin, and the gateway's own for answers no driver stood behind", async () => {
    const client = createGatewayClient({ baseUrl: base, token: "tok" });
    const secret = await failure(client.capabilities("secret-error"));
    expect({ code: secret.code, retryable: secret.retryable, origin: secret.origin }).toEqual({ code: "FAILED_PRECONDITION", retryable: true, origin: "secret" });
    expect((await failure(client.capabilities("gw-error"))).origin).toBeUndefined();
    const proxied = await failure(client.capabilities("proxy-404"));
    expect({ code: proxied.code, origin: proxied.origin }).toEqual({ code: "NOT_FOUND", origin: "gateway" });
    expect((await failure(client.capabilities("not-json"))).origin).toBe("gateway");
  });

  it("reports an answer that is not JSON", async () => {
    const err = await failure(createGatewayClient({ baseUrl: base, token: "tok" }).capabilities("not-json"));
    expect(err.code).toBe("UNKNOWN");
  });

  it("answers DEADLINE_EXCEEDED (retryable) when the gateway does not answer in time", async () => {
    const err = await failure(createGatewayClient({ baseUrl: base, token: "tok", timeoutMs: 150 }).capabilities("hang"));
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code: "DEADLINE_EXCEEDED", retryable: true });
  });

  it("answers UNAVAILABLE (retryable) when nothing listens", async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const err = await failure(createGatewayClient({ baseUrl: `http://127.0.0.1:${port}`, token: "tok" }).capabilities("d"));
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code: "UNAVAILABLE", retryable: true });
    expect(err.message).toContain("unreachable");
  });

  it("goes through an injected fetch (e.g. an in-process app) when given one", async () => {
    const requests: Array<{ url: string; init: RequestInit }> = [];
    const client = createGatewayClient({
      baseUrl: "http://in-process",
      token: "tok",
      fetch: async (url, init) => {
        requests.push({ url, init });
        return new Response(JSON.stringify({ error: { code: "OUT_OF_RANGE", message: "too small", retryable: false } }), { status: 422 });
      },
    });
    const err = await failure(client.createVolume("d", { name: "v", capabilities: [] }));
    expect({ code: err.code, message: err.message }).toEqual({ code: "OUT_OF_RANGE", message: "too small" });
    expect(requests[0]!.url).toBe("http://in-process/v1/drivers/d/volumes");
    expect(JSON.parse(String(requests[0]!.init.body))).toEqual({ name: "v", capabilities: [] });
  });

  it("refuses an empty token", () => {
    expect(() => createGatewayClient({ baseUrl: base, token: "" })).toThrow("token must not be empty");
  });
});
