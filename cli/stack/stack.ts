// `snapflow up` as a library: starts every part of the local stack (DESIGN "Local stack contract"),
// writes DIR/kubeconfig, DIR/endpoints.json and, once every component answers, DIR/ready.
// stop() undoes it in reverse order; a later start on the same DIR resumes from what is stored there.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { createAdaptorServer } from "@hono/node-server";
import { KubeConfig } from "@kubernetes/client-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { stringify } from "yaml";
import { hostDeliver, startDispatcher, type Dispatcher } from "../../events/dispatcher/index.js";
import { assertToken, connectNats, ensureStreams, type DeliveryPolicy } from "../../events/jetstream/index.js";
import { EventPublisher } from "../../events/watcher/publisher.js";
import { startWatcher, type Watcher } from "../../events/watcher/watcher.js";
import { startDevCluster } from "../../infra/devcluster/index.js";
import { startGateway, type GatewayConfig } from "../../infra/gateway/index.js";
import { startHostpathDriver } from "../../infra/hostpath/index.js";
import { createFunctionHost } from "../../shared/function/index.js";
import type { SnapflowFunction } from "../../shared/function/types.js";
import { createGatewayClient } from "../../shared/gateway/client.js";
import { createKubeClient } from "../../shared/kube/http-client.js";
import { createLogger, type Log } from "../../shared/log.js";
import { dispatchTarget } from "../dispatch-target.js";
import { allFunctions } from "../functions.js";
import { ensureDefaultObjects, HOSTPATH_DRIVER } from "./defaults.js";
import { writeEndpoints, type Endpoints } from "./endpoints.js";
import { startFunctionProcess } from "./function-process.js";
import { lockDataDir } from "./lock.js";
import { startNatsServer } from "./nats-server.js";
import { snapshotMetricsRegistry } from "../../shared/snapshot/metrics.js";

/** Fixed ports without --random-ports (documented in README "Local stack"; repeated in cli/commands/up.ts). */
export const FIXED_PORTS = { api: 6443, nats: 4222, gateway: 7480, functions: 7481 } as const;

export interface StackOptions {
  dataDir: string;
  functions: SnapflowFunction[];
  randomPorts?: boolean;
  clusterName?: string;
  /** Use this cluster instead of starting the dev cluster. */
  kubeconfig?: string;
  /** Use this NATS instead of spawning nats-server. */
  natsUrl?: string;
  resyncIntervalMs?: number;
  deliveryPolicy?: DeliveryPolicy;
  /**
   * Calls in flight per function (default 64). One worker process serves every function here, and a
   * call mostly waits on the API server and the driver: at 16 (the dispatcher's per-replica default,
   * Knative's containerConcurrency in serverless.yml) `bench --snapshots 1000` made 45 snapshots/s with
   * both processes half idle, at 64 it made 99/s.
   */
  functionConcurrency?: number;
  /** Default: JSON lines to DIR/logs/snapflow.log. */
  log?: Log;
  /**
   * Run the function host and dispatcher inside this process instead of in a child process of their
   * own. The child (the default) lets a second core work; functions not among allFunctions (which
   * the child loads by name) always run in-process.
   */
  functionsInProcess?: boolean;
}

export interface RunningStack {
  dataDir: string;
  endpoints: Endpoints;
  watcher: Watcher;
  dispatcher: Dispatcher;
  publisher: EventPublisher;
  nc: NatsConnection;
  /** The child process running the function host and dispatcher (absent when they run in-process). */
  functionWorkerPid?: number;
  /** Milliseconds from start() to DIR/ready. */
  startupMs: number;
  stop(): Promise<void>;
}

