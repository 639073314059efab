// The informer's list call, returning the API server's JSON untouched. client-node's typed list
// calls turn timestamps into Date objects; events must carry the object as the server sent it.
import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeList, KubeObject } from "../../shared/api/meta.js";

export class ListError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = "ListError";
  }
}

async function getJson(kc: KubeConfig, url: URL): Promise<unknown> {
  const options: https.RequestOptions = { method: "GET", headers: { accept: "application/json" } };
  await kc.applyToHTTPSOptions(options);
  const transport = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        if (response.statusCode !== 200) {
          reject(new ListError(response.statusCode ?? 0, `list ${url.pathname}: HTTP ${response.statusCode}`));
          return;
        }
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new ListError(500, `list ${url.pathname}: response is not JSON`));
        }
      });
    });
    request.setTimeout(60_000, () => request.destroy(new Error(`list ${url.pathname}: timed out`)));
    request.on("error", reject);
    request.end();
  });
}

/** Lists a collection across all namespaces, following `continue` tokens. */
export async function listRaw(kc: KubeConfig, path: string, pageSize = 500): Promise<KubeList<KubeObject>> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error("kubeconfig has no current cluster");
  const items: KubeObject[] = [];
  let continueToken: string | undefined;
  let first: KubeList<KubeObject> | undefined;
  do {
    const url = new URL(server.replace(/\/$/, "") + path);
    url.searchParams.set("limit", String(pageSize));
    if (continueToken) url.searchParams.set("continue", continueToken);
    const page = (await getJson(kc, url)) as KubeList<KubeObject>;
    first ??= page;
    items.push(...(page.items ?? []));
    continueToken = page.metadata?.continue || undefined;
  } while (continueToken);
  return { apiVersion: first.apiVersion, kind: first.kind, metadata: { resourceVersion: first.metadata?.resourceVersion }, items };
}
