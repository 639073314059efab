// The function host on a real HTTP listener (what `snapflow function(s)` and `snapflow up` run).
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import type { FunctionDeps } from "./app.js";
import { plainAuditResponse } from "./audit.js";
import { createFunctionHost, type FunctionHost, type FunctionHostOptions } from "./host.js";
import type { SnapflowFunction } from "./types.js";

export interface FunctionServerOptions extends FunctionHostOptions {
  /** 0 = any free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface FunctionServer {
  /** Base URL; each function answers POST <url>/<name> (and <url>/ when it is the only one). */
  url: string;
  port: number;
  host: FunctionHost;
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

export async function startFunctionServer(functions: SnapflowFunction[], deps: FunctionDeps, options: FunctionServerOptions): Promise<FunctionServer> {
  const host = createFunctionHost(functions, deps, options);
  const hostname = options.host ?? "127.0.0.1";
  // An audit reply goes out as @hono/node-server's own Response (the global once it serves), which
  // it writes from the status, header record and body as they are, without a body stream.
  const fetch = async (request: Request): Promise<Response> => {
    const response = await host.app.fetch(request);
    const plain = plainAuditResponse(response);
    return plain ? new Response(plain.body, { status: plain.status, headers: plain.headers }) : response;
  };
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch, hostname, port: options.port }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    host,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Idle keep-alive connections would hold close() open; busy ones finish their request first.
        (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      }),
  };
}
