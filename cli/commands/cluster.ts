// `snapflow cluster`: runs the embedded dev cluster alone (the same code `snapflow up` embeds).
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { startDevCluster } from "../../infra/devcluster/index.js";

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
      const dataDir = resolve(opts.dataDir);
      const readyPath = join(dataDir, "ready");
      if (existsSync(readyPath)) rmSync(readyPath);
      const cluster = await startDevCluster({ dataDir, port, host: opts.host });
      writeFileSync(readyPath, `${cluster.url}\n`);
      process.stdout.write(`dev cluster serving at ${cluster.url}\nkubeconfig: ${cluster.kubeconfigPath}\n`);
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        rmSync(readyPath, { force: true });
        await cluster.close();
        process.stdout.write(`dev cluster stopped (${signal})\n`);
        process.exit(0);
      };
      process.on("SIGINT", () => void stop("SIGINT"));
      process.on("SIGTERM", () => void stop("SIGTERM"));
    });
}
