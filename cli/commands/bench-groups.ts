// `snapflow bench-groups` (npm run bench:groups): volume group snapshots on the local stack — one
// group of N PVCs create → ready (target ≤ 10 s for 200) and G groups of S at once — as JSON.
import type { Command } from "commander";
import { runGroupBench, writeGroupBenchResult } from "../../bench/groups.js";

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`not a positive integer: ${value}`);
  return n;
}

export function register(program: Command): void {
  program
    .command("bench-groups")
    .description("benchmark VolumeGroupSnapshots on the local stack: one large group, then many groups at once, then deletion (JSON)")
    .option("--members <n>", "PVCs in the large group", positive, 200)
    .option("--groups <n>", "groups created at once", positive, 20)
    .option("--group-size <n>", "PVCs per concurrent group", positive, 10)
    .option("--out <file>", "where to write the JSON", "bench-results/groups.json")
    .option("--data-dir <dir>", "keep the stack's data here instead of a temp dir")
    .action(async (o: { members: number; groups: number; groupSize: number; out: string; dataDir?: string }) => {
      const result = await runGroupBench({
        members: o.members,
        groups: o.groups,
        groupSize: o.groupSize,
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
        onPhase: (what) => process.stderr.write(`bench-groups: ${what}\n`),
      });
      await writeGroupBenchResult(result, o.out);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
