// `snapflow watch`: the watcher alone — informers on the cluster → CloudEvents on JetStream.
import type { Command } from "commander";
import { parseDuration } from "../../events/audit/reader.js";
import { assertToken } from "../../events/jetstream/subjects.js";
import { readEndpoints, resolveNatsUrl } from "../stack/endpoints.js";
import { untilSignal } from "../stack/signals.js";

export function register(program: Command): void {
  program
    .command("watch")
    .description("watch the cluster's snapshot, volume and class objects and publish each change as a CloudEvent to NATS JetStream")
    .option("--kubeconfig <path>", "cluster to watch (default: $KUBECONFIG, else the local stack's)")
    .option("--nats <url>", "NATS URL (default: $NATS_URL, else the local stack's, else nats://127.0.0.1:4222)")
    .option("--cluster-name <name>", "cluster name in subjects, source and the cluster extension", "local")
    .option("--resync <duration>", "re-emit every object as `resynced` this often (0 disables)", "10m")
    .option("--data-dir <dir>", "local stack directory (for defaults from endpoints.json)", ".snapflow")
    .action(async (o: { kubeconfig?: string; nats?: string; clusterName: string; resync: string; dataDir: string }) => {
      const cluster = assertToken("cluster name", o.clusterName);
      // client-node is a large module: load it (and what uses it) only when this command runs.
      const [{ KubeConfig }, { jetstream, jetstreamManager }, { connectNats, ensureStreams }, { EventPublisher }, { startWatcher }, { createLogger }] = await Promise.all([
        import("@kubernetes/client-node"),
        import("@nats-io/jetstream"),
        import("../../events/jetstream/index.js"),
        import("../../events/watcher/publisher.js"),
        import("../../events/watcher/watcher.js"),
        import("../../shared/log.js"),
      ]);
      const log = createLogger({ name: "snapflow-watcher", base: { cluster } });
      const kubeconfig = o.kubeconfig ?? process.env.KUBECONFIG ?? readEndpoints(o.dataDir)?.kubeconfig;
      const kc = new KubeConfig();
      if (kubeconfig) kc.loadFromFile(kubeconfig);
      else kc.loadFromDefault();
      const nc = await connectNats(resolveNatsUrl(o.nats, o.dataDir), "snapflow-watcher");
      await ensureStreams(await jetstreamManager(nc));
      const publisher = new EventPublisher(jetstream(nc), { log });
      const watcher = startWatcher({ kubeConfig: kc, publisher, cluster, resyncIntervalMs: o.resync === "0" ? 0 : parseDuration(o.resync), log });
      await watcher.ready;
      log.info({ server: kc.getCurrentCluster()?.server }, "watching");
      const signal = await untilSignal();
      log.info({ signal }, "stopping");
      await watcher.stop();
      await Promise.race([publisher.idle(), new Promise((r) => setTimeout(r, 5_000))]);
      publisher.stop();
      await nc.drain();
    });
}
