// `snapflow chaos-cluster` (npm run chaos:cluster): bench/chaos-cluster.ts. Prints progress on
// stderr, the result as JSON and the invariant lines on stdout; exits 1 when any count is above 0.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Command } from "commander";
import { runClusterChaos, summaryLines, type ClusterChaosResult } from "../../bench/chaos-cluster.js";

function positive(name: string, value: string, zeroOk = false): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (zeroOk ? 0 : 1)) throw new Error(`${name} must be a ${zeroOk ? "non-negative" : "positive"} integer, got ${value}`);
  return n;
}

export function register(program: Command): void {
  program
    .command("chaos-cluster")
    .description("distributed chaos run: 3-node NATS JetStream cluster, 2 function hosts, 2 dispatchers; kill -9 a NATS node and a function host")
    .option("--snapshots <n>", "VolumeSnapshots to cut", "500")
    .option("--groups <n>", "VolumeGroupSnapshots to cut (2 claims each)", "5")
    .option("--baseline", "also run the same workload on a single nats-server without the NATS kill, for comparison")
    .option("--json <file>", "also write the JSON result here", "bench-results/chaos-cluster.json")
    .action(async (o: { snapshots: string; groups: string; baseline?: boolean; json: string }) => {
      const snapshots = positive("--snapshots", o.snapshots);
      const groups = positive("--groups", o.groups, true);
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const clustered = await runClusterChaos({ snapshots, groups, natsNodes: 3, log });
      const result: { clustered: ClusterChaosResult; singleNode?: ClusterChaosResult; slowdown?: number } = { clustered };
      if (o.baseline) {
        log("baseline: one nats-server, same workload, function host killed, no NATS kill");
        result.singleNode = await runClusterChaos({ snapshots, groups, natsNodes: 1, log });
        result.slowdown = Math.round((clustered.totalSeconds / result.singleNode.totalSeconds) * 100) / 100;
      }
      await mkdir(dirname(o.json), { recursive: true });
      await writeFile(o.json, `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      const runs = [clustered, ...(result.singleNode ? [result.singleNode] : [])];
      const worst = { leaked: Math.max(...runs.map((r) => r.leaked)), duplicated: Math.max(...runs.map((r) => r.duplicated)), stuckFinalizers: Math.max(...runs.map((r) => r.stuckFinalizers)) };
      for (const line of summaryLines({ ...clustered, ...worst })) process.stdout.write(`${line}\n`);
      // Kills after everything was ready prove nothing: say so and fail.
      process.stdout.write(`kills during the run: ${clustered.killsDuringRun}/${clustered.kills.length}\n`);
      if (worst.leaked + worst.duplicated + worst.stuckFinalizers > 0 || clustered.killsDuringRun < clustered.kills.length) process.exitCode = 1;
    });
}
