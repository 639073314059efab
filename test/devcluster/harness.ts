// Starts a dev cluster in a temp dir for one test file and offers a small HTTP helper.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevCluster, type DevCluster, type DevClusterOptions } from "../../infra/devcluster/index.js";

export interface Reply {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

export class Harness {
  cluster!: DevCluster;
  readonly dataDir = mkdtempSync(join(tmpdir(), "devcluster-test-"));

  async start(opts: Partial<DevClusterOptions> = {}): Promise<DevCluster> {
    this.cluster = await startDevCluster({ dataDir: this.dataDir, ...opts });
    return this.cluster;
  }

  async restart(opts: Partial<DevClusterOptions> = {}): Promise<DevCluster> {
    const port = this.cluster.port;
    await this.cluster.close();
    return this.start({ port, ...opts });
  }

  async req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    }
    let res: Response;
    try {
      res = await fetch(this.cluster.url + path, init);
    } catch {
      // A pooled keep-alive connection from before a restart is dead: one fresh attempt.
      res = await fetch(this.cluster.url + path, init);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  }

  patch(path: string, type: "merge" | "json" | "strategic" | "apply", body: unknown): Promise<Reply> {
    const ct = {
      merge: "application/merge-patch+json",
      json: "application/json-patch+json",
      strategic: "application/strategic-merge-patch+json",
      apply: "application/apply-patch+yaml",
    }[type];
    return this.req("PATCH", path, body, { "content-type": ct });
  }

  async stop(): Promise<void> {
    await this.cluster?.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Reads newline-delimited watch events from a streaming response until `until` says stop. */
export async function readWatch(url: string, until: (events: any[]) => boolean, headers: Record<string, string> = {}): Promise<any[]> {
  const ctrl = new AbortController();
  const res = await fetch(url, { signal: ctrl.signal, headers });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: any[] = [];
  let buf = "";
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) events.push(JSON.parse(line));
      }
    }
  } finally {
    ctrl.abort();
    await reader.cancel().catch(() => undefined);
  }
  return events;
}

export const PVC = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name, ...extra },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
});

export const PVCS = "/api/v1/namespaces/default/persistentvolumeclaims";
export const VS = "/apis/snapshot.storage.k8s.io/v1/namespaces/default/volumesnapshots";

/** Polls until `check` returns a value (controllers act asynchronously); the test timeout bounds it. */
export async function eventually<T>(check: () => Promise<T | undefined | false>): Promise<T> {
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}
