// The whole local pipeline as the snapshot benches run it: their own dev cluster (so they can see
// every API request), nats-server, `snapflow up`'s stack on random ports, a bench kube client and a
// gateway client, and peak-RSS sampling per process. stop() takes it all down again.
import { mkdtemp, mkdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allFunctions } from "../../cli/functions.js";
import { ensureDefaultObjects } from "../../cli/stack/defaults.js";
import { startNatsServer } from "../../cli/stack/nats-server.js";
import { startStack, type RunningStack, type StackOptions } from "../../cli/stack/stack.js";
import { startDevCluster, type DevCluster, type RequestLogEntry } from "../../infra/devcluster/index.js";
import { createGatewayClient } from "../../shared/gateway/client.js";
import type { GatewayClient } from "../../shared/gateway/types.js";
import { createKubeClient, type HttpKubeClient } from "../../shared/kube/http-client.js";

/** The user agent of the bench's own requests (left out of the pipeline's request counts). */
export const BENCH_AGENT = "snapflow-bench";

export interface BenchStackOptions {
  /** Kept when given; otherwise a temp dir named after `name`, removed by stop(). */
  dataDir?: string;
  name: string;
  /** Every API request the dev cluster serves. */
  onRequest?: (entry: RequestLogEntry) => void;
  /** Parallel requests of the bench's kube client. */
  concurrency: number;
  stack?: Pick<StackOptions, "functionConcurrency" | "resyncIntervalMs">;
}

export interface BenchStack {
  dir: string;
  cluster: DevCluster;
  nats: { pid: number; url: string };
  stack: RunningStack;
  kube: HttpKubeClient;
  gateway: GatewayClient;
  /** Peak RSS per process so far, in MB. */
  peakRssMb(): Record<string, number>;
  stop(): Promise<void>;
}

/** Peak (else current) RSS of a process in MB, from /proc (0 when unreadable). */
export async function rssMbOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? /VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), `snapflow-bench-${options.name}-`)));
  const ownsDir = options.dataDir === undefined;
  await mkdir(dir, { recursive: true });
  const cluster = await startDevCluster({ dataDir: join(dir, "cluster"), ...(options.onRequest ? { onRequest: options.onRequest } : {}) });
  const nats = await startNatsServer({ dir: join(dir, "nats") });
  const stack = await startStack({
    dataDir: join(dir, "stack"),
    functions: allFunctions,
    randomPorts: true,
    clusterName: "bench",
    kubeconfig: cluster.kubeconfigPath,
    natsUrl: nats.url,
    ...options.stack,
  });
  const kube = createKubeClient(cluster.kubeconfigPath, { userAgent: BENCH_AGENT, maxSockets: options.concurrency });
  // The stack treats a cluster it did not start as someone else's: the bench's own dev cluster
  // gets the local stack's default objects (default VolumeSnapshotClass …) here.
  await ensureDefaultObjects(kube);
  const token = (await readFile(join(stack.dataDir, "gateway.token"), "utf8")).trim();
  const gateway = createGatewayClient({ baseUrl: stack.endpoints.gateway, token });

  let own = 0;
  let worker = 0;
  let natsMb = 0;
  const workerPid = stack.functionWorkerPid;
  const sampler = setInterval(() => {
    own = Math.max(own, process.memoryUsage().rss);
    void rssMbOf(nats.pid).then((mb) => (natsMb = Math.max(natsMb, mb)));
    if (workerPid) void rssMbOf(workerPid).then((mb) => (worker = Math.max(worker, mb)));
  }, 250);

  return {
    dir,
    cluster,
    nats,
    stack,
    kube,
    gateway,
    peakRssMb: () => ({
      // The function host and dispatcher run in the stack's child process (unless in-process).
      ...(workerPid
        ? {
            "snapflow up (dev cluster, gateway, hostpath driver, watcher)": Math.round(own / (1024 * 1024)),
            "snapflow up function worker (dispatcher, functions)": worker,
          }
        : { "snapflow up (dev cluster, gateway, hostpath driver, watcher, dispatcher, functions)": Math.round(own / (1024 * 1024)) }),
      "nats-server": natsMb,
    }),
    async stop() {
      clearInterval(sampler);
      kube.close();
      await stack.stop();
      await nats.stop();
      await cluster.close();
      if (ownsDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
