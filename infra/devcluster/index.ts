// The embedded dev cluster: a single-process Kubernetes API server on loopback that kubectl and
// client libraries use unchanged. State lives in the data dir and survives restarts.
import { mkdirSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { snapshotCrds } from "../crds/index.js";
import { Api } from "./api.js";
import { builtinResources } from "./builtins.js";
import { Binder } from "./controllers/binder.js";
import { CrdController } from "./controllers/crds.js";
import { GarbageCollector } from "./controllers/garbage-collector.js";
import { NamespaceController } from "./controllers/namespaces.js";
import { StorageProtection } from "./controllers/storage-protection.js";
import { loadValidation } from "./crd-validation.js";
import { kubeconfigYaml } from "./kubeconfig.js";
import { OpenApi } from "./openapi.js";
import { Registry } from "./registry.js";
import { createApiServer, type RequestLogEntry } from "./server.js";
import { Store } from "./store.js";

export type { RequestLogEntry } from "./server.js";

export interface DevClusterOptions {
  dataDir: string;
  /** 0 or undefined: a free port. */
  port?: number;
  host?: string;
  /** Called after every answered request (method, path, user agent, status, kube verb). */
  onRequest?: (entry: RequestLogEntry) => void;
  /** How often open watches that asked for bookmarks get one (default 5 s). */
  bookmarkIntervalMs?: number;
  /** How many changes a watch can resume from before it gets 410 Gone (default 10,000). */
  historySize?: number;
}

export interface DevCluster {
  url: string;
  kubeconfigPath: string;
  port: number;
  close(): Promise<void>;
  /** The most recent requests (bounded), for tests and for deriving RBAC rules. */
  requestLog: RequestLogEntry[];
}

const REQUEST_LOG_LIMIT = 10_000;

export async function startDevCluster(opts: DevClusterOptions): Promise<DevCluster> {
  mkdirSync(opts.dataDir, { recursive: true });
  const validation = await loadValidation();
  const store = new Store({ dataDir: join(opts.dataDir, "store"), historySize: opts.historySize });
  const registry = new Registry();
  for (const def of builtinResources()) registry.add(def);
  const api = new Api(store, registry, validation);
  const crds = new CrdController(api, store, registry, validation, registry.get("apiextensions.k8s.io", "customresourcedefinitions")!);
  const gc = new GarbageCollector(api, store);
  api.orphanDependents = (uid) => gc.orphan(uid);
  const namespaces = new NamespaceController(api, store);
  const binder = new Binder(api, store);
  const protection = new StorageProtection(api, store);
  const stopParts = async () => {
    await Promise.all([gc.stop(), namespaces.stop(), binder.stop(), protection.stop()]);
    crds.stop();
    await store.close();
  };
  try {
    await crds.install(snapshotCrds());
    const nsDef = registry.get("", "namespaces")!;
    if (!api.find(nsDef, undefined, "default")) await api.create(nsDef, "v1", undefined, { metadata: { name: "default" } });
  } catch (e) {
    await stopParts();
    throw e;
  }

  const host = opts.host ?? "127.0.0.1";
  const requestLog: RequestLogEntry[] = [];
  let address = "";
  const server = createApiServer({
    api,
    store,
    registry,
    openapi: new OpenApi(registry),
    serverAddress: () => address,
    tuning: { bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 5000 },
    onRequest: (entry) => {
      requestLog.push(entry);
      // Trimmed in chunks: shifting a 10,000-entry array on every request would cost more than serving it.
      if (requestLog.length > REQUEST_LOG_LIMIT * 1.5) requestLog.splice(0, requestLog.length - REQUEST_LOG_LIMIT);
      opts.onRequest?.(entry);
    },
  });
  server.keepAliveTimeout = 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    await stopParts();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  address = `${host}:${port}`;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const kubeconfigPath = join(opts.dataDir, "kubeconfig");
  writeFileSync(kubeconfigPath, kubeconfigYaml(url));

  let closing: Promise<void> | undefined;
  return {
    url,
    kubeconfigPath,
    port,
    requestLog,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await stopParts();
      })();
      return closing;
    },
  };
}
