// Runs the dev cluster in the foreground: writes DIR/ready once serving, removes it and stops
// gracefully on SIGINT/SIGTERM. Shared by `snapflow cluster` and the benchmark (which runs this file
// directly, so the measured process holds the dev cluster and nothing else).
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startDevCluster, type DevCluster } from "./index.js";

export async function serveCluster(opts: { dataDir: string; port: number; host?: string; log?: (line: string) => void }): Promise<DevCluster> {
  const dataDir = resolve(opts.dataDir);
  const readyPath = join(dataDir, "ready");
  if (existsSync(readyPath)) rmSync(readyPath);
  const cluster = await startDevCluster({ dataDir, port: opts.port, host: opts.host });
  // Written then renamed, so whoever sees the marker also sees its content.
  writeFileSync(`${readyPath}.tmp`, `${cluster.url}\n`);
  renameSync(`${readyPath}.tmp`, readyPath);
  opts.log?.(`dev cluster serving at ${cluster.url}\nkubeconfig: ${cluster.kubeconfigPath}\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    rmSync(readyPath, { force: true });
    await cluster.close();
    opts.log?.(`dev cluster stopped (${signal})\n`);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  return cluster;
}

// Direct use: node --import tsx infra/devcluster/serve.ts <dataDir> [port]
if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const [dataDir, port] = process.argv.slice(2);
  if (!dataDir) {
    process.stderr.write("usage: serve.ts <dataDir> [port]\n");
    process.exit(2);
  }
  await serveCluster({ dataDir, port: Number(port ?? 0), log: (l) => process.stdout.write(l) });
}
