// The snapflow pipeline assembled from its parts for the distributed proofs: dev clusters, the
// hostpath driver behind one gateway, function hosts (in-process, or `snapflow functions` child
// processes that can be killed with SIGKILL), dispatchers and watchers on any NATS (one server or
// a JetStream cluster). The functions and the consumers come from serverless.yml.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ensureDefaultObjects } from "../../cli/stack/defaults.js";
import { appDeliver, startDispatcher, type Deliver, type Dispatcher } from "../../events/dispatcher/index.js";
import { ensureStreams, type DeliveryPolicy } from "../../events/jetstream/index.js";
import { EventPublisher } from "../../events/watcher/publisher.js";
import { startWatcher, type Watcher } from "../../events/watcher/watcher.js";
import { handlerModule, loadDescriptor, type Descriptor } from "../../infra/deploy/descriptor.js";
import { startDevCluster, type DevCluster, type RequestLogEntry } from "../../infra/devcluster/index.js";
import { startGateway, type RunningGateway } from "../../infra/gateway/index.js";
import { startHostpathDriver } from "../../infra/hostpath/index.js";
import { createFunctionHost } from "../../shared/function/index.js";
import type { SnapflowFunction } from "../../shared/function/types.js";
import { createGatewayClient, type HttpGatewayClient } from "../../shared/gateway/client.js";
import { createKubeClient, type HttpKubeClient } from "../../shared/kube/http-client.js";
import type { KubeClient } from "../../shared/kube/types.js";
import { freePort } from "../support/ports.js";

export const DRIVER = "hostpath.snapflow.dev";
const ROOT = new URL("../../", import.meta.url).pathname;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** The functions serverless.yml describes, loaded from their handlers. */
export async function describedFunctions(descriptor: Descriptor = loadDescriptor()): Promise<SnapflowFunction[]> {
  const out: SnapflowFunction[] = [];
  for (const spec of descriptor.functions) {
    const { module, exportName } = handlerModule(spec.handler);
    const fn = ((await import(join(ROOT, module))) as Record<string, SnapflowFunction | undefined>)[exportName];
    if (!fn || fn.name !== spec.name) throw new Error(`serverless.yml: ${spec.handler} is not the function "${spec.name}"`);
    out.push(fn);
  }
  return out;
}

export interface ClusterUnderTest {
  name: string;
  dev: DevCluster;
  kubeconfig: string;
  /** The test's own client (user agent snapflow-test). */
  kube: HttpKubeClient;
}

export async function startClusterUnderTest(dir: string, name: string, onRequest?: (entry: RequestLogEntry) => void): Promise<ClusterUnderTest> {
  const dev = await startDevCluster({ dataDir: join(dir, `cluster-${name}`), ...(onRequest ? { onRequest } : {}) });
  const kube = createKubeClient(dev.kubeconfigPath, { userAgent: "snapflow-test", maxSockets: 32 });
  await ensureDefaultObjects(kube);
  return { name, dev, kubeconfig: dev.kubeconfigPath, kube };
}

export interface Storage {
  gatewayUrl: string;
  token: string;
  tokenFile: string;
  gateway: HttpGatewayClient;
  close(): Promise<void>;
}

/** One hostpath driver behind one gateway (secrets resolved through `kubeconfig`). */
export async function startStorage(dir: string, kubeconfig: string): Promise<Storage> {
  await mkdir(join(dir, "hostpath"), { recursive: true });
  const endpoint = `unix://${join(dir, "csi.sock")}`;
  const driver = await startHostpathDriver({ dataDir: join(dir, "hostpath"), endpoint });
  const token = `pipeline-${process.pid}-${Date.now().toString(36)}`;
  const tokenFile = join(dir, "gateway.token");
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  let gw: RunningGateway;
  try {
    gw = await startGateway({ config: { drivers: { [DRIVER]: { backend: "csi", address: endpoint, timeoutSeconds: 30 } }, logLevel: "silent" }, token, kubeconfigPath: kubeconfig });
  } catch (err) {
    await driver.close();
    throw err;
  }
  return {
    gatewayUrl: gw.url,
    token,
    tokenFile,
    gateway: createGatewayClient({ baseUrl: gw.url, token, timeoutMs: 60_000 }),
    async close() {
      await gw.close();
      await driver.close();
    },
  };
}

export interface InProcessFunctions {
  /** Where the dispatcher delivers function `name`'s events. */
  deliverFor(name: string): Deliver;
  close(): void;
}

/**
 * Function hosts in this process, holding a client per cluster. With `perFunctionUserAgent`, every
 * function gets its own host and its own API clients (user agent `snapflow-fn/<name>`), so the API
 * server's request log tells the functions apart.
 */
