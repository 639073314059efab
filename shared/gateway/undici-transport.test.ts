// The gateway's undici transport against a real HTTP server: deadline, caller cancellation,
// connection reuse, and what is sent.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CallTimeout } from "./transport.js";
import { undiciTransport } from "./undici-transport.js";

let server: http.Server;
let base: string;
const seen: { url: string; port: number; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ url: req.url!, port: req.socket.remotePort!, headers: req.headers, body });
      if (req.url!.endsWith("/hang")) return;
      if (req.url!.endsWith("/slow")) setTimeout(() => res.end("late"), 50);
      else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ got: body }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gw`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const call = { method: "POST" as const, headers: ["authorization", "Bearer t", "content-type", "application/json"], timeoutMs: 5_000 };

describe("gateway undici transport", () => {
  it("sends headers and body under the base path and returns the answer's text", async () => {
    const send = undiciTransport(base);
    expect(await send("/v1/x", { ...call, body: '{"a":1}' })).toEqual({ status: 200, text: JSON.stringify({ got: '{"a":1}' }) });
    expect(seen.at(-1)).toMatchObject({ url: "/gw/v1/x", body: '{"a":1}', headers: { authorization: "Bearer t", "content-type": "application/json", "content-length": "7" } });
  });

  it("keeps sequential calls on one connection", async () => {
    const send = undiciTransport(base);
    const before = seen.length;
    for (let i = 0; i < 5; i++) await send("/v1/x", call);
    expect(new Set(seen.slice(before).map((s) => s.port)).size).toBe(1);
  });

  it("rejects with CallTimeout once the whole call takes longer than its limit", async () => {
    const send = undiciTransport(base);
    const started = Date.now();
    const err = await send("/hang", { ...call, timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallTimeout);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    // The connection of the abandoned call is not handed out again with its request still on it.
    expect(await send("/v1/x", call)).toMatchObject({ status: 200 });
  });

  it("stops when the caller aborts, before or during the call", async () => {
    const send = undiciTransport(base);
    const already = new AbortController();
    already.abort(new Error("before"));
    await expect(send("/v1/x", { ...call, signal: already.signal })).rejects.toThrow("before");
    const during = new AbortController();
    const pending = send("/slow", { ...call, signal: during.signal });
    setTimeout(() => during.abort(new Error("during")), 10);
    await expect(pending).rejects.toThrow("during");
    expect(await send("/slow", { ...call, signal: new AbortController().signal })).toEqual({ status: 200, text: "late" });
  });

  it("passes connection errors through", async () => {
    await expect(undiciTransport("http://127.0.0.1:1")("/v1/x", call)).rejects.toThrow(/ECONNREFUSED/);
  });
});
