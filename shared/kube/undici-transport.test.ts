// The undici transport against real HTTP servers: answers, time limits and connections closed under it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { KubeTransport } from "./transport.js";
import { undiciTransport } from "./undici-transport.js";

const servers: (http.Server | https.Server)[] = [];
const transports: KubeTransport[] = [];

afterEach(async () => {
  for (const t of transports.splice(0)) t.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: http.RequestListener): Promise<URL> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

function transport(base: URL, timeoutMs = 5_000, connections = 4): KubeTransport {
  const t = undiciTransport(base, { timeoutMs, connections });
  transports.push(t);
  return t;
}

const failure = (p: Promise<unknown>) => p.then(() => expect.fail("should have failed"), (e: unknown) => e as Error & { staleSocket?: boolean });

describe("undici KubeTransport", () => {
  it("sends the method, base path, headers and body; parses JSON and keeps other bodies as text", async () => {
    const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
    const base = await serve((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url!.endsWith("/text")) res.end("Bad Gateway");
        else res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ ok: body.length }));
      });
    });
    const t = transport(new URL("/prefix/", base));
    const payload = JSON.stringify({ a: "é" });
    expect(await t.send("PUT", "/x", ["Accept", "application/json", "Content-Type", "application/merge-patch+json"], payload)).toEqual({ status: 201, body: { ok: payload.length } });
    expect(seen[0]).toMatchObject({ method: "PUT", url: "/prefix/x", body: payload, headers: { accept: "application/json", "content-type": "application/merge-patch+json", "content-length": String(Buffer.byteLength(payload)) } });
    expect(await t.send("GET", "/text", [])).toEqual({ status: 200, body: "Bad Gateway" });
  });

  it("keeps sequential calls on one keep-alive connection", async () => {
    const ports = new Set<number>();
    const base = await serve((req, res) => {
      ports.add(req.socket.remotePort!);
      res.end("{}");
    });
    const t = transport(base);
    for (let i = 0; i < 10; i++) await t.send("GET", "/", []);
    expect(ports.size).toBe(1);
  });

  it("opens no more connections than allowed and queues the rest", async () => {
    const ports = new Set<number>();
    const base = await serve((req, res) => {
      ports.add(req.socket.remotePort!);
      setTimeout(() => res.end("{}"), 5);
    });
    const t = transport(base, 5_000, 3);
    const replies = await Promise.all(Array.from({ length: 12 }, () => t.send("GET", "/", [])));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(ports.size).toBe(3);
  });

  it("rejects with `timed out after N ms` when the server does not answer", async () => {
    const base = await serve(() => {});
    const err = await failure(transport(base, 150).send("GET", "/", []));
    expect(err.message).toBe("timed out after 150 ms");
  });

  it("marks a failure on a reused connection the server closed as stale, and one on a fresh connection not", async () => {
    const perSocket = new WeakMap<object, number>();
    const base = await serve((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n > 1 || req.url === "/drop") req.socket.destroy();
      else res.end("{}");
    });
    const t = transport(base, 5_000, 1);
    await t.send("GET", "/", []);
    const stale = await failure(t.send("GET", "/", []));
    expect(stale.staleSocket).toBe(true);
    const fresh = await failure(t.send("GET", "/drop", []));
    expect(fresh.staleSocket).toBeUndefined();
  });

  it("passes connection errors through", async () => {
    const err = await failure(transport(new URL("http://127.0.0.1:1")).send("GET", "/", []));
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it("verifies TLS with the given CA and server name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "snapflow-undici-tls-"));
    try {
      const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
      openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=test-ca");
      openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=kube");
      writeFileSync(join(dir, "server.ext"), "subjectAltName=DNS:kube.internal\n");
      openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "server.ext");
      const read = (f: string) => readFileSync(join(dir, f), "utf8");
      const server = https.createServer({ key: read("server.key"), cert: read("server.crt") }, (_req, res) => res.end('{"tls":true}'));
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const base = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const named = undiciTransport(base, { timeoutMs: 5_000, connections: 1, tls: { ca: read("ca.crt"), servername: "kube.internal" } });
      transports.push(named);
      expect(await named.send("GET", "/", [])).toEqual({ status: 200, body: { tls: true } });
      const unnamed = undiciTransport(base, { timeoutMs: 5_000, connections: 1, tls: { ca: read("ca.crt") } });
      transports.push(unnamed);
      expect((await failure(unnamed.send("GET", "/", []))).message).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list|altnames/i);
      const skipVerify = undiciTransport(base, { timeoutMs: 5_000, connections: 1, tls: { rejectUnauthorized: false } });
      transports.push(skipVerify);
      expect((await skipVerify.send("GET", "/", [])).status).toBe(200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
