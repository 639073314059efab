import http from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayBodyLimit } from "./body-limit.js";

const MAX = 16;

function limitedApp(): Hono {
  const app = new Hono();
  app.use("*", gatewayBodyLimit({ maxSize: MAX, onError: (c) => c.text("too large", 413) }));
  app.post("/echo", async (c) => c.text(`got:${await c.req.text()}`));
  app.get("/echo", (c) => c.text("get"));
  return app;
}

function streamOf(...parts: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
      controller.close();
    },
  });
}

describe("gateway body limit, in process", () => {
  const app = limitedApp();
  const post = (init: RequestInit) => app.request("/echo", { method: "POST", ...init });

  it("decides from Content-Length alone when it is given", async () => {
    const over = await post({ body: "x".repeat(MAX + 1), headers: { "content-length": String(MAX + 1) } });
    expect(over.status).toBe(413);
    expect(await over.text()).toBe("too large");
    const at = await post({ body: "y".repeat(MAX), headers: { "content-length": String(MAX) } });
    expect(await at.text()).toBe(`got:${"y".repeat(MAX)}`);
  });

  it("counts the bytes of a body of unknown length, across chunks", async () => {
    const over = await post({ body: streamOf("0123456789", "0123456789"), duplex: "half" } as RequestInit);
    expect(over.status).toBe(413);
    const under = await post({ body: streamOf("01234", "56789"), duplex: "half" } as RequestInit);
    expect(await under.text()).toBe("got:0123456789");
  });

  it("does not trust Content-Length next to Transfer-Encoding", async () => {
    const res = await post({ body: streamOf("x".repeat(MAX + 4)), duplex: "half", headers: { "content-length": "1", "transfer-encoding": "chunked" } } as RequestInit);
    expect(res.status).toBe(413);
  });

  it("lets GET through", async () => {
    expect(await (await app.request("/echo")).text()).toBe("get");
  });
});

describe("gateway body limit behind @hono/node-server", () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = createAdaptorServer({ fetch: limitedApp().fetch }) as http.Server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function send(chunks: string[], contentLength?: number): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (contentLength !== undefined) headers["content-length"] = contentLength;
      const req = http.request({ host: "127.0.0.1", port, path: "/echo", method: "POST", headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      for (const c of chunks) req.write(c);
      req.end();
    });
  }

  it("reads a body with Content-Length within the limit and refuses a longer one", async () => {
    expect(await send(["hello"], 5)).toEqual({ status: 200, text: "got:hello" });
    expect((await send(["x".repeat(MAX + 1)], MAX + 1)).status).toBe(413);
  });

  it("bounds a chunked body too", async () => {
    expect(await send(["ab", "cd"])).toEqual({ status: 200, text: "got:abcd" });
    expect((await send(["0123456789", "0123456789"])).status).toBe(413);
  });
});
