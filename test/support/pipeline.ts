// The whole event pipeline in one process for integration tests: one nats-server, one or more dev
// clusters each with its own watcher and dispatcher, one hostpath storage (driver + gateway), and
// one set of functions holding an API client per cluster. Built from bench/cluster/pipeline.ts's
// parts; if starting fails half way, what was started is stopped before the error is thrown.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  describedFunctions,
  startClusterUnderTest,
  startInProcessFunctions,
  startPipelineDispatcher,
  startPipelineWatcher,
  startStorage,
  type ClusterUnderTest,
  type InProcessFunctions,
  type RunningDispatcher,
  type RunningWatcher,
  type Storage,
} from "../../bench/cluster/pipeline.js";
import { startNatsServer, type NatsServerHandle } from "../../cli/stack/nats-server.js";
import type { Descriptor } from "../../infra/deploy/descriptor.js";
import type { RequestLogEntry } from "../../infra/devcluster/index.js";

export interface InProcessPipeline {
  dir: string;
  nats: NatsServerHandle;
  clusters: ClusterUnderTest[];
  storage: Storage;
  functions: InProcessFunctions;
  dispatchers: RunningDispatcher[];
  watchers: RunningWatcher[];
  stop(): Promise<void>;
}

export interface InProcessPipelineOptions {
  /** Part of the temp directory's name. */
  name: string;
  clusters: { name: string; onRequest?: (entry: RequestLogEntry) => void }[];
  /** serverless.yml's description (default: the project's own). */
  descriptor?: Descriptor;
  /** Each function calls the API with its own user agent (`snapflow-fn/<name>`). */
  perFunctionUserAgent?: boolean;
}

export async function startInProcessPipeline(o: InProcessPipelineOptions): Promise<InProcessPipeline> {
  const dir = await mkdtemp(join(tmpdir(), `snapflow-${o.name}-`));
  let nats: NatsServerHandle | undefined;
  let storage: Storage | undefined;
  let functions: InProcessFunctions | undefined;
  const clusters: ClusterUnderTest[] = [];
  const dispatchers: RunningDispatcher[] = [];
  const watchers: RunningWatcher[] = [];

  const stop = async (): Promise<void> => {
    for (const w of watchers) await w.stop();
    for (const d of dispatchers) await d.stop();
    functions?.close();
    await storage?.close();
    for (const c of clusters) {
      c.kube.close();
      await c.dev.close();
    }
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    nats = await startNatsServer({ dir: join(dir, "nats") });
    for (const c of o.clusters) clusters.push(await startClusterUnderTest(dir, c.name, c.onRequest));
    storage = await startStorage(dir, clusters[0]!.kubeconfig);
    const fns = await describedFunctions(o.descriptor);
    const running = startInProcessFunctions(fns, clusters, storage, { perFunctionUserAgent: o.perFunctionUserAgent });
    functions = running;
    for (const c of clusters) {
      dispatchers.push(
        await startPipelineDispatcher({
          natsUrls: [nats.url],
          cluster: c.name,
          functions: fns,
          descriptor: o.descriptor,
          deliver: (name) => ({ url: `http://in-process/${name}`, deliver: running.deliverFor(name) }),
          policy: { ackWaitMs: 10_000, maxDeliver: 50, backoffMs: [], maxAckPending: 1000 },
        }),
      );
      watchers.push(await startPipelineWatcher({ natsUrls: [nats.url], cluster: c }));
    }
    return { dir, nats, clusters, storage, functions, dispatchers, watchers, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
