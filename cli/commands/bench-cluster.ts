// `snapflow bench-cluster` (npm run bench:cluster): the dev cluster's write throughput, watch
// fan-out latency and memory, as JSON.
import type { Command } from "commander";
import { runClusterBench, writeClusterBench } from "../../infra/devcluster/bench.js";

export function register(program: Command): void {
  program
    .command("bench-cluster")
    .description("benchmark the dev cluster: writes/s with watchers, watch delivery latency, RSS at 20,000 objects (JSON to stdout and bench-results/cluster.json)")
    .option("--watchers <n>", "concurrent watches", "10")
    .option("--writes <n>", "objects created, then updated, in the timed phases", "5000")
    .option("--concurrency <n>", "writes in flight", "16")
    .option("--fill-to <n>", "stored objects when memory is measured", "20000")
    .option("--out <file>", "where to write the JSON", "bench-results/cluster.json")
    .action(async (o: { watchers: string; writes: string; concurrency: string; fillTo: string; out: string }) => {
      const result = await runClusterBench({ watchers: Number(o.watchers), writes: Number(o.writes), concurrency: Number(o.concurrency), fillTo: Number(o.fillTo) });
      await writeClusterBench(result, o.out);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