export function startInProcessFunctions(functions: SnapflowFunction[], clusters: ClusterUnderTest[], storage: Storage, options: { perFunctionUserAgent?: boolean } = {}): InProcessFunctions {
  const clients: HttpKubeClient[] = [];
  const kubeFor = (userAgent: string): Record<string, KubeClient> =>
    Object.fromEntries(
      clusters.map((c) => {
        const client = createKubeClient(c.kubeconfig, { userAgent });
        clients.push(client);
        return [c.name, client];
      }),
    );
  const gateway = createGatewayClient({ baseUrl: storage.gatewayUrl, token: storage.token, timeoutMs: 60_000 });
  const hosts = new Map<string, ReturnType<typeof createFunctionHost>>();
  if (options.perFunctionUserAgent) {
    for (const fn of functions) hosts.set(fn.name, createFunctionHost([fn], { kubeFor: kubeFor(`snapflow-fn/${fn.name}`), gateway, log: quiet }, { processMetrics: false }));
  } else {
    const host = createFunctionHost(functions, { kubeFor: kubeFor("snapflow-functions"), gateway, log: quiet }, { processMetrics: false });
    for (const fn of functions) hosts.set(fn.name, host);
  }
  return {
    deliverFor: (name) => appDeliver(hosts.get(name)!.app),
    close: () => clients.forEach((c) => c.close()),
  };
}

export interface ChildFunctionHost {
  url: string;
  pid(): number | undefined;
  /** SIGKILL. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `snapflow functions` as a child process on a fixed loopback port, serving every cluster. */
export async function startChildFunctionHost(clusters: ClusterUnderTest[], storage: Storage): Promise<ChildFunctionHost> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [join(ROOT, "bin/snapflow.mjs"), "functions", "--port", String(port), "--gateway", storage.gatewayUrl, "--gateway-token-file", storage.tokenFile];
  for (const c of clusters) args.push("--cluster", `${c.name}=${c.kubeconfig}`);
  let child: ChildProcess | undefined;
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once("exit", () => r())));
  const host: ChildFunctionHost = {
    url,
    pid: () => child?.pid,
    async kill() {
      if (child && alive()) {
        child.kill("SIGKILL");
        await exited(child);
      }
    },
    async start() {
      if (alive()) return;
      child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, SNAPFLOW_LOG_LEVEL: "silent" } });
      let stderr = "";
      child.stderr!.on("data", (b: Buffer) => {
        if (stderr.length < 4000) stderr += b.toString();
      });
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
          if (res.ok) return;
        } catch {
          // not listening yet
        }
        if (!alive()) throw new Error(`snapflow functions exited during start: ${stderr.trim()}`);
        if (Date.now() > deadline) throw new Error(`snapflow functions did not answer within 60 s: ${stderr.trim()}`);
        await sleep(100);
      }
    },
    async stop() {
      if (child && alive()) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child?.kill("SIGKILL"), 5_000);
        await exited(child);
        clearTimeout(timer);
      }
    },
  };
  await host.start();
  return host;
}

/** A NATS connection to any of `urls` that reconnects for ever (as connectNats, with several seeds). */
export function natsConnect(urls: string[], name: string): Promise<NatsConnection> {
  return connect({ servers: urls, name, maxReconnectAttempts: -1, reconnectTimeWait: 250, waitOnFirstConnect: true });
}

export interface RunningDispatcher {
  dispatcher: Dispatcher;
  nc: NatsConnection;
  stop(): Promise<void>;
}

export async function startPipelineDispatcher(o: {
  natsUrls: string[];
  cluster: string;
  functions: SnapflowFunction[];
  descriptor?: Descriptor;
  /** Function name → how to reach it. */
  deliver: (name: string) => { url: string; deliver?: Deliver };
  policy?: DeliveryPolicy;
  replicas?: number;
}): Promise<RunningDispatcher> {
  const descriptor = o.descriptor ?? loadDescriptor();
  const nc = await natsConnect(o.natsUrls, `snapflow-dispatcher-${o.cluster}`);
  await ensureStreams(await jetstreamManager(nc), o.replicas ? { replicas: o.replicas } : {});
  const dispatcher = await startDispatcher({
    nc,
    cluster: o.cluster,
    functions: o.functions.map((fn) => {
      const spec = descriptor.functions.find((s) => s.name === fn.name);
      const verbs = spec?.verbs ?? fn.verbs;
      return { name: fn.name, resources: spec?.resources ?? fn.resources, ...(verbs ? { verbs } : {}), concurrency: spec?.concurrency, ...o.deliver(fn.name) };
    }),
    policy: o.policy,
    log: quiet,
  });
  return {
    dispatcher,
    nc,
    async stop() {
      await dispatcher.drain();
      await nc.close();
    },
  };
}

export interface RunningWatcher {
  watcher: Watcher;
  stop(): Promise<void>;
}

export async function startPipelineWatcher(o: { natsUrls: string[]; cluster: ClusterUnderTest; replicas?: number }): Promise<RunningWatcher> {
  const nc = await natsConnect(o.natsUrls, `snapflow-watcher-${o.cluster.name}`);
  await ensureStreams(await jetstreamManager(nc), o.replicas ? { replicas: o.replicas } : {});
  const kc = new KubeConfig();
  kc.loadFromFile(o.cluster.kubeconfig);
  const publisher = new EventPublisher(jetstream(nc), { log: quiet });
  const watcher = startWatcher({ kubeConfig: kc, publisher, cluster: o.cluster.name, resyncIntervalMs: 0, log: quiet });
  await watcher.ready;
  return {
    watcher,
    async stop() {
      await watcher.stop();
      await Promise.race([publisher.idle(), sleep(5_000)]);
      publisher.stop();
      await nc.close();
    },
  };
}
