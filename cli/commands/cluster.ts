// `snapflow cluster`: runs the embedded dev cluster alone (the same code `snapflow up` embeds).
import type { Command } from "commander";
import { serveCluster } from "../../infra/devcluster/serve.js";

/** The fixed default port (kube-apiserver's usual secure port; the dev cluster serves plain HTTP on it). */
export const DEFAULT_CLUSTER_PORT = 6443;

export function register(program: Command): void {
  program
    .command("cluster")
    .description(`run the embedded dev cluster (a Kubernetes API server on 127.0.0.1, default port ${DEFAULT_CLUSTER_PORT})`)
    .requiredOption("--data-dir <dir>", "where the cluster keeps its state, kubeconfig and ready marker")
    .option("--port <n>", `port to listen on (default ${DEFAULT_CLUSTER_PORT})`)
    .option("--random-ports", "listen on a free port instead of the fixed default")
    .option("--host <addr>", "address to listen on", "127.0.0.1")
    .action(async (opts: { dataDir: string; port?: string; randomPorts?: boolean; host: string }) => {
      if (opts.port !== undefined && opts.randomPorts) throw new Error("--port and --random-ports exclude each other");
      const port = opts.randomPorts ? 0 : opts.port !== undefined ? Number(opts.port) : DEFAULT_CLUSTER_PORT;
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${opts.port}`);
      await serveCluster({ dataDir: opts.dataDir, port, host: opts.host, log: (line) => process.stdout.write(line) });
    });
}
