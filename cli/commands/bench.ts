// `snapflow bench --snapshots N [--json FILE]`: the snapshot pipeline on the local stack (see
// bench/snapshots.ts). Prints a progress bar on stderr and the result as JSON on stdout.
import type { Command } from "commander";
import { runGroupBench, writeGroupBenchResult } from "../../bench/groups.js";
import { runProvisionBench, writeProvisionBenchResult } from "../../bench/provision.js";
import { runScaleBench, writeScaleBenchResult } from "../../bench/scale.js";
import { runSnapshotBench, writeSnapshotBenchResult } from "../../bench/snapshots.js";

function progressBar(ready: number, total: number): string {
  const width = 40;
  const filled = Math.round((ready / total) * width);
  return `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${ready}/${total} ready`;
}

export function register(program: Command): void {
  program
    .command("bench")
    .description("benchmark N VolumeSnapshots created at once on the local stack until ready, then deleted (JSON result)")
    .option("--snapshots <n>", "how many PVCs and VolumeSnapshots (default 1000 unless --restores/--clones ask for something else)")
    .option("--restores <n>", "also: N PVCs restored at once from one VolumeSnapshot (empty volumes), plus a 100 MiB restore vs cp -a")
    .option("--clones <n>", "also: N clones at once of one PVC (empty volumes)")
    .option("--json <file>", "also write the JSON result to this file")
    .option("--data-dir <dir>", "keep the stack's data here instead of a temp dir")
    .option("--concurrency <n>", "parallel requests of the bench client", "32")
    .option("--function-concurrency <n>", "calls in flight per function (default: the local stack's 64)")
    .option("--groups <n>", "instead: volume group snapshots — one group of 200 PVCs, then N groups of 10 at once (bench/groups.ts; also `snapflow bench-groups`)")
    .option("--scale", "instead: create → ready latency of new snapshots on an empty namespace and with --stored ready snapshots in it (bench/scale.ts)")
    .option("--stored <n>", "with --scale: ready snapshots stored in the namespace", "20000")
    .option("--samples <n>", "with --scale: snapshots measured one at a time, per phase", "20")
    .option("--burst <n>", "with --scale: snapshots created at once, per phase", "10")
    .action(async (o: { snapshots?: string; restores?: string; clones?: string; groups?: string; scale?: boolean; stored: string; samples: string; burst: string; json?: string; dataDir?: string; concurrency: string; functionConcurrency?: string }) => {
      if (o.scale) {
        const count = (flag: string, v: string, allowZero = false) => {
          if (!(allowZero ? /^\d+$/ : /^[1-9]\d*$/).test(v)) throw new Error(`${flag} must be a ${allowZero ? "non-negative" : "positive"} integer, got ${JSON.stringify(v)}`);
          return Number(v);
        };
        const result = await runScaleBench({
          stored: count("--stored", o.stored, true),
          samples: count("--samples", o.samples),
          burst: count("--burst", o.burst, true),
          concurrency: count("--concurrency", o.concurrency),
          ...(o.dataDir ? { dataDir: o.dataDir } : {}),
          onPhase: (what) => process.stderr.write(`bench --scale: ${what}\n`),
        });
        if (o.json) await writeScaleBenchResult(result, o.json);
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      if (o.groups !== undefined) {
        if (!/^[1-9]\d*$/.test(o.groups)) throw new Error(`--groups must be a positive integer, got ${JSON.stringify(o.groups)}`);
        const result = await runGroupBench({ groups: Number(o.groups), ...(o.dataDir ? { dataDir: o.dataDir } : {}), onPhase: (what) => process.stderr.write(`bench --groups: ${what}\n`) });
        if (o.json) await writeGroupBenchResult(result, o.json);
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const provisioning = o.restores !== undefined || o.clones !== undefined;
      if (provisioning) {
        // Provisioning keys (bench/provision.ts), merged with the snapshot keys when both are asked for.
        const functionConcurrency = o.functionConcurrency ? { functionConcurrency: Number(o.functionConcurrency) } : {};
        let provision;
        try {
          const count = (flag: string, v: string) => {
            if (!/^[1-9]\d*$/.test(v)) throw new Error(`${flag} must be a positive integer, got ${JSON.stringify(v)}`);
            return Number(v);
          };
          provision = await runProvisionBench({
            ...(o.restores !== undefined ? { restores: count("--restores", o.restores) } : {}),
            ...(o.clones !== undefined ? { clones: count("--clones", o.clones) } : {}),
            ...functionConcurrency,
          });
        } catch (err) {
          process.stderr.write(`snapflow bench: ${(err as Error).message}\n`);
          process.exitCode = 1;
          return;
        }
        const snapshotsToo =
          o.snapshots !== undefined ? await runSnapshotBench({ snapshots: Number(o.snapshots), concurrency: Number(o.concurrency), ...functionConcurrency, ...(o.dataDir ? { dataDir: o.dataDir } : {}) }) : {};
        const merged = { ...snapshotsToo, ...provision };
        if (o.json) await writeProvisionBenchResult(merged, o.json);
        process.stdout.write(`${JSON.stringify(merged, null, 2)}\n`);
        return;
      }
      const snapshots = Number(o.snapshots ?? "1000");
      const concurrency = Number(o.concurrency);
      if (!Number.isInteger(snapshots) || snapshots <= 0) throw new Error(`--snapshots must be a positive integer, got ${o.snapshots}`);
      if (!Number.isInteger(concurrency) || concurrency <= 0) throw new Error(`--concurrency must be a positive integer, got ${o.concurrency}`);
      const tty = process.stderr.isTTY;
      let last = -1;
      const result = await runSnapshotBench({
        snapshots,
        concurrency,
        ...(o.functionConcurrency ? { functionConcurrency: Number(o.functionConcurrency) } : {}),
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
        onProgress: (ready, total) => {
          // On a terminal redraw the bar; in a log print every 10 %.
          const step = Math.floor((ready / total) * 10);
          if (tty) process.stderr.write(progressBar(ready, total));
          else if (step !== last) process.stderr.write(`${progressBar(ready, total).slice(1)}\n`);
          last = step;
        },
      });
      if (tty) process.stderr.write("\n");
      if (o.json) await writeSnapshotBenchResult(result, o.json);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
