// The function host and the dispatcher of `snapflow up`, in a child process of their own so that a
// second core works for the pipeline (the parent keeps the dev cluster, gateway, hostpath driver and
// watcher). Started by cli/stack/function-process.ts through worker-entry.mjs; talks to the parent
// over the IPC channel only (the gateway token travels there, never on the command line).
// Protocol: parent → {type:"start", config} … {type:"drain"}; child → {type:"ready", functionsUrl},
// {type:"stats", stats} (periodically), {type:"failed", error}, {type:"drained", stats}.
// When the parent goes away (the IPC channel closes, e.g. it was killed -9) the child drains and exits.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { pino } from "pino";
import { hostDeliver, startDispatcher, type Dispatcher, type FunctionStats } from "../../events/dispatcher/index.js";
import { connectNats, type DeliveryPolicy } from "../../events/jetstream/index.js";
import { createFunctionHost } from "../../shared/function/index.js";
import { createGatewayClient } from "../../shared/gateway/client.js";
import { createKubeClient } from "../../shared/kube/http-client.js";
import { createLogger } from "../../shared/log.js";
import { dispatchTarget } from "../dispatch-target.js";
import { allFunctions } from "../functions.js";
import { snapshotMetricsRegistry } from "../../shared/snapshot/metrics.js";

export interface FunctionWorkerConfig {
  kubeconfig: string;
  cluster: string;
  natsUrl: string;
  gatewayUrl: string;
  gatewayToken: string;
  /** Names out of allFunctions, in order. */
  functions: string[];
  port: number;
  functionConcurrency?: number;
  deliveryPolicy?: DeliveryPolicy;
  logFile: string;
}

export type WorkerMessage =
  | { type: "ready"; functionsUrl: string }
  | { type: "failed"; error: string }
  | { type: "stats"; stats: Record<string, FunctionStats> }
  | { type: "drained"; stats: Record<string, FunctionStats> };

const STATS_EVERY_MS = 250;

function send(message: WorkerMessage): void {
  // The parent may die (kill -9) between the check and the write: with a callback the broken pipe
  // is reported there instead of as an unhandled 'error' that would crash the worker before the
  // 'disconnect' handler drains it.
  if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
}

async function run(config: FunctionWorkerConfig): Promise<void> {
  const log = createLogger({ name: "snapflow", destination: pino.destination({ dest: config.logFile, sync: false, mkdir: true, append: true }) });
  const byName = new Map(allFunctions.map((fn) => [fn.name, fn]));
  const functions = config.functions.map((name) => {
    const fn = byName.get(name);
    if (!fn) throw new Error(`unknown function "${name}"`);
    return fn;
  });
  const kube = createKubeClient(config.kubeconfig);
  const host = createFunctionHost(functions, {
    kube,
    clusterName: config.cluster,
    gateway: createGatewayClient({ baseUrl: config.gatewayUrl, token: config.gatewayToken }),
    log: log.child({ component: "functions" }),
  }, { metricsRegistries: [snapshotMetricsRegistry] });
  const server = createAdaptorServer({ fetch: host.app.fetch, hostname: "127.0.0.1" }) as Server;
  const port = await new Promise<number>((resolvePort, reject) => {
    server.once("error", reject);
    server.listen(config.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
  const functionsUrl = `http://127.0.0.1:${port}`;
  const nc = await connectNats(config.natsUrl, "snapflow-up-functions");
  let dispatcher: Dispatcher | undefined;
  let stopping: Promise<void> | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (statsTimer) clearInterval(statsTimer);
      // Stop listening first: a restarted `snapflow up` may want the same fixed port.
      server.close();
      server.closeIdleConnections?.();
      await dispatcher?.drain().catch((err) => log.warn({ err: String(err) }, "dispatcher drain failed"));
      await nc.drain().catch(() => undefined);
      kube.close();
      send({ type: "drained", stats: dispatcher?.stats ?? {} });
      log.flush?.();
    })());
  process.on("message", (m: { type?: string }) => {
    if (m?.type === "drain") void stop().then(() => process.exit(0));
  });
  process.on("disconnect", () => void stop().then(() => process.exit(0)));
  // Ctrl-C reaches the whole process group: drain like the parent asked (it waits for our exit).
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void stop().then(() => process.exit(0)));

  dispatcher = await startDispatcher({
    nc,
    cluster: config.cluster,
    functions: functions.map((fn) =>
      dispatchTarget(fn, `${functionsUrl}/${fn.name}`, { deliver: hostDeliver(host), ...(config.functionConcurrency ? { concurrency: config.functionConcurrency } : {}) }),
    ),
    policy: config.deliveryPolicy,
    log: log.child({ component: "dispatcher" }),
  });
  statsTimer = setInterval(() => send({ type: "stats", stats: dispatcher!.stats }), STATS_EVERY_MS);
  statsTimer.unref();
  send({ type: "ready", functionsUrl });
}

process.once("message", (m: { type?: string; config?: FunctionWorkerConfig }) => {
  if (m?.type !== "start" || !m.config) {
    send({ type: "failed", error: "expected a start message first" });
    process.exit(2);
  }
  run(m.config).catch((err: unknown) => {
    send({ type: "failed", error: err instanceof Error ? err.message : String(err) });
    // Let the IPC message go out before exiting.
    setTimeout(() => process.exit(1), 50);
  });
});