async function loadOrCreateToken(file: string): Promise<string> {
  if (existsSync(file)) {
    const token = (await readFile(file, "utf8")).trim();
    if (token) return token;
  }
  const token = randomBytes(32).toString("hex");
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return token;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

/** Calls in flight per function on the local stack (see StackOptions.functionConcurrency). */
export const DEFAULT_FUNCTION_CONCURRENCY = 64;

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const began = Date.now();
  const dataDir = resolve(options.dataDir);
  const cluster = assertToken("cluster name", options.clusterName ?? "local");
  const functionConcurrency = options.functionConcurrency ?? DEFAULT_FUNCTION_CONCURRENCY;
  const port = (name: keyof typeof FIXED_PORTS) => (options.randomPorts ? 0 : FIXED_PORTS[name]);
  await mkdir(join(dataDir, "logs"), { recursive: true });
  const unlock = lockDataDir(dataDir);
  await rm(join(dataDir, "ready"), { force: true });
  const log = options.log ?? createLogger({ name: "snapflow", destination: pino.destination({ dest: join(dataDir, "logs", "snapflow.log"), sync: false, mkdir: true }) });

  // Undo in reverse order whatever started, also when start-up fails half-way.
  const stops: Array<{ what: string; stop: () => Promise<unknown> }> = [];
  const stopAll = async () => {
    await rm(join(dataDir, "ready"), { force: true });
    for (const { what, stop } of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        log.warn({ component: what, err: String(err) }, "stop failed");
      }
    }
    stops.length = 0;
    log.flush?.();
    unlock();
  };

  try {
    const hostpathDir = join(dataDir, "hostpath");
    const hostpathSocket = join(hostpathDir, "csi.sock");
    const [cluster_, natsUrl, hostpath] = await Promise.all([
      options.kubeconfig
        ? Promise.resolve({ url: "", kubeconfigPath: resolve(options.kubeconfig), external: true })
        : startDevCluster({ dataDir: join(dataDir, "cluster"), port: port("api") }).then((c: { url: string; kubeconfigPath: string; close(): Promise<void> }) => {
            stops.push({ what: "dev cluster", stop: () => c.close() });
            return { ...c, external: false };
          }),
      options.natsUrl
        ? Promise.resolve(options.natsUrl)
        : startNatsServer({ dir: join(dataDir, "nats"), port: options.randomPorts ? undefined : FIXED_PORTS.nats }).then((n) => {
            stops.push({ what: "nats-server", stop: () => n.stop() });
            return n.url;
          }),
      mkdir(hostpathDir, { recursive: true }).then(() => startHostpathDriver({ dataDir: join(hostpathDir, "data"), endpoint: `unix://${hostpathSocket}` })),
    ]);
    stops.push({ what: "hostpath driver", stop: () => hostpath.close() });

    let kubeconfig = cluster_.kubeconfigPath;
    let apiUrl = cluster_.url;
    if (cluster_.external) {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      apiUrl = kc.getCurrentCluster()?.server ?? "";
    } else if (resolve(kubeconfig) !== join(dataDir, "kubeconfig")) {
      await copyFile(kubeconfig, join(dataDir, "kubeconfig"));
      kubeconfig = join(dataDir, "kubeconfig");
    }

    const token = await loadOrCreateToken(join(dataDir, "gateway.token"));
    const gatewayConfig: GatewayConfig = { drivers: { [HOSTPATH_DRIVER]: { backend: "csi", address: `unix://${hostpathSocket}` } }, logLevel: "warn" };
    await writeFile(join(dataDir, "gateway.yaml"), stringify(gatewayConfig));
    const gateway = await startGateway({ config: gatewayConfig, port: port("gateway"), token, kubeconfigPath: kubeconfig });
    stops.push({ what: "gateway", stop: () => gateway.close() });

    const kube = createKubeClient(kubeconfig);
    // Default classes point at the local hostpath driver: only the dev cluster gets them, never a
    // cluster someone else runs.
    if (!cluster_.external) {
      const created = await ensureDefaultObjects(kube);
      if (created.length > 0) log.info({ created }, "pre-created default objects");
    }

    const nc = await connectNats(natsUrl, "snapflow-up");
    stops.push({ what: "nats connection", stop: () => nc.drain() });
    await ensureStreams(await jetstreamManager(nc));

    const known = new Set<SnapflowFunction>(allFunctions);
    const inChild = !options.functionsInProcess && options.functions.every((fn) => known.has(fn));
    let functionsUrl: string;
    let dispatcher: Dispatcher;
    let functionWorkerPid: number | undefined;
    if (inChild) {
      const worker = await startFunctionProcess(
        {
          kubeconfig,
          cluster,
          natsUrl,
          gatewayUrl: gateway.url,
          gatewayToken: token,
          functions: options.functions.map((fn) => fn.name),
          port: port("functions"),
          functionConcurrency,
          ...(options.deliveryPolicy ? { deliveryPolicy: options.deliveryPolicy } : {}),
          logFile: join(dataDir, "logs", "snapflow.log"),
        },
        log,
      );
      functionsUrl = worker.functionsUrl;
      dispatcher = worker.dispatcher;
      functionWorkerPid = worker.pid;
      stops.push({ what: "function worker (function host, dispatcher)", stop: () => dispatcher.drain() });
    } else {
      const host = createFunctionHost(options.functions, {
        kube,
        clusterName: cluster,
        gateway: createGatewayClient({ baseUrl: gateway.url, token }),
        log: log.child({ component: "functions" }),
      }, { metricsRegistries: [snapshotMetricsRegistry] });
      const functionServer = createAdaptorServer({ fetch: host.app.fetch, hostname: "127.0.0.1" }) as Server;
      const functionsPort = await listen(functionServer, port("functions"));
      functionsUrl = `http://127.0.0.1:${functionsPort}`;
      stops.push({ what: "function host", stop: () => new Promise<void>((r) => functionServer.close(() => r())) });
      const inProcess = await startDispatcher({
        nc,
        cluster,
        functions: options.functions.map((fn) => dispatchTarget(fn, `${functionsUrl}/${fn.name}`, { deliver: hostDeliver(host), concurrency: functionConcurrency })),
        policy: options.deliveryPolicy,
        log: log.child({ component: "dispatcher" }),
      });
      dispatcher = inProcess;
      stops.push({ what: "dispatcher", stop: () => inProcess.drain() });
    }

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const publisher = new EventPublisher(jetstream(nc), { log: log.child({ component: "publisher" }) });
    const watcher = startWatcher({ kubeConfig: kc, publisher, cluster, resyncIntervalMs: options.resyncIntervalMs, log: log.child({ component: "watcher" }) });
    stops.push({
      what: "watcher",
      stop: async () => {
        await watcher.stop();
        await Promise.race([publisher.idle(), new Promise((r) => setTimeout(r, 5_000))]);
        publisher.stop();
      },
    });

    const endpoints: Endpoints = { kubeconfig, api: apiUrl, nats: natsUrl, gateway: gateway.url, functions: functionsUrl, hostpathSocket, cluster };
    await writeEndpoints(dataDir, endpoints);

    await watcher.ready;
    const checks = await Promise.all([answers(`${gateway.url}/healthz`), answers(`${functionsUrl}/healthz`), Promise.resolve(existsSync(hostpathSocket))]);
    if (checks.includes(false)) throw new Error(`components not answering: ${["gateway", "functions", "hostpath socket"].filter((_, i) => !checks[i]).join(", ")}`);
    await writeFile(join(dataDir, "ready"), `${new Date().toISOString()}\n`);
    const startupMs = Date.now() - began;
    log.info({ startupMs, endpoints }, "ready");

    let stopping: Promise<void> | undefined;
    return { dataDir, endpoints, watcher, dispatcher, publisher, nc, ...(functionWorkerPid ? { functionWorkerPid } : {}), startupMs, stop: () => (stopping ??= stopAll()) };
  } catch (err) {
    await stopAll();
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(`${(err as Error).message}: a fixed port is taken (another snapflow up?); use --random-ports or stop the other process`);
    }
    throw err;
  }
}
