// `snapflow bench-driver` (npm run bench:driver): storage-path benchmarks as JSON on stdout and in
// bench-results/driver.json. Each half fills one key of the result:
//   snapshot — hostpath CreateSnapshot of a 1 GiB / 1,000-file volume vs `cp -a` (infra/hostpath/bench.ts)
//   gateway  — gateway overhead per call over calling the driver directly (cli/bench/gateway-overhead.ts)
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { Command } from "commander";
import { measureSnapshotVsCp } from "../../infra/hostpath/bench.js";
import { measureGatewayOverhead } from "../bench/gateway-overhead.js";

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: not a positive integer: ${value}`);
    return n;
  };
}

function copyEngine(value: string): "auto" | "copy" {
  if (value !== "auto" && value !== "copy") throw new Error(`--copy-engine: auto or copy, not ${value}`);
  return value;
}

interface BenchDriverOptions {
  out: string;
  dir?: string;
  files: number;
  mib: number;
  rounds: number;
  fsync: boolean;
  calls: number;
  copyEngine: "auto" | "copy";
}

export function register(program: Command): void {
  program
    .command("bench-driver")
    .description("benchmark the storage path: hostpath snapshot vs cp -a, gateway overhead per call (JSON to stdout and bench-results/driver.json)")
    .option("--out <file>", "where to write the JSON", "bench-results/driver.json")
    .option("--dir <dir>", "scratch directory on the disk to measure (default: OS temp dir)")
    .option("--files <n>", "files in the snapshotted volume", positiveInt("--files"), 1000)
    .option("--mib <n>", "total MiB in the snapshotted volume", positiveInt("--mib"), 1024)
    .option("--rounds <n>", "measurements per side (median reported)", positiveInt("--rounds"), 3)
    .option("--calls <n>", "gateway half: measured calls per operation and path", positiveInt("--calls"), 2000)
    .option("--no-fsync", "run the driver without fsyncing copies (crash-safe, not power-loss-safe)")
    .option("--copy-engine <engine>", "auto (reflink clone of the whole tree where possible) or copy (per-file copies)", copyEngine, "auto")
    .action(async (o: BenchDriverOptions) => {
      const result: Record<string, unknown> = {
        measuredAt: new Date().toISOString(),
        snapshot: await measureSnapshotVsCp({
          dir: o.dir,
          files: o.files,
          totalBytes: o.mib * 1024 * 1024,
          rounds: o.rounds,
          durable: o.fsync,
          copyEngine: o.copyEngine,
        }),
        gateway: await measureGatewayOverhead({ iterations: o.calls }),
      };
      await fs.mkdir(path.dirname(path.resolve(o.out)), { recursive: true });
      await fs.writeFile(o.out, `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
