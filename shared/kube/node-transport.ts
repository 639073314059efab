// node:http transport, for kubeconfigs with a proxy-url: client-node's proxy agent (HTTP CONNECT /
// SOCKS) only plugs into node:http. It pools connections itself.
import http from "node:http";
import https from "node:https";
import { parseBody, timedOut, type KubeTransport, type Reply } from "./transport.js";

export function nodeTransport(base: URL, agent: http.Agent, timeoutMs: number): KubeTransport {
  const request = base.protocol === "https:" ? https.request : http.request;
  const basePath = base.pathname.replace(/\/+$/, "");
  return {
    send(method, path, headerList, payload) {
      const headers: Record<string, string | number> = {};
      for (let i = 0; i < headerList.length; i += 2) headers[headerList[i]!] = headerList[i + 1]!;
      if (payload !== undefined) headers["content-length"] = Buffer.byteLength(payload);
      return new Promise<Reply>((resolve, reject) => {
        const req = request(
          { protocol: base.protocol, hostname: base.hostname, port: base.port || undefined, method, path: basePath + path, agent, headers, timeout: timeoutMs },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("error", reject);
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: parseBody(chunks) }));
          },
        );
        req.on("timeout", () => req.destroy(timedOut(timeoutMs)));
        req.on("error", (err: NodeJS.ErrnoException) => {
          // A pooled connection the server closed while idle fails before anything was sent.
          if (req.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE")) (err as { staleSocket?: boolean }).staleSocket = true;
          reject(err);
        });
        req.end(payload);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
